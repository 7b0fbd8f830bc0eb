"""Profile cme3100-master: the Elvaco CMe3100 metering gateway as M-Bus master (CMe3100 User's
Manual, shared/seeds/004_…): installing meters by secondary search (§6.5.3) or from a Meter List
(§6.5, Figure 5), importing the encryption key file (§6.15, Figure 8), reading every meter with
multi-telegram reading and its retries (§6.25), and serving what it read as Virtual M-Bus
(§6.27).

The cases drive the reference gateway (``metercert simulate cme3100``) against simulated CMi1020
slaves and inspect what a lab inspects on a real one: its commission report, its messages and its
Virtual M-Bus port. A real CMe3100 is configured through its web interface, which the suite does
not drive: every case here needs the built-in simulator and is skipped with --dut."""
import pytest

from cme3100_lib import Gateway
from metercert.pytest_plugin import DutTarget


@pytest.fixture
def default_dut():
    # each case starts its own gateway (cme3100_lib.Gateway) on its own simulated bus
    return DutTarget("metercert simulate cme3100 (one per case)", simulated=True, identify=False)


@pytest.fixture
def start_gateway(tmp_path):
    """start_gateway(bus_url, *options) -> a running cme3100_lib.Gateway in the case's tmp_path,
    stopped when the case ends."""
    started = []

    def start(bus: str, *args: str) -> Gateway:
        started.append(Gateway(tmp_path, bus, *args))
        return started[-1]

    yield start
    for g in started:
        g.close()
