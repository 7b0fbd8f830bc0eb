"""`metercert scan` and `metercert read` against simulated buses, the gateway simulator, and a
pty; the pcap they write, read back by hand (pcap file format) and by tshark with our dissector.
Expectations are the populations the tests configure and the CMi1020 manual's bytes."""
import json
import os
import pathlib
import re
import shutil
import socket
import struct
import subprocess
import time

import pytest

from conftest import BIN, ROOT, ready_of, tcp_port

LUA = ROOT / "rigs" / "wireshark" / "mbus.lua"


def run(*args, check=None, timeout=120):
    p = subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout)
    if check is not None:
        assert p.returncode == check, (p.returncode, p.stdout, p.stderr)
    return p


def read_pcap(path):
    """(linktype, [(ts_us, bytes)]) of a classic little-endian µs pcap file."""
    data = pathlib.Path(path).read_bytes()
    magic, _, _, _, _, _, linktype = struct.unpack("<IHHiIII", data[:24])
    assert magic == 0xA1B2C3D4
    out, off = [], 24
    while off < len(data):
        sec, usec, caplen, _ = struct.unpack("<IIII", data[off:off + 16])
        out.append((sec * 1_000_000 + usec, data[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return linktype, out


def test_secondary_scan_finds_every_configured_slave():
    p = run("scan", "--dut", "sim:cmi1020?count=12&secondary=55500095", "--json", check=0)
    j = json.loads(p.stdout)
    assert [f["id"] for f in j["found"]] == [str(55500095 + i) for i in range(12)]
    assert all(f["manufacturer"] == "ELV" and f["medium"] == 2 for f in j["found"])
    assert j["cost"]["telegrams"] > 0 and j["cost"]["timeouts"] > 0 and j["problems"] == []


def test_both_algorithms_agree_and_adaptive_saves_timeouts():
    res = {}
    for algo in ("baseline", "adaptive"):
        j = json.loads(run("scan", "--dut", "sim:cmi1020?count=40", "--algorithm", algo, "--json", check=0).stdout)
        res[algo] = j
    assert res["baseline"]["found"] == res["adaptive"]["found"]
    assert res["adaptive"]["cost"]["timeouts"] * 2 <= res["baseline"]["cost"]["timeouts"]


def test_primary_scan_counts_one_timeout_per_empty_address():
    j = json.loads(run("scan", "--dut", "sim:cmi1020?count=3&address=7", "--primary", "--json", check=0).stdout)
    assert [f["primary"] for f in j["found"]] == [7, 8, 9]
    assert j["cost"]["timeouts"] == 251 - 3  # addresses 0–250, three answer


def test_read_by_primary_address_decodes_the_e350():
    p = run("read", "--dut", "sim:cmi1020", "--address", "0", "--json", check=0)
    lines = [json.loads(l) for l in p.stdout.splitlines()]
    assert len(lines) == 1
    d = lines[0]["decoded"]
    assert d["header"]["id"] == "13647123"  # the E350's C.1.0 (CMi1020 Table 4)
    assert d["header"]["manufacturer"] == "ELV"
    assert lines[0]["frame"].startswith("68")
    # EN 13757-2: the slave answered between 11 bit times and 330 bit times + 50 ms at 2400 baud
    assert 11 / 2.4 <= lines[0]["reply_gap_ms"] <= 330 / 2.4 + 50


def test_read_errors_are_named_with_exit_codes():
    p = run("read", "--dut", "sim:cmi1020", "--address", "17", check=1)  # nobody at 17
    assert "error: timeout" in p.stderr
    p = run("read", "--dut", "bogus://x", "--address", "1", check=2)
    assert "unknown scheme" in p.stderr
    p = run("read", "--dut", "sim:cmi1020?count=x", "--address", "1", check=2)
    assert "count=x" in p.stderr
    p = run("read", "--dut", "sim:cmi1020", check=2)
    assert "exactly one of --address" in p.stderr
    p = run("read", "--dut", "tcp://127.0.0.1:1", "--address", "1", check=2)
    assert "connect_failed" in p.stderr
    p = run("scan", "--dut", "sim:cmi1020", "--secondary", "--primary", check=2)


def test_pcap_has_our_link_type_and_every_frame(tmp_path):
    cap = tmp_path / "read.pcap"
    run("read", "--dut", "sim:cmi1020", "--address", "0", "--pcap", str(cap), check=0)
    linktype, pkts = read_pcap(cap)
    assert linktype == 147
    # SND_NKE (§6.7.1), ACK, REQ_UD2 FCB=1 FCV=1, RSP_UD — each after the 8-byte pseudo-header
    assert pkts[0][1] == bytes([1, 0, 0, 0, 0, 0, 0x09, 0x60]) + bytes.fromhex("1040004016")
    assert pkts[1][1][:2] == b"\x01\x01" and pkts[1][1][8:] == b"\xe5"
    assert pkts[2][1][8:] == bytes.fromhex("107B007B16")
    assert pkts[3][1][8] == 0x68
    assert [t for t, _ in pkts] == sorted(t for t, _ in pkts)


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed (ci/setup installs it)")
def test_tshark_dissects_our_capture(tmp_path):
    cap = tmp_path / "read.pcap"
    run("read", "--dut", "sim:cmi1020?count=2", "--secondary", "13647124", "--pcap", str(cap), check=0)
    p = subprocess.run(["tshark", "-X", f"lua_script:{LUA}", "-r", str(cap), "-T", "fields",
                        "-e", "mbus.c.name", "-e", "mbus.a", "-e", "mbus.ci", "-e", "mbus.id",
                        "-e", "mbus.manufacturer", "-e", "mbus.cs.ok"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    rows = [l.split("\t") for l in p.stdout.splitlines()]
    assert rows[0][:3] == ["SND_UD", "253", "0x52"]         # selection (§6.7.7)
    assert rows[2][:2] == ["REQ_UD2", "253"]
    assert rows[3][:5] == ["RSP_UD", "0", "0x72", "13647124", "ELV"]
    assert all(r[-1] in ("1", "True") for r in rows if r[0])  # checksums valid
    v = subprocess.run(["tshark", "-X", f"lua_script:{LUA}", "-r", str(cap), "-V", "-Y", "mbus.dif"],
                       capture_output=True, text=True, timeout=120).stdout
    assert "DIF: 0x0c" in v and "VIF: 0x78" in v  # the fabrication/ID record of Table 5 as raw DIF/VIF


# ------------------------------------------------------------------------- CMe3000 gateway

class Gateway:
    def __init__(self, *args):
        self.proc = subprocess.Popen([BIN, "simulate", "cme3000", "--listen", "tcp://127.0.0.1:0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.ready = ready_of(self.proc)
        assert self.ready["device"] == "cme3000" and self.ready["identity"]["model"] == "CMe3000", self.ready
        self.port = tcp_port(self.ready)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        return self.proc.stderr.read()


def test_cme3000_relays_a_scan_and_drops_a_second_client(tmp_path):
    stats = tmp_path / "stats.json"
    gw = Gateway("--bus", "sim:cmi1020?count=3&secondary=31000008", "--stats", str(stats))
    try:
        first = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
        time.sleep(0.2)
        second = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
        second.settimeout(5)
        assert second.recv(16) == b""  # closed at once: one client at a time (Figure 6 Dropped Accepts)
        first.sendall(bytes.fromhex("10407B" + "BB" + "16"))  # SND_NKE to 123: nobody, no reply
        first.close()
        time.sleep(0.3)
        j = json.loads(run("scan", "--dut", f"tcp://127.0.0.1:{gw.port}", "--json", check=0).stdout)
        assert [f["id"] for f in j["found"]] == ["31000008", "31000009", "31000010"]
        time.sleep(0.3)
        s = json.loads(stats.read_text())
        assert s["dropped_accepts"] == 1 and s["completed_accepts"] == 2
        assert s["octets_forwarded_from_network"] > 0 and s["octets_forwarded_from_serial"] > 0
        assert s["serial"]["tx_bytes"] == s["octets_forwarded_from_network"]
    finally:
        gw.stop()


def test_cme3000_disconnect_timeout_closes_an_idle_client():
    gw = Gateway("--bus", "sim:cmi1020", "--disconnect-timeout", "1")
    try:
        c = socket.create_connection(("127.0.0.1", gw.port), timeout=5)
        c.settimeout(5)
        t0 = time.monotonic()
        assert c.recv(16) == b""  # the gateway closes it
        assert time.monotonic() - t0 >= 0.9
    finally:
        gw.stop()


def test_cme3000_over_a_serial_line_behaves_as_over_the_simulator(tmp_path):
    pty = tmp_path / "mbus"
    slaves = subprocess.Popen([BIN, "simulate", "cmi1020", "--pty", str(pty), "--count", "3", "--secondary", "31000008"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert ready_of(slaves)["listen"] == [{"kind": "pty", "path": str(pty), "pts": os.path.realpath(pty)}]
    gw = Gateway("--serial", str(pty))
    try:
        time.sleep(2.2)  # the slaves' first meter readout
        j = json.loads(run("scan", "--dut", f"tcp://127.0.0.1:{gw.port}", "--json", check=0).stdout)
        assert [f["id"] for f in j["found"]] == ["31000008", "31000009", "31000010"]
        p = run("read", "--dut", f"tcp://127.0.0.1:{gw.port}", "--secondary", "31000009", "--json", check=0)
        assert json.loads(p.stdout.splitlines()[0])["decoded"]["header"]["id"] == "31000009"
    finally:
        err = gw.stop()
        slaves.terminate()
        slaves.wait(timeout=10)
    assert "statistics" in err


# ------------------------------------------------------------------------- CMe3100 gateway

METER_LIST = ("Position,SecondaryAddress,BaudRate,AddressingMode,PrimaryAddress,EnhancedAddress\n"
              "Cafeteria,13647123,2400,Secondary,,\n"
              "Reception,13647125,2400,secondary,,\n"
              "Basement,99999999,2400,secondary,,\n"
              "Broken,1234,2400,secondary,,\n")


def test_cme3100_reads_into_sqlite_and_serves_virtual_mbus(tmp_path):
    import sqlite3
    ml = tmp_path / "meters.csv"
    ml.write_text(METER_LIST)
    db, report = tmp_path / "gw.sqlite", tmp_path / "commission.csv"
    proc = subprocess.Popen([BIN, "simulate", "cme3100", "--listen", "tcp://127.0.0.1:0", "--bus", "sim:cmi1020?count=3",
                             "--meter-list", str(ml), "--db", str(db), "--commission-report", str(report)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ready = ready_of(proc)
        assert ready["identity"]["model"] == "CMe3100" and ready["identity"]["meters"] == 3, ready
        lines = [proc.stderr.readline() for _ in range(4)]
        text = "".join(lines)
        assert "row 5: bad_secondary_address" in text  # the bad row is named, the rest installed
        assert "2/3 meter(s) read, status WARNING" in text  # Table 8: some meters failed
        port = tcp_port(ready)
        rows = report.read_text().splitlines()
        assert rows[0].startswith("Position,SecondaryAddress,AddressingMode")
        assert rows[1].startswith("Cafeteria,13647123,secondary,,no,ELV,1,0x02,1,")
        assert rows[3].startswith("Basement,99999999,secondary,,no,,,,3,") and "timeout" in rows[3]
        with sqlite3.connect(db) as c:  # a real SQLite database; the E350's 1.8.1 stored exactly
            assert c.execute("SELECT COUNT(*) FROM records WHERE quantity='energy' AND value='42951721'").fetchone()[0] == 2
        # a master reads the stored values over Virtual M-Bus, by secondary address
        p = run("read", "--dut", f"tcp://127.0.0.1:{port}", "--secondary", "13647125", "--json", check=0)
        assert json.loads(p.stdout.splitlines()[0])["decoded"]["header"]["id"] == "13647125"
        run("read", "--dut", f"tcp://127.0.0.1:{port}", "--secondary", "99999999", check=1)  # never read: silent
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_cme3100_usage_errors_are_named(tmp_path):
    p = run("simulate", "cme3100", "--listen", "tcp://127.0.0.1:0", "--bus", "sim:cmi1020", "--search",
            "--schedule", "61 * * * *", check=2)
    assert "bad_value" in p.stderr
    p = run("simulate", "cme3100", "--listen", "tcp://127.0.0.1:0", "--bus", "sim:cmi1020", check=2)
    assert "--meter-list" in p.stderr


def test_simulator_capture_decodes_back_frame_for_frame(tmp_path):
    cap = tmp_path / "sim.pcap"
    proc = subprocess.Popen([BIN, "simulate", "cmi1020", "--listen", "tcp://127.0.0.1:0", "--count", "4", "--pcap", str(cap)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = tcp_port(ready_of(proc))
        j = json.loads(run("scan", "--dut", f"tcp://127.0.0.1:{port}", "--json", check=0).stdout)
        assert len(j["found"]) == 4
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    p = run("decode", "--pcap", str(cap), "--json")
    sent = [json.loads(l) for l in p.stdout.splitlines() if '"to_dut"' in l]
    assert len(sent) == j["cost"]["telegrams"]  # every request the master counted is in the capture
    assert sent[0]["decoded"]["ci"] == "52"     # the search starts with a selection
    # the collisions of the search are in the capture too, named (garbled/garbage), not dropped
    errors = p.stderr.splitlines()
    assert (p.returncode == 2) == bool(errors) and j["cost"]["collisions"] > 0
    assert all("from DUT garb" in e for e in errors)
    p = run("decode", "--pcap", str(tmp_path / "missing.pcap"), check=2)
    assert "cannot read" in p.stderr


def test_tcp_listen_waits_for_a_device_that_connects_to_us():
    import metercert
    proc = subprocess.Popen([BIN, "read", "--dut", "tcp-listen://127.0.0.1:0?wait=10000", "--address", "5", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    port = int(re.search(r"port (\d+)", proc.stderr.readline()).group(1))
    # a device in connect mode: answers SND_NKE (§6.7.1) and REQ_UD2 with a canned RSP_UD
    rsp = metercert.build_long(0x08, 5, 0x72, bytes.fromhex("78563412961501020100000004062A000000"))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as dev:
        assert dev.recv(5) == bytes.fromhex("1040054516")
        dev.sendall(b"\xe5")
        assert dev.recv(5) == bytes.fromhex("107B058016")
        dev.sendall(rsp)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    d = json.loads(out.splitlines()[0])["decoded"]
    assert d["header"]["id"] == "12345678" and d["records"][0]["value"] == "42000"  # 42 kWh as Wh
    p = run("read", "--dut", "tcp-listen://127.0.0.1:0?wait=200", "--address", "5", check=2)
    assert "no device connected" in p.stderr
