"""The transmission interval (ERRATA E-54: the manual names none; metercert's module sends every
900 s by default, sim:cmi1020w?interval=S): the time between telegrams in a row, measured on the
link's clock (the simulator's, a capture's receive times, a receiver stick's) against the
configured interval, ± 5 %. A capture without receive times cannot show it."""
import pytest

from .lib import interval_s, telegrams
from metercert.conformance import Mismatch, case, measure

TOLERANCE = 0.05


@case("cmi1020w/interval/1", "Telegrams follow each other at the configured interval, ± 5 % (ERRATA E-54; the "
      "default 900 s).", level="implementation-defined", needs=("wmbus.receive",))
def test_interval(dut):
    ts = telegrams(dut, 4)
    if any(t["at_ms"] is None for t in ts):
        pytest.skip("needs receive times: the capture has none ([TIME] HEX lines, rigs/README.md)")
    want = interval_s(dut)
    bad = []
    for i in range(1, len(ts)):
        gap = (ts[i]["at_ms"] - ts[i - 1]["at_ms"]) / 1000.0
        if not measure("transmission interval", gap, "s", want * (1 - TOLERANCE), want * (1 + TOLERANCE),
                       series="CMi1020W transmission interval", frame=i + 1, basis="ERRATA E-54: the configured interval ± 5 %"):
            bad.append(f"{gap:.3f} s between telegrams {i} and {i + 1}")
    if bad:
        raise Mismatch("transmission intervals", f"{want:g} s ± 5 %", "; ".join(bad))
