"""Declaring conformance cases (metercert DESIGN "Style": h2spec).

Every case is a pytest test function decorated with :func:`case`: an id
``<profile>/<section>/<n>`` (``cmi1020/6.7.5/1``), the requirement it checks in one sentence, its
level (``must``, ``should`` or ``implementation-defined``) and what it needs beyond an M-Bus
line (``simulator``: only the built-in simulator can do it, e.g. power cycles or fault
injection; ``baud_control``: the master sets the line rate itself — a serial line or the
simulator, not a gateway whose rate is configured in the gateway; ``line_timing``: reply times
are measured on the M-Bus line itself, which a TCP gateway hides). On failure a case raises :class:`Mismatch` (or a plain ``assert``) and the report
shows expected vs actual beside the frames the case exchanged.

    @case("cmi1020/6.7.1/1", "A slave answers SND_NKE to its primary address with an ACK (E5).")
    def test_snd_nke_is_acked(master):
        expect(master.snd_nke(0), True, "SND_NKE to 0 ACKed")
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

LEVELS = ("must", "should", "implementation-defined")
NEEDS = ("simulator", "baud_control", "line_timing")


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
    if len(parts) != 3 or not all(parts) or not parts[2].isdigit():
        raise ValueError(f"case id {id!r}: expected <profile>/<section>/<n>")
    if level not in LEVELS:
        raise ValueError(f"case {id}: level {level!r} is not one of {LEVELS}")
    for n in needs:
        if n not in NEEDS:
            raise ValueError(f"case {id}: needs {n!r} is not one of {NEEDS}")
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
# writes it to record.json: name, value, unit, low, high, within).
MEASUREMENTS: list[dict] = []


def measure(what: str, value: float, unit: str = "", low: float | None = None, high: float | None = None) -> bool:
    """Record a measurement of the running case with its unit and limits (either may be None);
    returns whether it lies within them. Nothing is raised: see :func:`expect_between`."""
    within = (low is None or value >= low) and (high is None or value <= high)
    MEASUREMENTS.append({"name": what, "value": round(value, 6), "unit": unit, "low": low, "high": high, "within": within})
    return within


def expect_between(actual: float, low: float, high: float, what: str, unit: str = "") -> None:
    """Record the measurement (:func:`measure`) and raise :class:`Mismatch` unless
    ``low <= actual <= high``."""
    if not measure(what, actual, unit, low, high):
        raise Mismatch(what, f"{low:.4g}…{high:.4g} {unit}".strip(), f"{actual:.4g} {unit}".strip())
