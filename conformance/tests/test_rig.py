"""Rigs (README "Rigs", bindings/metercert/rig): rig files are labgrid environment files; `metercert
rig check` names what is wrong with its YAML path and switches nothing unless --exercise; the
emulated boards speak the real protocols (the bytes checked are NOTES "Relay boards": LCUS
`A0 ch state sum`, written out here by hand); and a cmi1020 run through an LCUS rig drives a
`simulate cmi1020` process through its --power / --rate-inputs wires, catches a stuck relay and a
wrong channel, and leaves every output in its safe state when it ends or is killed.

Expectations come from the boards' own logs and state files (what the emulated relay received and
did), never from the rig's own log alone."""
import json
import os
import pathlib
import select
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import BIN, ROOT, Server

EXAMPLES = ROOT / "rigs" / "examples"
PYTHONPATH = str(pathlib.Path(BIN).resolve().parent / "python")
PY = "/usr/bin/python3"

pytest.importorskip("labgrid")


def env(**lg) -> dict:
    e = dict(os.environ, PYTHONPATH=PYTHONPATH + (":" + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else ""))
    e.update(lg)
    return e


class Board:
    """An emulated board (python3 -m metercert.rig.emulated KIND …), ready when constructed; its
    state file (the wires) and command log in `dir`."""

    def __init__(self, kind: str, dir: pathlib.Path, *args: str, lifetime=120):
        self.state = dir / f"{kind}.json"
        self.log = dir / f"{kind}.log"
        self.proc = subprocess.Popen([PY, "-m", "metercert.rig.emulated", kind, "--state", str(self.state), "--log",
                                      str(self.log), "--lifetime", str(lifetime), *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env(), text=True)
        r, _, _ = select.select([self.proc.stdout], [], [], 20)
        if not r:
            self.stop()
            raise AssertionError(f"emulated {kind} board not ready after 20 s")
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(5)
            raise AssertionError(f"emulated {kind} board ended: {self.proc.stderr.read()}")
        self.ready = json.loads(line)
        self.address = self.ready["address"]

    def outputs(self) -> dict:
        return {k: v["on"] for k, v in json.loads(self.state.read_text())["outputs"].items()}

    def commands(self) -> list[str]:
        if not self.log.exists():
            return []
        return [json.loads(l)["command"] for l in self.log.read_text().splitlines()]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def boards(tmp_path):
    started = []

    def start(kind, *args, **kw):
        b = Board(kind, tmp_path, *args, **kw)
        started.append(b)
        return b
    yield start
    for b in started:
        b.stop()


def rig_check(path, *args, **lg):
    return subprocess.run([BIN, "rig", "check", str(path), *args], capture_output=True, text=True, timeout=120, env=env(**lg))


def lcus(ch: int, on: bool) -> str:
    """NOTES "Relay boards": A0 ch state sum, sum = A0 + ch + state (A0 01 01 A2 on, A0 01 00 A1 off)."""
    return f"A0 {ch:02X} {int(on):02X} {(0xA0 + ch + int(on)) & 0xFF:02X}"


# ------------------------------------------------------------------------------ rig files
def test_labgrid_loads_every_shipped_rig_file(tmp_path):
    import labgrid
    files = sorted(EXAMPLES.glob("*.yaml"))
    assert len(files) >= 5 and EXAMPLES / "cmi6110-lcus.yaml" in files, files
    led = tmp_path / "led"
    led.write_text("0\n")  # labgrid's FileDigitalOutputDriver wants its file to exist
    values = {"LG_LCUS_PORT": "/dev/ttyUSB0", "LG_MQTT_HOST": "127.0.0.1", "LG_MODBUS_HOST": "127.0.0.1",
              "LG_MODBUS_PORT": "502", "LG_PDU_URL": "http://127.0.0.1:8080", "LG_MBUS_PORT": "/dev/ttyUSB1",
              "LG_PROBE_PORT": "/dev/ttyUSB2", "LG_LED_FILE": str(led), "LG_LWM2M_HOST": "192.0.2.10"}
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        for f in files:
            e = labgrid.Environment(str(f))
            targets = e.config.get_targets()
            product = f.name.split("-")[0]  # cmi1020-lcus.yaml: target cmi1020
            assert list(targets) == [product], f
            opts = targets[product]["options"]
            assert opts["power_safe"] in ("on", "off") and opts["power"], f
            e.cleanup()
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_every_shipped_rig_file_checks_against_emulated_boards(boards, tmp_path):
    lc = boards("lcus", "--pty", str(tmp_path / "lcus"))
    mb = boards("modbus")
    ta = boards("tasmota")
    pdu = boards("simplerest")
    host, port = mb.address.rsplit(":", 1)
    led = tmp_path / "led"
    led.write_text("0\n")
    lg = {"LG_LCUS_PORT": lc.address, "LG_MQTT_HOST": ta.address, "LG_MODBUS_HOST": host, "LG_MODBUS_PORT": port,
          "LG_PDU_URL": pdu.address, "LG_MBUS_PORT": str(tmp_path / "mbus"), "LG_PROBE_PORT": str(tmp_path / "probe"),
          "LG_LED_FILE": str(led), "LG_LWM2M_HOST": "127.0.0.1"}
    for f in sorted(EXAMPLES.glob("*.yaml")):
        p = rig_check(f, **lg)
        assert p.returncode == 0, (f, p.stdout, p.stderr)
        assert "OK (1 target(s), nothing switched)" in p.stdout
    # nothing switched: no board received a switching command (the Tasmota board may only see none)
    assert lc.commands() == [] and mb.commands() == [] and pdu.commands() == []
    assert [c for c in ta.commands() if c.endswith((" ON", " OFF"))] == []


def write_rig(path: pathlib.Path, power_driver="mains", rate_b="rate_b", power_safe='"on"', extra_drivers="",
              channels=(1, 2, 3, 4), dut_port=None) -> pathlib.Path:
    dut = f"      RawSerialPort: {{port: {dut_port}, speed: 2400}}\n" if dut_port else ""
    path.write_text(f"""imports: [metercert.rig.drivers]
targets:
  cmi1020:
    resources:
      LcusRelayPort: {{port: !template $LG_LCUS_PORT, channels: 4}}
{dut}    drivers:
      - LcusRelayDriver: {{name: mains_relay, channel: {channels[0]}}}
      - LcusRelayDriver: {{name: rate_a, channel: {channels[1]}}}
      - LcusRelayDriver: {{name: rate_b, channel: {channels[2]}}}
      - LcusRelayDriver: {{name: button, channel: {channels[3]}}}
      - DigitalOutputPowerDriver: {{name: mains, delay: 0.5, bindings: {{output: mains_relay}}}}
{extra_drivers}    options:
      power: {power_driver}
      power_safe: {power_safe}
      rate_input_a: rate_a
      rate_input_b: {rate_b}
      button: button
""")
    return path


def test_rig_check_names_a_wrong_driver_and_a_missing_output(boards, tmp_path):
    lc = boards("lcus", "--pty", str(tmp_path / "lcus"))
    bad = write_rig(tmp_path / "bad.yaml", power_driver="mains_relay", rate_b="rate_x")
    p = rig_check(bad, LG_LCUS_PORT=lc.address)
    assert p.returncode == 1, p.stdout + p.stderr
    lines = p.stderr.splitlines()
    assert any(l.startswith(f"{bad}: targets.cmi1020.options.power: driver 'mains_relay' is a LcusRelayDriver")
               and "not a PowerProtocol" in l for l in lines), p.stderr
    assert any(l.startswith(f"{bad}: targets.cmi1020.options.rate_input_b: no driver named 'rate_x'") for l in lines), p.stderr
    assert lc.commands() == []  # a check switches nothing
    missing_safe = write_rig(tmp_path / "nosafe.yaml")
    missing_safe.write_text(missing_safe.read_text().replace('      power_safe: "on"\n', ""))
    p = rig_check(missing_safe, LG_LCUS_PORT=lc.address)
    assert p.returncode == 1 and "targets.cmi1020.options.power_safe: missing" in p.stderr, p.stderr
    typo = write_rig(tmp_path / "typo.yaml")
    typo.write_text(typo.read_text().replace("- LcusRelayDriver: {name: rate_b", "- LcusRelayDrivr: {name: rate_b"))
    p = rig_check(typo, LG_LCUS_PORT=lc.address)
    assert p.returncode == 1 and "targets.cmi1020" in p.stderr and "unknown driver class LcusRelayDrivr" in p.stderr, p.stderr
    p = rig_check(tmp_path / "nothere.yaml")
    assert p.returncode == 2 and "no such rig file" in p.stderr


def test_rig_check_exercise_sends_the_lcus_bytes(boards, tmp_path):
    lc = boards("lcus", "--pty", str(tmp_path / "lcus"))
    p = rig_check(EXAMPLES / "cmi1020-lcus.yaml", "--exercise", LG_LCUS_PORT=lc.address)
    assert p.returncode == 0, p.stdout + p.stderr
    assert lc.commands() == [lcus(1, False), lcus(1, True), lcus(2, True), lcus(2, False), lcus(3, True), lcus(3, False),
                             lcus(4, True), lcus(4, False)]
    assert lc.commands()[:2] == ["A0 01 00 A1", "A0 01 01 A2"]  # NOTES' own example bytes
    assert lc.outputs() == {"1": True, "2": False, "3": False, "4": False}  # power_safe on, the rest off


def test_labgrid_file_outputs_as_button_and_led(tmp_path):
    """labgrid's own FileDigitalOutputDriver as the button and the LED input (e.g. sysfs GPIOs)."""
    button, led = tmp_path / "button", tmp_path / "led"
    button.write_text("0\n")
    led.write_text("1\n")
    rig = tmp_path / "files.yaml"
    rig.write_text(f"""targets:
  dut:
    drivers:
      - FileDigitalOutputDriver: {{name: button, filepath: {button}}}
      - FileDigitalOutputDriver: {{name: led, filepath: {led}}}
    options: {{button: button, led: led}}
""")
    p = rig_check(rig, "--exercise")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "led           led: reads on" in p.stdout and "button        button: on, off (read back on, off)" in p.stdout, p.stdout
    assert button.read_text() == "0\n" and led.read_text() == "1\n"  # released; the LED only read


def test_rig_check_exercise_on_modbus_tasmota_and_simplerest(boards, tmp_path):
    mb = boards("modbus")
    ta = boards("tasmota")
    pdu = boards("simplerest")
    host, port = mb.address.rsplit(":", 1)
    p = rig_check(EXAMPLES / "cmi1020-modbus-tasmota.yaml", "--exercise", LG_MQTT_HOST=ta.address, LG_MODBUS_HOST=host,
                  LG_MODBUS_PORT=port)
    assert p.returncode == 0, p.stdout + p.stderr
    assert [c for c in ta.commands() if c.endswith((" ON", " OFF"))] == ["cmnd/plug/POWER OFF", "cmnd/plug/POWER ON"]
    assert mb.commands() == ["write coil 0 ON", "write coil 0 OFF", "write coil 1 ON", "write coil 1 OFF"]
    assert ta.outputs() == {"POWER": True} and mb.outputs() == {"0": False, "1": False, "2": False, "3": False}
    p = rig_check(EXAMPLES / "cmi1020-simplerest.yaml", "--exercise", LG_PDU_URL=pdu.address)
    assert p.returncode == 0, p.stdout + p.stderr
    # power off, on, then the declared safe state: off (labgrid's simplerest: GET …/relay/INDEX/VALUE)
    assert pdu.commands() == ["GET /relay/0/0", "GET /relay/0/1", "GET /relay/0/0"]
    assert pdu.outputs()["0"] is False


# ------------------------------------------------------------------- the simulator's wires
def test_simulate_names_a_wire_it_cannot_read(tmp_path, boards):
    p = subprocess.run([BIN, "simulate", "cmi1020", "--pty", str(tmp_path / "m"), "--power", str(tmp_path / "none.json:1")],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "cannot read" in p.stderr and "none.json" in p.stderr, p.stderr
    lc = boards("lcus", "--pty", str(tmp_path / "lcus"))
    p = subprocess.run([BIN, "simulate", "cmi1020", "--pty", str(tmp_path / "m"), "--power", f"{lc.state}:9"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "no output '9'" in p.stderr and "outputs: 1, 2, 3, 4" in p.stderr, p.stderr
    p = subprocess.run([BIN, "simulate", "cmi1020", "--pty", str(tmp_path / "m"), "--button", f"{lc.state}:7"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and p.stderr.count("--button: ") == 1 and "no output '7'" in p.stderr, p.stderr
    p = subprocess.run([BIN, "simulate", "cmi1020w", "--power", str(tmp_path / "none.json:1")],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "--power/--rate-inputs: " in p.stderr and "none.json" in p.stderr, p.stderr
    p = subprocess.run([BIN, "simulate", "cmi1020w", "--telegrams", "1", "--power", f"{lc.state}:1"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "leave out --telegrams" in p.stderr, p.stderr


# ------------------------------------------------------------------------- end to end
RIG_CASES = "test_primary_address_survives_power_cycle or test_not_polled_bit or test_rate_inputs_in_fd1b"


# the button cases (CMi1020 §5.3, §5.4) a rig run takes: a toggle and the capacitor lock, a factory
# reset by a 15 s hold on power-up, a 5 s hold that resets nothing (about 80 s of real time)
BUTTON_CASES = "test_press_within_capacitor_lock or test_hold_resets_to_factory_defaults or test_short_hold_keeps_settings"


class LcusRig:
    """An emulated LCUS board, `simulate cmi1020 --pty` wired to it (relay 1 the supply, 2 and 3 the
    rate inputs A and B, 4 the push button), and a rig file."""

    def __init__(self, tmp_path, boards, rig=None, fault=()):
        self.board = boards("lcus", "--pty", str(tmp_path / "lcus"), *fault)
        s = self.board.state
        # relay 1 starts open: the module is unpowered until the run's operating state switches it on
        self.sim = Server("cmi1020", "--pty", str(tmp_path / "mbus"), "--power", f"{s}:1", "--rate-inputs", f"{s}:2,{s}:3",
                          "--button", f"{s}:4")
        self.rig = rig or EXAMPLES / "cmi1020-lcus.yaml"
        self.url = f"serial://{tmp_path / 'mbus'}?baud=2400"
        self.report = tmp_path / "report"

    def run_args(self, *extra, cases=RIG_CASES):
        return [BIN, "run", "--profile", "cmi1020", "--dut", self.url, "--rig", str(self.rig), "--report", str(self.report),
                "-k", cases, *extra]

    def run(self, cases=RIG_CASES, timeout=240):
        return subprocess.run(self.run_args(cases=cases), capture_output=True, text=True, timeout=timeout,
                              env=env(LG_LCUS_PORT=self.board.address))

    def record(self):
        return json.loads((self.report / "record.json").read_text())

    def stop(self):
        return self.sim.stop()


def test_cmi1020_run_through_an_lcus_rig(tmp_path, boards):
    r = LcusRig(tmp_path, boards)
    try:
        p = r.run()
    finally:
        rc, err = r.stop()
    assert p.returncode == 0, p.stdout + p.stderr
    rec = r.record()
    assert {c["id"]: c["outcome"] for c in rec["cases"]} == {
        "cmi1020/4.2.1/1": "passed", "cmi1020/5.1/1": "passed", "cmi1020/6.6/12": "passed"}
    # the simulator saw on its wire the power-up of the run's operating state (the module starts
    # unpowered: relay 1 open) and one cut and return per power case
    assert "3 power cycle(s) through the rig" in err and err.count("power off (") == 2, err
    # the board received the cycles: relay 1 off then on, twice, and the rate inputs' four combinations
    cmds = r.board.commands()
    assert cmds[0] == lcus(1, True)  # the operating state at the start of the run: supply on
    assert cmds.count(lcus(1, False)) == 2 and cmds.count(lcus(1, True)) == 3
    rate = [c for c in cmds if c[3:5] in ("02", "03")]
    assert rate[:2] == [lcus(2, False), lcus(3, False)]  # operating state: both inputs off
    assert rate[2:10] == [lcus(2, True), lcus(3, False), lcus(2, False), lcus(3, True), lcus(2, True), lcus(3, True),
                          lcus(2, False), lcus(3, False)]
    assert r.board.outputs() == {"1": True, "2": False, "3": False, "4": False}  # the safe state: power_safe on
    rig = rec["rig"]
    assert rig["safe_reached"] is True and rig["target"] == "cmi1020"
    cycle = [s for s in rig["switches"] if s["why"] == "cmi1020/5.1/1"]
    assert [(s["role"], s["state"]) for s in cycle] == [("power", "off"), ("power", "on")]
    case = next(c for c in rec["cases"] if c["id"] == "cmi1020/6.6/12")
    assert [(s["role"], s["state"]) for s in case["rig_switches"]] == [("power", "off"), ("power", "on")]
    assert (r.report / "rig-log.jsonl").read_text().count("\n") == len(rig["switches"])
    assert "every output left in its safe state" in p.stdout
    html = (r.report / "report.html").read_text()
    assert 'id="rig"' in html and "every output was left in its safe state" in html and "cmi1020/5.1/1" in html


def test_cmi1020_button_cases_through_an_lcus_rig(tmp_path, boards):
    """The push button through relay 4 (closed = pressed): the simulator sees every press on its
    --button wire; a press toggles the disconnector, one in the capacitor lock does not (§5.3), a
    15 s hold on power-up resets to the factory defaults and a 5 s hold does not (§5.4)."""
    r = LcusRig(tmp_path, boards)
    try:
        p = r.run(BUTTON_CASES, timeout=400)
    finally:
        rc, err = r.stop()
    assert p.returncode == 0, p.stdout + p.stderr
    assert {c["id"]: c["outcome"] for c in r.record()["cases"]} == {
        "cmi1020/5.3/2": "passed", "cmi1020/5.4/1": "passed", "cmi1020/5.4/2": "passed"}
    cmds = r.board.commands()
    # 5.3/2 presses twice, 5.4/1 and 5.4/2 hold once each: relay 4 closed four times, and released
    assert cmds.count(lcus(4, True)) == 4 and cmds.count(lcus(4, False)) >= 4, cmds
    assert "4 button press(es)" in err and err.count("button pressed (") == 4, err
    assert r.board.outputs()["4"] is False  # the safe state: released
    hold = [(s["role"], s["state"]) for s in r.record()["rig"]["switches"] if s["why"] == "cmi1020/5.4/1"]
    assert hold == [("button", True), ("power", "off"), ("power", "on"), ("button", False)], hold


def test_a_button_relay_that_never_closes_is_caught(tmp_path, boards):
    r = LcusRig(tmp_path, boards, fault=("--fault", "stuck:4"))
    try:
        p = r.run("test_hold_resets_to_factory_defaults or test_short_hold_keeps_settings", timeout=240)
    finally:
        rc, err = r.stop()
    outcomes = {c["id"]: c["outcome"] for c in r.record()["cases"]}
    # no press reaches the module: the 15 s hold resets nothing; the 5 s hold was to reset nothing anyway
    assert p.returncode == 1 and outcomes == {"cmi1020/5.4/1": "failed", "cmi1020/5.4/2": "passed"}, p.stdout + p.stderr
    assert "0 button press(es)" in err and r.board.commands().count(lcus(4, True)) == 2, err


def test_cmi1020w_first_telegram_after_power_up_through_an_lcus_rig(tmp_path, boards):
    """The CMi1020W behind the same LCUS rig (relay 1 its supply, 2 and 3 its rate inputs), heard
    through an emulated iM871A stick: cmi1020w/operation/1 cuts the supply through labgrid and
    times the first telegram after power-up on the receiver link's clock (~15 s, the red LED)."""
    key = "5E2D7B13A0C94F6188E0B3D72A6C19F4"  # the cmi1020w profile's test key
    board = boards("lcus", "--pty", str(tmp_path / "lcus"))
    s, stick, report = board.state, str(tmp_path / "im871a"), tmp_path / "report"
    sim = Server("cmi1020w", "--dongle", "im871a", "--pty", stick, "--key", key, "--interval", "5", "--power", f"{s}:1",
                 "--rate-inputs", f"{s}:2,{s}:3")
    try:
        p = subprocess.run([BIN, "run", "--profile", "cmi1020w", "--dut", f"wmbus+im871a://{stick}?mode=T1&key={key}",
                            "--rig", str(EXAMPLES / "cmi1020-lcus.yaml"), "--report", str(report),
                            "-k", "test_first_telegram_after_power_up"],
                           capture_output=True, text=True, timeout=240, env=env(LG_LCUS_PORT=board.address))
    finally:
        rc, err = sim.stop()
    assert p.returncode == 0, p.stdout + p.stderr
    rec = json.loads((report / "record.json").read_text())
    assert {c["id"]: c["outcome"] for c in rec["cases"]} == {"cmi1020w/operation/1": "passed"}
    # relay 1 starts open: the run's operating state powers the module up, the case cycles it once
    assert "2 power cycle(s) through the rig" in err and err.count("power off (") == 1, err
    assert key not in err and key not in p.stdout + p.stderr


def test_run_refuses_a_rig_file_it_cannot_use(tmp_path, boards):
    lc = boards("lcus", "--pty", str(tmp_path / "lcus"))
    base = [BIN, "run", "--profile", "cmi1020", "-k", RIG_CASES]
    p = subprocess.run(base + ["--rig", str(tmp_path / "none.yaml"), "--report", str(tmp_path / "r1")], capture_output=True,
                       text=True, timeout=60, env=env())
    assert p.returncode == 2 and "--rig" in p.stderr and "no such rig file" in p.stderr, p.stderr
    bad = write_rig(tmp_path / "bad.yaml", rate_b="rate_x")
    p = subprocess.run(base + ["--rig", str(bad), "--report", str(tmp_path / "r2")], capture_output=True, text=True,
                       timeout=120, env=env(LG_LCUS_PORT=lc.address))
    assert p.returncode == 2 and "targets.cmi1020.options.rate_input_b: no driver named 'rate_x'" in p.stderr, p.stderr
    assert not (tmp_path / "r2").exists() and lc.commands() == []  # nothing ran, nothing written, nothing switched


def test_the_default_run_takes_the_rig_cases_through_the_simulator(tmp_path):
    """Without --rig, sim:cmi1020 takes dut.power / dut.rate_inputs itself: the cases run."""
    p = subprocess.run([BIN, "run", "--profile", "cmi1020", "-k", RIG_CASES + " or test_rate_inputs_default_map or test_rate_mapping",
                        "--report", str(tmp_path / "r")], capture_output=True, text=True, timeout=120, env=env())
    assert p.returncode == 0, p.stdout + p.stderr
    rec = json.loads((tmp_path / "r" / "record.json").read_text())
    assert sorted(c["id"] for c in rec["cases"] if c["outcome"] == "passed") == [
        "cmi1020/4.2.1/1", "cmi1020/5.1/1", "cmi1020/6.6/12", "cmi1020/6.7.11/2", "cmi1020/6.7.12/1"]
    assert "rig" not in rec


def test_a_rig_case_without_a_rig_is_skipped_with_the_reason(tmp_path):
    sim = Server("cmi1020", "--pty", str(tmp_path / "mbus"))
    try:
        p = subprocess.run([BIN, "run", "--profile", "cmi1020", "--dut", f"serial://{tmp_path / 'mbus'}?baud=2400", "-k", RIG_CASES,
                            "--report", str(tmp_path / "r")], capture_output=True, text=True, timeout=120, env=env())
    finally:
        sim.stop()
    assert p.returncode == 3, p.stdout + p.stderr
    rec = json.loads((tmp_path / "r" / "record.json").read_text())
    reasons = {c["id"]: c.get("reason", "") for c in rec["cases"]}
    assert reasons["cmi1020/5.1/1"].startswith("needs power: ") and "--rig FILE" in reasons["cmi1020/5.1/1"]
    assert reasons["cmi1020/4.2.1/1"].startswith("needs rate_inputs: ")


def test_cmi1020_run_through_a_tasmota_plug_and_a_modbus_coil_board(tmp_path, boards):
    """The shipped Modbus/Tasmota example: labgrid's TasmotaPowerDriver (MQTT through the board's
    own mosquitto) cuts the simulated module's supply, metercert's ModbusRelayDriver sets its rate
    inputs through pymodbus coils 0 and 1."""
    ta = boards("tasmota")
    mb = boards("modbus")
    host, port = mb.address.rsplit(":", 1)
    sim = Server("cmi1020", "--pty", str(tmp_path / "mbus"), "--power", f"{ta.state}:POWER", "--rate-inputs",
                 f"{mb.state}:0,{mb.state}:1")
    try:
        p = subprocess.run([BIN, "run", "--profile", "cmi1020", "--dut", f"serial://{tmp_path / 'mbus'}?baud=2400", "--rig",
                            str(EXAMPLES / "cmi1020-modbus-tasmota.yaml"), "--report", str(tmp_path / "r"), "-k", RIG_CASES],
                           capture_output=True, text=True, timeout=240,
                           env=env(LG_MQTT_HOST=ta.address, LG_MODBUS_HOST=host, LG_MODBUS_PORT=port))
    finally:
        rc, err = sim.stop()
    assert p.returncode == 0, p.stdout + p.stderr
    rec = json.loads((tmp_path / "r" / "record.json").read_text())
    assert {c["id"]: c["outcome"] for c in rec["cases"]} == {
        "cmi1020/4.2.1/1": "passed", "cmi1020/5.1/1": "passed", "cmi1020/6.6/12": "passed"}
    assert "3 power cycle(s) through the rig" in err, err
    power = [c for c in ta.commands() if c.endswith((" ON", " OFF"))]
    assert power == ["cmnd/plug/POWER ON", "cmnd/plug/POWER OFF", "cmnd/plug/POWER ON", "cmnd/plug/POWER OFF",
                     "cmnd/plug/POWER ON"], power
    assert mb.commands()[2:10] == ["write coil 0 ON", "write coil 1 OFF", "write coil 0 OFF", "write coil 1 ON",
                                   "write coil 0 ON", "write coil 1 ON", "write coil 0 OFF", "write coil 1 OFF"]
    assert ta.outputs() == {"POWER": True} and mb.outputs() == {"0": False, "1": False, "2": False, "3": False}


def test_the_dut_line_from_the_rig_files_raw_serial_port(tmp_path, boards):
    """A target's labgrid RawSerialPort is the DUT's line: `run --rig` without --dut certifies it."""
    rig = write_rig(tmp_path / "rig.yaml", dut_port=tmp_path / "mbus")
    r = LcusRig(tmp_path, boards, rig=rig)
    try:
        p = subprocess.run([BIN, "run", "--profile", "cmi1020", "--rig", str(rig), "--report", str(r.report), "-k", RIG_CASES],
                           capture_output=True, text=True, timeout=240, env=env(LG_LCUS_PORT=r.board.address))
    finally:
        rc, err = r.stop()
    assert p.returncode == 0, p.stdout + p.stderr
    rec = r.record()
    assert rec["dut"]["url"] == f"serial://{tmp_path / 'mbus'}?baud=2400" and rec["dut"]["simulated"] is False, rec["dut"]
    assert [c["outcome"] for c in rec["cases"]] == ["passed"] * 3 and "3 power cycle(s) through the rig" in err


def test_a_supply_relay_that_never_closes_is_caught(tmp_path, boards):
    r = LcusRig(tmp_path, boards, fault=("--fault", "stuck:1"))
    try:
        p = r.run()  # the module is never powered: no case finds it
    finally:
        rc, err = r.stop()
    outcomes = {c["id"]: c["outcome"] for c in r.record()["cases"]}
    assert p.returncode == 1 and outcomes == {"cmi1020/4.2.1/1": "failed", "cmi1020/5.1/1": "failed",
                                             "cmi1020/6.6/12": "failed"}, p.stdout + p.stderr
    assert r.board.outputs()["1"] is False and "0 power cycle(s) through the rig" in err, err


def test_a_welded_supply_relay_is_caught_and_the_failed_case_leaves_the_safe_state(tmp_path, boards):
    """The supply relay's contact is welded shut: the module is powered but the power cycle never
    cuts it, so 'not polled yet' never shows (6.6/12 fails); the failed case sets the safe state the
    file declares (power_safe off), which the next case leaves again for its operating state."""
    rig = write_rig(tmp_path / "rig.yaml", power_safe='"off"')
    r = LcusRig(tmp_path, boards, rig=rig, fault=("--fault", "welded:1"))
    try:
        p = r.run()
    finally:
        rc, err = r.stop()
    rec = r.record()
    outcomes = {c["id"]: c["outcome"] for c in rec["cases"]}
    assert p.returncode == 1 and outcomes == {"cmi1020/4.2.1/1": "passed", "cmi1020/5.1/1": "passed",
                                             "cmi1020/6.6/12": "failed"}, p.stdout + p.stderr
    assert "0 power cycle(s) through the rig" in err and "power off" not in err, err
    assert r.board.commands().count(lcus(1, False)) >= 2  # the board was told to cut: its relay did not
    safe = [s for s in rec["rig"]["switches"] if s["why"].startswith("safe state: cmi1020/6.6/12 failed")]
    assert [(s["role"], s["state"]) for s in safe] == [("power", "off")], rec["rig"]["switches"]


def test_swapped_rate_input_channels_are_caught(tmp_path, boards):
    rig = write_rig(tmp_path / "rig.yaml", channels=(1, 3, 2, 4))  # A on relay 3, B on relay 2
    r = LcusRig(tmp_path, boards, rig=rig)
    try:
        p = r.run()
    finally:
        r.stop()
    outcomes = {c["id"]: c["outcome"] for c in r.record()["cases"]}
    assert p.returncode == 1 and outcomes == {"cmi1020/4.2.1/1": "failed", "cmi1020/5.1/1": "passed",
                                             "cmi1020/6.6/12": "passed"}, p.stdout + p.stderr
    case = next(c for c in r.record()["cases"] if c["id"] == "cmi1020/4.2.1/1")
    assert case["expected"] == "[2, 1, 3, 0]" and case["actual"] == "[1, 2, 3, 0]", case


def test_killing_the_run_leaves_every_output_safe(tmp_path, boards):
    rig = write_rig(tmp_path / "rig.yaml", power_safe='"off"')
    r = LcusRig(tmp_path, boards, rig=rig)
    proc = subprocess.Popen(r.run_args(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env(LG_LCUS_PORT=r.board.address))
    try:
        log = r.report / "rig-log.jsonl"
        deadline = time.monotonic() + 90
        # wait until a case has switched something (a relay is away from its safe state)
        while time.monotonic() < deadline:
            if log.exists() and '"why": "cmi1020/' in log.read_text():
                break
            time.sleep(0.05)
        else:
            raise AssertionError("no case switched the rig within 90 s")
        assert r.board.outputs()["1"] is True or lcus(1, False) in r.board.commands()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        r.stop()
    assert proc.returncode == 143, out + err
    # the board itself says: every relay open (power_safe off, rate inputs off, button released)
    assert r.board.outputs() == {"1": False, "2": False, "3": False, "4": False}
    assert r.board.commands()[-1] == lcus(1, False)
    rec = r.record()
    assert rec["interrupted_by"] == "SIGTERM" and rec["rig"]["safe_reached"] is True
    assert rec["rig"]["switches"][-1]["why"] == "safe state: the run was stopped by SIGTERM"


def test_a_button_on_the_wrong_channel_is_caught(tmp_path, boards):
    """The rig file binds the button to relay 3 (rate input B's) instead of 4: a hold switches rate
    input B, the module's button is never pressed, and the factory reset by the button fails."""
    rig = write_rig(tmp_path / "rig.yaml", channels=(1, 2, 3, 3))
    r = LcusRig(tmp_path, boards, rig=rig)
    try:
        p = r.run("test_hold_resets_to_factory_defaults", timeout=240)
    finally:
        rc, err = r.stop()
    outcomes = {c["id"]: c["outcome"] for c in r.record()["cases"]}
    assert p.returncode == 1 and outcomes == {"cmi1020/5.4/1": "failed"}, p.stdout + p.stderr
    assert "0 button press(es)" in err and lcus(3, True) in r.board.commands() and lcus(4, True) not in r.board.commands(), err


def test_cmi6110_activation_through_an_lcus_boards_wire(tmp_path, boards):
    """CMi6110 §5.3.5 through a real relay protocol: the LCUS bytes close relay 4 (the button wire of
    `simulate cmi6110 --button`) for 6 s while the simulator watches; the passive module is
    activated and its first uplink follows the release (ERRATA E-111, E-112). Relay 3 closed for
    2 s only, on a second module, activates nothing."""
    import termios
    import tty
    from datetime import datetime
    lc = boards("lcus", "--pty", str(tmp_path / "lcus"))

    def send(ch, on):
        fd = os.open(str(tmp_path / "lcus"), os.O_RDWR | os.O_NOCTTY)
        try:
            tty.setraw(fd)
            termios.tcflush(fd, termios.TCIFLUSH)
            os.write(fd, bytes.fromhex(lcus(ch, on)))
            time.sleep(0.2)
        finally:
            os.close(fd)

    def module(ch):
        return subprocess.Popen([BIN, "simulate", "cmi6110", "--start", "2019-11-28T00:00Z", "--days", "1", "--power-mode",
                                 "passive", "--button", f"{lc.state}:{ch}", "--watch", "10"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    long_press, short_press = module(4), module(3)
    try:
        time.sleep(1)
        send(4, True)
        send(3, True)
        time.sleep(1.8)
        send(3, False)
        time.sleep(4)
        send(4, False)
        out4, err4 = long_press.communicate(timeout=60)
        out3, err3 = short_press.communicate(timeout=60)
    finally:
        long_press.kill()
        short_press.kill()
    assert long_press.returncode == 0 and short_press.returncode == 0, (err4, err3)
    assert "button pressed" in err4 and "button released" in err4, err4
    up = [json.loads(line) for line in out4.splitlines()[1:]]
    assert up, err4
    first = datetime.strptime(up[0]["time"], "%Y-%m-%dT%H:%M:%SZ")
    assert datetime(2019, 11, 28, 0, 0, 6) <= first <= datetime(2019, 11, 28, 0, 0, 10 + 30 + 1), up[0]["time"]
    assert out3.splitlines()[1:] == [], err3  # a 2 s press: still passive (§5.3.5 "at least 5 seconds")
