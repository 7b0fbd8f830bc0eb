"""Helpers of the cme3100-master profile: the reference CMe3100 as a process."""
from __future__ import annotations

import csv
import io
import os
import pathlib
import re
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]


def metercert_exe() -> str:
    return os.environ.get("METERCERT_EXE") or os.environ.get("METERCERT_BIN") or str(ROOT / "build" / "metercert")


class Gateway:
    """`metercert simulate cme3100` on a simulated bus: installs, reads once at start, serves
    Virtual M-Bus. ``messages`` holds its stderr lines up to the Virtual M-Bus announcement."""

    def __init__(self, tmp: pathlib.Path, bus: str, *args: str):
        self.report = tmp / "commission.csv"
        self.proc = subprocess.Popen([metercert_exe(), "simulate", "cme3100", "--bus", bus, "--listen", "tcp://127.0.0.1:0",
                                      "--commission-report", str(self.report), "--schedule", "0 0 1 1 ?", *args],
                                     stderr=subprocess.PIPE, text=True)
        self.messages: list[str] = []
        self.url = None
        for line in self.proc.stderr:
            self.messages.append(line.rstrip("\n"))
            m = re.search(r"Virtual M-Bus on (tcp://[\d.]+:\d+)", line)
            if m:
                self.url = m.group(1)
                break
        if self.url is None:
            self.proc.wait(timeout=10)

    def commission(self) -> list[dict]:
        return list(csv.DictReader(io.StringIO(self.report.read_text()))) if self.report.exists() else []

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc.stderr.close()
