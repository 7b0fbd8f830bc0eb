"""The optical probe (README "Rigs", rigs/README.md "The optical probe"): metercert's IEC 62056-21
mode C client (metercert.rig.probe) against a meter scripted here on a pty and against the E350 of
`simulate cmi1020 --probe-pty`, the probe role of a rig file, and a cmi1020 run through a rig with
a probe where the ground-truth cases (cmi1020/6.6/17, /18) run and pass.

Expectations are IEC 62056-21's framing written out here (request `/?!` CR LF, ACK V Z Y CR LF,
STX … ETX BCC with BCC the XOR after STX up to ETX) and the real E350 readout
(vectors/obis/lgz-zmf100ac-m26.readout, a copy of the capture in the shared data: identification
`/LGZ4ZMF100AC.M26`, 22 data lines, BCC 0x01)."""
import json
import os
import pathlib
import select
import subprocess
import termios
import threading
import time

import pytest

from conftest import BIN, ROOT, Server
from test_rig import EXAMPLES, Board, env, rig_check  # noqa: F401  (Board: the boards fixture's)
from test_rig import boards  # noqa: F401  (the fixture)

pytest.importorskip("labgrid")

REAL = (ROOT / "vectors" / "obis" / "lgz-zmf100ac-m26.readout").read_bytes()
IDENT = b"/LGZ4ZMF100AC.M26\r\n"
DATA = REAL[len(IDENT):]  # STX … "!" CR LF ETX BCC
PROBE_CASES = "test_growing_registers_between_probe_readouts or test_other_records_equal_the_probe_readouts"


def probe_module():
    from metercert.rig import probe  # PYTHONPATH=build/python, as for every test here
    return probe


def test_the_real_readout_is_what_the_notes_say():
    assert REAL.startswith(IDENT) and DATA[0] == 0x02 and DATA[-2] == 0x03
    bcc = 0
    for c in DATA[1:-1]:
        bcc ^= c
    assert bcc == DATA[-1] == 0x01
    assert DATA.count(b"\r\n") == 23  # 22 data lines and "!"


# ------------------------------------------------------------------ a meter scripted on a pty


class ScriptedMeter:
    """A pty whose master side is a meter answering each message with what `script` says: a
    function of the bytes received so far → bytes to send (once per line end received)."""

    def __init__(self, script):
        self.master, slave = os.openpty()
        self.path = os.ttyname(slave)
        attr = termios.tcgetattr(slave)  # raw on the meter's side
        attr[0] = attr[1] = attr[3] = 0
        attr[2] = termios.CS8 | termios.CREAD | termios.CLOCAL
        termios.tcsetattr(slave, termios.TCSANOW, attr)
        self._keep = slave
        self.received = b""
        self.script = script
        self._stop = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        deadline = time.monotonic() + 30
        while not self._stop and time.monotonic() < deadline:
            if not select.select([self.master], [], [], 0.05)[0]:
                continue
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                return
            self.received += chunk
            if chunk.endswith(b"\n"):
                out = self.script(self.received)
                if out:
                    os.write(self.master, out)

    def close(self):
        self._stop = True
        self.thread.join(5)
        os.close(self.master)
        os.close(self._keep)


def real_meter(received: bytes) -> bytes:
    if received.endswith(b"/?!\r\n"):
        return IDENT
    if received.endswith(b"\x06" + b"040\r\n"):
        return DATA
    return b""


def test_the_probe_runs_mode_c_byte_for_byte():
    probe = probe_module()
    m = ScriptedMeter(real_meter)
    try:
        r = probe.OpticalProbe(m.path).read()
    finally:
        m.close()
    # request, then the option select of the identification's Z '4' (4800 Bd), data readout
    assert m.received == b"/?!\r\n" + b"\x06040\r\n"
    assert r.bytes == REAL and r.baud == 4800
    assert (r.readout["manufacturer"], r.readout["baud_char"], r.readout["identification"]) == ("LGZ", "4", "ZMF100AC.M26")
    assert len(r.readout["lines"]) == 22 and r.value("1.8.1") == ("042951.721", "kWh") and r.value("C.5.0") == ("0401", "")


def test_the_probe_selects_no_more_than_its_highest_rate():
    probe = probe_module()
    m = ScriptedMeter(lambda rx: IDENT if rx.endswith(b"/?!\r\n") else DATA if rx.endswith(b"\x06" + b"030\r\n") else b"")
    try:
        r = probe.OpticalProbe(m.path, max_baud=2400).read()
    finally:
        m.close()
    assert m.received.endswith(b"\x06030\r\n") and r.baud == 2400


