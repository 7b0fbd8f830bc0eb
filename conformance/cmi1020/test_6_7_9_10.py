"""CMi1020 §6.7.9 / §6.7.10 — P1 sign-on password (command 0x01, 8 ASCII digits) and P2 sign-on
key (command 0x02, 16 bytes): the CMi1020 signs on to the meter with what was set. The secrets of
these frames are redacted in every report and capture."""
import metercert
from .lib import elvaco, error_flags
from metercert.conformance import case, expect

LCD_RATE = (0x25, bytes([0x00, 0x02]))  # §6.7.19, sign-on method bit 6
# §6.7.15 method list with bit 6 (0xFF25 by P2) set in both bytes: bit 14 is unused, so either byte order
# (ERRATA E-20; case 6.7.15/2) selects P2 for 0xFF25 and P1 for every other command.
P2_FOR_LCD_RATE = bytes([0x40, 0x40])


@case("cmi1020/6.7.9/1", "After P1 is set to the meter's password, a P1 command signs on and executes.", needs=("sim.cmi1020",))
def test_p1_password_used(master, meter):
    meter.p1_password = "97531864"
    elvaco(master, 0x01, b"97531864")
    elvaco(master, *LCD_RATE)
    expect([(c["code"], c["method"]) for c in meter.executed], [(0xFF25, "p1")], "meter commands executed")
    expect(error_flags(master) & (1 << 23), 0, "FD17 bit 23")


NON_DIGIT_P1 = bytes([0x0F, 0x01]) + b"1234567A"


@case("cmi1020/6.7.9/2", "A P1 password with a character other than a digit gets no ACK, like an unknown command (ERRATA E-20).",
      level="implementation-defined", needs=("sim.cmi1020",))
def test_p1_non_digit_not_acked(master):
    ex = master.exchange(metercert.build_long(0x53, 0, 0x51, NON_DIGIT_P1))
    expect(ex["outcome"], "timeout", "reply to a P1 password with 'A'")


@case("cmi1020/6.7.9/3", "A P1 password with a character other than a digit (§6.7.9.1: 8 ASCII digits) is not stored: "
      "a P1 command still signs on with the password before it.", needs=("sim.cmi1020",))
def test_p1_non_digit_not_stored(master, meter):
    master.exchange(metercert.build_long(0x53, 0, 0x51, NON_DIGIT_P1))  # whether it is ACKed: case 6.7.9/2
    elvaco(master, *LCD_RATE)  # the meter accepts the factory 88888888 (§8.2) only
    expect([c["code"] for c in meter.executed], [0xFF25], "meter commands executed after signing on with P1")


@case("cmi1020/6.7.10/1", "After P2 is set to the meter's key and P2 chosen for a command (§6.7.15), it signs on with P2.",
      needs=("sim.cmi1020",))
def test_p2_key_used(master, meter):
    key = bytes(range(0x10, 0x20))
    meter.p2_key = key
    elvaco(master, 0x02, key)
    elvaco(master, 0x06, P2_FOR_LCD_RATE)  # method bit 6: 0xFF25 by P2
    try:
        elvaco(master, *LCD_RATE)
        expect([(c["code"], c["method"]) for c in meter.executed], [(0xFF25, "p2")], "meter commands executed")
        expect(error_flags(master) & (1 << 23), 0, "FD17 bit 23")
    finally:
        elvaco(master, 0x06, b"\x00\x00")


@case("cmi1020/6.7.10/2", "A P2 command with a key the meter does not accept fails sign-on (bit 23).", needs=("sim.cmi1020",))
def test_p2_wrong_key(master, meter):
    elvaco(master, 0x06, P2_FOR_LCD_RATE)
    try:
        meter.p2_key = bytes(16)  # the CMi1020 still holds the factory 16 × 0x99
        elvaco(master, *LCD_RATE)
        expect(bool(error_flags(master) & (1 << 23)), True, "FD17 bit 23")
    finally:
        elvaco(master, 0x06, b"\x00\x00")
