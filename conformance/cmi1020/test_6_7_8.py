"""CMi1020 §6.7.8 — disconnector control (SND_UD CI 0x51, 01 FD 1A, control byte) and its image
in RSP_UD (Table 5, 01 FD1A): bits 7–2 as commanded, bits 1–0 the actual state once pulsed."""
from .lib import read_telegrams, record_int, snd_ud
from metercert.conformance import Mismatch, case, expect


def fd1a(master) -> int:
    return record_int(read_telegrams(master)[0], "01", "FD1A")


@case("cmi1020/6.7.8/1", "Bits 7–2 of the control byte appear in RSP_UD's FD1A byte; 00 pairs leave a setting unchanged.")
def test_setting_bits(master):
    before = fd1a(master)
    snd_ud(master, bytes([0x01, 0xFD, 0x1A, 0x80]))  # EEPROM setting OFF; push-buttons unchanged
    try:
        expect(f"{fd1a(master) >> 2:06b}", f"{(0x80 | (before & 0x3C)) >> 2:06b}", "FD1A bits 7–2 after control byte 80")
        snd_ud(master, bytes([0x01, 0xFD, 0x1A, 0x28]))  # push-button on disabled, off disabled
        expect(f"{fd1a(master) >> 2:06b}", "101010", "FD1A bits 7–2 after control byte 28")
    finally:
        snd_ud(master, bytes([0x01, 0xFD, 0x1A, (before & 0xFC) or 0x54]))


@case("cmi1020/6.7.8/2", "EEPROM OFF pulses the meter's disconnector off (0xFF21) once charged; FD1A bits 1–0 then read 10.",
      needs=("sim.cmi1020",))
def test_disconnector_pulsed(dut, master, meter):
    dut.idle(11_000)  # the drive capacitor charges ~10 s after power-on (§7.3)
    snd_ud(master, bytes([0x01, 0xFD, 0x1A, 0x80]))
    dut.idle(11_000)
    expect(meter.disconnector_closed, False, "meter disconnector after the pulse")
    expect(fd1a(master) & 0x03, 0b10, "FD1A bits 1–0 (actual state)")


@case("cmi1020/6.7.8/3", "After power-on, until the disconnector is pulsed, FD1A bits 1–0 read 'unknown': 00 or 11 (Table 5).",
      needs=("sim.cmi1020",))
def test_unknown_after_power_on(dut, master):
    dut.power_cycle(0)
    dut.idle(3000)
    got = f"{fd1a(master) & 0x03:02b}"
    if got not in ("00", "11"):
        raise Mismatch("FD1A bits 1–0 before the capacitor has charged", ["00", "11"], got)


@case("cmi1020/6.7.8/4", "The 'unknown' actual state after power-on is sent as 00, not 11 (ERRATA E-35).",
      level="implementation-defined", needs=("sim.cmi1020",))
def test_unknown_is_00(dut, master):
    dut.power_cycle(0)
    dut.idle(3000)
    expect(f"{fd1a(master) & 0x03:02b}", "00", "FD1A bits 1–0 before the capacitor has charged")