@pytest.mark.parametrize("answer,name,message,offset", [
    ({}, "no_identification", None, None),
    ({"ident": b"/LGZ4ZMF1"}, "identification_timeout", "identification", 9),
    ({"ident": b"/LG"}, "identification_timeout", "identification", 3),
    ({"ident": b"/LGZ8ZMF100AC.M26\r\n"}, "bad_identification", "identification", 4),   # Z '8': no mode C rate
    ({"ident": b"LGZ4ZMF100AC.M26\r\n"}, "bad_identification", "identification", 0),    # no '/'
    ({"ident": b"/LGZ4ZMF\xb100AC.M26\r\n"}, "parity_error", "identification", 8),      # not 7-bit
    ({"ident": IDENT}, "no_data_message", None, None),
    ({"ident": IDENT, "data": DATA[:100]}, "data_timeout", "data", 100),                  # no ETX
    ({"ident": IDENT, "data": DATA[:-1]}, "data_timeout", "data", len(DATA) - 1),         # ETX, no BCC
    ({"ident": IDENT, "data": DATA[:-1] + b"\x02"}, "bad_bcc", "data", len(DATA) - 1),
    ({"ident": IDENT, "data": DATA.replace(b"1.8.1(", b"1.8.1 ")[:-1] + bytes([DATA[-1] ^ ord("(") ^ ord(" ")])},
     "bad_readout", None, None),                                                          # the reference parser's verdict
])
def test_the_probe_names_each_failure(answer, name, message, offset):
    probe = probe_module()

    def script(rx):
        if rx.endswith(b"/?!\r\n"):
            return answer.get("ident", b"")
        if rx.endswith(b"\x06040\r\n"):
            return answer.get("data", b"")
        return b""
    m = ScriptedMeter(script)
    try:
        with pytest.raises(probe.ProbeError) as e:
            probe.OpticalProbe(m.path).read()
    finally:
        m.close()
    assert (e.value.name, e.value.message, e.value.offset) == (name, message, offset), str(e.value)
    if name == "bad_readout":
        assert "line 6" in str(e.value) and "bad_data_line" in str(e.value)


def test_a_port_that_is_not_there_is_named(tmp_path):
    probe = probe_module()
    with pytest.raises(probe.ProbeError) as e:
        probe.OpticalProbe(tmp_path / "none").read()
    assert e.value.name == "port" and "none" in str(e.value)


# -------------------------------------------------------- the simulator's meter on a pty


def raw_exchanges(path: str, acks: list[bytes]) -> list[tuple[bytes, bytes]]:
    """Mode C written out by hand (no metercert code), once per option select: request,
    identification, option select, data."""
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
    try:
        attr = termios.tcgetattr(fd)
        attr[0] = attr[1] = attr[3] = 0
        attr[2] = termios.CS7 | termios.PARENB | termios.CREAD | termios.CLOCAL
        attr[4] = attr[5] = termios.B300
        termios.tcsetattr(fd, termios.TCSANOW, attr)

        def until(done, limit=3.0):
            got, end = b"", time.monotonic() + limit
            while not done(got) and time.monotonic() < end:
                if select.select([fd], [], [], 0.1)[0]:
                    got += os.read(fd, 4096)
            return got
        out = []
        for ack in acks:
            os.write(fd, b"/?!\r\n")
            ident = until(lambda b: b.endswith(b"\r\n"))
            os.write(fd, ack)
            out.append((ident, until(lambda b: len(b) >= 2 and b[-2] == 0x03, 3.0 if ack.endswith(b"0\r\n") else 1.0)))
        return out
    finally:
        os.close(fd)


def test_simulate_cmi1020_answers_on_its_probe_pty_with_the_real_readout(tmp_path):
    sim = Server("cmi1020", "--pty", str(tmp_path / "mbus"), "--probe-pty", str(tmp_path / "probe"))
    try:
        assert sim.ready["identity"]["probe_pty"] == str(tmp_path / "probe")
        # 4800 Bd data readout; programming mode (Y '1'): not answered; 300 Bd data readout
        assert raw_exchanges(str(tmp_path / "probe"), [b"\x06040\r\n", b"\x06041\r\n", b"\x06000\r\n"]) == [
            (IDENT, DATA), (IDENT, b""), (IDENT, DATA)]
    finally:
        rc, err = sim.stop()
    assert rc == 0 and "2 readout(s) through the optical probe" in err, err


