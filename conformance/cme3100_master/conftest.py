"""Profile cme3100-master: the Elvaco CMe3100 metering gateway as M-Bus master (Elvaco's CMe3100 User
Manual): installing meters by secondary search (§6.5.3) or from a Meter List
(§6.5, Figure 5), importing the encryption key file (§6.15, Figure 8), reading every meter with
multi-telegram reading and its retries (§6.25), receiving wireless meters through a Wireless M-Bus
Receiver and decrypting them with the key file (§6.5.2, §6.15), and serving what it read as
Virtual M-Bus (§6.27).

The cases drive the reference gateway (``metercert simulate cme3100``) against simulated CMi1020
slaves (and a simulated CMi1020W heard through ``--wmbus sim:cmi1020w``) and inspect what a lab inspects on a real one: its commission report, its messages and its
Virtual M-Bus port. A real CMe3100 is configured through its web interface, which the suite does
not drive: every case here needs the built-in simulator (sim.cme3100) and is skipped with
``--dut tcp://…``. ``--dut 'sim:cme3100?fault=NAME'`` starts every gateway with that fault
(faults.json of this profile)."""
import pytest

from .lib import Gateway

# What this profile certifies and which DUT URLs can be such a DUT (metercert.pytest_plugin).
METERCERT_PROFILE = {"dut_kind": "a gateway DUT: a metering gateway (CMe3100) as M-Bus master, at its Virtual M-Bus port",
                     "accepts": ("tcp://", "sim:cme3100")}


@pytest.fixture
def default_dut():
    # each case starts its own gateway (lib.Gateway) on its own simulated bus
    return "sim:cme3100"


def pytest_metercert_identity(target):
    if "sim.cme3100" in target.capabilities:
        return {"model": "metercert reference CMe3100 (simulate cme3100 on simulated CMi1020 slaves, one per case)"}
    return None


@pytest.fixture
def start_gateway(tmp_path, dut_target):
    """start_gateway(bus_url, *options) -> a running lib.Gateway in the case's tmp_path, stopped
    when the case ends: the DUT URL's simulator process (its fault=, checked by the registry) with
    the case's bus and options."""
    started = []

    def start(bus: str | None, *args: str) -> Gateway:
        started.append(Gateway(tmp_path, dut_target.dut, bus, *args))
        return started[-1]

    yield start
    for g in started:
        g.close()
