"""CMi1020 §6.6 Table 5 (DIF 8340 VIF FD17) and §6.7.2.2 (status byte) — the meter communication
error flags under injected meter faults: each failure of the meter's optical port sets its own bit,
the status byte says 0x12 (temporary + application error) while the meter does not answer."""
from .lib import READOUT_PERIOD_MS, elvaco, error_flags, read_telegrams, record_int
from metercert.conformance import case, expect

SPECIFIC = 0x1F  # bits 0–4: which step of the readout failed


def flags_under(dut, master, meter, fault: str) -> tuple[int, str]:
    meter.fault = fault
    dut.idle(READOUT_PERIOD_MS)
    first = read_telegrams(master)[0]
    return record_int(first, "8340", "FD17"), first["header"]["status"]


def check_bit(dut, master, meter, fault: str, bit: int):
    flags, status = flags_under(dut, master, meter, fault)
    expect(f"{flags & SPECIFIC:05b}", f"{1 << bit:05b}", f"FD17 bits 4–0 after a readout with meter fault {fault}")
    expect(status, "12", "status byte while the meter readout fails (§6.7.2.2)")


@case("cmi1020/6.6/5", "A timeout on the meter's ID string sets error flag bit 0.", needs=("sim.cmi1020",))
def test_flag_id_timeout(dut, master, meter):
    check_bit(dut, master, meter, "id_timeout", 0)


@case("cmi1020/6.6/6", "A receive error on the meter's ID string sets error flag bit 1.", needs=("sim.cmi1020",))
def test_flag_id_receive_error(dut, master, meter):
    check_bit(dut, master, meter, "id_receive_error", 1)


@case("cmi1020/6.6/7", "An unexpected character in the meter's ID string sets error flag bit 2.", needs=("sim.cmi1020",))
def test_flag_unexpected_id_char(dut, master, meter):
    check_bit(dut, master, meter, "unexpected_id_char", 2)


@case("cmi1020/6.6/8", "A timeout on the meter's readout data sets error flag bit 3.", needs=("sim.cmi1020",))
def test_flag_readout_timeout(dut, master, meter):
    check_bit(dut, master, meter, "readout_timeout", 3)


@case("cmi1020/6.6/9", "A receive error (BCC) on the meter's readout data sets error flag bit 4.", needs=("sim.cmi1020",))
def test_flag_receive_error(dut, master, meter):
    check_bit(dut, master, meter, "receive_error", 4)


@case("cmi1020/6.6/10", "A failed readout also sets bit 8 'error during meter data readout' (ERRATA E-18).",
      level="implementation-defined", needs=("sim.cmi1020",))
def test_flag_bit8(dut, master, meter):
    flags, _ = flags_under(dut, master, meter, "readout_timeout")
    expect(bool(flags & 0x100), True, f"FD17 bit 8 in {flags:06X}")


@case("cmi1020/6.6/16", "While every meter readout succeeds, bit 8 'error during meter data readout' stays clear (Table 5; "
      "when a failed readout sets it is ERRATA E-18, case 6.6/10).", needs=("sim.cmi1020",))
def test_flag_bit8_clear_without_failure(dut, master):
    elvaco(master, 0x04)  # whatever was latched before this case (§6.7.13)
    dut.idle(READOUT_PERIOD_MS)  # a readout of the working meter
    flags = error_flags(master)
    expect(f"{flags >> 8 & 1}", "0", f"FD17 bit 8 in {flags:06X} after good readouts only")


@case("cmi1020/6.6/11", "The status byte returns to 0x00 once the meter answers again (non-latching, §6.7.2.2).",
      needs=("sim.cmi1020",))
def test_status_not_latching(dut, master, meter):
    flags_under(dut, master, meter, "receive_error")
    _, status = flags_under(dut, master, meter, "none")
    expect(status, "00", "status byte after a good readout")


@case("cmi1020/6.6/12", "After power-on, bit 5 'not polled yet' is set until the first successful meter readout.",
      needs=("power",))
def test_not_polled_bit(dut, master):
    dut.power.cycle()
    expect(bool(error_flags(master) & 0x20), True, "FD17 bit 5 right after power-on")
    dut.idle(3000)
    expect(bool(error_flags(master) & 0x20), False, "FD17 bit 5 after the first readout (2 s after power-on)")


@case("cmi1020/6.6/13", "A meter command whose P1 sign-on the meter refuses sets bit 23 (sign-on error).", needs=("sim.cmi1020",))
def test_signon_error_bit(master, meter):
    meter.p1_password = "12121212"  # the CMi1020 still signs on with its factory 88888888
    elvaco(master, 0x25, bytes([0x00, 0x01]))  # LCD rate indicator (§6.7.19), a P1 command
    expect(bool(error_flags(master) & (1 << 23)), True, "FD17 bit 23 after a refused sign-on")


@case("cmi1020/6.6/14", "An LCD command the meter refuses sets its own bit: 0xFF22 'Value' → bit 11.", needs=("sim.cmi1020",))
def test_command_error_bit(master, meter):
    meter.fault = "command_failure"
    elvaco(master, 0x22, bytes([0x00, 0x39, 0x30, 0x00, 0x00, 0x02]))
    flags = error_flags(master)
    expect(f"{(flags >> 11) & 0xFF:08b}", "00000001", "FD17 bits 18–11 after 0xFF22 failed")