@pytest.mark.parametrize("fault,name,message,offset", [
    ("no_meter", "no_identification", None, None),
    ("id_timeout", "no_identification", None, None),
    ("id_receive_error", "parity_error", "identification", 6),
    ("unexpected_id_char", "bad_identification", "identification", 5),
    ("readout_timeout", "data_timeout", "data", None),
    ("receive_error", "bad_bcc", "data", len(DATA) - 1),
])
def test_the_meter_faults_reach_the_probe(tmp_path, fault, name, message, offset):
    probe = probe_module()
    sim = Server("cmi1020", "--pty", str(tmp_path / "mbus"), "--probe-pty", str(tmp_path / "probe"), "--meter-fault", fault)
    try:
        with pytest.raises(probe.ProbeError) as e:
            probe.OpticalProbe(str(tmp_path / "probe")).read()
    finally:
        sim.stop()
    assert (e.value.name, e.value.message) == (name, message), str(e.value)
    if offset is not None:
        assert e.value.offset == offset, str(e.value)


def kwh(readout: bytes, code: str) -> float:
    """The value of the data line CODE(…*kWh), found by hand in the readout's text."""
    text = readout.decode("ascii")
    start = text.index("\n" + code + "(") + len(code) + 2
    return float(text[start:text.index("*kWh)", start)])


def test_a_load_grows_the_meter_on_the_simulators_clock(tmp_path):
    """--load 3600000 W is 1 kWh per second: two probe readouts of the same meter lie as far apart in
    1.8.1, 1.8.0 and 15.8.0 as the seconds between them (the meter's clock is the simulator's)."""
    probe = probe_module()
    sim = Server("cmi1020", "--pty", str(tmp_path / "mbus"), "--probe-pty", str(tmp_path / "probe"), "--load", "3600000")
    try:
        t0 = time.monotonic()
        a = probe.OpticalProbe(str(tmp_path / "probe")).read()
        t1 = time.monotonic()
        time.sleep(2.0)
        t2 = time.monotonic()
        b = probe.OpticalProbe(str(tmp_path / "probe")).read()
        t3 = time.monotonic()
    finally:
        sim.stop()
    for code in ("1.8.1", "1.8.0", "15.8.0"):
        grown = kwh(b.bytes, code) - kwh(a.bytes, code)
        assert t2 - t1 - 0.01 <= grown <= t3 - t0 + 0.01, (code, grown, t3 - t0)
    assert kwh(b.bytes, "1.8.2") == kwh(a.bytes, "1.8.2") == 18609.568  # another tariff: as in the capture
    assert kwh(b.bytes, "2.8.0") == 10.490


def test_the_meter_answers_while_the_rig_cuts_the_modules_supply(tmp_path, boards):
    """The meter has its own supply: with the LCUS board's relay 1 (the module's supply) open, as an
    emulated board starts, the probe still reads it."""
    probe = probe_module()
    board = boards("lcus", "--pty", str(tmp_path / "lcus"))
    assert board.outputs()["1"] is False
    sim = Server("cmi1020", "--pty", str(tmp_path / "mbus"), "--probe-pty", str(tmp_path / "probe"),
                 "--power", f"{board.state}:1")
    try:
        r = probe.OpticalProbe(str(tmp_path / "probe")).read()
    finally:
        sim.stop()
    assert r.bytes == REAL


def test_the_probe_cases_pass_in_process_with_a_growing_meter(tmp_path):
    p = subprocess.run([BIN, "run", "--profile", "cmi1020", "--dut", "sim:cmi1020?load=3600000", "-k", PROBE_CASES,
                        "--report", str(tmp_path / "r")], capture_output=True, text=True, timeout=120, env=env())
    assert p.returncode == 0, p.stdout + p.stderr
    rec = json.loads((tmp_path / "r" / "record.json").read_text())
    assert {c["id"]: c["outcome"] for c in rec["cases"]} == {"cmi1020/6.6/17": "passed", "cmi1020/6.6/18": "passed"}


# ---------------------------------------------------------------------------- rig files


def probe_rig(path: pathlib.Path, probe="optical", extra_resource="", max_baud="") -> pathlib.Path:
    path.write_text(f"""targets:
  cmi1020:
    resources:
      - RawSerialPort: {{name: mbus, port: /dev/null, speed: 2400}}
      - RawSerialPort: {{name: optical, port: /dev/null, speed: 300}}
{extra_resource}    drivers: {{}}
    options:
      probe: {probe}
{max_baud}""")
    return path


