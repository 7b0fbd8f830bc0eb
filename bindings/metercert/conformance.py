"""Declaring conformance cases (metercert DESIGN "Style": h2spec).

Every case is a pytest test function decorated with :func:`case`: an id
``<profile>/<section>/<n>`` (``cmi1020/6.7.5/1``; n may be an OMA LwM2M ETS id, ``cmi6110/6.3/int-101``), the requirement it checks in one sentence, its
level (``must``, ``should`` or ``implementation-defined``) and the capabilities it needs beyond
the request/reply link every case has (``needs``): names of :func:`known_needs` — what a DUT link
or the rig offers (rigs/include/metercert/rigs/capabilities.hpp), e.g. ``mbus.line`` (the master
sets the M-Bus line's rate and sees its timing: a UART or the simulated bus, not a TCP gateway or
a pseudo-terminal), ``sim.cmi1020`` (the built-in CMi1020 simulator: its meter model, power
cycles, rate inputs, fault injection), ``sim.cme3000`` (the reference CMe3000's statistics),
``wmbus.receive`` (received wireless M-Bus telegrams: a receiver stick, a capture, sim:cmi1020w),
``sim.cmi1020w`` (the built-in CMi1020W: its meter model, power-up, rate inputs). An
unknown name is refused when the case is declared; the run skips a case whose needs the DUT link
and the rig do not cover, saying what is missing. On failure a case raises :class:`Mismatch` (or
a plain ``assert``) and the report shows expected vs actual beside the frames the case exchanged.

    @case("cmi1020/6.7.1/1", "A slave answers SND_NKE to its primary address with an ACK (E5).")
    def test_snd_nke_is_acked(master):
        expect(master.snd_nke(0), True, "SND_NKE to 0 ACKed")
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable

LEVELS = ("must", "should", "implementation-defined")


@functools.lru_cache(maxsize=None)
def known_needs() -> tuple[str, ...]:
    """Every capability name a case may need (the registry of rigs/, through the bindings)."""
    from . import _core
    return tuple(sorted(_core.capabilities()))


@dataclass(frozen=True)
class CaseInfo:
    id: str
    requirement: str
    level: str = "must"
    needs: tuple[str, ...] = field(default_factory=tuple)

    @property
    def profile(self) -> str:
        return self.id.split("/")[0]

    @property
    def section(self) -> str:
        return self.id.split("/")[1]


def case(id: str, requirement: str, level: str = "must", needs: tuple[str, ...] | list[str] = ()) -> Callable:
    """Decorator declaring a conformance case; raises ValueError on a malformed declaration."""
    parts = id.split("/")
    n = parts[2] if len(parts) == 3 else ""
    if len(parts) != 3 or not all(parts) or not (n.isdigit() or (n.startswith("int-") and n[4:].isdigit())):
        raise ValueError(f"case id {id!r}: expected <profile>/<section>/<n> (n a number, or int-N: an OMA LwM2M ETS id)")
    if level not in LEVELS:
        raise ValueError(f"case {id}: level {level!r} is not one of {LEVELS}")
    if isinstance(needs, str):
        raise ValueError(f"case {id}: needs is a tuple of capability names, not the string {needs!r}")
    for n in needs:
        if n not in known_needs():
            raise ValueError(f"case {id}: needs {n!r} is not a capability ({', '.join(known_needs())})")
    info = CaseInfo(id, requirement.strip(), level, tuple(needs))

    def mark(fn):
        fn.metercert_case = info
        return fn

    return mark


class Mismatch(AssertionError):
    """The DUT did something else than the requirement says: ``expected`` vs ``actual``."""

    def __init__(self, what: str, expected: Any, actual: Any):
        super().__init__(f"{what}: expected {expected!r}, got {actual!r}")
        self.what, self.expected, self.actual = what, expected, actual


def expect(actual: Any, expected: Any, what: str) -> None:
    """Raise :class:`Mismatch` unless ``actual == expected``."""
    if actual != expected:
        raise Mismatch(what, expected, actual)


# Measurements of the running case (the pytest plugin empties the list before each case and
# writes it to record.json: name, value, unit, low, high, within, and series when plotted).
MEASUREMENTS: list[dict] = []


def measurement(what: str, value: float, unit: str = "", low: float | None = None, high: float | None = None,
                series: str | None = None, **extra) -> dict:
    """A measurement as record.json holds it: name, value, unit, limits (either may be None),
    whether it lies within them, and, when it is one point of a plotted series, the series' name
    (the report draws one plot per series, each point against its own limits). ``extra`` keys
    (``frame``: the frame number it measured, ``basis``: where the limits come from) are kept."""
    m = {"name": what, "value": round(value, 6), "unit": unit, "low": low, "high": high,
         "within": (low is None or value >= low) and (high is None or value <= high)}
    if series:
        m["series"] = series
    m.update(extra)
    return m


def measure(what: str, value: float, unit: str = "", low: float | None = None, high: float | None = None,
            series: str | None = None, **extra) -> bool:
    """Record a measurement of the running case with its unit and limits (either may be None);
    returns whether it lies within them. Nothing is raised: see :func:`expect_between`. With
    ``series`` the report plots it as one point of that series (see :func:`measurement`)."""
    m = measurement(what, value, unit, low, high, series, **extra)
    MEASUREMENTS.append(m)
    return m["within"]


def expect_between(actual: float, low: float, high: float, what: str, unit: str = "") -> None:
    """Record the measurement (:func:`measure`) and raise :class:`Mismatch` unless
    ``low <= actual <= high``."""
    if not measure(what, actual, unit, low, high):
        raise Mismatch(what, f"{low:.4g}…{high:.4g} {unit}".strip(), f"{actual:.4g} {unit}".strip())
