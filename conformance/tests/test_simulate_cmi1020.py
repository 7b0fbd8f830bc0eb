"""`metercert simulate cmi1020` driven as any M-Bus master would: raw frames over TCP (as through a
CMe3000) or a pty. Requests are written out by hand from the CMi1020 manual's byte tables (§6.7);
replies are decoded with the metercert package and compared with the real E350 readout."""
import json
import os
import pathlib
import select
import signal
import socket
import subprocess
import termios
import time
import tty

import pytest

import metercert

from conftest import BIN, Server, Sim, frame_complete, recv_until


def snd_ud(a, ci, ud=b""):
    return metercert.build_long(0x53, a, ci, ud)


@pytest.fixture
def sim():
    s = Sim("--listen", "tcp://127.0.0.1:0").connect()
    time.sleep(2.2)  # the first meter readout is 2 s after power-on
    yield s
    s.stop()


def test_snd_nke_and_rsp_ud_of_the_real_e350(sim):
    assert sim.exchange(bytes.fromhex("1040004016")) == b"\xe5"  # §6.7.1
    rsp = metercert.decode(sim.exchange(bytes.fromhex("105B005B16")))  # §6.7.2 REQ_UD2
    assert rsp["c_name"] == "RSP_UD" and rsp["ci"] == "72"
    assert rsp["header"]["manufacturer"] == "ELV" and rsp["header"]["id"] == "13647123"  # Table 4: C.1.0
    values = {(r["quantity"], r["tariff"], r["subunit"], tuple(r.get("qualifiers", []))): r["value"]
              for r in rsp["records"] if "quantity" in r}
    assert values[("energy", 1, 0, ("forward flow",))] == "42951721"  # 1.8.1(042951.721*kWh)
    assert values[("energy", 1, 0, ("backward flow",))] == "302"      # 2.8.1(000000.302*kWh)
    assert values[("voltage", 0, 1, ())] == "241"                     # 32.7(241*V)
    assert values[("current", 0, 3, ())] == "0.47"                    # 71.7(000.47*A)
    assert rsp["special"] == "0F"


def test_set_primary_address_then_read_it(sim):
    # §6.7.5: 68 06 06 68 53 00 51 01 7A 07 CS 16 (CS by hand: 53+00+51+01+7A+07 = 0x126 → 26)
    assert sim.exchange(bytes.fromhex("680606685300510 17A07 2616".replace(" ", ""))) == b"\xe5"
    assert sim.exchange(bytes.fromhex("105B005B16"), wait=0.3) == b""  # address 0 no longer answers
    assert metercert.decode(sim.exchange(bytes.fromhex("105B076216")))["a"] == 7


def test_bad_checksum_gets_silence(sim):
    assert sim.exchange(bytes.fromhex("1040004116"), wait=0.3) == b""


def test_state_survives_a_restart(tmp_path):
    s = Sim("--listen", "tcp://127.0.0.1:0", "--state", str(tmp_path)).connect()
    assert s.exchange(snd_ud(0, 0x51, bytes.fromhex("017A2A"))) == b"\xe5"
    rc, err = s.stop(signal.SIGINT)
    assert rc == 0 and "state saved" in err
    assert "88888888" not in err  # the P1 password stays out of the log
    s2 = Sim("--listen", "tcp://127.0.0.1:0", "--state", str(tmp_path)).connect()
    assert s2.exchange(bytes.fromhex("1040 2A 6A16".replace(" ", ""))) == b"\xe5"  # SND_NKE to 42
    s2.stop()
    assert oct((tmp_path / "cmi1020-0.json").stat().st_mode & 0o777) == "0o600"


def test_many_slaves_selection_and_collision():
    s = Sim("--listen", "tcp://127.0.0.1:0", "--count", "10", "--secondary", "20000001").connect()
    # §6.7.7 select 20000007 exactly: one ACK, then 253 reads it
    assert s.exchange(snd_ud(253, 0x52, bytes.fromhex("07000020"))) == b"\xe5"
    assert metercert.decode(s.exchange(bytes.fromhex("105BFD5816")))["header"]["id"] == "20000007"
    # wildcard on the units digit (mask byte 0 = 0F): 20000001..20000009 all answer the REQ_UD2: a collision
    s.exchange(snd_ud(253, 0x52, bytes.fromhex("0F000020")))
    wire = s.exchange(bytes.fromhex("105BFD5816"))
    # nine RSP_UD starting at different fractions of a bit: bytes arrive, but no valid frame
    assert wire
    reader = metercert.FrameReader()
    events = reader.feed(wire) + reader.finish()
    assert not any(e.kind == "frame" and e.length > 1 for e in events)
    s.stop()


