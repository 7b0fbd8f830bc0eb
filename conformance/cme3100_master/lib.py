"""Helpers of the cme3100-master profile: the reference CMe3100 as a process."""
from __future__ import annotations

import csv
import io
import pathlib

import metercert


class Gateway:
    """The DUT URL's CMe3100 simulator process (metercert.Simulator: `metercert simulate cme3100`)
    on a simulated bus: installs, reads once at start, serves Virtual M-Bus. ``messages`` holds what
    it said on stderr; ``url`` its Virtual M-Bus port. Raises RuntimeError when it does not start."""

    def __init__(self, tmp: pathlib.Path, dut: str, bus: str | None, *args: str):
        """``bus``: the simulated wired M-Bus (sim:cmi1020?…), or None for a gateway with wireless
        meters only (``--wmbus URL`` among ``args``)."""
        self.report = tmp / "commission.csv"
        try:
            self.sim = metercert.Simulator(dut, *(("--bus", bus) if bus else ()), "--commission-report", str(self.report),
                                           "--schedule", "0 0 1 1 ?", *args)
        except RuntimeError as e:
            raise RuntimeError(f"the reference CMe3100 did not start: {e}") from None
        self.url = self.sim.url

    @property
    def messages(self) -> list[str]:
        return self.sim.messages

    def commission(self) -> list[dict]:
        return list(csv.DictReader(io.StringIO(self.report.read_text()))) if self.report.exists() else []

    def close(self):
        self.sim.stop()
