"""The CMi6110 behind a rig (rigs/examples/cmi6110-lcus.yaml; README "Rigs"): an emulated LCUS
board (relay 1 the supply, relay 2 the push button) and a GPIO-style value file for the green LED,
the built-in module wired to them (``sim:cmi6110?power_wire=…&button_wire=…&led_file=…``: the
profile watches the board's wires while a case acts through labgrid, conformance/cmi6110/lib.py
WiredRig). The §5.3.5-§5.3.6 power and button cases and the green LED case run through the rig
and pass; a relay that never closes is caught by the cases that need it.

Expectations come from the board's own command log and state file (what the emulated relays
received and did: NOTES "Relay boards" bytes), and from the manual's hold times."""
import json
import subprocess

import pytest

from conftest import BIN
from test_rig import EXAMPLES, boards, env, lcus, rig_check  # noqa: F401  (boards: the fixture)

pytest.importorskip("labgrid")

RIG = EXAMPLES / "cmi6110-lcus.yaml"
POWER_BUTTON_LED = "test_5_3_5 or test_5_3_6"  # test_5_3_5.py, test_5_3_5_led.py, test_5_3_6.py


class Cmi6110Rig:
    def __init__(self, tmp_path, boards, fault=()):
        self.board = boards("lcus", "--pty", str(tmp_path / "lcus"), *fault)
        self.led = tmp_path / "led"
        self.led.write_text("0\n")
        s = self.board.state
        self.url = f"sim:cmi6110?power_wire={s}:1&button_wire={s}:2&led_file={self.led}"
        self.report = tmp_path / "report"
        self.lg = {"LG_LCUS_PORT": self.board.address, "LG_LED_FILE": str(self.led), "LG_LWM2M_HOST": "127.0.0.1"}

    def run(self, cases, timeout=300):
        return subprocess.run([BIN, "run", "--profile", "cmi6110", "--dut", self.url, "--rig", str(RIG), "--report",
                               str(self.report), "-k", cases], capture_output=True, text=True, timeout=timeout,
                              env=env(**self.lg))

    def record(self):
        return json.loads((self.report / "record.json").read_text())

    def outcomes(self):
        return {c["id"]: c["outcome"] for c in self.record()["cases"]}


def test_rig_check_names_the_cmi6110_roles_and_switches_nothing(tmp_path, boards):
    r = Cmi6110Rig(tmp_path, boards)
    p = rig_check(RIG, **r.lg)
    assert p.returncode == 0, p.stdout + p.stderr
    assert ("target cmi6110: power = supply (DigitalOutputPowerDriver), button = button (LcusRelayDriver), "
            "led = green_led (FileDigitalOutputDriver) watching the green LED, "
            "network = lwm2m (NetworkService 127.0.0.1:5684, endpoint urn:imei:350000000000001); power safe: on") in p.stdout, p.stdout
    assert r.board.commands() == []
    p = rig_check(RIG, "--exercise", **r.lg)
    assert p.returncode == 0, p.stdout + p.stderr
    # supply off, on; button on, off (NOTES "Relay boards": A0 ch state sum); the LED only read
    assert r.board.commands() == [lcus(1, False), lcus(1, True), lcus(2, True), lcus(2, False)]
    assert "led           green_led: reads off" in p.stdout and r.led.read_text() == "0\n"


def test_rig_check_names_a_wrong_led_colour_and_network(tmp_path, boards):
    r = Cmi6110Rig(tmp_path, boards)
    bad = tmp_path / "bad.yaml"
    bad.write_text(RIG.read_text().replace("led_colour: green", "led_colour: blue").replace("network: lwm2m", "network: mbus"))
    p = rig_check(bad, **r.lg)
    assert p.returncode == 1, p.stdout + p.stderr
    assert f"{bad}: targets.cmi6110.options.led_colour: 'blue': expected red or green" in p.stderr, p.stderr
    assert f"{bad}: targets.cmi6110.options.network: no resource named 'mbus'" in p.stderr and "lwm2m" in p.stderr, p.stderr


