"""`metercert run`: the verdict is never PASS for what was not checked (INCOMPLETE, exit 3), an
error of the suite is an ERROR outcome and not the DUT's failure, usage errors exit 2 and write
nothing, reports never overwrite earlier evidence, SIGINT/SIGTERM stop everything cleanly, and no
secret reaches any output."""
import json
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import BIN, ROOT, ready_of, tcp_port

READOUT = ROOT / "vectors" / "obis" / "lgz-zmf100ac-m26.readout"


def run(*args, cwd=None, timeout=300):
    return subprocess.run([os.path.abspath(BIN), "run", *args], capture_output=True, text=True, timeout=timeout, cwd=cwd)


def record(path):
    return json.loads((path / "record.json").read_text())


class TcpSim:
    """`metercert simulate cmi1020` on a free loopback port: a CMi1020 as a master sees it behind a
    transparent gateway (no simulator access, no line timing)."""

    def __enter__(self):
        self.proc = subprocess.Popen([os.path.abspath(BIN), "simulate", "cmi1020", "--listen", "tcp://127.0.0.1:0"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.url = f"tcp://127.0.0.1:{tcp_port(ready_of(self.proc))}"
        time.sleep(2.2)  # the slave's first meter readout
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def test_default_run_passes_and_writes_every_report(tmp_path):
    p = run(cwd=tmp_path)  # no options: every profile against the built-in simulators
    assert p.returncode == 0, p.stdout + p.stderr
    [rep] = list((tmp_path / "reports").iterdir())
    assert re.fullmatch(r"\d{8}T\d{6}Z", rep.name)  # reports/<UTC timestamp>/
    rec = record(rep)
    assert rec["schema"] == "metercert_record_v2" and rec["verdict"] == "PASS" and rec["complete"] is True
    s = rec["summary"]
    # nothing skipped but the long cases (`metercert run --long`: cmi6110/7.5/4, ERRATA E-155), each with that reason
    long_cases = [c for c in rec["cases"] if c["outcome"] == "skipped" and "metercert run --long" in (c.get("reason") or "")]
    assert [c["id"] for c in long_cases] == ["cmi6110/7.5/4"]
    assert s["must"]["passed"] == s["must"]["total"] > 0 and s["skipped"] == len(long_cases) and s["not_verified"] == []
    # each profile against its own simulator, each identity read from the device (the gateway's slave behind it)
    profiles = rec["dut"]["profiles"]
    assert set(profiles) == {"cmi1020", "cmi1020w", "cme3000", "cme3100-master", "cmi6110"}
    assert profiles["cmi6110"]["meter_id"] == "12345678" and profiles["cmi6110"]["encoder"] == "type 0, version 0"
    assert profiles["cmi1020"]["manufacturer"] == "ELV" and profiles["cmi1020"]["id"] == "13647123"
    assert profiles["cme3000"]["url"] == "sim:cme3000?time_scale=5" and profiles["cme3000"]["reached_at"].startswith("tcp://127.0.0.1:") and "gateway" in profiles["cme3000"]["kind"]
    assert profiles["cme3000"]["slave"]["id"] == "13647123"
    # the CMi1020W's identity from its first telegram; its URL without the key
    assert profiles["cmi1020w"]["url"] == "sim:cmi1020w?key=<redacted>" and profiles["cmi1020w"]["id"] == "13647123"
    prov = rec["provenance"]
    assert re.fullmatch(r"[0-9a-f]{64}", prov["vectors_sha256"]) and prov["command_line"][1:] == ["run"]
    assert prov["python"] == sys.version.split()[0] and prov["pytest"] == pytest.__version__
    ids = [c["id"] for c in rec["cases"]]
    assert {"cmi1020/6.7.1/1", "cme3000/6.3/1", "cme3100-master/6.5.3/1"} <= set(ids) and len(ids) == len(set(ids))
    for c in rec["cases"]:
        assert c["requirement"] and c["level"] in ("must", "should", "implementation-defined")
        if c["profile"] == "cmi1020" or (c["profile"] == "cmi1020w" and c["id"] != "cmi1020w/led-indications/1"):
            # every CMi1020 case exchanged frames with the DUT, every CMi1020W case heard telegrams (but the one
            # that requires silence: no C.1.0, nothing transmitted)
            assert c["evidence"]["frames"], c["id"]
    timeout = next(c for c in rec["cases"] if c["id"] == "cme3000/table3/1")["measurements"][0]
    assert timeout["unit"] == "s" and timeout["low"] == 9.5 and timeout["high"] == 11.0 and timeout["within"]
    # record.jsonl: one line per case, as each ended
    lines = (rep / "record.jsonl").read_text().splitlines()
    assert [json.loads(x)["id"] for x in lines] == ids
    junit = ET.parse(rep / "junit.xml").getroot()
    assert {s.get("name") for s in junit.iter("testsuite")} == set(profiles)
    assert sum(int(s.get("tests")) for s in junit.iter("testsuite")) == len(ids)
    assert {p.get("value") for p in junit.iter("property") if p.get("name") == "verdict"} == {"PASS"}
    html = (rep / "report.html").read_text()
    assert "PASS" in html and "cmi1020/6.7.7/1" in html and "cme3000/table3/1" in html
    assert not re.search(r"<(link|script)[^>]+(href|src)=", html)  # self-contained: no network needed
    assert "verdict PASS" in p.stdout
    # progress: one line per case with its id; pytest's own output stays out of the terminal
    assert re.search(r"^\[\s*1/\d+\] pass\s+\S+", p.stdout, re.M) and "cme3000/table3/1" in p.stdout
    assert "passed in" not in p.stdout and "PytestUnknownMarkWarning" not in p.stdout + p.stderr
    # capture.pcap holds every wired frame of every case, in order, with our link type 147;
    # capture-wmbus.pcap the received wireless telegrams (link type 148)
    import metercert
    pkts = metercert.read_pcap(str(rep / "capture.pcap"))
    wired = [f for c in rec["cases"] for f in c["evidence"]["frames"] if f["link"] == "mbus"]
    assert len(pkts) == len(wired) and pkts[0]["bytes"].hex().upper() == wired[0]["hex"]
    radio = [f for c in rec["cases"] for f in c["evidence"]["frames"] if f["link"] == "wmbus"]
    assert radio and int.from_bytes((rep / "capture-wmbus.pcap").read_bytes()[20:24], "little") == 148


def test_a_deviating_dut_fails_the_cases_that_cover_it(tmp_path):
    p = run("--dut", "sim:cmi1020?address=5", "--profile", "cmi1020", "--report", str(tmp_path / "r"))
    assert p.returncode == 1, p.stdout + p.stderr
    rec = record(tmp_path / "r")
    assert rec["verdict"] == "FAIL"
    failed = {c["id"]: c for c in rec["cases"] if c["outcome"] == "failed"}
    snd_nke = failed["cmi1020/6.7.1/1"]
    assert snd_nke["expected"] == "'frame'" and snd_nke["actual"] == "'timeout'"
    assert snd_nke["evidence"]["frames"][0]["hex"] == "1040004016"
    assert "cmi1020/6.7.1/3" not in failed  # a case that does not depend on the address still passes
    assert not [c for c in rec["cases"] if c["outcome"] == "error"]  # the DUT's deviation is never the suite's error
    assert "FAILED cmi1020/6.7.1/1 (must)" in p.stdout
    assert "Failures" in (tmp_path / "r" / "report.html").read_text()


def test_usage_and_infrastructure_errors_exit_2_and_write_nothing(tmp_path):
    p = run("--dut", "tcp://127.0.0.1:1", "--report", str(tmp_path / "a"))
    assert p.returncode == 2 and "connect_failed" in p.stderr
    p = run("--profile", "nosuch", "--report", str(tmp_path / "b"))
    assert p.returncode == 2 and "unknown profile" in p.stderr
    p = run("--dut", "sim:cmi1020?count=x", "--report", str(tmp_path / "c"))
    assert p.returncode == 2
    # a selection that runs no case
    p = run("--profile", "cmi1020", "-k", "nothing_is_called_this", "--report", str(tmp_path / "d"))
    assert p.returncode == 2 and "runs no case" in p.stderr, p.stdout + p.stderr
    # a profile against a DUT it cannot certify: named, before anything runs, not Python errors as DUT failures
    p = run("--profile", "cme3000", "--dut", "sim:cmi1020", "--report", str(tmp_path / "e"))
    assert p.returncode == 2, p.stdout + p.stderr
    assert "profile cme3000 needs a gateway DUT" in p.stderr and "Traceback" not in p.stderr
    for d in "abcde":
        assert not (tmp_path / d).exists(), d


def test_report_directory_is_never_overwritten(tmp_path):
    out = tmp_path / "r"
    out.mkdir()
    (out / "record.json").write_text('{"earlier": "evidence"}')
    p = run("--profile", "cmi1020", "-k", "snd_nke_to_own", "--report", str(out))
    assert p.returncode == 2 and "not empty" in p.stderr
    assert (out / "record.json").read_text() == '{"earlier": "evidence"}'
    p = run("--profile", "cmi1020", "-k", "snd_nke_to_own", "--report", str(out), "--force")
    assert p.returncode == 0, p.stdout + p.stderr
    assert record(out)["verdict"] == "PASS"
    p = run("--profile", "cmi1020", "--report", "/proc/metercert-report")
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "--report /proc/metercert-report" in p.stderr


def test_a_tcp_dut_is_incomplete_with_the_unverified_cases_grouped_by_reason(tmp_path):
    # the cases against a CMi1020 behind TCP (as through a CMe3000): what needs the simulator, the
    # line's timing or its rate cannot be verified there, so the verdict cannot be PASS
    with TcpSim() as sim:
        p = run("--profile", "cmi1020", "--dut", sim.url, "--report", str(tmp_path / "r"), "--meter-readout", str(READOUT))
        q = run("--profile", "cme3100-master", "--dut", sim.url, "--report", str(tmp_path / "q"))
    assert p.returncode == 3, p.stdout + p.stderr
    rec = record(tmp_path / "r")
    assert rec["verdict"] == "INCOMPLETE" and "verdict INCOMPLETE" in p.stdout
    skipped = {c["id"]: c["reason"] for c in rec["cases"] if c["outcome"] == "skipped"}
    must_skipped = {c["id"] for c in rec["cases"] if c["outcome"] == "skipped" and c["level"] == "must"}
    assert {"cmi1020/5.1/1", "cmi1020/6.7.3/1", "cmi1020/6.7.3/2"} <= set(skipped)
    grouped = {g["reason"]: set(g["cases"]) for g in rec["summary"]["not_verified"]}
    assert set().union(*grouped.values()) == must_skipped and len(grouped) >= 2
    assert any("simulator" in r for r in grouped) and any("serial://" in r for r in grouped)
    assert f"{len(must_skipped)} must case(s) not verified" in p.stdout
    assert not [c for c in rec["cases"] if c["outcome"] in ("failed", "error")]
    assert rec["dut"]["id"] == "13647123"  # identity read from the device over TCP
    # a metering-gateway profile against a slave behind TCP: nothing it needs is there — INCOMPLETE, not PASS
    assert q.returncode == 3, q.stdout + q.stderr
    recq = record(tmp_path / "q")
    assert recq["verdict"] == "INCOMPLETE" and recq["summary"]["must"]["passed"] == 0


def test_an_error_of_the_suite_is_error_not_the_duts_failure(tmp_path):
    """A case that breaks in the suite's own code (here a KeyError) is recorded as `error`, the
    verdict is ERROR (exit 2 of `metercert run`), and a Mismatch is still the DUT's failure."""
    prof = tmp_path / "demo"
    prof.mkdir()
    (prof / "conftest.py").write_text(
        'METERCERT_PROFILE = {"dut_kind": "an M-Bus slave", "accepts": ("sim:cmi1020",), "identity": "slave"}\n'
        "import pytest\n\n@pytest.fixture\ndef default_dut():\n    return 'sim:cmi1020'\n")
    (prof / "test_demo.py").write_text(
        "from metercert.conformance import case, expect\n\n"
        "@case('demo/1/1', 'The suite looks up a key that is not there.')\n"
        "def test_broken(master):\n    {}['stats']\n\n"
        "@case('demo/1/2', 'An ACK to SND_NKE at 0.', level='should')\n"
        "def test_should(master):\n    expect(master.snd_nke(0), False, 'ACK')\n\n"
        "@case('demo/1/3', 'An ACK to SND_NKE at 0.')\n"
        "def test_ok(master):\n    expect(master.snd_nke(0), True, 'ACK')\n")
    env = dict(os.environ, PYTHONPATH=os.path.join(os.path.dirname(os.path.abspath(BIN)), "python"), METERCERT_SOURCE_DIR=str(ROOT))
    # (labgrid's pytest plugin, when python3-labgrid is installed, needs the terminal: as `metercert run`, block it)
    p = subprocess.run([sys.executable, "-m", "pytest", "-p", "metercert.pytest_plugin", "-p", "no:cacheprovider", "-p",
                        "no:terminal", "-p", "no:labgrid", "--report", str(tmp_path / "r"), "--rootdir", str(tmp_path), str(prof)],
                       capture_output=True, text=True, timeout=120, env=env)
    rec = record(tmp_path / "r")
    outcomes = {c["id"]: c["outcome"] for c in rec["cases"]}
    assert outcomes == {"demo/1/1": "error", "demo/1/2": "failed", "demo/1/3": "passed"}, p.stdout + p.stderr
    broken = next(c for c in rec["cases"] if c["id"] == "demo/1/1")
    assert broken["message"] == "KeyError: 'stats'" and "KeyError" in broken["reason"]
    assert rec["verdict"] == "ERROR" and rec["summary"]["error"] == 1
    assert [g["cases"] for g in rec["summary"]["not_verified"]] == [["demo/1/1"]]


def _pgid_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


@pytest.mark.parametrize("sig,code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stopped_run_stops_everything_and_says_so(tmp_path, sig, code):
    """SIGTERM/SIGINT to `metercert run`'s own PID (not the process group) while the CMe3000 profile
    waits out the gateway's 10 s disconnect timeout: the child and the gateway simulator stop, the
    summary says INTERRUPTED, the exit is 143/130, and the record stays incomplete afterwards."""
    out = tmp_path / "r"
    proc = subprocess.Popen([os.path.abspath(BIN), "run", "--profile", "cme3000", "--report", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until the long case is under way
        lines = (out / "record.jsonl").read_text().splitlines() if (out / "record.jsonl").exists() else []
        if len(lines) >= 3:
            break
        time.sleep(0.2)
    # this run's gateway only (its session: the run was started in a new one), not another test run's
    children = subprocess.run(["pgrep", "-s", str(proc.pid), "-f", "simulate cme3000"], capture_output=True, text=True).stdout.split()
    assert children, "the profile's gateway simulator runs"
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=40)
    assert proc.returncode == code, stdout + stderr
    assert "INTERRUPTED" in stdout and "stopped by" in stdout
    rec = record(out)
    assert rec["complete"] is False and rec["verdict"] == "INTERRUPTED" and rec["interrupted_by"] == signal.Signals(sig).name
    for pid in children:  # nothing left behind
        assert not os.path.exists(f"/proc/{pid}") or "zombie" in open(f"/proc/{pid}/status").read().lower()
    before = (out / "record.json").read_text()
    time.sleep(12)  # an orphaned child would rewrite the record as complete by now
    assert (out / "record.json").read_text() == before


def test_no_secret_reaches_any_output(tmp_path):
    """The cases that set a P1 password (97531864) and a P2 key (10 11 … 1F) leave neither in any
    file of the report, nor on the terminal: those frames are recorded with the secret as '*'."""
    p = run("--profile", "cmi1020", "-k", "p1_password or p2_key", "--report", str(tmp_path))
    assert p.returncode == 0, p.stdout + p.stderr
    rec = record(tmp_path)
    assert {c["id"] for c in rec["cases"]} >= {"cmi1020/6.7.9/1", "cmi1020/6.7.10/1"}
    p1, p2 = b"97531864", bytes(range(0x10, 0x20))
    outputs = {f.name: f.read_bytes() for f in tmp_path.iterdir() if f.is_file()}
    outputs["stdout"], outputs["stderr"] = p.stdout.encode(), p.stderr.encode()
    if "report.pdf" in outputs:  # its text streams are compressed: read the text as a reader sees it
        outputs["report.pdf text"] = subprocess.run(["pdftotext", str(tmp_path / "report.pdf"), "-"], capture_output=True).stdout
    assert {"record.json", "record.jsonl", "junit.xml", "report.html", "capture.pcap"} <= set(outputs)
    for name, data in outputs.items():
        for secret in (p1, p2):
            assert secret not in data and secret.hex().encode() not in data.lower(), name
            assert secret.hex(" ").encode() not in data.lower(), name
    redacted = [f for c in rec["cases"] for f in c["evidence"]["frames"] if f["flags"] & 4]
    assert len(redacted) == 2 and all("(redacted)" in f["decoded"] for f in redacted)
    import metercert
    assert sum(1 for r in metercert.read_pcap(str(tmp_path / "capture.pcap")) if r["flags"] & 4) == 2
