"""CMi1020W manual "rate inputs": "In CMi1020W's default configuration as a safety feature, the
rate inputs are disabled to prevent any misconfigured product to accidently change the tariff
information." On the simulator the case drives the inputs and looks at the meter (ERRATA E-64);
the inputs are driven through dut.rate_inputs (the simulator's own, or a rig's relays)."""
from .lib import link_fields, logical, telegrams
from metercert.conformance import case, expect


@case("cmi1020w/rate-inputs/1", "In the default configuration the rate inputs are disabled: driving A and B through "
      "every combination sends no tariff command to the meter and leaves status bit 6 at 0.",
      needs=("wmbus.receive", "rate_inputs", "sim.cmi1020w"))
def test_rate_inputs_disabled_by_default(dut, meter):
    expect(dut.cmi1020w_state()["rate_inputs_enabled"], False, "rate inputs enabled in the default configuration")
    rate, executed = meter.rate, len(meter.executed)
    for a, b in ((True, False), (False, True), (True, True), (False, False)):
        dut.rate_inputs.set(a, b)
    expect((len(meter.executed) - executed, meter.rate), (0, rate), "meter commands sent and the meter's rate after the inputs changed")
    expect(link_fields(logical(telegrams(dut, 1)[0])).get("status", 0) & 0x40, 0, "status bit 6")
