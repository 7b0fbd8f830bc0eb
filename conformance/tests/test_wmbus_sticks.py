"""Receiver sticks end to end (issue 13): `metercert simulate cmi1020w --dongle im871a|amb8465 --pty P`
emulates the stick on a pseudo-terminal; the wmbus+im871a:// / wmbus+amb8465:// link opened on P
(through `metercert receive`) runs the stick's start-up and receives the telegrams. Independent
checks: each received telegram is the simulator's own format-A telegram (its --hex-out line) with
the CRCs removed by the EN 13757-4 rule computed here; it decodes with `metercert decode --wmbus
--crc none --key`, and one is decrypted here with Debian's python3-cryptography (AES-128-CBC, IV =
M ‖ A ‖ access number × 8). A stick that stops answering and one that sends garbage (a pty played
by this test) give the link's named errors within bounded times. The key is in no output.
"""
import json
import os
import pty
import signal
import subprocess
import threading
import time
import tty

import pytest

from conftest import BIN, ROOT, Server, wmbus_crc16 as crc16

cryptography = pytest.importorskip("cryptography")
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402

KEY = "8F3A5C7E9B1D2F40A6C8E0B2D4F60819"
STICKS = ["im871a", "amb8465"]


def strip_format_a(wire: bytes) -> bytes:
    out, i, first = b"", 0, True
    while i < len(wire):
        n = min(10 if first else 16, len(wire) - i - 2)
        block, crc = wire[i:i + n], wire[i + n:i + n + 2]
        assert int.from_bytes(crc, "big") == crc16(block)
        out, i, first = out + block, i + n + 2, False
    return out


def receive(url, *args, timeout=30):
    return subprocess.run([os.path.abspath(BIN), "receive", "--dut", url, *args], capture_output=True, text=True,
                          timeout=timeout)


def start(stick, tmp_path, *more):
    path = str(tmp_path / f"{stick}.tty")
    hexfile = tmp_path / f"{stick}.hex"
    s = Server("cmi1020w", "--dongle", stick, "--pty", path, "--interval", "0.2", "--first-read", "0.1",
               "--key", KEY, "--hex-out", str(hexfile), *more)
    return s, path, hexfile


@pytest.mark.parametrize("stick", STICKS)
def test_the_link_receives_the_simulated_telegrams_through_the_emulated_stick(stick, tmp_path):
    s, path, hexfile = start(stick, tmp_path)
    try:
        assert s.ready["identity"]["dongle"] == stick
        assert [l["kind"] for l in s.ready["listen"]] == ["pty"] and s.path == path
        p = receive(f"wmbus+{stick}://{path}?mode=T1&key={KEY}", "--count", "4", "--timeout", "10", "--json")
        assert p.returncode == 0, p.stderr
        got = [json.loads(line) for line in p.stdout.splitlines()]
    finally:
        rc, err = s.stop()
    assert rc == 0, err
    assert len(got) == 4
    sent = [strip_format_a(bytes.fromhex(line)) for line in hexfile.read_text().splitlines()]
    for t in got:
        frame = bytes.fromhex(t["frame"])
        assert frame in sent  # the module's telegram, CRCs removed (a stick passes them on so)
        assert t["crc"] == "none" and t["mode"] == "T1"
        assert abs(t["rssi_dbm"] - (-60)) <= 1  # the emulation's fixed RSSI (ERRATA E-73), through the stick's coding
        d = subprocess.run([os.path.abspath(BIN), "decode", "--wmbus", "--crc", "none", "--key", KEY, "--json"],
                           input=t["frame"] + "\n", capture_output=True, text=True, timeout=30)
        assert d.returncode == 0, d.stderr
        obj = json.loads(d.stdout)
        assert obj["link"]["id"] == "13647123"
        assert obj["security"]["mode"] == 5
    # consecutive telegrams, 0.2 s apart on the link's clock, access numbers +1
    accs = [bytes.fromhex(t["frame"])[11] for t in got]
    assert all((b - a) % 256 == 1 for a, b in zip(accs, accs[1:])), accs
    gaps = [b["at_ms"] - a["at_ms"] for a, b in zip(got, got[1:])]
    assert all(100 < g < 1000 for g in gaps), gaps
    # one decrypted here: AES-128-CBC, IV = M ‖ A ‖ ACC × 8, the first two bytes 2F 2F
    f = bytes.fromhex(got[0]["frame"])
    config = int.from_bytes(f[13:15], "little")
    iv = f[2:10] + bytes([f[11]]) * 8
    enc = f[15:15 + 16 * ((config >> 4) & 0x0F)]
    plain = Cipher(algorithms.AES(bytes.fromhex(KEY)), modes.CBC(iv)).decryptor().update(enc)
    assert plain[:2] == b"\x2f\x2f" and bytes.fromhex("0C7823716413") in plain  # C.1.0 = 13647123
    for blob in (p.stdout, p.stderr, err):
        assert KEY not in blob.upper()


