"""Profile cmi1020w: the Elvaco CMi1020W wireless M-Bus module in an L+G E350 (Elvaco's CMi1020W
manual, seeds/000: "operation and function", "configuration", "rate inputs", "LED indications")
and the standards it sends by (EN 13757-4 link layer, EN 13757-3/-7 transport layer, OMS Vol. 2
security mode 5). One file per manual section or standard clause.

The DUT is a source of received telegrams (wmbus.receive): the built-in simulator
(``sim:cmi1020w``, the default: encrypted with a fixed test key, as the manual's "128bit AES key
encryption" is what a lab configures), a capture (``wmbus+hex:FILE?key=HEX``) or a receiver stick
in range of a real module (``wmbus+im871a://…``, ``wmbus+amb8465://…``). The key the cases
decrypt with is the URL's ``key=`` (never shown: the plugin records the URL redacted). Cases that
drive the module or its meter need the simulator (sim.cmi1020w); the meter reference of a real
module is ``--meter-readout FILE``."""

import pathlib

import pytest

from . import lib

# What this profile certifies and which DUT URLs can be such a DUT (metercert.pytest_plugin).
METERCERT_PROFILE = {"dut_kind": "a wireless M-Bus meter module (CMi1020W) heard through a receiver, a capture or the simulator",
                     "accepts": ("sim:cmi1020w", "wmbus+hex:", "wmbus+im871a://", "wmbus+amb8465://")}

# A fixed test key (not a secret: it is in this file; a real module's key comes with --dut …?key=).
TEST_KEY_HEX = "5E2D7B13A0C94F6188E0B3D72A6C19F4"


@pytest.fixture
def default_dut():
    """Without --dut: the reference CMi1020W (the real E350 readout), encrypted with the test key."""
    return f"sim:cmi1020w?key={TEST_KEY_HEX}"


def pytest_metercert_identity(target):
    """The module's identity from its first telegram's link layer (EN 13757-4: M, A = ID, version,
    device type), read raw from the frame."""
    import metercert
    conn = metercert.connect(target.url)
    try:
        t = conn.receive(lib.first_timeout_s(conn))
    finally:
        conn.close()
    if t is None:
        return {"identity": "no telegram received"}
    link = lib.link_fields(lib.logical(t))
    return {"manufacturer": link["manufacturer"], "id": link["id"], "version": link["version"],
            "device_type": f"{link['device_type']:02X}", "medium": f"{link['device_type']:02X}",  # the report names it medium
            "mode": t["mode"] or None}


class _SimPower:
    """The built-in simulator's supply (sim.cmi1020w): cycle() powers the module up now (RAM lost;
    the first telegram ~15 s later) — what a rig's power.cycle() does to a real module."""

    def __init__(self, dut):
        self._dut = dut

    def cycle(self):
        self._dut.cmi1020w_power_cycle()


class _SimRateInputs:
    """The built-in simulator's rate inputs A/B (manual "rate inputs")."""

    def __init__(self, dut):
        self._dut = dut

    def set(self, a: bool, b: bool):
        self._dut.cmi1020w_set_rate_inputs(bool(a), bool(b))


class _SimLed:
    """The built-in simulator's red LED (manual "LED indications"): the module model's."""
    colour = "red"
    simulated = True

    def __init__(self, dut):
        self._dut = dut

    def lit(self) -> bool:
        return bool(self._dut.cmi1020w_state()["red_led"])


def pytest_metercert_simulated_rig(target):
    """The in-process simulator (sim.cmi1020w) takes the rig's power cycle and rate inputs itself,
    on its simulated clock, and shows its red LED; a real module (or `simulate cmi1020w --dongle …`
    heard through a stick link) needs --rig (the simulator's --power/--rate-inputs wires, a led
    input)."""
    if "sim.cmi1020w" in target.capabilities:
        return {"power": _SimPower, "rate_inputs": _SimRateInputs, "led": _SimLed}
    return None


@pytest.fixture
def key(dut_target) -> bytes | None:
    """The AES-128 key the cases decrypt with: the DUT URL's key= parameter (None: the module is
    expected to send plain data). Never logged."""
    return lib.url_key(dut_target.url)


@pytest.fixture
def meter(dut):
    """The E350 model the simulated CMi1020W reads (sim.cmi1020w only)."""
    if "sim.cmi1020w" not in dut.capabilities:
        pytest.skip("needs sim.cmi1020w: the meter model of the built-in CMi1020W simulator")
    return dut.cmi1020w_meter()


@pytest.fixture
def meter_readout(request, dut) -> bytes:
    """The meter reference: the simulated meter's readout (sim.cmi1020w), else the readout the lab
    names with --meter-readout FILE (with or without its IEC 62056-21 framing). Skipped when there
    is none."""
    if "sim.cmi1020w" in dut.capabilities:
        return dut.cmi1020w_meter().readout
    path = request.config.getoption("--meter-readout")
    if not path:
        pytest.skip("needs a meter reference: the readout of the DUT's meter (--meter-readout FILE)")
    return pathlib.Path(path).read_bytes()
