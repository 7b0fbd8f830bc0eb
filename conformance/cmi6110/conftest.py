"""Profile cmi6110: the uplinks of an Elvaco CMi6110 NB-IoT module reading a Landis+Gyr UltraHeat
UH50 (CMi6110 manual §7.3 scheduling, §7.4 the three encodings, §7.5 settings), one file per manual
section. The uplink half: what the module sends and when; the network half (§6.2-§6.4, LwM2M over
CoAP/DTLS-PSK; test_6_2.py, test_6_2_bootstrap.py, test_6_3.py, test_6_4.py, network.py): the module
bootstrapped by the suite's Bootstrap-Server (bootstrap=1), registered with its DM server, read and
written there.

The DUT is a set of uplinks with the configuration the module had (cmi6110.uplinks):
``--dut cmi6110+uplinks:FILE`` (a capture from the lab's MQTT broker or LwM2M server, or what
``metercert simulate cmi6110 --uplinks-out FILE`` wrote; the format: rigs/README.md) or the
built-in module ``--dut 'sim:cmi6110?…'`` (sim.cmi6110: its UH50 model gives exact values, and the
cases run it again for the other encodings, the manual's examples and the §7.5 defaults; on a
capture those cases are skipped with the reason). The network cases need coap.server: ``--dut
'lwm2m://HOST:PORT?endpoint=NAME&psk_id=ID&psk=HEX'`` (the suite listens, the module connects) or the
built-in module with ``network=1`` (the reference LwM2M client started against the suite's servers on
loopback); without it they are skipped."""
import pytest

from .lib import sim_rig, uplinks_of

METERCERT_PROFILE = {"dut_kind": "a CMi6110's uplinks with the module's configuration (a capture, or the built-in module), or a "
                                 "CMi6110 connecting to the suite's LwM2M servers (lwm2m://)",
                     "accepts": ("sim:cmi6110", "cmi6110+uplinks:", "lwm2m://")}

# Three simulated days (from 2019-11-28T00:00Z) of a module in Sweden (UTC offset +60, §7.3.1) with
# four transmissions a day, a one-day network outage (the backlog: LIFO, 4 uploads per
# transmission, readouts older than 24 h dropped) and the UH50's F5 error bit set; and the network
# half (network=1): the reference LwM2M client registering with the suite's DM server over DTLS-PSK
# (a test identity and key, §6.2) with a lifetime of 8 s (an Update within a case: int-102), starting
# at the suite's Bootstrap-Server (bootstrap=1) as a real module does (§6.2 "Upon activation, the
# device will attempt to connect to its configured bootstrap server"): the bootstrap costs one
# DTLS handshake and four exchanges (~0.1 s) and lets the bootstrap cases (test_6_2_bootstrap.py)
# run in the default run.
DEFAULT_DUT = ("sim:cmi6110?days=3&utc_offset=60&transmit_interval=360&max_age=1440&meter_errors=F5"
               "&network_down=2019-11-29T00:00Z..2019-11-30T00:00Z"
               "&network=1&endpoint=urn:imei:350000000000001&psk_id=cmi6110-dm&psk=3f9a1c5e7b2d4f6081a3c5e7f9b1d3e5"
               "&lifetime_s=8&bootstrap=1")


@pytest.fixture
def default_dut():
    return DEFAULT_DUT


def pytest_metercert_identity(target):
    """The meter ID, encoding and format the module was configured with, and the encoder version
    its SenML packs name (§7.4.2.3 "V" record; none: 0/0)."""
    import metercert
    from .lib import senml_pack
    if "cmi6110.uplinks" not in target.capabilities:
        return {"link": "an LwM2M client connecting to the suite's servers (lwm2m://)"}
    conn = metercert.connect(target.url)
    try:
        d = conn.cmi6110_uplinks()
    finally:
        conn.close()
    c = d["config"]
    ident = {"meter_id": c["meter_id"], "encoding": c["encoding"], "format": c["format"], "uplinks": len(d["uplinks"])}
    if c["encoding"] == "senml" and d["uplinks"]:
        try:
            v = [r.get(2) for r in senml_pack(bytes(d["uplinks"][0]["payload"])) if r.get(0) == "V"]
            ident["encoder"] = f"type {v[0] >> 8}, version {v[0] & 0xFF}" if v else "none (0/0)"
        except Exception as e:  # evidence, not a verdict
            ident["encoder"] = f"unreadable: {e}"
    if "sim.cmi6110" in target.capabilities:
        ident["model"] = "metercert reference CMi6110 with a UH50 model (sim:cmi6110)"
    return ident


