"""CMi6110 §7.4.1 message formats (Tables 4 and 5): what each readout holds. On the built-in module
every value must be the UH50's register at the readout's meter time (the meter model of
reference/include/metercert/devices/cmi6110/uh50.hpp: constant power P, flow q and temperatures
from its seed, registers 0 at the start; energy in kWh = ⌊P·Δt / 3.6 MJ⌋, volume in litres =
⌊q·Δt / 3600 s⌋, tariff 1 = energy, tariffs 2 and 3 = 0, missing time = whole hours with an error
bit set, error flags bit n = Table 3's row n: ERRATA E-58, E-77); on a capture, plausible against the
readout before it."""
from datetime import datetime, timedelta, timezone
from fractions import Fraction

from metercert.conformance import Mismatch, case, expect

from .lib import UH50_ERRORS, uplinks_of


def expected(sim: dict, config: dict, meter_time: datetime) -> dict:
    """The UH50's registers at `meter_time` (its local standard time) in the units of lib.Readout."""
    start_local = datetime.fromtimestamp(sim["start"], timezone.utc) + timedelta(minutes=config["utc_offset"])
    dt = int((meter_time - start_local).total_seconds())
    m = sim["meter"]
    kwh = m["power_w"] * dt // 3_600_000
    flags = 0
    for name in m["errors"]:
        flags |= 1 << UH50_ERRORS.index(name)
    out = {"meter_id": int(config["meter_id"]), "energy": Fraction(kwh * 1000), "volume": Fraction(m["flow_l_per_h"] * dt // 3600),
           "power": Fraction(m["power_w"]), "flow": Fraction(m["flow_l_per_h"]),
           "forward": Fraction(m["forward_decidegrees"], 10), "return": Fraction(m["return_decidegrees"], 10), "errors": flags}
    if config["format"] == "extended":
        out.update(tariff1=Fraction(kwh * 1000), tariff2=Fraction(0), tariff3=Fraction(0),
                   missing=Fraction(dt // 3600 if flags else 0))
    return out


def check_exact(up):
    n = 0
    for u, r in up.all_readouts():
        want = expected(up.sim, up.config, r.meter_time)
        for k, v in want.items():
            if r.values.get(k) != v:
                raise Mismatch(f"uplink {u.index}, readout of {r.meter_time:%Y-%m-%d %H:%M} (meter time): {k}", v, r.values.get(k))
        n += 1
    if n == 0:
        raise Mismatch("readouts sent", "at least one", 0)


@case("cmi6110/7.4.1/1", "Every value of every Standard readout (Table 4: meter date/time, ID, energy, volume, power, flow, "
      "temperatures, error flags) is the meter's register at the readout's meter time.", needs=("sim.cmi6110",))
def test_standard_values_are_the_meters(dut):
    check_exact(uplinks_of(dut))


@case("cmi6110/7.4.1/2", "An Extended readout (Table 5) adds the three tariff registers and the missing time, each the "
      "meter's at the readout's meter time.", needs=("sim.cmi6110",))
def test_extended_values_are_the_meters(dut):
    check_exact(uplinks_of(dut, format="extended"))


@case("cmi6110/7.4.1/3", "Readouts are plausible against the one before them (by meter time): one meter ID, the configured "
      "one; energy, volume, tariffs and missing time never decrease; a readout sent twice has the same values; the "
      "error flags use Table 3's bits 0–11 only.", needs=("cmi6110.uplinks",))
def test_plausible_against_previous(dut):
    up = uplinks_of(dut)
    seen = {}
    for u, r in up.all_readouts():
        expect(f"{r.values['meter_id']:08}", up.config["meter_id"], f"uplink {u.index}: meter ID")
        if r.values["errors"] >> len(UH50_ERRORS):
            raise Mismatch(f"uplink {u.index}: error flags", "bits 0–11 (Table 3)", hex(r.values["errors"]))
        if r.meter_time in seen and seen[r.meter_time] != r.values:
            raise Mismatch(f"uplink {u.index}: readout of {r.meter_time} sent again with other values", seen[r.meter_time], r.values)
        seen[r.meter_time] = r.values
    prev = None
    for t in sorted(seen):
        if prev:
            for k in ("energy", "volume", "tariff1", "tariff2", "tariff3", "missing"):
                if k in seen[t] and seen[t][k] < seen[prev][k]:
                    raise Mismatch(f"{k} at {t:%Y-%m-%d %H:%M} (meter time)", f"≥ {seen[prev][k]} (at {prev:%H:%M})", seen[t][k])
        prev = t
