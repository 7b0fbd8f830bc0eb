"""Profile cme3000: the Elvaco CMe3000 transparent TCP/IP ↔ M-Bus gateway (Elvaco's CMe3000 User's
Manual): bytes relayed unchanged both ways, one client at a time, the disconnect
timeout of Table 3, and the statistics of Figures 6 and 9.

The DUT is the gateway's TCP port (``--dut tcp://HOST:10001``) with at least one M-Bus slave behind
it answering at its primary address 0 or 254. Without --dut the profile starts the reference
gateway (``metercert simulate cme3000``) with Table 3's factory settings in front of a simulated
CMi1020, and reads its statistics file."""
import os
import pathlib
import re
import subprocess
import tempfile

import pytest

from metercert.pytest_plugin import DutTarget

# What this profile certifies and which DUT URLs can be such a DUT (metercert.pytest_plugin).
METERCERT_PROFILE = {"dut_kind": "a gateway DUT: a transparent TCP/M-Bus gateway (CMe3000) with a slave behind it",
                     "accepts": ("tcp://",), "identity": "behind"}

ROOT = pathlib.Path(__file__).resolve().parents[2]


def metercert_exe() -> str:
    """The metercert executable: the one running this profile, else the build tree's."""
    return os.environ.get("METERCERT_EXE") or os.environ.get("METERCERT_BIN") or str(ROOT / "build" / "metercert")


@pytest.fixture(scope="session")
def _reference_gateway():
    stats = pathlib.Path(tempfile.mkdtemp(prefix="metercert-cme3000-")) / "stats.json"
    proc = subprocess.Popen([metercert_exe(), "simulate", "cme3000", "--bus", "sim:cmi1020", "--listen", "tcp://127.0.0.1:0",
                             "--stats", str(stats)], stderr=subprocess.PIPE, text=True)
    line = proc.stderr.readline()
    m = re.search(r"tcp://[\d.]+:(\d+)", line)
    if not m:
        proc.kill()
        raise RuntimeError(f"the reference CMe3000 did not start: {line}")
    yield DutTarget(f"tcp://127.0.0.1:{m.group(1)}", simulated=True, stats=stats,
                    model="metercert reference CMe3000 (simulate cme3000, Table 3 factory settings)")
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def default_dut(_reference_gateway):
    return _reference_gateway
