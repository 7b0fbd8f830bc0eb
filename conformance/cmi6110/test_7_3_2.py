"""CMi6110 §7.3.2 synchronisation of the schedule: readouts at 00:00 + k·Treadout of the meter's
day ("60 minutes … 11:00, 12:00, 13:00"; §7.4 "related to meter's clock at time 00:00:00"); an
interval that does not divide the day restarts at midnight (ERRATA E-59, implementation-defined)."""
from metercert.conformance import Mismatch, case

from .lib import on_grid, uplinks_of


def check_grid(up):
    for u, r in up.all_readouts():
        if not on_grid(r.meter_time, up.config["readout_interval"]):
            raise Mismatch(f"uplink {u.index}: meter time of a readout (Treadout {up.config['readout_interval']} min)",
                           "00:00 + k·Treadout", f"{r.meter_time:%Y-%m-%d %H:%M}")


@case("cmi6110/7.3.2/1", "Every readout's meter time is 00:00 + k·Treadout of its day (a readout interval that divides "
      "1440 minutes).", needs=("cmi6110.uplinks",))
def test_readouts_on_the_grid(dut):
    up = uplinks_of(dut)
    if 1440 % up.config["readout_interval"]:
        import pytest
        pytest.skip(f"readout interval {up.config['readout_interval']} does not divide the day: cmi6110/7.3.2/2")
    check_grid(up)


@case("cmi6110/7.3.2/2", "A readout interval that does not divide the day (420 min) restarts at each midnight: 00:00, 07:00, "
      "14:00, 21:00 (ERRATA E-59).", level="implementation-defined", needs=("sim.cmi6110",))
def test_grid_restarts_at_midnight(dut):
    up = uplinks_of(dut, readout_interval="420", transmit_interval="1440", network_down="", max_age="")
    check_grid(up)
    hours = sorted({r.meter_time.hour for _, r in up.all_readouts()})
    if hours != [0, 7, 14, 21]:
        raise Mismatch("hours of the readouts", [0, 7, 14, 21], hours)


# §7.3.2 time synchronisation, on the built-in module: the same run (seed, settings) once without
# and once with a synchronisation at 10:07 UTC, off every grid point; no outage, so that every
# readout made before the last transmission is sent.
SYNC = dict(days="1", network_down="", max_age="", transmit_interval="360")
SYNC_AT = "2019-11-28T10:07Z"


@case("cmi6110/7.3.2/3", "A time synchronisation makes one more readout and one more transmission of a new value than the "
      "same run without it (§7.3.2 'will always make a readout and transmission'; ERRATA E-61).",
      needs=("sim.cmi6110",))
def test_time_sync_makes_one_readout_and_one_transmission(dut):
    plain = uplinks_of(dut, **SYNC)
    synced = uplinks_of(dut, time_sync=SYNC_AT, **SYNC)
    n_plain, n_synced = len(plain.transmissions()), len(synced.transmissions())
    if n_synced != n_plain + 1:
        raise Mismatch("transmissions with a synchronisation", n_plain + 1, n_synced)
    interval = synced.config["readout_interval"]
    off_grid = [r for _, r in synced.all_readouts() if not on_grid(r.meter_time, interval)]
    if len(off_grid) != 1:
        raise Mismatch("readouts off the grid (the synchronisation's own)", 1,
                       [f"{r.meter_time:%H:%M:%S}" for r in off_grid])
    if any(not on_grid(r.meter_time, interval) for _, r in plain.all_readouts()):
        raise Mismatch("readouts off the grid without a synchronisation", 0, "some")


@case("cmi6110/7.3.2/4", "The synchronisation's readout and transmission happen at the synchronisation itself, the readout "
      "timestamped with the corrected time (ERRATA E-61).", level="implementation-defined", needs=("sim.cmi6110",))
def test_time_sync_readout_and_transmission_at_once(dut):
    from datetime import datetime, timezone
    synced = uplinks_of(dut, time_sync=SYNC_AT, **SYNC)
    at = datetime(2019, 11, 28, 10, 7, tzinfo=timezone.utc)
    times = [g[0].time for g in synced.transmissions()]
    if at not in times:
        raise Mismatch("a transmission at the synchronisation", f"{at:%H:%M:%S}Z", [f"{t:%H:%M:%S}Z" for t in times])
    stamps = [r.time for _, r in synced.all_readouts()]
    if at not in stamps:
        raise Mismatch("a readout timestamped at the synchronisation (UTC)", f"{at:%H:%M:%S}Z", "none")
