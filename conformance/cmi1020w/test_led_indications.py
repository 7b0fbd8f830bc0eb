"""CMi1020W manual "LED indications": red steady — "CMi1020W doesn't transmit any wireless
messages" when it cannot reach the meter or "the data available from the meter does not contain
the OBIS-code 'C.1.0' or 'C.1' (Meter ID)"; red flashing — "CMi1020W failed to set a new tariff.
This status is also available through reading bit 6 in the status byte". Both need the simulator:
its meter is given a readout without C.1.0, its module a failed tariff set (ERRATA E-57, E-64)."""
from metercert.readout import make_readout, readout_values

from .lib import first_timeout_s, interval_s, link_fields, logical, telegrams
from metercert.conformance import Mismatch, case, expect


@case("cmi1020w/led-indications/1", "Without C.1.0 and C.1 in the meter's data the module transmits nothing, "
      "through two intervals after power-up (manual \"LED indications\": red steady).",
      needs=("wmbus.receive", "sim.cmi1020w"))
def test_nothing_without_meter_id(dut, meter):
    lines = [f"{o}({v}*{u})" if u else f"{o}({v})" for o, v, u in readout_values(meter.readout) if o not in ("C.1.0", "C.1")]
    meter.readout = make_readout(lines)
    dut.cmi1020w_power_cycle()
    t = dut.receive(first_timeout_s(dut) + interval_s(dut))
    if t is not None:
        raise Mismatch("telegrams without C.1.0 / C.1", "none", f"one at {t['at_ms'] / 1000:.1f} s: {t['frame'].hex().upper()}")
    expect(dut.cmi1020w_state()["red_led"], True, "red LED")


@case("cmi1020w/led-indications/2", "A failed tariff set shows as bit 6 of the status byte; without one bit 6 is 0 "
      "(manual \"LED indications\": red flashing).", needs=("wmbus.receive", "sim.cmi1020w"))
def test_tariff_failure_is_status_bit_6(dut):
    before = link_fields(logical(telegrams(dut, 1)[0]))
    expect(before.get("status", 0) & 0x40, 0, "status bit 6 before any tariff failure")
    dut.cmi1020w_set_tariff_set_failed(True)
    after = link_fields(logical(telegrams(dut, 1)[0]))
    expect(after.get("status", 0) & 0x40, 0x40, "status bit 6 after a failed tariff set")