def test_pty(tmp_path):
    link = tmp_path / "mbus"
    s = Sim("--pty", str(link))
    fd = os.open(link, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    termios.tcflush(fd, termios.TCIOFLUSH)
    os.write(fd, bytes.fromhex("1040004016"))
    r, _, _ = select.select([fd], [], [], 3)
    assert r and os.read(fd, 16) == b"\xe5"
    os.close(fd)
    rc, _ = s.stop()
    assert rc == 0 and not link.exists()


def test_usage_errors_exit_2():
    r = subprocess.run([BIN, "simulate", "cmi1020", "--listen", "udp://x"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "tcp://HOST:PORT" in r.stderr
    r = subprocess.run([BIN, "simulate", "cmi1020", "--listen", "tcp://127.0.0.1:0", "--secondary", "12AB"],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "8 decimal digits" in r.stderr


def test_kill_at_any_moment_leaves_a_whole_state_file(tmp_path):
    # The state file is replaced by rename(2): after SIGKILL it holds one of the addresses the
    # slave was given (or the one it started with), never a torn document.
    rng = __import__("random").Random(7)
    current = 0
    for _ in range(5):
        s = Sim("--listen", "tcp://127.0.0.1:0", "--state", str(tmp_path)).connect()
        possible = {current}
        deadline = time.monotonic() + rng.uniform(0.05, 0.4)
        while time.monotonic() < deadline:
            new = rng.randrange(1, 250)
            s.sock.sendall(snd_ud(current, 0x51, bytes([0x01, 0x7A, new])))
            possible.add(new)
            current = new
            time.sleep(0.002)
        s.proc.kill()  # SIGKILL: no chance to save on exit
        s.proc.wait(timeout=10)
        state = json.loads((tmp_path / "cmi1020-0.json").read_text())
        assert state["schema"] == "metercert.cmi1020.state/1"
        assert state["primary_address"] in possible
        current = state["primary_address"]  # the next power-up continues from what was saved


def test_wire_timing_delays_the_reply():
    # 2400 Bd, 11 bits per character: the E350 RSP_UD (195 bytes) takes (11 + 195·11) / 2400 s ≈ 0.90 s
    s = Sim("--listen", "tcp://127.0.0.1:0", "--wire-timing", "--first-readout-ms", "0").connect()
    t0 = time.monotonic()
    reply = s.exchange(bytes.fromhex("105B005B16"), wait=5)
    elapsed = time.monotonic() - t0
    s.stop()
    assert len(reply) == 195 and elapsed >= 0.85, (len(reply), elapsed)


# ------------------------------------------------ a bus behind a gateway (issue 11, section 5)
# The simulator over TCP stands for CMi1020 slaves behind a CMe3000 (CMe3000 manual §6.3,
# Table 3): one client at a time, a second connection closed at once, a client idle for the
# disconnect timeout (Table 3 factory default: 10 s) closed. EN 13757-2 takes IEC 60870-5-1's
# FT 1.2 rules: no line idle between the characters of a frame, so a frame the master stops
# sending half-way is dropped and the next frame is read on its own.

SND_NKE_0 = bytes.fromhex("1040004016")  # §6.7.1, address 0


def test_second_client_is_closed_at_once_while_one_is_connected():
    s = Sim("--listen", "tcp://127.0.0.1:0").connect()
    try:
        second = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        second.settimeout(2)
        t0 = time.monotonic()
        assert second.recv(16) == b""  # closed by the simulator, not left waiting
        assert time.monotonic() - t0 < 1.5
        second.close()
        assert s.exchange(SND_NKE_0) == b"\xe5"  # the first client still has the bus
        s.sock.close()
        time.sleep(0.3)
        s.connect()  # the slot is free again once the first client is gone
        assert s.exchange(SND_NKE_0) == b"\xe5"
    finally:
        s.stop()


def test_idle_client_is_closed_after_the_table_3_default_of_10_s():
    s = Sim("--listen", "tcp://127.0.0.1:0").connect()
    try:
        assert s.exchange(SND_NKE_0) == b"\xe5"  # activity: the 10 s count from here
        t0 = time.monotonic()
        s.sock.settimeout(20)
        assert s.sock.recv(16) == b""
        idle = time.monotonic() - t0
        assert 9.5 <= idle <= 12.0, idle  # CMe3000 Table 3: disconnect timeout 10 s
    finally:
        s.stop()


def test_one_idle_client_does_not_block_everyone():
    s = Sim("--listen", "tcp://127.0.0.1:0", "--disconnect-timeout", "1.5").connect()  # connected, sends nothing
    try:
        t0 = time.monotonic()
        while True:  # another master retries until the idle one has been closed
            assert time.monotonic() - t0 < 6, "the idle client kept the bus"
            c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            c.sendall(SND_NKE_0)
            got = recv_until(c, frame_complete, wait=0.5)
            c.close()
            if got == b"\xe5":
                break
            time.sleep(0.2)
        assert 1.3 <= time.monotonic() - t0 <= 4.0
    finally:
        s.stop()


def test_disconnect_timeout_0_never_closes():
    s = Sim("--listen", "tcp://127.0.0.1:0", "--disconnect-timeout", "0").connect()
    try:
        time.sleep(2.5)
        assert s.exchange(SND_NKE_0) == b"\xe5"
    finally:
        s.stop()


def test_a_partial_frame_is_dropped_and_the_next_frame_is_answered():
    s = Sim("--listen", "tcp://127.0.0.1:0", "--first-readout-ms", "0").connect()
    try:
        s.sock.sendall(bytes.fromhex("680D0D6853"))  # a long frame's start, then nothing
        time.sleep(1.0)  # longer than the simulator's 500 ms allowance for split TCP segments
        assert s.exchange(SND_NKE_0) == b"\xe5"
        rc, err = s.stop()
        assert rc == 0 and "1 partial frame(s) dropped" in err
    finally:
        s.stop()


def test_a_frame_split_over_tcp_segments_is_still_one_frame():
    s = Sim("--listen", "tcp://127.0.0.1:0", "--first-readout-ms", "0").connect()
    try:
        s.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        req = bytes.fromhex("105B005B16")  # REQ_UD2 to 0 (§6.7.2) in three segments, 150 ms apart
        for part in (req[:1], req[1:3], req[3:]):
            s.sock.sendall(part)
            time.sleep(0.15)
        rsp = recv_until(s.sock, frame_complete, wait=2)
        assert metercert.decode(rsp)["c_name"] == "RSP_UD"
    finally:
        s.stop()


def test_pty_partial_frame_is_dropped_after_the_line_idle(tmp_path):
    link = tmp_path / "mbus"
    s = Sim("--pty", str(link), "--first-readout-ms", "0")
    fd = os.open(link, os.O_RDWR | os.O_NOCTTY)
    try:
        tty.setraw(fd)
        termios.tcflush(fd, termios.TCIOFLUSH)
        os.write(fd, bytes.fromhex("680D0D68"))
        time.sleep(0.2)  # 33 bit times at 2400 Bd are 13.75 ms: far past them
        os.write(fd, SND_NKE_0)
        r, _, _ = select.select([fd], [], [], 3)
        assert r and os.read(fd, 16) == b"\xe5"
    finally:
        os.close(fd)
        s.stop()


def test_the_meters_optical_port_on_a_pty(tmp_path):
    """--probe-pty: the first slave's E350 answers IEC 62056-21 mode C (request, identification,
    option select, data message; the messages written out here) with the real capture; --load grows
    its 1.8.1 by whole Wh on the simulator's clock (3.6 MW: 1 kWh per second); --meter-fault
    damages the answer (receive_error: the BCC). Run under the sanitizers too (ci/test)."""
    real = (pathlib.Path(__file__).resolve().parents[2] / "vectors" / "obis" / "lgz-zmf100ac-m26.readout").read_bytes()

    def exchange(path):
        fd = os.open(path, os.O_RDWR | os.O_NOCTTY)
        try:
            tty.setraw(fd)
            got = b""
            os.write(fd, b"/?!\r\n")
            end = time.monotonic() + 3
            while not got.endswith(b"\r\n") and time.monotonic() < end:
                if select.select([fd], [], [], 0.1)[0]:
                    got += os.read(fd, 4096)
            os.write(fd, b"\x06040\r\n")  # ACK, V 0, Z 4 (4800 Bd, the identification's), Y 0: data readout
            end = time.monotonic() + 3
            while not (len(got) >= 2 and got[-2] == 0x03) and time.monotonic() < end:
                if select.select([fd], [], [], 0.1)[0]:
                    got += os.read(fd, 4096)
            return got
        finally:
            os.close(fd)

    s = Server("cmi1020", "--pty", str(tmp_path / "m"), "--probe-pty", str(tmp_path / "p"))
    try:
        assert exchange(str(tmp_path / "p")) == real
    finally:
        s.stop()
    s = Server("cmi1020", "--pty", str(tmp_path / "m"), "--probe-pty", str(tmp_path / "p"), "--load", "3600000")
    try:
        a = exchange(str(tmp_path / "p"))
        time.sleep(1.2)
        b = exchange(str(tmp_path / "p"))
    finally:
        s.stop()
    v = [float(x.split(b"1.8.1(")[1].split(b"*")[0]) for x in (a, b)]
    assert 42951.721 <= v[0] < v[1] and 1.0 <= v[1] - v[0] < 10.0, v
    s = Server("cmi1020", "--pty", str(tmp_path / "m"), "--probe-pty", str(tmp_path / "p"), "--meter-fault", "receive_error")
    try:
        bad = exchange(str(tmp_path / "p"))
    finally:
        s.stop()
    assert bad[:-1] == real[:-1] and bad[-1] != real[-1]  # every byte but the BCC
