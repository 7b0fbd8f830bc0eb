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

from metercert.pytest_plugin import DutTarget


@pytest.fixture
def default_dut():
    # each case starts its own gateway (cme3100_lib.Gateway); the bus URL is the gateway's M-Bus
    return DutTarget("sim:cmi1020", simulated=True)
