"""CMi1020 §5.3 — local disconnector control: "Pressing the meter disconnector button in normal
operation, the disconnector will toggle state"; "The disconnector is disabled for press during
capacitor charging, approximately 10 seconds after last toggling of the disconnector" (also §7.3).
The state is read where Table 5 shows it: FD1A bits 1–0 (01 on, 10 off), bits 7–6 the EEPROM
setting. Driven through dut.button (a rig's relay across the button, --rig FILE, or the simulator's
own button on its clock). The meter must have a disconnector (§6.7.8)."""
from .lib import read_telegrams, record_int, snd_ud
from metercert.conformance import Mismatch, case, expect

# "approximately 10 seconds" (§5.3, §7.3): a wait this long is past any reading of it
CHARGED_MS = 15_000
PRESS_S = 0.5  # one press: closed this long, then released


def fd1a(master) -> int:
    return record_int(read_telegrams(master)[0], "01", "FD1A")


def actual(master) -> str:
    """FD1A bits 1–0: 'on' (01), 'off' (10), else 'unknown'."""
    return {0b01: "on", 0b10: "off"}.get(fd1a(master) & 0x03, "unknown")


def settle(dut, master, control: int, state: str) -> None:
    """The disconnector setting `control` (§6.7.8 control byte; sent only when FD1A bits 7–2 differ:
    a command pulses the disconnector) and the capacitor charged: FD1A shows the actual state `state`
    (the precondition of a button case). A pulse may be pending (after power-on, after the command):
    it comes once the capacitor has charged, and the capacitor charges again after it, so the wait
    is two charges."""
    if fd1a(master) & 0xFC != control:
        snd_ud(master, bytes([0x01, 0xFD, 0x1A, control]))
    dut.idle(2 * CHARGED_MS)
    got = actual(master)
    if got != state:
        raise Mismatch(f"disconnector before the press (control byte {control:02X}, then {2 * CHARGED_MS / 1000:.0f} s; "
                       f"a meter with disconnector, §6.7.8)", state, got)


def restore(master) -> None:
    """Back to the §8.2 setting (EEPROM on, both push-buttons enabled) when the case changed it."""
    if fd1a(master) & 0xFC != 0x54:
        snd_ud(master, bytes([0x01, 0xFD, 0x1A, 0x54]))


@case("cmi1020/5.3/1", "A press of the button in normal operation toggles the disconnector: on → off, and after the capacitor "
      "has charged again, off → on (FD1A bits 1–0).", needs=("button",))
def test_press_toggles_disconnector(dut, master):
    try:
        settle(dut, master, 0x54, "on")  # EEPROM on, push-button turn-on and turn-off enabled (§8.2)
        dut.button.hold(PRESS_S)
        first = actual(master)
        dut.idle(CHARGED_MS)
        dut.button.hold(PRESS_S)
        expect((first, actual(master)), ("off", "on"), "disconnector after the first press, after the second (15 s later)")
    finally:
        restore(master)


@case("cmi1020/5.3/2", "A press within the capacitor lock (2 s after a toggle; §5.3 ~10 s, §7.3) does nothing, neither at "
      "once nor once the capacitor has charged.", needs=("button",))
def test_press_within_capacitor_lock(dut, master):
    try:
        settle(dut, master, 0x54, "on")
        dut.button.hold(PRESS_S)  # toggles: off
        dut.idle(2000)
        dut.button.hold(PRESS_S)  # ~2.5 s after the toggle: within any reading of "approximately 10 seconds"
        dut.idle(2000)
        soon = actual(master)
        dut.idle(CHARGED_MS)
        expect((soon, actual(master)), ("off", "off"),
               "disconnector 2 s after the press in the lock, and 15 s later (the press is not kept for later)")
    finally:
        restore(master)


@case("cmi1020/5.3/3", "A toggle by the button is the EEPROM setting too: FD1A bits 7–6 read off after the press, and the "
      "disconnector is still off after a power cycle (§5.2; ERRATA E-108).", level="implementation-defined",
      needs=("button", "power"))
def test_toggle_is_kept_in_eeprom(dut, master):
    try:
        settle(dut, master, 0x54, "on")
        dut.button.hold(PRESS_S)
        setting = (fd1a(master) >> 6) & 0x03
        dut.power.cycle()
        dut.idle(CHARGED_MS + 3000)  # the first readout, then the pulse once charged (§5.2.1)
        expect((f"{setting:02b}", actual(master)), ("10", "off"), "FD1A bits 7–6 after the press; the disconnector after a power cycle")
    finally:
        restore(master)
