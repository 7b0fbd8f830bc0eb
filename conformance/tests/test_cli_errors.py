"""Bad input gets a named error, exit 2, never an abort (issue 11, sections 4 and 8).

Every case here runs the real executable and checks: exit code 2, one line on stderr starting
with "error: " (the last) that names the option and the file (and the place in it), no abort
(rc 134 / SIGABRT), no "terminate called", and nothing started (no "listening" line)."""
import json
import os
import re
import socket
import subprocess
import threading
import time

import pytest

import metercert

from conftest import BIN, Server

ABORT_MARKS = ("terminate called", "Aborted", "core dumped", "Traceback", "what():")


def run(*args, timeout=60):
    return subprocess.run([BIN, *args], capture_output=True, text=True, timeout=timeout)


def usage_error(*args, must=(), timeout=20) -> str:
    """Runs metercert ARGS, expects exit 2 with one "error: …" line holding every text of `must`."""
    p = run(*args, timeout=timeout)
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.splitlines()
    # one error line, the last; before it at most the simulator's own progress lines
    assert lines and lines[-1].startswith("error: "), p.stderr
    assert all(l.startswith("metercert simulate: ") for l in lines[:-1]), p.stderr
    assert not any(m in p.stderr for m in ABORT_MARKS), p.stderr
    assert "listening on" not in p.stderr and " on tcp://" not in p.stderr, p.stderr
    for m in must:
        assert m in lines[-1], (m, lines[-1])
    return lines[-1]


# ------------------------------------------------------------------------------- --listen

LISTEN_DEVICES = {
    "cmi1020": [],
    "cme3000": ["--bus", "sim:cmi1020"],
    "cme3100": ["--bus", "sim:cmi1020", "--search"],
}


@pytest.mark.parametrize("device", sorted(LISTEN_DEVICES))
@pytest.mark.parametrize("port", ["99999", "65536", "-1", "abc", "", "+80", "0x50", " 80", "1e3"])
def test_listen_port_outside_0_to_65535_or_not_a_number_is_refused(device, port):
    # a TCP port is 16 bits (RFC 793): 99999 used to listen on 99999 mod 65536 = 34463
    usage_error("simulate", device, "--listen", f"tcp://127.0.0.1:{port}", *LISTEN_DEVICES[device],
                must=("--listen", "0…65535"))


def test_listen_port_0_is_any_free_port_and_65535_is_a_port():
    s = Server("cmi1020", "--listen", "tcp://127.0.0.1:0")
    try:
        assert 0 < s.port <= 65535
    finally:
        s.stop()
    with socket.socket() as probe:  # the highest port, when free here
        try:
            probe.bind(("127.0.0.1", 65535))
        except OSError:
            pytest.skip("port 65535 is taken on this host")
    s = Server("cmi1020", "--listen", "tcp://127.0.0.1:65535")
    assert s.port == 65535
    s.stop()


# ------------------------------------------------------------------------------- --timeout

@pytest.mark.parametrize("cmd", [["scan"], ["read", "--address", "0"]])
def test_negative_timeout_is_refused(cmd):
    usage_error(*cmd, "--dut", "sim:cmi1020", "--timeout", "-1", must=("--timeout",))


def test_timeout_is_seconds_with_decimals():
    # a "gateway" that accepts and never answers: every try waits the whole --timeout
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    port = srv.getsockname()[1]
    conns = []
    stop = threading.Event()

    def accept():
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conns.append(srv.accept()[0])
            except OSError:
                pass

    t = threading.Thread(target=accept)
    t.start()
    try:
        t0 = time.monotonic()
        p = run("read", "--dut", f"tcp://127.0.0.1:{port}", "--address", "1", "--timeout", "0.5", "--retries", "0")
        elapsed = time.monotonic() - t0
        assert p.returncode == 1 and "timeout" in p.stderr, p.stderr
        assert 0.5 <= elapsed < 10, elapsed  # 0.5 s, not 0.5 ms and not 500 s
        t0 = time.monotonic()
        p = run("read", "--dut", f"tcp://127.0.0.1:{port}", "--address", "1", "--timeout", "1.5", "--retries", "0")
        assert p.returncode == 1 and 1.5 <= time.monotonic() - t0 < 10
    finally:
        stop.set()
        t.join()
        for c in conns:
            c.close()
        srv.close()


def test_timeout_in_seconds_reads_a_slave():
    p = run("read", "--dut", "sim:cmi1020", "--address", "0", "--timeout", "0.5", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout.splitlines()[0])["decoded"]["header"]["id"] == "13647123"


