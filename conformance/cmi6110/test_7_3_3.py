"""CMi6110 §7.3.3 randomized transmissions: planned at T1 on the grid of Ttransmit (meter time,
00:00 + k·Ttransmit), sent at a random time in [T1 + Toffset, T1 + Toffset + Tdelay]; Toffset +
Tdelay ≤ Ttransmit, else Toffset = 0 and Tdelay = Ttransmit (Toffset in minutes: ERRATA E-60). A
capture's receive times may be up to its configured latency_s later; transmissions and T1 of a capture:
ERRATA E-76."""
from metercert.conformance import Mismatch, case, measure

from .lib import local_time, on_grid, planned_t1, uplinks_of, window

SERIES = "transmit time after T1"


def check_windows(up, planned=False):
    """Each transmission within its window; T1 the latest grid point at or before local − Toffset,
    or, with `planned`, the T1 the built-in module names (checked to be on the grid)."""
    off, delay, clamped = window(up.config)
    late = up.config.get("latency_s", 0) / 60
    for i, tx in enumerate(up.transmissions()):
        local = local_time(tx[0].time, up.config)
        if planned:
            t1 = local_time(tx[0].planned, up.config)
            if not on_grid(t1, up.config["transmit_interval"]):
                raise Mismatch(f"transmission {i + 1}: T1 (meter time)", "00:00 + k·Ttransmit", f"{t1:%Y-%m-%d %H:%M}")
        else:
            t1 = planned_t1(local, up.config)
        after = (local - t1).total_seconds() / 60
        basis = f"§7.3.3: [T1 + {off}, T1 + {off + delay}] min" + (" (clamped)" if clamped else "")
        if not measure(f"transmission {i + 1} after T1", after, "min", off, off + delay + late, series=SERIES, basis=basis):
            raise Mismatch(f"transmission {i + 1} (uplink {tx[0].index}, T1 {t1:%Y-%m-%d %H:%M} meter time): minutes after T1",
                           f"{off}…{off + delay}", round(after, 2))


@case("cmi6110/7.3.3/1", "Every transmission is inside its window [T1 + Toffset, T1 + Toffset + Tdelay], T1 on the grid "
      "of Ttransmit, with §7.3.3's clamp applied.", needs=("cmi6110.uplinks",))
def test_transmissions_inside_their_window(dut):
    check_windows(uplinks_of(dut))


def hourly(dut, **params):
    return uplinks_of(dut, readout_interval="60", transmit_interval="60", network_down=None, max_age=None, days="1", **params)


@case("cmi6110/7.3.3/2", "With Toffset + Tdelay > Ttransmit (30 + 240 > 60) the module sets Toffset 0 and Tdelay "
      "Ttransmit: every hourly transmission is inside [T1, T1 + 60 min] of its T1 (the built-in module names its T1).", needs=("sim.cmi6110",))
def test_clamp(dut):
    check_windows(hourly(dut, transmit_offset="30", transmit_delay="240"), planned=True)


@case("cmi6110/7.3.3/3", "With a one-minute delay (Toffset 30, Tdelay 1) every transmission is at T1 + 30 … 31 min.",
      needs=("sim.cmi6110",))
def test_offset(dut):
    check_windows(hourly(dut, transmit_offset="30", transmit_delay="1"), planned=True)

