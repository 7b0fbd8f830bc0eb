"""`metercert run`: the default run on the built-in simulator passes and writes its reports; a DUT
that deviates (here: a CMi1020 at primary address 5 instead of the factory 0, §8.2) fails the
cases that cover it with expected vs actual and the frames; usage errors exit 2."""
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET

from conftest import BIN, ROOT


def run(*args, cwd=None):
    return subprocess.run([os.path.abspath(BIN), "run", *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def test_default_run_passes_and_writes_every_report(tmp_path):
    p = run(cwd=tmp_path)  # no options: every profile against the built-in simulators
    assert p.returncode == 0, p.stdout + p.stderr
    [rep] = list((tmp_path / "reports").iterdir())
    assert re.fullmatch(r"\d{8}T\d{6}Z", rep.name)  # reports/<UTC timestamp>/
    rec = json.loads((rep / "record.json").read_text())
    assert rec["verdict"] == "PASS" and rec["complete"] is True
    # each profile against its own simulator, each identity read from the device
    assert set(rec["dut"]["profiles"]) == {"cmi1020", "cme3000", "cme3100-master"}
    assert rec["dut"]["profiles"]["cmi1020"]["manufacturer"] == "ELV" and rec["dut"]["profiles"]["cmi1020"]["id"] == "13647123"
    assert rec["dut"]["profiles"]["cme3000"]["url"].startswith("tcp://127.0.0.1:")
    ids = [c["id"] for c in rec["cases"]]
    assert {"cmi1020/6.7.1/1", "cme3000/6.3/1", "cme3100-master/6.5.3/1"} <= set(ids) and len(ids) == len(set(ids))
    for c in rec["cases"]:
        assert c["requirement"] and c["level"] in ("must", "should", "implementation-defined")
        if c["profile"] == "cmi1020":
            assert c["evidence"]["frames"], c["id"]  # every CMi1020 case exchanged frames with the DUT
    timeout = next(c for c in rec["cases"] if c["id"] == "cme3000/table3/1")["measurements"][0]
    assert timeout["unit"] == "s" and timeout["low"] == 9.5 and timeout["high"] == 11.0 and timeout["within"]
    junit = ET.parse(rep / "junit.xml").getroot()
    assert sum(int(s.get("tests")) for s in junit.iter("testsuite")) == len(rec["cases"])
    html = (rep / "report.html").read_text()
    assert "PASS" in html and "cmi1020/6.7.7/1" in html and "cme3000/table3/1" in html
    assert not re.search(r"<(link|script)[^>]+(href|src)=", html)  # self-contained: no network needed
    assert "verdict PASS" in p.stdout
    # capture.pcap holds every frame of every case, in order, with our link type
    import metercert
    pkts = metercert.read_pcap(str(rep / "capture.pcap"))
    assert len(pkts) == sum(len(c["evidence"]["frames"]) for c in rec["cases"])
    assert pkts[0]["bytes"].hex().upper() == rec["cases"][0]["evidence"]["frames"][0]["hex"]


def test_a_deviating_dut_fails_the_cases_that_cover_it(tmp_path):
    p = run("--dut", "sim:cmi1020?address=5", "--report", str(tmp_path / "r"))
    assert p.returncode == 1, p.stdout + p.stderr
    rec = json.loads((tmp_path / "r" / "record.json").read_text())
    assert rec["verdict"] == "FAIL"
    failed = {c["id"]: c for c in rec["cases"] if c["outcome"] == "failed"}
    snd_nke = failed["cmi1020/6.7.1/1"]
    assert snd_nke["expected"] == "'frame'" and snd_nke["actual"] == "'timeout'"
    assert snd_nke["evidence"]["frames"][0]["hex"] == "1040004016"
    # a case that does not depend on the address still passes
    assert "cmi1020/6.7.1/3" not in failed
    assert "FAILED cmi1020/6.7.1/1 (must)" in p.stdout
    assert "Failures" in (tmp_path / "r" / "report.html").read_text()


def test_usage_and_infrastructure_errors_exit_2(tmp_path):
    p = run("--dut", "tcp://127.0.0.1:1", "--report", str(tmp_path / "a"))
    assert p.returncode == 2 and "connect_failed" in p.stderr
    p = run("--profile", "nosuch", "--report", str(tmp_path / "b"))
    assert p.returncode == 2 and "unknown profile" in p.stderr
    p = run("--dut", "sim:cmi1020?count=x", "--report", str(tmp_path / "c"))
    assert p.returncode == 2


def test_real_device_path_skips_only_the_cases_that_need_the_simulator(tmp_path):
    # the same cases against a CMi1020 behind TCP (as through a CMe3000): nothing assumes the
    # simulator except the cases marked so, which are skipped with a reason
    sim = subprocess.Popen([os.path.abspath(BIN), "simulate", "cmi1020", "--listen", "tcp://127.0.0.1:0"],
                           stderr=subprocess.PIPE, text=True)
    try:
        port = int(re.search(r"tcp://[\d.]+:(\d+)", sim.stderr.readline()).group(1))
        import time
        time.sleep(2.2)  # the slave's first meter readout
        # the readout of the simulator's meter, as a lab names its real meter's for the reference
        p = run("--profile", "cmi1020", "--dut", f"tcp://127.0.0.1:{port}", "--report", str(tmp_path / "r"),
                "--meter-readout", str(ROOT / "vectors" / "obis" / "lgz-zmf100ac-m26.readout"))
    finally:
        sim.terminate()
        sim.wait(timeout=10)
    assert p.returncode == 0, p.stdout + p.stderr
    rec = json.loads((tmp_path / "r" / "record.json").read_text())
    skipped = {c["id"]: c["reason"] for c in rec["cases"] if c["outcome"] == "skipped"}
    passed = {c["id"] for c in rec["cases"] if c["outcome"] == "passed"}
    assert {"cmi1020/5.1/1", "cmi1020/6.7.2/5", "cmi1020/6.7.3/1", "cmi1020/6.7.3/2", "cmi1020/6.6/1"} <= set(skipped)
    assert "simulator" in skipped["cmi1020/5.1/1"] and "serial://" in skipped["cmi1020/6.7.3/1"]
    assert all("simulator" in r or "serial://" in r for r in skipped.values())
    # the cases that need only an M-Bus line ran over TCP, against a device that is no simulator here
    assert {"cmi1020/6.1/1", "cmi1020/6.1/2", "cmi1020/6.5/1", "cmi1020/6.6/4", "cmi1020/6.7.6/1", "cmi1020/6.7.8/1",
            "cmi1020/6.7.14/1", "cmi1020/8.2/1", "cmi1020/8.2/3", "cmi1020/6.7.7/2"} <= passed
    assert all(c["outcome"] != "failed" for c in rec["cases"])
    assert rec["dut"]["id"] == "13647123"  # identity read from the device over TCP


def test_p1_and_p2_never_reach_reports_or_capture(tmp_path):
    """The cases that set a P1 password (97531864) and a P2 key (10 11 … 1F) leave neither in
    record.json, report.html or capture.pcap: those frames are recorded with the secret as '*'."""
    p = run("--profile", "cmi1020", "-k", "p1_password or p2_key", "--report", str(tmp_path))
    assert p.returncode == 0, p.stdout + p.stderr
    rec = json.loads((tmp_path / "record.json").read_text())
    assert {c["id"] for c in rec["cases"]} >= {"cmi1020/6.7.9/1", "cmi1020/6.7.10/1"}
    p1, p2 = b"97531864", bytes(range(0x10, 0x20))
    for name in ("record.json", "report.html", "capture.pcap", "junit.xml"):
        data = (tmp_path / name).read_bytes()
        for secret in (p1, p2):
            assert secret not in data and secret.hex().encode() not in data.lower(), name
    redacted = [f for c in rec["cases"] for f in c["evidence"]["frames"] if f["flags"] & 4]
    assert len(redacted) == 2 and all("(redacted)" in f["decoded"] for f in redacted)
    import metercert
    assert sum(1 for r in metercert.read_pcap(str(tmp_path / "capture.pcap")) if r["flags"] & 4) == 2
