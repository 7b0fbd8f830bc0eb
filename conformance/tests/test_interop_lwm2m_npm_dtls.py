"""The generic LwM2M client of test_interop_lwm2m_npm.py over DTLS 1.2 PSK (README "Certifying a
generic LwM2M client"): coap-node 0.2.5 (npm) with its UDP carried through node-dtls-client 2.0.3
(npm, AlCalzone's pure-JS DTLS 1.2 client with PSK; ci/interop/dtls_transport.js routes node-coap's
datagrams into its one session) registers with `metercert run --profile cmi6110 --dut
'lwm2m://127.0.0.1:PORT?endpoint=…&psk_id=…&psk=…'` (the suite's DM server, coaps). It passes the
generic LwM2M cases and the DTLS-PSK case int-401, and fails the CMi6110-specific ones with what it
lacks named, as over NoSec.

The datagrams go through a relay of this test, which reads them independently of the suite (RFC 6347
§4.1 record header, RFC 5246 §7.4 handshake, RFC 4279 §2 PSK ClientKeyExchange): every one is a DTLS
1.2 record, the server chose one of LwM2M's PSK cipher suites (the client offers those alone), the
client named the identity given. The PSK is in no
output, report or datagram. Needs node and ci/interop's npm packages (ci/setup: `npm ci`); skipped
with the reason otherwise. Loopback only; every process and the relay have deadlines."""
import json
import select
import socket
import subprocess
import threading
import time

from conftest import BIN, free_udp_port, wait_udp_bound
from test_interop_lwm2m_npm import CMI6110_ONLY, GENERIC_PASS, INTEROP, NODE, _need

PSK = "5be1c0de77a24f0b9d6e3c2a1f00e4d7"  # a test key: must never be shown
PSK_ID = "generic-lab-id"

# the PSK suites of LwM2M (TS 1.0 §7.1, Transport TS 1.1 §5.2), the only ones the generic client offers:
# TLS_PSK_WITH_AES_128_CCM_8 (RFC 6655 §4: 0xC0A8) and TLS_PSK_WITH_AES_128_CBC_SHA256 (RFC 5487 §3.1: 0x00AE)
LWM2M_PSK_SUITES = {0xC0A8, 0x00AE}


class Relay:
    """UDP relay 127.0.0.1:port -> 127.0.0.1:upstream that keeps every datagram with its direction."""

    def __init__(self, upstream: int, seconds: float):
        self.front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.front.bind(("127.0.0.1", 0))
        self.back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.back.bind(("127.0.0.1", 0))
        self.port = self.front.getsockname()[1]
        self.upstream = ("127.0.0.1", upstream)
        self.client = None
        self.datagrams: list[tuple[str, bytes]] = []
        self.stop = threading.Event()
        self.deadline = time.monotonic() + seconds
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            ready, _, _ = select.select([self.front, self.back], [], [], 0.2)
            for s in ready:
                data, addr = s.recvfrom(65535)
                if s is self.front:
                    self.client = addr
                    self.datagrams.append(("to_server", data))
                    self.back.sendto(data, self.upstream)
                elif self.client is not None:
                    self.datagrams.append(("to_client", data))
                    self.front.sendto(data, self.client)

    def close(self):
        self.stop.set()
        self.thread.join(timeout=5)
        self.front.close()
        self.back.close()


def dtls_records(datagram: bytes):
    """(content type, version, epoch, fragment) of each DTLS record in a datagram (RFC 6347 §4.1: type 1,
    version 2, epoch 2, sequence number 6, length 2), or None when the datagram is not made of records."""
    out, i = [], 0
    while i < len(datagram):
        if len(datagram) - i < 13:
            return None
        ctype, ver, epoch, length = datagram[i], datagram[i + 1:i + 3], int.from_bytes(datagram[i + 3:i + 5], "big"), \
            int.from_bytes(datagram[i + 11:i + 13], "big")
        if ctype not in (20, 21, 22, 23) or i + 13 + length > len(datagram):
            return None
        out.append((ctype, bytes(ver), epoch, datagram[i + 13:i + 13 + length]))
        i += 13 + length
    return out


def plaintext_handshakes(datagrams, direction):
    """(msg_type, body) of the epoch-0 handshake messages sent in one direction (RFC 6347 §4.2.2: a
    12-byte header, type 1, length 3, message_seq 2, fragment offset 3, fragment length 3; unfragmented)."""
    for d, data in datagrams:
        for ctype, _, epoch, frag in (dtls_records(data) or []) if d == direction else []:
            if ctype == 22 and epoch == 0 and len(frag) >= 12:
                yield frag[0], frag[12:12 + int.from_bytes(frag[9:12], "big")]


