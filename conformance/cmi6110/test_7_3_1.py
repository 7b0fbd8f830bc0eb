"""CMi6110 §7.3.1 time handling: the meter keeps local standard time; "the UTC offset will be
subtracted from the timestamp prior to transmission" (Sweden +60: meter 12.00 is sent as 11.00).
The SenML time of each readout (bt + t) is its meter date/time (DIB 1) minus the UTC offset; the
M-Bus date/time record and JSON "TS" carry the meter's own time (ERRATA E-75)."""
from metercert.conformance import Mismatch, case

from .lib import fmt_t, uplinks_of


@case("cmi6110/7.3.1/1", "The time of every SenML readout (bt + t, UTC) is the meter's date/time minus the configured UTC "
      "offset.", needs=("cmi6110.uplinks",))
def test_senml_time_is_meter_time_minus_offset(dut):
    up = uplinks_of(dut, "senml")
    for u, r in up.all_readouts():
        if r.utc != r.time:
            raise Mismatch(f"uplink {u.index}: UTC time of the readout of meter time {r.meter_time:%Y-%m-%d %H:%M} "
                           f"(offset {up.config['utc_offset']} min)", fmt_t(r.time), r.utc and fmt_t(r.utc))


@case("cmi6110/7.3.1/2", "Time moves on: no readout is sent before its own time (meter time − UTC offset), and each "
      "uplink's readouts are at or before its transmission.", needs=("cmi6110.uplinks",))
def test_no_readout_from_the_future(dut):
    up = uplinks_of(dut)
    for u, r in up.all_readouts():
        if r.time > u.time:
            raise Mismatch(f"uplink {u.index}: readout time", f"≤ the transmission {fmt_t(u.time)}", fmt_t(r.time))