@pytest.mark.parametrize("stick", STICKS)
def test_a_mode_that_does_not_hear_the_module_receives_nothing(stick, tmp_path):
    s, path, _ = start(stick, tmp_path)
    try:
        p = receive(f"wmbus+{stick}://{path}?mode=C1", "--count", "3", "--timeout", "1.5")
    finally:
        s.stop()
    # 1.5 s at 0.2 s: 7 telegrams on air. One sent during the start-up, before the mode was set, may
    # be passed on (a real stick hears in its stored mode, ERRATA E-73); after it, none.
    assert p.returncode == 1, p.stderr
    assert len(p.stdout.splitlines()) <= 1
    assert "receiving C1" in p.stderr


@pytest.mark.parametrize("stick", STICKS)
def test_a_stick_that_stops_answering_is_named_within_the_timeout(stick, tmp_path):
    s, path, _ = start(stick, tmp_path)
    try:
        s.proc.send_signal(signal.SIGSTOP)  # the stick hangs: its pty stays, nothing answers
        t0 = time.monotonic()
        p = receive(f"wmbus+{stick}://{path}?timeout=400&key={KEY}", "--timeout", "5")
        took = time.monotonic() - t0
    finally:
        s.proc.send_signal(signal.SIGCONT)
        s.stop()
    assert p.returncode == 2 and "stick_silent" in p.stderr and "400 ms" in p.stderr, p.stderr
    assert took < 4, took
    assert KEY not in p.stderr


class GarbageStick:
    """A pty played by this test: whatever the host writes, it answers `reply`."""

    def __init__(self, reply: bytes):
        self.master, slave = pty.openpty()
        tty.setraw(slave)
        self.path = os.ttyname(slave)
        self.slave = slave
        self.stop = False
        self.thread = threading.Thread(target=self.run, args=(reply,), daemon=True)
        self.thread.start()

    def run(self, reply):
        import select
        while not self.stop:
            r, _, _ = select.select([self.master], [], [], 0.05)
            if r:
                try:
                    os.read(self.master, 1024)
                    os.write(self.master, reply)
                except OSError:
                    return

    def close(self):
        self.stop = True
        self.thread.join(timeout=2)
        os.close(self.master)
        os.close(self.slave)


@pytest.mark.parametrize("stick,reply,name,where", [
    ("im871a", bytes.fromhex("A5 81 02 00 00 00"), "bad_crc", "bad_crc at byte 4"),
    ("im871a", bytes.fromhex("00 11 22 33"), "bad_sof", "bad_sof at byte 0"),
    ("amb8465", bytes.fromhex("FF 8C 03 02 00 06 75"), "bad_checksum", "bad_checksum at byte 6"),
    ("amb8465", bytes.fromhex("FF 7E 00 81"), "unknown_message", "unknown_message at byte 1"),
])
def test_a_stick_that_sends_garbage_is_a_named_protocol_error(stick, reply, name, where):
    g = GarbageStick(reply)
    try:
        t0 = time.monotonic()
        p = receive(f"wmbus+{stick}://{g.path}?timeout=500", "--timeout", "5")
        took = time.monotonic() - t0
    finally:
        g.close()
    assert p.returncode == 2 and "stick_protocol" in p.stderr and where in p.stderr, p.stderr
    assert took < 4


def test_dongle_usage_errors(tmp_path):
    run = lambda *a: subprocess.run([os.path.abspath(BIN), "simulate", "cmi1020w", *a], capture_output=True,
                                    text=True, timeout=30)
    p = run("--dongle", "cul", "--pty", str(tmp_path / "x"))
    assert p.returncode == 2 and "im871a, amb8465" in p.stderr
    p = run("--dongle", "im871a")
    assert p.returncode == 2 and "--pty" in p.stderr
    p = run("--dongle", "im871a", "--pty", str(tmp_path / "x"), "--telegrams", "2")
    assert p.returncode == 2 and "--telegrams" in p.stderr
    h = subprocess.run([os.path.abspath(BIN), "simulate", "cmi1020w", "--help"], capture_output=True, text=True)
    assert "link type 148" in h.stdout and "147" not in h.stdout and "password" not in h.stdout.lower()


# ------------------------------------------------------------------------- Wireshark (link type 148)

LUA = os.path.join(os.path.dirname(__file__), "..", "..", "rigs", "wireshark", "wmbus.lua")
FIELDS = ["wmbus.c.name", "wmbus.manufacturer", "wmbus.id", "wmbus.version", "wmbus.device_type", "wmbus.ci",
          "wmbus.crc.ok", "wmbus.format"]


def tshark_rows(cap):
    import shutil
    if shutil.which("tshark") is None:
        pytest.skip("tshark not installed (ci/setup installs it)")
    args = ["tshark", "-X", f"lua_script:{LUA}", "-r", str(cap), "-T", "fields"]
    for f in FIELDS:
        args += ["-e", f]
    p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return [dict(zip(FIELDS, line.split("\t"))) for line in p.stdout.splitlines()]