class _SimPower:
    """The built-in module's supply (sim.cmi6110) on the rig clock of lib.SimRig: off() and on()
    record a span without supply at the clock's time; cycle(off_s) is off, off_s later on."""

    def __init__(self, dut):
        self._dut = dut

    def off(self):
        sim_rig(self._dut).off()

    def on(self):
        sim_rig(self._dut).on()

    def cycle(self, off_s: float = 5.0):
        rig = sim_rig(self._dut)
        rig.off()
        rig.wait(off_s)
        rig.on()


class _SimButton:
    """The built-in module's push button (sim.cmi6110, §5.3.5-§5.3.6) on the rig clock of
    lib.SimRig: hold(seconds) is press, the clock advanced by `seconds`, release."""

    def __init__(self, dut):
        self._dut = dut

    def press(self):
        sim_rig(self._dut).press()

    def release(self):
        sim_rig(self._dut).release()

    def hold(self, seconds: float):
        rig = sim_rig(self._dut)
        rig.press()
        rig.wait(seconds)
        rig.release()


class _SimLed:
    """The built-in module's green LED (sim.cmi6110): lit while the button is held 5-15 s and the
    supply is on (the model's hold indication, `_core.cmi6110_hold_leds`, with the URL's fault;
    ERRATA E-143), on the rig clock of lib.SimRig."""
    colour = "green"
    simulated = True

    def __init__(self, dut):
        self._dut = dut

    def lit(self) -> bool:
        from metercert import _core
        rig = sim_rig(self._dut)
        if rig._pressed_at is None or rig._off_since is not None:
            return False
        held = min(3600.0, (rig.at - rig._pressed_at).total_seconds())
        return bool(_core.cmi6110_hold_leds(held, self._dut.cmi6110_sim()["fault"])["green"])


def pytest_metercert_simulated_rig(target):
    """The built-in module (sim.cmi6110) takes the rig's supply, push button and LED itself, on the
    simulated clock, so the §5.3.5-§5.3.6 cases run in the default run; a capture (cmi6110+uplinks:)
    with --rig presses for real, but its uplinks after the press are not observed yet (skipped).
    The built-in module behind a rig's relays (``power_wire=``/``button_wire=``, lib.WiredRig)
    takes none: the rig's roles act, the module watches the wires."""
    from .lib import wiring
    if "sim.cmi6110" in target.capabilities and not wiring(target.url):
        return {"power": _SimPower, "button": _SimButton, "led": _SimLed}
    return None


@pytest.fixture(autouse=True)
def _stop_wire_watch(request):
    """After each case: the watch of a wired module (lib.WiredRig) stops and its LED goes dark."""
    yield
    rig = getattr(getattr(request.node, "metercert_connection", None), "cmi6110_rig", None)
    if rig is not None and hasattr(rig, "close"):
        rig.close()


@pytest.fixture
def network(dut):
    """The suite's LwM2M servers and the module's registration with them (coap.server: network.py),
    one per DUT URL for the whole run."""
    from .network import shared
    return shared(dut)


@pytest.fixture
def own_network(dut):
    """Servers and a reference client for this case alone (a case that ends the registration)."""
    from .network import Network
    n = Network(dut)
    yield n
    n.close()


@pytest.fixture(scope="session", autouse=True)
def _close_networks():
    yield
    from .network import close_all
    close_all()


@pytest.fixture
def uplinks(dut):
    """The DUT's own uplinks, decoded (lib.Uplinks)."""
    return uplinks_of(dut)


@pytest.fixture
def uplink_network(dut):
    """The module uploading meter data over MQTT-SN to the suite's gateway, configured through the
    DM server (uplink.py), one per DUT URL for the whole run."""
    from .uplink import shared
    return shared(dut)


@pytest.fixture(scope="session", autouse=True)
def _close_uplink_networks():
    yield
    from .uplink import close_all
    close_all()