def test_cmi6110_power_button_and_led_cases_through_the_example_rig(tmp_path, boards):
    r = Cmi6110Rig(tmp_path, boards)
    p = r.run(POWER_BUTTON_LED)
    assert p.returncode == 0, p.stdout + p.stderr
    assert r.outcomes() == {**{f"cmi6110/5.3.5/{i}": "passed" for i in range(1, 6)},
                            **{f"cmi6110/5.3.6/{i}": "passed" for i in range(1, 4)}}, p.stdout
    cmds = r.board.commands()
    # the run's operating state powers the module (relay 1 starts open); 5.3.5/4 cuts the supply once
    assert cmds[0] == lcus(1, True) and cmds.count(lcus(1, False)) == 1 and cmds.count(lcus(1, True)) == 2, cmds
    # one press per hold: 6 s, 3 s, 6 s (5.3.5/1-3), 6 s (5.3.5/5), 10 s, 17 s, 3 s + 25 s (5.3.6/1-3)
    # (and the button released once as the run starts: its state is unknown until then)
    assert cmds[1] == lcus(2, False) and cmds.count(lcus(2, True)) == 8 and cmds.count(lcus(2, False)) == 9, cmds
    rec = r.record()
    holds = [s for s in rec["rig"]["switches"] if s["role"] == "button" and s["state"] is True]
    assert {s["why"] for s in holds} == {"cmi6110/5.3.5/1", "cmi6110/5.3.5/2", "cmi6110/5.3.5/3", "cmi6110/5.3.5/5",
                                         "cmi6110/5.3.6/1", "cmi6110/5.3.6/2", "cmi6110/5.3.6/3"}
    assert r.board.outputs() == {"1": True, "2": False, "3": False, "4": False}  # safe: supply on, button released
    assert r.led.read_text() == "0\n"  # dark again once the watch ended


def test_a_button_relay_that_never_closes_is_caught(tmp_path, boards):
    r = Cmi6110Rig(tmp_path, boards, fault=("--fault", "stuck:2"))
    p = r.run("test_activation_by_a_long_press or test_short_press or test_power_up_attach or test_green_led")
    # no press reaches the module: not activated, the green LED never lights; the 3 s press was to do
    # nothing anyway, and the power case needs no button
    assert p.returncode == 1 and r.outcomes() == {"cmi6110/5.3.5/1": "failed", "cmi6110/5.3.5/2": "passed",
                                                 "cmi6110/5.3.5/4": "passed", "cmi6110/5.3.5/5": "failed"}, p.stdout + p.stderr
    assert r.board.commands().count(lcus(2, True)) == 3 and r.board.outputs()["2"] is False


def test_a_supply_relay_that_never_closes_is_caught(tmp_path, boards):
    r = Cmi6110Rig(tmp_path, boards, fault=("--fault", "stuck:1"))
    p = r.run("test_power_up_attach or test_activation_by_a_long_press")
    # the module is never powered: no activation by the press (must), nothing after the "power-up"
    assert p.returncode == 1 and r.outcomes() == {"cmi6110/5.3.5/1": "failed", "cmi6110/5.3.5/4": "failed"}, p.stdout + p.stderr
    assert r.board.outputs()["1"] is False and lcus(1, True) in r.board.commands()  # told to close: it did not
    case = next(c for c in r.record()["cases"] if c["id"] == "cmi6110/5.3.5/4")
    assert "after the power-up" in json.dumps(case), case


def test_without_a_rig_the_wired_module_skips_the_rig_cases(tmp_path, boards):
    r = Cmi6110Rig(tmp_path, boards)
    p = subprocess.run([BIN, "run", "--profile", "cmi6110", "--dut", r.url, "--report", str(r.report), "-k",
                        "test_power_up_attach or test_green_led"], capture_output=True, text=True, timeout=120, env=env())
    assert p.returncode == 3, p.stdout + p.stderr
    reasons = {c["id"]: c.get("reason", "") for c in r.record()["cases"]}
    assert reasons["cmi6110/5.3.5/4"].startswith("needs power: ") and "--rig FILE" in reasons["cmi6110/5.3.5/4"], reasons
    assert reasons["cmi6110/5.3.5/5"].startswith("needs button: "), reasons


def test_the_rig_files_network_service_is_the_dut_without_dut(tmp_path, monkeypatch):
    """Without --dut, the target's NetworkService is the module's LwM2M link (NoSec), a URL the
    lwm2m:// scheme takes (`_core.dut_link` checks it without opening it)."""
    from metercert import _core, rig
    led = tmp_path / "led"
    led.write_text("0\n")
    for k, v in {"LG_LCUS_PORT": "/dev/ttyUSB0", "LG_LED_FILE": str(led), "LG_LWM2M_HOST": "192.0.2.10"}.items():
        monkeypatch.setenv(k, v)
    r = rig.load(RIG)
    try:
        url = r.dut_url()
        assert url == "lwm2m://192.0.2.10:5684?endpoint=urn:imei:350000000000001", url
        info = _core.dut_link(url)
        assert "coap.server" in info["capabilities"] and info["query"]["endpoint"] == "urn:imei:350000000000001", info
        assert r.capabilities == {"power", "button", "led"} and r.led.colour == "green"
    finally:
        r.close()
