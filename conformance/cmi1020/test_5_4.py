"""CMi1020 §5.4 — reset to factory default: "press and hold the button on power-up for 10 seconds
… The product configuration will reset to factory default and restart". What the reset restores
is §8.2 Table 7 (the manual's factory defaults); the cases set three of its settings that M-Bus
shows — primary address (§6.7.5), the disconnector and push-button settings (FD1A bits 7–2,
§6.7.8) and the secondary address (§6.7.6, Table 4) — and read them back. The button is pressed
before the power cycle and released after the hold; the push-buttons are disabled first so that
the press cannot toggle the disconnector. Needs the rig's button and supply (or the simulator's)."""
from metercert import build_long, build_short
from .lib import bcd, header_id, read_telegrams, record_int, snd_ud
from metercert.conformance import case, expect


def fd1a_setting(master, a: int = 0) -> str:
    """FD1A bits 7–2 (EEPROM setting, push-button turn-on, turn-off) as 6 binary digits."""
    return f"{record_int(read_telegrams(master, a)[0], '01', 'FD1A') >> 2:06b}"


def answers(master, a: int) -> bool:
    return master.exchange(build_short(0x40, a))["bytes"] == b"\xe5"


def hold_on_power_up(dut, seconds: float) -> None:
    """The button pressed, the supply cycled, the button held `seconds` from power-up, released; then
    the restart's first readout (§5.2.1)."""
    dut.button.press()
    try:
        dut.power.cycle()
        dut.idle(seconds * 1000)
    finally:
        dut.button.release()
    dut.idle(3000)


def configure(master) -> None:
    """Settings away from Table 7: disconnector off with both push-buttons disabled, then primary address 42."""
    snd_ud(master, bytes([0x01, 0xFD, 0x1A, 0xA8]))
    snd_ud(master, bytes([0x01, 0x7A, 42]))


def back_to_factory(master) -> None:
    """Whatever the case left: application reset B0 (§6.7.4) at 42 and at 0."""
    for a in (42, 0):
        master.exchange(build_long(0x53, a, 0x50, b"\xb0"))


@case("cmi1020/5.4/1", "Holding the button on power-up for 15 s (more than §5.4's 10 s) restores the §8.2 factory defaults: "
      "primary address 0, disconnector on with both push-buttons enabled (FD1A 010101), the secondary address from the meter.",
      needs=("button", "power"))
def test_hold_resets_to_factory_defaults(dut, master):
    from_meter = header_id(master)
    manual = "11223344" if from_meter != "11223344" else "44332211"
    try:
        snd_ud(master, bytes([0x0C, 0x79]) + bcd(int(manual)))
        configure(master)
        expect((answers(master, 42), header_id(master, 42), fd1a_setting(master, 42)), (True, manual, "101010"),
               "before: address 42 answers, ID set by command, FD1A bits 7–2")
        hold_on_power_up(dut, 15)
        expect((answers(master, 0), answers(master, 42)), (True, False), "SND_NKE answered at 0, at 42 (§8.2: address 0)")
        expect((fd1a_setting(master), header_id(master)), ("010101", from_meter),
               "FD1A bits 7–2 and the header ID after the reset (§8.2)")
    finally:
        back_to_factory(master)


@case("cmi1020/5.4/2", "Holding the button on power-up for only 5 s resets nothing: address 42 and FD1A 101010 are kept.",
      needs=("button", "power"))
def test_short_hold_keeps_settings(dut, master):
    try:
        configure(master)
        hold_on_power_up(dut, 5)
        expect((answers(master, 42), fd1a_setting(master, 42)), (True, "101010"), "address 42 answers; FD1A bits 7–2 (kept)")
    finally:
        back_to_factory(master)


@case("cmi1020/5.4/3", "The 10 s of §5.4 count from power-up: a hold of 9.5 s resets nothing, a hold of 10.5 s resets to the "
      "factory defaults (ERRATA E-109).", level="implementation-defined", needs=("button", "power"))
def test_hold_boundary(dut, master):
    try:
        configure(master)
        hold_on_power_up(dut, 9.5)
        short = answers(master, 42)
        hold_on_power_up(dut, 10.5)
        expect((short, answers(master, 42), answers(master, 0)), (True, False, True),
               "address 42 answers after a 9.5 s hold; after a 10.5 s hold 42 does not, 0 does")
    finally:
        back_to_factory(master)
