"""CMi6110 §5.3.5 "Start-up and LED indications": "Press down the push button for at least 5
seconds until the green LED lights up, then release the button"; §5.3.6: release "when the green
LED is lit" to reboot (5-15 s). The green LED is read through the rig's LED input (``needs=("led",)``:
the rig file's led role with ``led_colour: green``, e.g. a photodiode on a GPIO read by labgrid's
FileDigitalOutputDriver) or, on the built-in module, the model's LED (conftest._SimLed). What the
LEDs do while the button is held: ERRATA E-143.

The hold is timed by the rig clock: the simulated clock on the built-in module (lib.SimRig), real
time behind a rig (lib.WiredRig, or a real module)."""
import time

import pytest

from metercert.conformance import case, expect

from .lib import sim_rig


def hold_for(dut, seconds: float):
    """The button stays as it is for `seconds` on the module's clock."""
    if "sim.cmi6110" in dut.capabilities:
        sim_rig(dut).wait(seconds)
    else:
        time.sleep(seconds)


@case("cmi6110/5.3.5/5", "While the push button is held the green LED lights up once it has been held 5 seconds: dark "
      "4 s into the press, lit at 6 s (§5.3.5 \"for at least 5 seconds until the green LED lights up\"; ERRATA E-143).",
      needs=("button", "led"))
def test_green_led_at_five_seconds(dut):
    if dut.led.colour != "green":
        pytest.skip(f"needs the rig's led input on the green LED (led_colour: green; this rig's: {dut.led.colour or 'not said'})")
    if "sim.cmi6110" in dut.capabilities:
        sim_rig(dut).wait(8 * 3600)  # far from the daily transmission window, as the other §5.3.5 cases
    expect(dut.led.lit(), False, "green LED before the press")
    dut.button.press()
    try:
        hold_for(dut, 4)
        at_4 = dut.led.lit()
        hold_for(dut, 2)
        at_6 = dut.led.lit()
    finally:
        dut.button.release()
    expect(at_4, False, "green LED 4 s into the press")
    expect(at_6, True, "green LED 6 s into the press")