def test_a_generic_lwm2m_client_over_dtls_psk_passes_the_generic_cases_and_fails_the_cmi6110_ones(tmp_path):
    _need("coap-node")
    _need("node-dtls-client")
    port = free_udp_port()
    url = f"lwm2m://127.0.0.1:{port}?endpoint=generic-lwm2m-8&psk_id={PSK_ID}&psk={PSK}"
    relay = Relay(port, seconds=300)
    run = client = None
    try:
        run = subprocess.Popen([BIN, "run", "--profile", "cmi6110", "--dut", url, "--report", str(tmp_path / "r")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_udp_bound(port, proc=run)  # the client is switched on once the suite listens (a loaded machine: seconds)
        client = subprocess.Popen([NODE, str(INTEROP / "generic_client.js"), "--server", f"coaps://127.0.0.1:{relay.port}",
                                   "--endpoint", "generic-lwm2m-8", "--psk-id", PSK_ID, "--psk", PSK,
                                   "--lifetime", "8", "--run-seconds", "240"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        out, err = run.communicate(timeout=300)
        client.terminate()  # it De-registers (the suite is gone by now: not judged)
        client_out, client_err = client.communicate(timeout=15)
    finally:
        for p in (run, client):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        relay.close()
    assert f"dtls: DTLS 1.2 PSK session with 127.0.0.1:{relay.port} established (node-dtls-client)" in client_err, client_err
    assert "registered generic-lwm2m-8 at /rd/" in client_err, client_err[-2000:]
    rec = json.loads((tmp_path / "r" / "record.json").read_text())
    by = {c["id"]: c for c in rec["cases"]}
    passed = {i for i, c in by.items() if c["outcome"] == "passed"}
    failed = {i for i, c in by.items() if c["outcome"] == "failed"}
    # over coaps the DTLS-PSK case runs too (over NoSec it is skipped)
    assert passed == GENERIC_PASS | {"cmi6110/6.2/int-401"}, (out + err)[-4000:]
    assert failed == CMI6110_ONLY, (sorted(failed), (out + err)[-4000:])
    assert by["cmi6110/6.2/int-103"]["outcome"] == "skipped"
    assert run.returncode == 1 and rec["verdict"] == "FAIL"
    msg = {i: by[i]["message"] for i in CMI6110_ONLY}
    assert "missing [1, 5, 10, 11, 33905, 33906, 33907, 33908, 33909, 33910, 33911]" in msg["cmi6110/6.3/int-101"]
    assert "expected 'Elvaco', got 'Example Metering Ltd'" in msg["cmi6110/6.3/int-201"]
    assert "Execute /1/1/8" in msg["cmi6110/6.3/int-104"] and "4.04" in msg["cmi6110/6.3/int-104"]
    assert "/0/1/0" in msg["cmi6110/6.3/4"] and "4.04" in msg["cmi6110/6.3/4"]
    assert "FAILED cmi6110/6.3/int-201 (must): /3/0/0 read as text: expected 'Elvaco', got 'Example Metering Ltd'" in out

    # the wire, read by this test: DTLS 1.2 records only, both ways, and application data after the handshake
    ups = [data for d, data in relay.datagrams if d == "to_server"]
    assert len(ups) >= 10, len(ups)  # handshake, Register, Updates, answers to ~20 cases' requests
    for d, data in relay.datagrams:
        recs = dtls_records(data)
        assert recs, (d, data[:8].hex())
        # RFC 6347 §4.1: {254, 253} is DTLS 1.2; a ClientHello's record may say {254, 255}
        assert all(v == b"\xfe\xfd" or (v == b"\xfe\xff" and c == 22 and e == 0) for c, v, e, _ in recs), (d, recs[0][:3])
    assert sum(1 for d, data in relay.datagrams if d == "to_server" and dtls_records(data)[0][0] == 23) >= 5
    hello = [b for t, b in plaintext_handshakes(relay.datagrams, "to_client") if t == 2]  # ServerHello
    assert hello, "no ServerHello"
    assert hello[0][:2] == b"\xfe\xfd"  # server_version DTLS 1.2
    sid = hello[0][34]
    suite = int.from_bytes(hello[0][35 + sid:37 + sid], "big")
    assert suite in LWM2M_PSK_SUITES, hex(suite)
    # RFC 4279 §2: the PSK ClientKeyExchange is psk_identity<0..2^16-1>, the identity given
    cke = [b for t, b in plaintext_handshakes(relay.datagrams, "to_server") if t == 16]
    assert cke and cke[0][2:2 + int.from_bytes(cke[0][:2], "big")] == PSK_ID.encode()

    key = bytes.fromhex(PSK)
    assert all(key not in data for _, data in relay.datagrams)
    for text in [out, err, client_out, client_err] + [p.read_bytes().decode(errors="replace")
                                                       for p in (tmp_path / "r").rglob("*") if p.is_file()]:
        assert PSK not in text and PSK.upper() not in text
    assert "psk=<redacted>" in out + err


def test_the_generic_client_shows_no_key_it_refuses(tmp_path):
    _need("coap-node")
    for argv, said in (
            (["--psk", "zz" + PSK], "--psk is not 1 to 64 bytes in hex (value not shown)"),
            (["--psk", PSK[:-1]], "--psk is not 1 to 64 bytes in hex (value not shown)")):
        p = subprocess.run([NODE, str(INTEROP / "generic_client.js"), "--server", "coaps://127.0.0.1:9",
                            "--endpoint", "x", "--psk-id", PSK_ID, *argv], capture_output=True, text=True, timeout=30)
        assert p.returncode == 2 and said in p.stderr, p.stderr
        assert PSK[:-1] not in p.stdout + p.stderr
    p = subprocess.run([NODE, str(INTEROP / "generic_client.js"), "--server", "coap://127.0.0.1:9", "--endpoint", "x",
                        "--psk-id", PSK_ID, "--psk", PSK], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "--psk-id and --psk are for coaps:// only" in p.stderr and PSK not in p.stderr