@pytest.mark.parametrize("args", [
    ["simulate", "cmi1020", "--listen", "tcp://127.0.0.1:0", "--disconnect-timeout", "-1"],
    ["simulate", "cme3000", "--listen", "tcp://127.0.0.1:0", "--bus", "sim:cmi1020", "--disconnect-timeout", "-1"],
    ["simulate", "cme3000", "--listen", "tcp://127.0.0.1:0", "--bus", "sim:cmi1020", "--disconnect-timeout", "1.5"],
    ["simulate", "cme3000", "--listen", "tcp://127.0.0.1:0", "--bus", "sim:cmi1020", "--keepalive", "-1"],
])
def test_negative_or_impossible_durations_are_refused(args):
    usage_error(*args)


# ------------------------------------------------------------------ commands and devices

def test_unknown_command_says_so():
    line = usage_error("frobnicate", must=("unknown command 'frobnicate'",))
    for name in ("decode", "simulate", "scan", "read", "run", "vectors"):
        assert name in line


def test_unknown_device_says_so():
    usage_error("simulate", "cmi9999", "--listen", "tcp://127.0.0.1:0",
                must=("unknown simulate device 'cmi9999'", "cmi1020", "cme3000", "cme3100"))


def test_simulate_without_a_device_names_them():
    usage_error("simulate", must=("cmi1020", "cme3000", "cme3100"))


def test_an_option_of_another_device_is_a_usage_error():
    usage_error("simulate", "cmi1020", "--listen", "tcp://127.0.0.1:0", "--meter-list", "x.csv",
                must=("--meter-list", "cme3100"))
    usage_error("simulate", "cme3100", "--listen", "tcp://127.0.0.1:0", "--bus", "sim:cmi1020", "--search",
                "--readout", "x", must=("--readout",))
    usage_error("simulate", "cme3000", "--listen", "tcp://127.0.0.1:0", "--bus", "sim:cmi1020", "--pty", "x",
                must=("--pty",))


def test_simulate_help_names_every_device():
    p = run("simulate", "--help")
    assert p.returncode == 0
    for device in ("cmi1020", "cme3000", "cme3100", "cmi1020w", "cmi6110"):
        assert re.search(rf"^\s+{device}\s", p.stdout, re.M), p.stdout


OWN_OPTIONS = {
    "cmi1020": {"--listen", "--pty", "--readout", "--count", "--state", "--disconnect-timeout", "--pcap"},
    "cme3000": {"--listen", "--serial", "--bus", "--keepalive", "--disconnect-timeout", "--time-scale", "--stats",
                "--pcap"},
    "cme3100": {"--listen", "--serial", "--bus", "--meter-list", "--search", "--keys", "--db", "--schedule", "--pcap"},
    "cmi1020w": {"--readout", "--key", "--mode", "--interval", "--telegrams", "--hex-out", "--pcap", "--dongle", "--pty",
                 "--first-read"},
    "cmi6110": {"--start", "--days", "--network-down", "--uplinks-out", "--encoding", "--format", "--order", "--utc-offset",
                "--meter-error", "--server", "--bootstrap", "--endpoint", "--psk-id", "--psk", "--lifetime", "--time-scale",
                "--listen-port", "--gateway", "--topic"},
}


@pytest.mark.parametrize("device", sorted(OWN_OPTIONS))
def test_device_help_shows_that_devices_options_only(device):
    p = run("simulate", device, "--help")
    assert p.returncode == 0
    shown = set(re.findall(r"^\s+(?:-\w,)?(--[a-z-]+)", p.stdout, re.M))
    assert OWN_OPTIONS[device] <= shown, p.stdout
    others = set().union(*(o for d, o in OWN_OPTIONS.items() if d != device)) - OWN_OPTIONS[device]
    assert not (others & shown), others & shown


# ------------------------------------------------------------------------------- --readout

def readout_error(path, *more):
    return usage_error("simulate", "cmi1020", "--listen", "tcp://127.0.0.1:0", "--readout", str(path), *more,
                       must=("--readout", str(path)))


def test_readout_that_is_a_directory(tmp_path):
    readout_error(tmp_path)


def test_readout_that_is_missing(tmp_path):
    readout_error(tmp_path / "missing.txt")


def test_readout_of_50_mb_random_bytes_is_refused_at_once(tmp_path):
    f = tmp_path / "random.bin"
    f.write_bytes(os.urandom(50 * 1024 * 1024))
    t0 = time.monotonic()
    readout_error(f)
    assert time.monotonic() - t0 < 10


def test_readout_of_random_bytes_names_line_and_column(tmp_path):
    f = tmp_path / "random.bin"
    f.write_bytes(bytes([0x80]) + os.urandom(1000))
    assert re.search(r"line 1, column 1: [a-z_]+: ", readout_error(f))


def test_unparseable_readout_names_line_and_column(tmp_path):
    f = tmp_path / "bad.readout"
    # line 1 identification, line 2 STX + first data line, line 3 a data line, line 4 not code(value)
    f.write_bytes(b"/LGZ4ZMF100AC.M26\r\n\x021.8.0(001234.567*kWh)\r\n2.8.0(000000.302*kWh)\r\nnot a data line\r\n"
                  b"!\r\n\x03\x00")
    assert re.search(r"line 4, column \d+: [a-z_]+: ", readout_error(f))


