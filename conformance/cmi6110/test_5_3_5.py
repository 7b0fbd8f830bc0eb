"""CMi6110 §5.3.5 "Start-up and LED indications": "Upon delivery, CMi6110 will be set to passive
mode, which means that no messages will be transmitted"; "Press down the push button for at least
5 seconds ... then release" activates it; when activated it joins the mobile network and "A meter
readout will automatically be sent to the receiving system" (§6.2: bootstrap, then the servers).
§7.5 Table 8: power mode Passive/Active, default Passive. What the cases take as the attach time
and as a power-up: ERRATA E-111, E-112.

On the built-in module (sim.cmi6110) dut.power / dut.button act on the simulated clock
(lib.SimRig) and the module is run again with them; on a capture the cases are skipped."""
from datetime import datetime, timedelta

from metercert.conformance import Mismatch, case, expect, measure

from .lib import sim_rig, uplinks_after

# a module with the §7.5 defaults (one transmission a day in [00:30, 04:30] UTC), two days
SETTINGS = {"days": "2", "utc_offset": None, "transmit_interval": None, "max_age": None, "meter_errors": None,
            "network_down": None}
ACT_AT = timedelta(hours=8)  # the rig acts at 08:00 UTC of the first day, far from the daily window
ATTACH_BOUND_S = 600         # ERRATA E-112: the first uplink within 10 minutes of power-up or activation


def next_window(after: datetime, config: dict) -> datetime:
    """The start of the first scheduled transmission window after `after` (§7.3.3, UTC offset 0:
    T1 on the grid of Ttransmit from 00:00, plus Toffset)."""
    ti, off = config["transmit_interval"], config["transmit_offset"]
    day = after.replace(hour=0, minute=0, second=0, microsecond=0)
    t = day
    while t + timedelta(minutes=off) <= after:
        t += timedelta(minutes=ti)
    return t + timedelta(minutes=off)


def first_uplink_after(up, t: datetime, what: str):
    later = [u for u in up.uplinks if u.time >= t]
    if not later:
        raise Mismatch(f"uplinks after {what} ({t:%Y-%m-%d %H:%M:%S} UTC)", "at least one", "none")
    return later[0]


def readout_taken_after(u, t: datetime, what: str):
    # a SenML readout carries its time in seconds; M-Bus and JSON in minutes (floor)
    if not any((r.utc or r.time) >= t - timedelta(seconds=59) for r in u.readouts):
        raise Mismatch(f"uplink {u.index} after {what}: a readout taken after it", f"≥ {t:%H:%M:%S} UTC",
                       [f"{(r.utc or r.time):%Y-%m-%d %H:%M:%S}" for r in u.readouts])


def prompt_readout_then_schedule(up, released, event: str) -> None:
    """After `event` (released at `released`): a readout taken after the release is sent before the
    next scheduled transmission window, and the schedule carries on (a transmission after that
    window's T1)."""
    first = first_uplink_after(up, released, event)
    readout_taken_after(first, released, event)
    window = next_window(released, up.config)
    if first.time >= window:
        raise Mismatch(f"first uplink after {event}", f"before the next scheduled window ({window:%Y-%m-%d %H:%M} UTC)",
                       f"{first.time:%Y-%m-%d %H:%M:%S}")
    t1 = window - timedelta(minutes=up.config["transmit_offset"])
    if not [u for u in up.uplinks if u.time >= t1]:
        raise Mismatch(f"the schedule after {event}", f"a transmission after T1 {t1:%Y-%m-%d %H:%M} UTC", "none")


@case("cmi6110/5.3.5/1", "A passive module (as delivered) transmits nothing; a press of at least 5 seconds (6 s) activates "
      "it: it joins the network and sends a meter readout taken after the release without waiting for its next "
      "scheduled transmission, and keeps its schedule afterwards.", needs=("button",))
def test_activation_by_a_long_press(dut):
    rig = sim_rig(dut)
    passive = uplinks_after(dut, rig, power_mode="passive", **SETTINGS)
    expect(len(passive.uplinks), 0, "uplinks of a passive module in two days")
    rig.wait(ACT_AT.total_seconds())
    released = rig.at + timedelta(seconds=6)
    dut.button.hold(6)
    up = uplinks_after(dut, rig, power_mode="passive", **SETTINGS)
    prompt_readout_then_schedule(up, released, "the activation")


@case("cmi6110/5.3.5/2", "A press shorter than 5 seconds (3 s) does not activate a passive module: it transmits nothing.",
      needs=("button",))
def test_short_press_does_not_activate(dut):
    rig = sim_rig(dut)
    rig.wait(ACT_AT.total_seconds())
    dut.button.hold(3)
    up = uplinks_after(dut, rig, power_mode="passive", **SETTINGS)
    expect(len(up.uplinks), 0, "uplinks of a passive module after a 3 s press, in two days")


@case("cmi6110/5.3.5/3", "After an activation the first uplink follows within 10 minutes of the release (the module's "
      "attach; ERRATA E-112).", level="implementation-defined", needs=("button",))
def test_activation_attach_time(dut):
    rig = sim_rig(dut)
    rig.wait(ACT_AT.total_seconds())
    released = rig.at + timedelta(seconds=6)
    dut.button.hold(6)
    up = uplinks_after(dut, rig, power_mode="passive", **SETTINGS)
    first = first_uplink_after(up, released, "the activation")
    after = (first.time - released).total_seconds()
    if not measure("first uplink after the activation", after, "s", 0, ATTACH_BOUND_S, series="attach after activation",
                   basis="ERRATA E-112: ≤ 600 s"):
        raise Mismatch("first uplink after the activation", f"≤ {ATTACH_BOUND_S} s", after)


@case("cmi6110/5.3.5/4", "An active module makes no readout and sends nothing while its supply is off; after the supply "
      "returns it attaches and sends a readout taken after the power-up within 10 minutes, before its next scheduled "
      "transmission (ERRATA E-112).", level="implementation-defined", needs=("power",))
def test_power_up_attach_and_readout(dut):
    rig = sim_rig(dut)
    rig.wait(ACT_AT.total_seconds())
    off_at = rig.at
    dut.power.off()
    rig.wait(3600)
    on_at = rig.at
    dut.power.on()
    up = uplinks_after(dut, rig, **SETTINGS)
    during = [u.index for u in up.uplinks if off_at <= u.time < on_at]
    expect(during, [], "uplinks while the supply was off")
    made = sorted({f"{(r.utc or r.time):%H:%M}" for _, r in up.all_readouts() if off_at <= (r.utc or r.time) < on_at})
    expect(made, [], "readouts taken while the supply was off")
    first = first_uplink_after(up, on_at, "the power-up")
    readout_taken_after(first, on_at, "the power-up")
    after = (first.time - on_at).total_seconds()
    if not measure("first uplink after power-up", after, "s", 0, ATTACH_BOUND_S, series="attach after power-up",
                   basis="ERRATA E-112: ≤ 600 s"):
        raise Mismatch("first uplink after the power-up", f"≤ {ATTACH_BOUND_S} s", after)
