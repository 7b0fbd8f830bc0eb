"""The suite's MQTT-SN gateway over DTLS 1.2 PSK (metercert._core.Lwm2mServers(mqttsn_dtls=True),
rigs/dtls; CMi6110 Table 2 33905/x/2 = 0 "PSK mode", ERRATA E-134, E-147) against a third-party DTLS
stack: the Debian openssl CLI (`openssl s_client -dtls1_2 -psk_identity ID -psk HEX`) completes the
handshake and carries MQTT-SN 1.2 messages written here by hand from the specification (§5.4.4
CONNECT / §5.4.5 CONNACK, §5.4.10 REGISTER / §5.4.11 REGACK, §5.4.12 PUBLISH / §5.4.13 PUBACK);
tshark reads the capture as DTLS; a clear datagram is dropped; the PSK appears in no output and no
capture. Loopback only, every wait bounded."""
import os
import select
import shutil
import socket
import subprocess
import sys
import time

import pytest

from metercert import _core

OPENSSL = shutil.which("openssl")
TSHARK = shutil.which("tshark")
need_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl CLI (Debian package openssl) not installed")

PSK_ID = "0004A30B001A2B3C"  # a DevEUI, the identity the module presents (ERRATA E-147)
PSK = bytes.fromhex("7D1C0E5A93B24F6E8A1D2C3B4A596877")

# MQTT-SN 1.2 §5.4.4 CONNECT: Length 0x0A, MsgType 0x04, Flags 0x04 (CleanSession), ProtocolId 0x01,
# Duration 0x003C (60 s), ClientId "ossl"
CONNECT = bytes.fromhex("0A 04 04 01 003C") + b"ossl"
CONNACK = bytes.fromhex("03 05 00")  # §5.4.5: Length 3, MsgType 0x05, ReturnCode 0x00 accepted
# §5.4.10 REGISTER: Length 0x0A, MsgType 0x0A, TopicId 0x0000, MsgId 0x0001, TopicName "m/dt"
REGISTER = bytes.fromhex("0A 0A 0000 0001") + b"m/dt"


