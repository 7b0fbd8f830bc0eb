"""CMi1020 §7 — troubleshooting, the items a test can check: §7.1 "Pressing push-button does not
toggle disconnector output" — the disconnector control configuration (§6.7.8: push-button
turn-on / turn-off enable); §7.2 "Rate input does not change meter rate" — the rate control
configuration (§6.7.11: the inputs select the rate only with rate 0xFF) and the P1/P2 passwords
(a refused sign-on changes nothing and is reported, Table 5 FD17 bit 23); §7.3 (the ~10 s between
toggles) is case 5.3/2. The meter's rate is read from the simulated meter (sim.cmi1020)."""
from .lib import elvaco, error_flags, snd_ud
from .test_5_3 import actual, restore, settle
from metercert.conformance import case, expect


@case("cmi1020/7.1/1", "With push-button turn-off disabled (§6.7.8) a press leaves the disconnector on; with turn-on disabled "
      "a press leaves it off.", needs=("button",))
def test_disabled_push_button(dut, master):
    try:
        settle(dut, master, 0x58, "on")  # EEPROM on, turn-on enabled, turn-off disabled
        dut.button.hold(0.5)
        dut.idle(2000)
        turn_off = actual(master)
        settle(dut, master, 0xA4, "off")  # EEPROM off, turn-on disabled, turn-off enabled
        dut.button.hold(0.5)
        dut.idle(2000)
        expect((turn_off, actual(master)), ("on", "off"), "disconnector after a press with turn-off disabled, with turn-on disabled")
    finally:
        restore(master)


@case("cmi1020/7.2/1", "With rate selection off (0, the §8.2 default; §6.7.11) the rate inputs do not change the meter's rate: "
      "no 0xFF05 for any input combination.", needs=("rate_inputs", "sim.cmi1020"))
def test_rate_inputs_ignored_when_rate_off(dut, master, meter):
    elvaco(master, 0x03, b"\x00")
    done = len(meter.executed)
    try:
        for a, b in ((True, False), (False, True), (True, True), (False, False)):
            dut.rate_inputs.set(a, b)
            dut.idle(1000)
    finally:
        dut.rate_inputs.set(False, False)
    expect([c["code"] for c in meter.executed[done:] if c["code"] == 0xFF05], [], "rate commands to the meter")


@case("cmi1020/7.2/2", "With a P1 password the meter refuses, a rate input change does not change the meter's rate and sets "
      "FD17 bit 23 (sign-on error, Table 5).", needs=("rate_inputs", "sim.cmi1020"))
def test_rate_input_with_refused_signon(dut, master, meter):
    elvaco(master, 0x03, b"\xff")  # the inputs select the rate (§6.7.11)
    elvaco(master, 0x04)           # error flags cleared (§6.7.13)
    rate = meter.rate
    meter.p1_password = "12121212"  # the CMi1020 still signs on with its factory 88888888 (§8.2)
    try:
        dut.rate_inputs.set(True, False)
        dut.idle(1000)
        expect((meter.rate, bool(error_flags(master) & (1 << 23))), (rate, True), "meter rate; FD17 bit 23")
    finally:
        dut.rate_inputs.set(False, False)
