"""The serial DUT path works for every connection, not only the first (issue 11, section 5).

`metercert simulate cmi1020 --pty PATH` keeps the pty's slave side open; every `serial://PATH`
connection opens it, sets 8E1 raw, and closes it. Linux ptys have no parity bit (the pty driver
clears PARENB), and glibc's tcsetattr reports EINVAL when none of the requested changes took
effect: the second open failed with `connect_failed: tcsetattr: Invalid argument`. These tests
open, configure and close the line many times, through the simulator's pty and through a socat
pty pair, and run the cmi1020 profile over TCP and over the pty: same case, same outcome."""
import json
import os
import pathlib
import shutil
import subprocess
import time

import pytest

import metercert

from conftest import BIN, Server



def wait_for(path: pathlib.Path, timeout=10):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.02)


def snd_nke_rounds(url: str, n: int) -> int:
    """Opens `url`, sends SND_NKE to address 0, closes; `n` times. Returns how many got the ACK."""
    ok = 0
    for _ in range(n):
        conn = metercert.connect(url)
        try:
            if metercert.Master(conn, init_idle_ms=0).snd_nke(0):
                ok += 1
        finally:
            conn.close()
    return ok


def test_simulator_pty_opens_configures_and_closes_50_times(tmp_path):
    pty = tmp_path / "mbus"
    sim = Server("cmi1020", "--pty", str(pty))
    try:
        assert snd_nke_rounds(f"serial://{pty}?baud=2400", 50) == 50
        assert snd_nke_rounds(f"serial://{pty}?baud=2400", 1) == 1  # and once more, after all of them
    finally:
        rc, err = sim.stop()
    assert rc == 0, err


@pytest.mark.skipif(shutil.which("socat") is None, reason="socat not installed (ci/setup installs it)")
def test_socat_pty_in_front_of_the_simulator_opens_50_times(tmp_path):
    # a lab's bridge: socat links a pty of its own to the simulator's pty (socat ptys
    # carry bytes only); metercert reopens socat's side 50 times, socat stays up
    pty = tmp_path / "mbus"
    sim = Server("cmi1020", "--pty", str(pty))
    bridge = tmp_path / "bridge"
    socat = subprocess.Popen(["socat", f"pty,rawer,link={bridge}", f"open:{pty},rawer"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(bridge)
        assert snd_nke_rounds(f"serial://{bridge}", 50) == 50
        assert socat.poll() is None, socat.stderr.read()
    finally:
        socat.terminate()
        socat.wait(timeout=10)
        sim.stop()


def test_scan_twice_over_the_pty(tmp_path):
    pty = tmp_path / "mbus"
    sim = Server("cmi1020", "--pty", str(pty), "--count", "3", "--secondary", "31000008")
    try:
        for _ in range(2):
            p = subprocess.run([BIN, "scan", "--dut", f"serial://{pty}", "--json"], capture_output=True, text=True,
                               timeout=120)
            assert p.returncode == 0, p.stderr
            assert [f["id"] for f in json.loads(p.stdout)["found"]] == ["31000008", "31000009", "31000010"]
    finally:
        sim.stop()


def outcomes(report: pathlib.Path) -> dict[str, str]:
    record = json.loads((report / "record.json").read_text())
    return {c["id"]: c["outcome"] for c in record["cases"]}


def test_run_over_tcp_and_over_the_pty_gives_the_same_outcomes(tmp_path):
    # Both simulators are the same reference CMi1020 (factory settings, the real E350), both runs
    # at once. Only outcomes are compared: the verdict/exit code is the lead's (INCOMPLETE etc.).
    pty = tmp_path / "mbus"
    tcp_sim = Server("cmi1020", "--listen", "tcp://127.0.0.1:0")
    pty_sim = Server("cmi1020", "--pty", str(pty))
    env = dict(os.environ, METERCERT_EXE=BIN)
    runs = {}
    try:
        time.sleep(2.2)  # the slaves' first meter readout (2 s after power-on)
        for name, url in (("tcp", f"tcp://127.0.0.1:{tcp_sim.port}"), ("pty", f"serial://{pty}")):
            runs[name] = subprocess.Popen([BIN, "run", "--profile", "cmi1020", "--dut", url, "--report", str(tmp_path / name)],
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        out = {name: p.communicate(timeout=300)[0] for name, p in runs.items()}
    finally:
        for p in runs.values():
            if p.poll() is None:
                p.kill()
        tcp_sim.stop()
        pty_sim.stop()
    tcp, ser = outcomes(tmp_path / "tcp"), outcomes(tmp_path / "pty")
    assert sorted(tcp) == sorted(ser), (out["tcp"][-2000:], out["pty"][-2000:])
    differ = {case: (tcp[case], ser[case]) for case in tcp if tcp[case] != ser[case]}
    assert differ == {}, "outcome (tcp, pty) differs:\n" + out["pty"][-3000:]
    # not vacuous: the pty run reached the slave case after case
    assert sum(1 for o in ser.values() if o == "passed") >= 20, ser
    assert "connect_failed" not in out["pty"] and "tcsetattr" not in out["pty"], out["pty"][-3000:]
    assert not [c for c, o in ser.items() if o in ("failed", "error")], out["pty"][-3000:]
