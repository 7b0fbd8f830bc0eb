"""CMi6110 §7.4.2.1 M-Bus (Table 6): the payload is the DIB list, one record per Table 6 row in row
order — 9 for Standard (Table 4), 13 for Extended (Table 5) — each with the row's DIF/DIFE and one of
the VIFs it lists (ERRATA E-51: the tariff VIFs, "missing time" BCD, power/flow with two data
bytes). Read with the small EN 13757-3 reader of lib.py. A capture in another encoding skips these
cases; the built-in module is run again in M-Bus."""
from metercert.conformance import Mismatch, case, expect

from .lib import readout_from_records, uplinks_of


@case("cmi6110/7.4.2.1/1", "Every M-Bus payload is Table 6's DIB list of the message format: the rows in order (9 Standard, "
      "13 Extended), each with the row's DIF/DIFE and a VIF the row lists, and one readout per telegram.",
      needs=("cmi6110.uplinks",))
def test_table6_dib_list(dut):
    formats = ("standard", "extended") if "sim.cmi6110" in dut.capabilities else (None,)
    for fmt in formats:
        up = uplinks_of(dut, "mbus", format=fmt) if fmt else uplinks_of(dut, "mbus")
        for u in up.uplinks:
            try:
                readout_from_records(u.payload, up.config["format"], up.config["utc_offset"])
            except ValueError as e:
                raise Mismatch(f"uplink {u.index} ({up.config['format']})", "Table 6's DIB list", str(e))


@case("cmi6110/7.4.2.1/2", "The meter ID record (0C 78, 8 BCD digits) is the configured meter ID and the date/time record "
      "(04 6D, type F) is marked valid.", needs=("cmi6110.uplinks",))
def test_meter_id_and_valid_time(dut):
    up = uplinks_of(dut, "mbus")
    for u in up.uplinks:
        r = u.readouts[0]
        expect(f"{r.values['meter_id']:08}", up.config["meter_id"], f"uplink {u.index}: meter ID (0C 78)")
