"""CMi6110 §7.4.2 message encoding: "the encoding technique determines how that data should be
interpreted" — the same readout gives the same values in M-Bus, JSON and SenML/CBOR. The built-in
module is run in each encoding (same seed: the same meter and schedule) and the readouts of one
meter time compared (each decoded independently: lib.py)."""
from metercert.conformance import Mismatch, case

from .lib import uplinks_of


@case("cmi6110/7.4.2/1", "A readout sent in M-Bus, JSON and SenML/CBOR encoding carries the same meter time and the same "
      "values in all three, Standard and Extended.", needs=("sim.cmi6110",))
def test_same_readout_in_all_three_encodings(dut):
    for fmt in ("standard", "extended"):
        runs = {enc: {r.meter_time: r.values for _, r in uplinks_of(dut, enc, format=fmt).all_readouts()}
                for enc in ("senml", "mbus", "json")}
        common = set(runs["senml"]) & set(runs["mbus"]) & set(runs["json"])
        if not common:
            raise Mismatch(f"{fmt}: readouts sent in all three encodings", "at least one", 0)
        for t in sorted(common):
            if not runs["senml"][t] == runs["mbus"][t] == runs["json"][t]:
                raise Mismatch(f"{fmt}: the readout of {t:%Y-%m-%d %H:%M} (meter time) in SenML, M-Bus, JSON",
                               runs["senml"][t], (runs["mbus"][t], runs["json"][t]))