@pytest.mark.parametrize("fault", ["none", "bad_crc"])
def test_tshark_reads_the_simulators_capture_with_our_dissector(fault, tmp_path):
    cap = tmp_path / "w.pcap"
    p = subprocess.run([os.path.abspath(BIN), "simulate", "cmi1020w", "--telegrams", "2", "--key", KEY, "--pcap", str(cap),
                        "--fault", fault], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    rows = tshark_rows(cap)
    assert len(rows) == 2
    for r in rows:
        # SND_NR, manufacturer ELV (the CMi1020W's maker), A = the meter's C.1.0 13647123, electricity (02), short TPL
        assert (r["wmbus.c.name"], r["wmbus.manufacturer"], r["wmbus.id"], r["wmbus.device_type"], r["wmbus.ci"]) == \
            ("SND_NR", "ELV", "13647123", "0x02", "0x7a")
        assert r["wmbus.format"] == "A (with CRCs)"
        oks = r["wmbus.crc.ok"].split(",")
        assert len(oks) >= 2
        if fault == "none":
            assert all(o in ("1", "True") for o in oks), oks
        else:
            assert any(o in ("0", "False") for o in oks), oks
    assert KEY.encode() not in cap.read_bytes() and bytes.fromhex(KEY) not in cap.read_bytes()


def test_tshark_reads_a_sticks_capture_without_crcs(tmp_path):
    s, path, _ = start("amb8465", tmp_path)
    cap = tmp_path / "rx.pcap"
    try:
        p = receive(f"wmbus+amb8465://{path}?key={KEY}", "--count", "2", "--timeout", "10", "--pcap", str(cap))
    finally:
        s.stop()
    assert p.returncode == 0, p.stderr
    rows = tshark_rows(cap)
    assert len(rows) == 2
    assert all(r["wmbus.format"] == "CRCs removed by the receiver" and r["wmbus.id"] == "13647123"
               and r["wmbus.manufacturer"] == "ELV" and r["wmbus.crc.ok"] == "" for r in rows), rows
    assert KEY.encode() not in cap.read_bytes() and bytes.fromhex(KEY) not in cap.read_bytes()


# ------------------------------------------------------------------------- the cmi1020w profile

@pytest.mark.parametrize("stick", STICKS)
def test_the_cmi1020w_profile_through_the_emulated_stick(stick, tmp_path):
    """The issue's bar: the profile against the simulator, heard through the stick emulation on a
    pty, gives the simulator run's verdict on every case a receiver can decide, the interval
    included: the DUT URL's interval= tells the cases the module's configured 1 s (the air does
    not carry it; without it ERRATA E-54's 900 s is assumed)."""
    key = "5E2D7B13A0C94F6188E0B3D72A6C19F4"  # the profile's test key (conformance/cmi1020w/conftest.py)
    path = str(tmp_path / "stick.tty")
    # 1 s: the ± 5 % of the interval case is ± 50 ms of a pty's scheduling jitter on a busy machine (25 ms at 0.5 s
    # was too little while ci/test runs three test files at once)
    s = Server("cmi1020w", "--dongle", stick, "--pty", path, "--interval", "1", "--first-read", "0.1", "--key", key)
    report = tmp_path / "r"
    try:
        p = subprocess.run([os.path.abspath(BIN), "run", "--profile", "cmi1020w", "--dut", f"wmbus+{stick}://{path}?key={key}&interval=1",
                            "--meter-readout", str(ROOT / "vectors" / "obis" / "lgz-zmf100ac-m26.readout"),
                            "--report", str(report)], capture_output=True, text=True, timeout=240)
    finally:
        s.stop()
    record = json.loads((report / "record.json").read_text())
    outcomes = {c["id"]: c["outcome"] for c in record["cases"]}
    skipped = {i for i, o in outcomes.items() if o == "skipped"}
    assert all(o in ("passed", "skipped") for o in outcomes.values()), (outcomes, p.stdout[-2000:])
    # exactly the cases that drive the module or its meter (they need sim.cmi1020w) are skipped
    assert skipped == {"cmi1020w/led-indications/1", "cmi1020w/led-indications/2", "cmi1020w/led-indications/3",
                       "cmi1020w/operation/1", "cmi1020w/rate-inputs/1"}, skipped
    assert len(outcomes) - len(skipped) >= 16 and outcomes.get("cmi1020w/interval/1") == "passed", outcomes
    assert p.returncode == 3 and record["verdict"] == "INCOMPLETE"
    assert record["dut"]["url"] == f"wmbus+{stick}://{path}?key=<redacted>&interval=1"
    assert (record["dut"]["manufacturer"], record["dut"]["id"]) == ("ELV", "13647123")
    for f in report.rglob("*"):
        if f.is_file():
            assert key.encode() not in f.read_bytes().upper() and bytes.fromhex(key) not in f.read_bytes(), f
