"""CMi1020W manual "LED indications": "after power up, the red LED will be constantly lit for around
15 seconds during product initialization"; "operation and function": "During this period the red
LED is constantly lit. When the red LED is no longer lit, the communication has been established
and CMi1020W starts to transmit". The red LED is read through the rig's LED input (``needs=("led",)``:
the rig file's led role with ``led_colour: red``) or the built-in simulator's (conftest._SimLed);
when it is read on a real module: ERRATA E-144. How long it stays lit (~15 s) is operation/1's."""
import time

import pytest

from .lib import first_timeout_s
from metercert.conformance import Mismatch, case, expect

LIT_WITHIN_S = 2.0  # ERRATA E-144: the LED is read until this long after the supply returned


def led_lit_within(dut, seconds: float) -> bool:
    """Whether the LED reads lit within `seconds` (real time behind a rig; the simulator's at once)."""
    if getattr(dut.led, "simulated", False):
        return dut.led.lit()
    end = time.monotonic() + seconds
    while True:
        if dut.led.lit():
            return True
        if time.monotonic() >= end:
            return False
        time.sleep(0.05)


@case("cmi1020w/led-indications/3", "After power-up the red LED is lit while the module initialises and is dark once "
      "it transmits: lit within 2 s of the supply's return, dark after the first telegram (manual \"LED indications\", "
      "\"operation and function\"; ERRATA E-144).", needs=("wmbus.receive", "power", "led"))
def test_red_led_until_first_telegram(dut):
    if dut.led.colour != "red":
        pytest.skip(f"needs the rig's led input on the red LED (led_colour: red; this rig's: {dut.led.colour or 'not said'})")
    dut.power.cycle()
    powered = dut.receiver_now_ms()
    expect(led_lit_within(dut, LIT_WITHIN_S), True, f"red LED within {LIT_WITHIN_S:g} s of power-up")
    deadline = powered + (first_timeout_s(dut) + 30) * 1000.0
    while True:  # a telegram from before the cut may still be queued in the receiver
        t = dut.receive(max(0.0, (deadline - dut.receiver_now_ms()) / 1000.0))
        if t is None:
            raise Mismatch("a telegram after power-up", "within an interval and 45 s", "none")
        if t["at_ms"] >= powered:
            break
    expect(dut.led.lit(), False, "red LED after the first telegram")
