"""CMi6110 §7.5 configuration options, Table 11 "Payload setup configurations": the defaults of the
settings the uplinks depend on — Standard, SenML/CBOR, readout 60 min, transmit 1440 min, UTC offset
0, Latest first (LiFo); and, reading Table 11's "1.. N" as a minimum and the default N (ERRATA E-87),
transmit offset 30 minutes (E-60), delay 240, maximum age 10080, 4 uploads per transmission (E-62).
The built-in module is run without any setting."""
from datetime import timedelta

from metercert.conformance import Mismatch, case, expect

from .lib import DEFAULTS, local_time, planned_t1, uplinks_of

SETTINGS = ("encoding", "format", "order", "readout_interval", "transmit_interval", "transmit_offset", "transmit_delay",
            "utc_offset", "max_age", "max_uploads", "readouts_per_telegram", "max_payload_bytes", "meter_errors", "network_down")


def defaults(dut):
    return uplinks_of(dut, days="2", **{k: None for k in SETTINGS})


@case("cmi6110/7.5/1", "A module without settings sends Standard SenML/CBOR readouts every 60 minutes in one transmission "
      "a day (transmit interval 1440), in meter time = UTC (offset 0), latest first (Table 11 defaults).",
      needs=("sim.cmi6110",))
def test_table11_defaults(dut):
    up = defaults(dut)
    for k in ("encoding", "format", "readout_interval", "transmit_interval", "utc_offset", "order"):
        expect(up.config[k], DEFAULTS[k], f"default {k}")
    expect({u.encoding for u in up.uplinks}, {"senml"}, "encoding of the uplinks")
    txs = up.transmissions()
    expect(len(txs), 2, "transmissions in two days")
    for tx in txs:
        rs = sorted(r.meter_time for u in tx for r in u.readouts)
        gaps = {b - a for a, b in zip(rs, rs[1:])}
        if gaps - {timedelta(minutes=60)}:
            raise Mismatch("spacing of the readouts of one transmission", "60 min", sorted(gaps))
        if any(r.utc != r.meter_time for u in tx for r in u.readouts):
            raise Mismatch("SenML time with UTC offset 0", "the meter time", "another time")
        if any(len(r.values) != 8 for u in tx for r in u.readouts):
            raise Mismatch("values of a Standard readout", "Table 4's 8 besides the time", "others")
        t1 = planned_t1(local_time(tx[0].time, up.config), up.config)
        expect((t1.hour, t1.minute), (0, 0), "T1 of a daily transmission (00:00 meter time)")


@case("cmi6110/7.5/2", "The defaults Table 11 prints after \"1..\" (ERRATA E-87): transmit offset 30 min (E-60), delay 240 "
      "min, maximum age 10080 min, 4 uploads per transmission (E-62).", needs=("sim.cmi6110",))
def test_open_defaults(dut):
    up = defaults(dut)
    for k in ("transmit_offset", "transmit_delay", "max_age", "max_uploads"):
        expect(up.config[k], DEFAULTS[k], f"default {k}")