def _wait(pred, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


class SClient:
    """openssl s_client -dtls1_2 with the PSK; bytes written to its stdin go out as one record each."""

    def __init__(self, port, identity=PSK_ID, key=PSK):
        self.p = subprocess.Popen([OPENSSL, "s_client", "-dtls1_2", "-connect", f"127.0.0.1:{port}", "-psk_identity", identity,
                                   "-psk", key.hex(), "-nocommands"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0)
        os.set_blocking(self.p.stdout.fileno(), False)
        self.out = b""

    def read_until(self, pred, timeout):
        deadline = time.monotonic() + timeout
        while not pred(self.out) and time.monotonic() < deadline:
            r, _, _ = select.select([self.p.stdout], [], [], 0.05)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 65536)
                if not chunk:
                    break
                self.out += chunk
        return pred(self.out)

    def handshake(self, timeout=5.0):
        # s_client prints its session also after a fatal alert: success is a PSK suite and no alert
        self.read_until(lambda o: b"Cipher is" in o, timeout)
        return b"Cipher is PSK" in self.out and b"alert" not in self.out

    def exchange(self, request, timeout=3.0):
        """Sends one datagram, returns the bytes s_client printed after it (the gateway's answer)."""
        mark = len(self.out)
        os.write(self.p.stdin.fileno(), request)
        self.read_until(lambda o: len(o) > mark, timeout)
        time.sleep(0.05)
        self.read_until(lambda o: False, 0.05)
        return self.out[mark:]

    def close(self):
        self.p.kill()
        self.p.wait(timeout=5)
        self.p.stdin.close()
        self.p.stdout.close()


@need_openssl
def test_openssl_s_client_connect_register_publish_through_the_dtls_gateway(tmp_path):
    s = _core.Lwm2mServers(bootstrap=False, dm=False, mqttsn=True, mqttsn_dtls=True, psks={PSK_ID: PSK}, pcap_dir=tmp_path,
                           lifetime_ms=30000)
    c = SClient(s.mqttsn_port)
    try:
        assert c.handshake(), c.out[-2000:]
        assert c.exchange(CONNECT) == CONNACK
        regack = c.exchange(REGISTER)
        # §5.4.11 REGACK: Length 7, 0x0B, TopicId, MsgId 0x0001, ReturnCode 0x00
        assert regack[:2] == bytes.fromhex("07 0B") and regack[4:] == bytes.fromhex("0001 00"), regack.hex()
        tid = regack[2:4]
        # §5.4.12 PUBLISH QoS 1 (Flags 0x20), TopicId, MsgId 0x0002, Data "abc" → §5.4.13 PUBACK
        assert c.exchange(bytes.fromhex("0A 0C 20") + tid + bytes.fromhex("0002") + b"abc") == \
            bytes.fromhex("07 0D") + tid + bytes.fromhex("0002 00")
        assert _wait(lambda: len(s.uplinks()) >= 3, 2)
        ups = s.uplinks()
        assert [u["type"] for u in ups] == ["CONNECT", "REGISTER", "PUBLISH"]
        assert {u["psk_identity"] for u in ups} == {PSK_ID}
        assert ups[2]["data"] == b"abc" and ups[2]["topic"] == "m/dt" and ups[2]["client_id"] == "ossl"
        ev = [e for e in s.mqttsn_dtls_events() if e["event"] == "established"]
        assert len(ev) == 1 and ev[0]["identity"] == PSK_ID and "PSK" in ev[0]["cipher"]
        assert 0 < ev[0]["handshake_ms"] < 2000
        # nothing in clear: every datagram either way on the gateway's tap is a DTLS record (RFC 6347 §4.1)
        grams = [d for d in s.datagrams() if d["server"] == "mqttsn"]
        assert len(grams) >= 8
        for d in grams:
            b = d["bytes"]
            assert 20 <= b[0] <= 23 and b[1] == 0xFE, b[:3].hex()
            assert CONNECT not in b and b"m/dt" not in b
    finally:
        c.close()
        s.stop()
    out = c.out
    for secret in (PSK, PSK.hex().encode(), PSK.hex().upper().encode()):
        assert secret not in out
        assert secret not in (tmp_path / "mqttsn.pcap").read_bytes()
    if TSHARK:
        # tshark's own DTLS dissector: handshake (22) then application data (23), nothing it reads as MQTT-SN
        args = [TSHARK, "-r", str(tmp_path / "mqttsn.pcap"), "-d", f"udp.port=={s.mqttsn_port},dtls", "-T", "fields",
                "-e", "dtls.record.content_type", "-e", "dtls.handshake.type"]
        rows = subprocess.run(args, capture_output=True, text=True, timeout=30, check=True).stdout.splitlines()
        types = {t for r in rows for t in r.split("\t")[0].split(",") if t}
        assert {"22", "23"} <= types, rows
        hs = {t for r in rows for t in (r.split("\t") + [""])[1].split(",") if t}
        assert {"1", "3", "2", "14"} <= hs, rows  # ClientHello, HelloVerifyRequest, ServerHello, ServerHelloDone
        mq = subprocess.run([TSHARK, "-r", str(tmp_path / "mqttsn.pcap"), "-d", f"udp.port=={s.mqttsn_port},dtls", "-Y", "mqttsn"],
                            capture_output=True, text=True, timeout=30, check=True).stdout
        assert mq.strip() == ""


def test_a_clear_datagram_is_dropped_by_the_dtls_gateway():
    s = _core.Lwm2mServers(bootstrap=False, dm=False, mqttsn=True, mqttsn_dtls=True, psks={PSK_ID: PSK}, lifetime_ms=20000)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.sendto(CONNECT, ("127.0.0.1", s.mqttsn_port))
        u.settimeout(0.5)
        with pytest.raises(socket.timeout):
            u.recvfrom(2048)
        assert _wait(lambda: any(e["event"] == "not_dtls" for e in s.mqttsn_dtls_events()), 2)
        assert s.uplinks() == []
    finally:
        u.close()
        s.stop()


@need_openssl
def test_an_unknown_identity_or_another_key_gets_no_session():
    s = _core.Lwm2mServers(bootstrap=False, dm=False, mqttsn=True, mqttsn_dtls=True, psks={PSK_ID: PSK}, lifetime_ms=20000)
    unknown = SClient(s.mqttsn_port, identity="0004A30B00FFFFFF")
    other_key = SClient(s.mqttsn_port, key=bytes(16))
    try:
        assert not unknown.handshake(1.5)
        assert b"alert unknown psk identity" in unknown.out  # RFC 4279 §2, as the third party reports it
        # another key: the gateway cannot verify the client's Finished and drops it (RFC 6347 §4.1.2.7)
        assert not other_key.handshake(0.5)
        assert _wait(lambda: any(e["event"] == "handshake_failed" for e in s.mqttsn_dtls_events()), 2)
        assert not any(e["event"] == "established" for e in s.mqttsn_dtls_events())
        assert s.uplinks() == []
    finally:
        unknown.close()
        other_key.close()
        s.stop()


def test_no_psk_in_any_output_of_the_dtls_gateway(tmp_path):
    """What a script using the DTLS gateway prints (repr, events, uplinks, datagrams, errors) and its
    capture: never the PSK, raw or hex (issue 15 "Security")."""
    script = f"""
from metercert import _core
s = _core.Lwm2mServers(bootstrap=False, dm=False, mqttsn=True, mqttsn_dtls=True, psks={{{PSK_ID!r}: {PSK!r}}},
                       pcap_dir={str(tmp_path)!r}, lifetime_ms=20000)
print(repr(s), s.mqttsn_dtls_events(), s.uplinks(), s.datagrams())
for bad in ({{}}, {{"x": b""}}):
    try:
        _core.Lwm2mServers(bootstrap=False, dm=False, mqttsn=True, mqttsn_dtls=True, psks=bad)
    except Exception as e:
        print("error:", e)
s.stop()
"""
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert out.count("error:") == 2, out
    for secret in (PSK.hex(), PSK.hex().upper(), PSK.decode("latin-1")):
        assert secret not in out
    for f in tmp_path.glob("*.pcap"):
        assert PSK not in f.read_bytes()