def test_rig_check_names_a_wrong_probe(tmp_path):
    p = rig_check(probe_rig(tmp_path / "ok.yaml"))
    assert p.returncode == 0 and "probe = optical (RawSerialPort /dev/null)" in p.stdout, p.stdout + p.stderr
    p = rig_check(probe_rig(tmp_path / "none.yaml", probe="eye"))
    assert p.returncode == 1 and "targets.cmi1020.options.probe: no resource named 'eye'" in p.stderr, p.stderr
    assert "named serial resources: mbus, optical" in p.stderr
    p = rig_check(probe_rig(tmp_path / "net.yaml", probe="net",
                            extra_resource="      - NetworkSerialPort: {name: net, host: 127.0.0.1, port: 4001}\n"))
    assert p.returncode == 1 and "resource 'net' is a NetworkSerialPort, not a local serial port" in p.stderr, p.stderr
    p = rig_check(probe_rig(tmp_path / "baud.yaml", max_baud="      probe_max_baud: 57600\n"))
    assert p.returncode == 1 and "targets.cmi1020.options.probe_max_baud: 57600: expected a mode C rate" in p.stderr, p.stderr


def test_rig_check_exercise_reads_the_meter_through_the_probe(tmp_path):
    sim = Server("cmi1020", "--pty", str(tmp_path / "mbus"), "--probe-pty", str(tmp_path / "probe"))
    try:
        rig = probe_rig(tmp_path / "rig.yaml").read_text().replace("port: /dev/null, speed: 300",
                                                                    f"port: {tmp_path / 'probe'}, speed: 300")
        (tmp_path / "rig.yaml").write_text(rig)
        p = rig_check(tmp_path / "rig.yaml", "--exercise")
    finally:
        sim.stop()
    assert p.returncode == 0, p.stdout + p.stderr
    assert "probe         optical: /LGZ4ZMF100AC.M26, 22 data line(s) at 4800 Bd, BCC good" in p.stdout, p.stdout


def test_the_probe_cases_without_a_probe_are_skipped_with_the_reason(tmp_path):
    sim = Server("cmi1020", "--pty", str(tmp_path / "mbus"))
    try:
        p = subprocess.run([BIN, "run", "--profile", "cmi1020", "--dut", f"serial://{tmp_path / 'mbus'}?baud=2400",
                            "-k", PROBE_CASES, "--report", str(tmp_path / "r")], capture_output=True, text=True,
                           timeout=120, env=env())
    finally:
        sim.stop()
    assert p.returncode == 3, p.stdout + p.stderr  # INCOMPLETE: must cases not verified
    rec = json.loads((tmp_path / "r" / "record.json").read_text())
    for c in rec["cases"]:
        assert c["outcome"] == "skipped" and c["reason"].startswith("needs meter.probe: an IEC 62056-21 optical probe"), c


def test_cmi1020_run_through_a_rig_with_a_probe(tmp_path, boards):
    """The shipped example rig file: an emulated LCUS board wired into `simulate cmi1020`, whose
    first slave's E350 answers on the probe's pty and grows by 1 kWh per second (--load); the
    ground-truth cases run through it and pass: the module's energy lies between the probe's."""
    board = boards("lcus", "--pty", str(tmp_path / "lcus"))
    s = board.state
    sim = Server("cmi1020", "--pty", str(tmp_path / "mbus"), "--probe-pty", str(tmp_path / "probe"), "--load", "3600000",
                 "--power", f"{s}:1", "--rate-inputs", f"{s}:2,{s}:3")
    try:
        p = subprocess.run([BIN, "run", "--profile", "cmi1020", "--rig", str(EXAMPLES / "cmi1020-lcus-probe.yaml"),
                            "-k", PROBE_CASES, "--report", str(tmp_path / "r")], capture_output=True, text=True,
                           timeout=300, env=env(LG_LCUS_PORT=board.address, LG_MBUS_PORT=str(tmp_path / "mbus"),
                                                LG_PROBE_PORT=str(tmp_path / "probe")))
    finally:
        rc, err = sim.stop()
    assert p.returncode == 0, p.stdout + p.stderr
    rec = json.loads((tmp_path / "r" / "record.json").read_text())
    assert rec["dut"]["url"] == f"serial://{tmp_path / 'mbus'}?baud=2400"  # the rig's line, not the probe's port
    assert {c["id"]: c["outcome"] for c in rec["cases"]} == {"cmi1020/6.6/17": "passed", "cmi1020/6.6/18": "passed"}
    # two readouts per case, each seen by the simulated meter, each at the identification's 4800 Bd
    assert "4 readout(s) through the optical probe" in err, err
    rig = rec["rig"]
    assert rig["roles"]["probe"] == {"driver": "optical", "class": "RawSerialPort", "port": str(tmp_path / "probe")}
    assert [r["baud"] for r in rig["probe_readouts"]] == [4800] * 4
    assert all(r["bytes"] == len(REAL) for r in rig["probe_readouts"])
    assert board.outputs()["1"] is True  # the supply was switched on for the run and left on (power_safe on)
