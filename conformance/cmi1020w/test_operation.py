"""CMi1020W manual "operation and function" and "LED indications": after power-up the module first
establishes contact with the meter ("the red LED will be constantly lit for around 15 seconds
during product initialization"), then transmits. The simulator is powered up by the case (ERRATA
E-54: the first telegram 15 s after power-up) through dut.power: the simulator's own supply, or a
rig's relay (--rig FILE) in front of a real module heard through a receiver stick; the time is
measured on the link's clock."""
from .lib import FIRST_TELEGRAM_S, first_timeout_s
from metercert.conformance import Mismatch, case, expect_between

# "around 15 seconds": this many seconds either side (ERRATA E-54)
FIRST_TELEGRAM_MARGIN_S = 5.0


@case("cmi1020w/operation/1", "The first telegram after power-up comes around 15 s later, once the meter was read "
      "(manual \"LED indications\": 15 s ± 5 s; ERRATA E-54).", needs=("wmbus.receive", "power"))
def test_first_telegram_after_power_up(dut):
    dut.power.cycle()
    powered = dut.receiver_now_ms()  # the power returned as cycle() ended: the link's clock (simulated or real)
    deadline = powered + first_timeout_s(dut) * 1000.0
    while True:  # a telegram from before the cut may still be queued in the receiver
        t = dut.receive(max(0.0, (deadline - dut.receiver_now_ms()) / 1000.0))
        if t is None:
            raise Mismatch("a telegram after power-up", "within one interval", "none")
        if t["at_ms"] >= powered:
            break
    expect_between((t["at_ms"] - powered) / 1000.0, FIRST_TELEGRAM_S - FIRST_TELEGRAM_MARGIN_S,
                   FIRST_TELEGRAM_S + FIRST_TELEGRAM_MARGIN_S, "first telegram after power-up", "s")