def test_readout_without_the_wire_framing_is_accepted(tmp_path):
    f = tmp_path / "bare.readout"
    f.write_bytes(b"1.8.1(000123.456*kWh)\n")  # a bare data block, LF line end
    s = Server("cmi1020", "--listen", "tcp://127.0.0.1:0", "--readout", str(f), "--first-readout-ms", "0")
    try:
        time.sleep(1.5)  # the first meter readout
        with socket.create_connection(("127.0.0.1", s.port), timeout=5) as c:
            c.sendall(bytes.fromhex("105B005B16"))  # REQ_UD2 to address 0 (§6.7.2)
            data = b""
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline and not (len(data) >= 6 and len(data) >= data[1] + 6):
                data += c.recv(4096)
        rsp = metercert.decode(data)
        energy = [r["value"] for r in rsp["records"] if r.get("quantity") == "energy" and r.get("tariff") == 1]
        assert energy == ["123456"], rsp["records"]  # 123.456 kWh = 123456 Wh (Table 6: 1.8.1)
    finally:
        s.stop()


# ------------------------------------------------------------------- CSV files (CMe3100)

HEADER = "Position,SecondaryAddress,BaudRate,AddressingMode,PrimaryAddress,EnhancedAddress\n"


def cme3100(*args):
    return ("simulate", "cme3100", "--listen", "tcp://127.0.0.1:0", "--bus", "sim:cmi1020", *args)


def test_meter_list_with_an_unterminated_quote(tmp_path):
    f = tmp_path / "meters.csv"
    f.write_text(HEADER + "Cafeteria,13647123,2400,secondary,,\n" + '"Reception,13647124,2400,secondary,,\n')
    line = usage_error(*cme3100("--meter-list", str(f)))
    assert line == f"error: --meter-list {f}: row 3: unterminated quoted field", line


def test_meter_list_with_binary_bytes(tmp_path):
    f = tmp_path / "meters.csv"
    f.write_bytes(HEADER.encode() + b"Cafe\x00teria,13647123,2400,secondary,,\n" + os.urandom(200))
    usage_error(*cme3100("--meter-list", str(f)), must=(f"--meter-list {f}: row ",))


def test_meter_list_that_is_a_directory(tmp_path):
    usage_error(*cme3100("--meter-list", str(tmp_path)), must=("--meter-list", str(tmp_path)))


def test_meter_list_with_a_utf8_bom_from_excel_is_installed(tmp_path):
    f = tmp_path / "meters.csv"
    f.write_bytes(b"\xef\xbb\xbf" + (HEADER + "Cafeteria,13647123,2400,secondary,,\n").replace("\n", "\r\n").encode())
    s = Server(*cme3100("--meter-list", str(f))[1:])
    s.stop()
    assert "1 meter(s) installed" in "".join(s.lines), s.lines
    assert "1/1 meter(s) read" in "".join(s.lines), s.lines


def test_key_file_with_an_unterminated_quote_names_no_key(tmp_path):
    ml = tmp_path / "meters.csv"
    ml.write_text(HEADER + "Cafeteria,13647123,2400,secondary,,\n")
    keys = tmp_path / "keys.csv"
    key = "00112233445566778899AABBCCDDEEFF"
    keys.write_text(f'address,key,manufacturer,device type,version\n13647123,"{key},ELV,-1,-1\n')
    line = usage_error(*cme3100("--meter-list", str(ml), "--keys", str(keys)), must=(f"--keys {keys}: row 2:",))
    assert key not in line and key.lower() not in line


# ------------------------------------------------------------- outputs that cannot be written

@pytest.mark.parametrize("args", [
    ["simulate", "cmi1020", "--listen", "tcp://127.0.0.1:0", "--pcap", "/proc/metercert/x.pcap"],
    ["simulate", "cmi1020", "--listen", "tcp://127.0.0.1:0", "--state", "/proc/metercert-state"],
    ["simulate", "cme3000", "--listen", "tcp://127.0.0.1:0", "--bus", "sim:cmi1020", "--stats", "/proc/metercert/s.json"],
    ["simulate", "cme3000", "--listen", "tcp://127.0.0.1:0", "--bus", "sim:cmi1020", "--pcap", "/proc/metercert/x.pcap"],
    ["simulate", "cme3100", "--listen", "tcp://127.0.0.1:0", "--bus", "sim:cmi1020", "--search",
     "--commission-report", "/proc/metercert/report.csv"],
    ["scan", "--dut", "sim:cmi1020", "--pcap", "/proc/metercert/x.pcap"],
])
def test_unwritable_output_is_one_line(args):
    usage_error(*args)
