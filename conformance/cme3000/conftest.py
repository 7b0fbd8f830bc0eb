"""Profile cme3000: the Elvaco CMe3000 transparent TCP/IP ↔ M-Bus gateway (Elvaco's CMe3000 User's
Manual): bytes relayed unchanged both ways, one client at a time, the disconnect
timeout of Table 3, and the statistics of Figures 6 and 9.

The DUT is the gateway's TCP port (``--dut tcp://HOST:10001``) with at least one M-Bus slave behind
it answering at its primary address 0 or 254. Without --dut (or with ``--dut sim:cme3000?…``) the
profile starts the reference gateway (``metercert simulate cme3000``, Table 3's factory settings)
in front of a simulated CMi1020 once for the run — the cases open their own connections to its TCP
port, one client at a time — and reads its statistics file (sim.cme3000)."""
import urllib.parse

import pytest

import metercert
from metercert import mbus_link
from metercert.pytest_plugin import DutTarget

# What this profile certifies and which DUT URLs can be such a DUT (metercert.pytest_plugin).
METERCERT_PROFILE = {"dut_kind": "a gateway DUT: a transparent TCP/M-Bus gateway (CMe3000) with a slave behind it",
                     "accepts": ("tcp://", "sim:cme3000")}

MODEL = "metercert reference CMe3000 (simulate cme3000, Table 3 factory settings)"


@pytest.fixture
def default_dut():
    # the gateway's Table 3 timers 5× faster than real time (sim:cme3000's time_scale): the
    # disconnect-timeout cases take 2 s instead of 10 s; the cases measure in gateway seconds
    return "sim:cme3000?time_scale=5"


@pytest.fixture(scope="session")
def resolve_dut(tmp_path_factory):
    """A URL whose link is the reference CMe3000 (sim.cme3000): the simulator process, started once
    for the run with a statistics file (metercert.Simulator, the mechanism of every simulator
    process) and reached over TCP; any other URL as it is."""
    started = {}

    def resolve(url: str) -> DutTarget:
        link = metercert.dut_link(url)
        if "sim.cme3000" not in link["capabilities"]:
            return DutTarget(url)
        if url not in started:
            stats = tmp_path_factory.mktemp("cme3000") / "stats.json"
            sim = metercert.Simulator(url, "--stats", str(stats))
            scale = float(urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).get("time_scale", ["1"])[0])
            started[url] = (sim, DutTarget(sim.url, capabilities=link["capabilities"], dut=url, stats=stats, time_scale=scale))
        return started[url][1]

    yield resolve
    for sim, _ in started.values():
        sim.stop()


def pytest_metercert_identity(target):
    """A real gateway's own identity is not readable over M-Bus: the slave behind it, and what a
    simulated one is."""
    ident = {"slave": mbus_link.slave_identity(target.url)}
    if "sim.cme3000" in target.capabilities:
        ident["model"] = MODEL
    return ident
