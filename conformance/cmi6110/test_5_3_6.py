"""CMi6110 §5.3.6 "Switch off/reboot module": "To reboot the module, press and hold the push button
for 5-15 seconds"; "To switch off the module, press and hold the push button for 15-20 seconds".
A reboot starts a new join (§5.3.5), after which "a meter readout will automatically be sent"; a
switched-off module sends nothing. The overlapping bounds and the holds outside both ranges:
ERRATA E-111. The built-in module only (lib.SimRig), as test_5_3_5.py."""
from datetime import timedelta

from metercert.conformance import case, expect

from .lib import sim_rig, uplinks_after
from .test_5_3_5 import ACT_AT, SETTINGS, prompt_readout_then_schedule


@case("cmi6110/5.3.6/1", "A 5-15 s hold (10 s) reboots an active module: it joins again and sends a readout taken after "
      "the release before its next scheduled transmission, and stays active.", needs=("button",))
def test_reboot_hold(dut):
    rig = sim_rig(dut)
    rig.wait(ACT_AT.total_seconds())
    released = rig.at + timedelta(seconds=10)
    dut.button.hold(10)
    up = uplinks_after(dut, rig, **SETTINGS)
    prompt_readout_then_schedule(up, released, "the reboot")


@case("cmi6110/5.3.6/2", "A 15-20 s hold (17 s) switches an active module off: no uplink and no readout after the release.",
      needs=("button",))
def test_switch_off_hold(dut):
    rig = sim_rig(dut)
    rig.wait(ACT_AT.total_seconds())
    released = rig.at + timedelta(seconds=17)
    dut.button.hold(17)
    up = uplinks_after(dut, rig, **SETTINGS)
    expect([u.index for u in up.uplinks if u.time >= released], [], "uplinks after the switch-off")


@case("cmi6110/5.3.6/3", "A hold outside both ranges — 3 s, and 25 s — changes nothing on an active module: its uplinks "
      "are those of the same run without a press (ERRATA E-111).", level="implementation-defined", needs=("button",))
def test_other_holds_change_nothing(dut):
    rig = sim_rig(dut)
    plain = uplinks_after(dut, rig, **SETTINGS)
    rig.wait(ACT_AT.total_seconds())
    dut.button.hold(3)
    rig.wait(3600)
    dut.button.hold(25)
    up = uplinks_after(dut, rig, **SETTINGS)
    t = lambda ups: [f"{u.time:%Y-%m-%d %H:%M:%S}" for u in ups.uplinks]  # noqa: E731
    expect(t(up), t(plain), "uplink times after a 3 s and a 25 s hold")
    changed = [u.index for u, p in zip(up.uplinks, plain.uplinks) if u.payload != p.payload]
    expect(changed, [], "uplinks whose payload differs from the run without a press")
