"""CMi1020 §6.7.13 — clear meter communication error flags (Elvaco command 0x04), and §6.7.4's
application reset without sub-code, which clears them too."""
from .lib import READOUT_PERIOD_MS, elvaco, error_flags, snd_ud
from metercert.conformance import case, expect


def latch_error(dut, master, meter):
    meter.fault = "receive_error"
    dut.idle(READOUT_PERIOD_MS)
    meter.fault = "none"
    dut.idle(READOUT_PERIOD_MS)
    expect(error_flags(master) & 0x1F != 0, True, "a flag of bits 0–4 still set after the meter recovered (latched)")


@case("cmi1020/6.7.13/1", "Command 0x04 clears the latched error flags.", needs=("sim.cmi1020",))
def test_clear_flags(dut, master, meter):
    latch_error(dut, master, meter)
    elvaco(master, 0x04)
    expect(error_flags(master), 0, "FD17 after command 0x04")


@case("cmi1020/6.7.13/2", "An application reset without sub-code clears the error flags too (§6.7.13, §6.7.4).",
      needs=("sim.cmi1020",))
def test_application_reset_clears_flags(dut, master, meter):
    latch_error(dut, master, meter)
    snd_ud(master, b"", ci=0x50)
    expect(error_flags(master), 0, "FD17 after application reset (CI 0x50)")
