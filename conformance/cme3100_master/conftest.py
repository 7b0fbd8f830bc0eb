"""Profile cme3100-master: the Elvaco CMe3100 metering gateway as M-Bus master (Elvaco's CMe3100 User
Manual): installing meters by secondary search (§6.5.3) or from a Meter List
(§6.5, Figure 5), importing the encryption key file (§6.15, Figure 8), reading every meter with
multi-telegram reading and its retries (§6.25), and serving what it read as Virtual M-Bus
(§6.27).

The cases drive the reference gateway (``metercert simulate cme3100``) against simulated CMi1020
slaves and inspect what a lab inspects on a real one: its commission report, its messages and its
Virtual M-Bus port. A real CMe3100 is configured through its web interface, which the suite does
not drive: every case here needs the built-in simulator and is skipped with --dut."""
import urllib.parse

import pytest

from .lib import Gateway
from metercert import _core
from metercert.pytest_plugin import DutTarget

# What this profile certifies and which DUT URLs can be such a DUT (metercert.pytest_plugin).
METERCERT_PROFILE = {"dut_kind": "a gateway DUT: a metering gateway (CMe3100) as M-Bus master, at its Virtual M-Bus port",
                     "accepts": ("tcp://", "sim:cme3100"), "identity": "none"}


@pytest.fixture
def default_dut():
    # each case starts its own gateway (lib.Gateway) on its own simulated bus
    return DutTarget("sim:cme3100", simulated=True, identify=False,
                     model="metercert reference CMe3100 (simulate cme3100 on simulated CMi1020 slaves, one per case)")


@pytest.fixture
def start_gateway(tmp_path, dut_target):
    """start_gateway(bus_url, *options) -> a running lib.Gateway in the case's tmp_path,
    stopped when the case ends. ``--dut sim:cme3100?fault=NAME`` starts every gateway with that
    fault (faults.json of this profile)."""
    started = []
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(dut_target.url).query) if dut_target.url.startswith("sim:") else {}
    faults = query.pop("fault", [])
    known = [f["name"] for f in _core.faults()["cme3100"]]  # the CMe3100's fault list (`metercert faults cme3100`)
    for f in faults:
        if f != "none" and f not in known:
            raise ValueError(f"{dut_target.url}: fault={f} is unknown (none, {', '.join(known)})")
    extra = [a for f in faults for a in ("--fault", f)]
    if query:
        raise ValueError(f"{dut_target.url}: unknown parameter(s) {', '.join(query)} (sim:cme3100 takes fault=NAME)")

    def start(bus: str, *args: str) -> Gateway:
        started.append(Gateway(tmp_path, bus, *args, *extra))
        if started[-1].url is None:
            raise RuntimeError("the reference CMe3100 did not start: " + " / ".join(started[-1].messages[-3:]))
        return started[-1]

    yield start
    for g in started:
        g.close()
