"""A rig's LED input (README "Rigs": the `led` role, `led_colour`): the CMi1020W's red LED through
labgrid's FileDigitalOutputDriver on a GPIO-style value file that `simulate cmi1020w --led FILE`
drives (lit from power-up until the first telegram: manual "LED indications"), the supply cut by an
emulated LCUS board's relay 1; cmi1020w/led-indications/3 passes through the rig, and a module whose
red LED stays dark at power-up (the simulator's fault) fails it there too."""
import json
import subprocess

import pytest

from conftest import BIN, Server
from test_rig import boards, env, lcus  # noqa: F401  (boards: the fixture)

pytest.importorskip("labgrid")

KEY = "5E2D7B13A0C94F6188E0B3D72A6C19F4"  # the cmi1020w profile's test key


def rig_file(path):
    path.write_text("""imports: [metercert.rig.drivers]
targets:
  cmi1020w:
    resources:
      LcusRelayPort: {port: !template $LG_LCUS_PORT, channels: 4}
    drivers:
      - LcusRelayDriver: {name: mains_relay, channel: 1}
      - DigitalOutputPowerDriver: {name: mains, delay: 0.5, bindings: {output: mains_relay}}
      - FileDigitalOutputDriver: {name: red_led, filepath: !template $LG_LED_FILE}
    options: {power: mains, power_safe: "on", led: red_led, led_colour: red}
""")
    return path


def run_led_case(tmp_path, boards, *fault):
    board = boards("lcus", "--pty", str(tmp_path / "lcus"))
    led, stick, report = tmp_path / "led", str(tmp_path / "im871a"), tmp_path / "report"
    led.write_text("0\n")
    sim = Server("cmi1020w", "--dongle", "im871a", "--pty", stick, "--key", KEY, "--interval", "5", "--power",
                 f"{board.state}:1", "--led", str(led), *fault)
    try:
        p = subprocess.run([BIN, "run", "--profile", "cmi1020w", "--dut", f"wmbus+im871a://{stick}?mode=T1&key={KEY}",
                            "--rig", str(rig_file(tmp_path / "rig.yaml")), "--report", str(report),
                            "-k", "test_red_led_until_first_telegram"],
                           capture_output=True, text=True, timeout=240,
                           env=env(LG_LCUS_PORT=board.address, LG_LED_FILE=str(led)))
    finally:
        rc, err = sim.stop()
    rec = json.loads((report / "record.json").read_text())
    return p, rec, board, led, err


def test_cmi1020w_red_led_through_the_rigs_led_input(tmp_path, boards):
    p, rec, board, led, err = run_led_case(tmp_path, boards)
    assert p.returncode == 0, p.stdout + p.stderr
    assert {c["id"]: c["outcome"] for c in rec["cases"]} == {"cmi1020w/led-indications/3": "passed"}
    # the run's operating state powers the module up, the case cuts and restores it once
    assert board.commands() == [lcus(1, True), lcus(1, False), lcus(1, True)]
    assert "2 power cycle(s) through the rig" in err, err
    assert led.read_text() == "0\n"  # the module transmits: dark
    assert rec["rig"]["roles"]["led"] == {"driver": "red_led", "class": "FileDigitalOutputDriver"}
    assert [s["role"] for s in rec["rig"]["switches"]].count("led") == 0  # read, never switched


def test_a_red_led_dark_at_power_up_is_caught_through_the_rig(tmp_path, boards):
    p, rec, board, led, err = run_led_case(tmp_path, boards, "--fault", "red_led_not_lit_at_power_up")
    assert p.returncode == 1, p.stdout + p.stderr
    case = rec["cases"][0]
    assert case["id"] == "cmi1020w/led-indications/3" and case["outcome"] == "failed", case
    assert "red LED within 2 s of power-up" in json.dumps(case), case
