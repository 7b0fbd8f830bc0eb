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
