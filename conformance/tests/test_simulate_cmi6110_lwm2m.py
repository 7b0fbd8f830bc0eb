"""Issue 15: `metercert simulate cmi6110 --server coap[s]://…` is the CMi6110's LwM2M client on the
network. Third-party peers only: libcoap's resource directory `coap-rd-openssl` (RFC 9176, which
LwM2M registration follows) takes the registration, `coap-client-openssl` reads the client's
objects over its --listen port (NoSec and DTLS-PSK). Values are checked against the CMi6110 manual
§6.3 Table 1 (3/0/0 Manufacturer "Elvaco", 3/0/1 Model Number "CMi6110"), decoded here with
Python's json and a TLV reader written from OMA LwM2M TS 1.1 §7.4.3. Loopback only, bounded times."""
import json
import os
import re
import select
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import BIN

RD = shutil.which("coap-rd-openssl")
CLIENT = shutil.which("coap-client-openssl")
pytestmark = pytest.mark.skipif(not RD or not CLIENT, reason="Debian libcoap3-bin (coap-rd-openssl, coap-client-openssl) not installed")

# CMi6110 manual §6.3 Tables 1 and 2: the objects a registration lists (Security, object 0, never:
# LwM2M TS 1.1 §5.3.1)
TABLE_OBJECTS = {1, 3, 4, 5, 10, 11, 33905, 33906, 33907, 33908, 33909, 33910, 33911}
ELVACO_OBJECTS = set(range(33905, 33912))


def free_udp_pair():
    """Two consecutive free UDP ports on loopback (coap-rd: port NoSec, port + 1 DTLS)."""
    for _ in range(50):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            t.bind(("127.0.0.1", port + 1))
        except OSError:
            continue
        finally:
            s.close()
            t.close()
        if port + 1 < 65536:
            return port
    raise RuntimeError("no two consecutive free UDP ports")


class Rd:
    """coap-rd-openssl on loopback, its verbose log to a file (for the requests it saw)."""

    def __init__(self, key=None):
        self.port = free_udp_pair()
        self.log = tempfile.NamedTemporaryFile(prefix="coap-rd-", suffix=".log", delete=False)
        args = ["timeout", "60", RD, "-A", "127.0.0.1", "-p", str(self.port), "-v", "7"]
        if key:
            args += ["-k", key]
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        time.sleep(0.3)

    def text(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def stop(self):
        self.proc.kill()
        self.proc.wait()
        os.unlink(self.log.name)


class Sim:
    """The reference client; its stderr lines read as they come."""

    def __init__(self, *args, seconds=8):
        self.proc = subprocess.Popen([BIN, "simulate", "cmi6110", *args, "--run-seconds", str(seconds)],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.err = b""

    def wait_for(self, pattern, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.err.decode(errors="replace"))
            if m:
                return m
            r, _, _ = select.select([self.proc.stderr], [], [], 0.1)
            if r:
                chunk = os.read(self.proc.stderr.fileno(), 65536)
                if not chunk and self.proc.poll() is not None:
                    break
                self.err += chunk
        raise AssertionError(f"no {pattern!r} from the simulator within {timeout} s; stderr: {self.err.decode(errors='replace')}")

    def finish(self):
        out, err = self.proc.communicate(timeout=30)
        self.err += err
        return out + self.err


def coap_get(uri, accept=None, psk=None, method="get", payload=None, content_format=None):
    """coap-client-openssl's received body (its -o file) and its stderr (codes other than 2.xx)."""
    with tempfile.NamedTemporaryFile() as f:
        args = [CLIENT, "-m", method, "-B", "5", "-o", f.name]
        if accept is not None:
            args += ["-A", str(accept)]
        if psk:
            args += ["-u", psk[0], "-k", psk[1]]
        if payload is not None:
            args += ["-e", payload, "-t", str(content_format)]
        r = subprocess.run(args + [uri], capture_output=True, timeout=20)
        f.seek(0)
        return f.read(), r.stdout + r.stderr


def tlv_items(b):
    """OMA LwM2M TS 1.1 §7.4.3 TLV: [(kind, id, value bytes)], kind 0 object instance, 1 resource
    instance, 2 multiple resource, 3 resource with value."""
    items, i = [], 0
    while i < len(b):
        t = b[i]
        i += 1
        kind = t >> 6
        id_len = 2 if t & 0x20 else 1
        ident = int.from_bytes(b[i:i + id_len], "big")
        i += id_len
        len_type = (t >> 3) & 3
        if len_type == 0:
            n = t & 7
        else:
            n = int.from_bytes(b[i:i + len_type], "big")
            i += len_type
        items.append((kind, ident, b[i:i + n]))
        i += n
    assert i == len(b), "TLV overran its input"
    return items


def registered(sim):
    m = sim.wait_for(r"registered \S+ at (/rd/\S+)")
    return m.group(1)


def listen_uri(sim, scheme):
    return f"{scheme}://127.0.0.1:" + sim.wait_for(scheme + r"://127\.0\.0\.1:(\d+)").group(1)


def objects_of(links: bytes):
    return {int(m) for m in re.findall(rb"</(\d+)(?:/\d+)?>", links)}


def test_registers_with_coap_rd_and_serves_reads():
    rd = Rd()
    try:
        sim = Sim("--server", f"coap://127.0.0.1:{rd.port}", "--endpoint", "cmi6110-nosec", "--listen-port", "0")
        base = listen_uri(sim, "coap")
        loc = registered(sim)
        # the resource directory holds the registration: its links are Table 1/2's objects
        links, _ = coap_get(f"coap://127.0.0.1:{rd.port}{loc}")
        assert objects_of(links) == TABLE_OBJECTS, links
        assert b"</3/0>" in links and b"</0/" not in links
        log = rd.text()
        post = re.search(r"c:POST .*Uri-Path:rd, Content-Format:application/link-format, (.*?) \]", log)
        assert post, log[-2000:]
        # TS 1.1 §5.3.1 Register query (as coap-rd logged the options it received)
        assert "Uri-Query:ep=cmi6110-nosec" in post.group(1)
        assert "Uri-Query:lwm2m=1.1" in post.group(1) and "Uri-Query:b=U" in post.group(1)
        assert "Uri-Query:lt=86400" in post.group(1)

        text, _ = coap_get(base + "/3/0/0", accept=0)
        assert text == b"Elvaco"
        senml, _ = coap_get(base + "/3/0", accept=110)
        records = json.loads(senml)
        values, bn = {}, ""
        for r in records:  # RFC 8428 §4.5.1: the name is bn + n, bn carried forward
            bn = r.get("bn", bn)
            values[bn + r.get("n", "")] = r.get("vs", r.get("v"))
        assert values["/3/0/0"] == "Elvaco" and values["/3/0/1"] == "CMi6110"
        tlv, _ = coap_get(base + "/3/0", accept=11542)
        res = {ident: v for kind, ident, v in tlv_items(tlv) if kind == 3}
        assert res[0] == b"Elvaco" and res[1] == b"CMi6110"
        single, _ = coap_get(base + "/3/0/0")  # no Accept: TLV (ERRATA E-95)
        assert tlv_items(single) == [(3, 0, b"Elvaco")]
        # Table 1: 3/0/0 is R — a Write is refused with 4.05 (TS 1.1 §5.4.3)
        _, said = coap_get(base + "/3/0/0", method="put", payload="Acme", content_format=0)
        assert b"4.05" in said
        out = sim.finish()
        assert sim.proc.returncode == 0, out
    finally:
        rd.stop()


def test_dtls_psk_registration_and_read_no_secret_in_output():
    key = "cmi6110-sesame-42"
    rd = Rd(key=key)
    try:
        sim = Sim("--server", f"coaps://127.0.0.1:{rd.port + 1}", "--endpoint", "cmi6110-psk", "--psk-id", "cmi6110-id",
                  "--psk", key.encode().hex(), "--listen-port", "0")
        base = listen_uri(sim, "coaps")
        loc = registered(sim)
        assert loc.startswith("/rd/")
        assert "DTLS" in rd.text() or "dtls" in rd.text().lower()
        text, _ = coap_get(base + "/3/0/1", accept=0, psk=("cmi6110-id", key))
        assert text == b"CMi6110"
        wrong, _ = coap_get(base + "/3/0/1", accept=0, psk=("cmi6110-id", "not-the-key"))
        assert wrong != b"CMi6110"
        out = sim.finish()
        assert key.encode() not in out and key.encode().hex().encode() not in out.lower()
    finally:
        rd.stop()


def test_update_before_lifetime_and_fault_no_update():
    # lifetime 4 s of model time at time scale 2: an Update (POST /rd/<loc>) after 1 s real time
    for fault, expect_update in (("none", True), ("no_update_before_lifetime", False)):
        rd = Rd()
        try:
            sim = Sim("--server", f"coap://127.0.0.1:{rd.port}", "--endpoint", "cmi6110-upd", "--lifetime", "4",
                      "--time-scale", "2", "--fault", fault, seconds=2.5)
            loc = registered(sim)
            sim.finish()
            seg = loc.split("/")[-1]
            updates = re.findall(r"c:POST [^\n]*Uri-Path:rd, Uri-Path:" + re.escape(seg) + r" ", rd.text())
            assert bool(updates) == expect_update, (fault, rd.text()[-1500:])
        finally:
            rd.stop()


def test_fault_registration_without_elvaco_objects():
    rd = Rd()
    try:
        sim = Sim("--server", f"coap://127.0.0.1:{rd.port}", "--endpoint", "cmi6110-f", "--fault",
                  "registration_without_elvaco_objects", seconds=3)
        loc = registered(sim)
        links, _ = coap_get(f"coap://127.0.0.1:{rd.port}{loc}")
        assert objects_of(links) == TABLE_OBJECTS - ELVACO_OBJECTS, links
        sim.finish()
    finally:
        rd.stop()


def test_help_names_the_client_options():
    out = subprocess.run([BIN, "simulate", "cmi6110", "--help"], capture_output=True, text=True, timeout=10).stdout
    for opt in ("--server", "--bootstrap", "--endpoint", "--psk-id", "--psk", "--lifetime", "--time-scale", "--listen-port", "--run-seconds", "--gateway", "--topic"):
        assert opt in out


def test_usage_errors():
    r = subprocess.run([BIN, "simulate", "cmi6110", "--server", "coap://127.0.0.1:5683"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "--endpoint" in r.stderr
    r = subprocess.run([BIN, "simulate", "cmi6110", "--server", "coap://127.0.0.1:5683", "--endpoint", "x", "--psk-id", "a",
                        "--psk", "zz"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "--psk" in r.stderr and "zz" not in r.stderr


@pytest.mark.parametrize("fault", ["none", "writable_read_only_resource", "wrong_content_format"])
def test_read_only_write_and_content_format_faults(fault):
    rd = Rd()
    try:
        sim = Sim("--server", f"coap://127.0.0.1:{rd.port}", "--endpoint", "cmi6110-ro", "--listen-port", "0", "--fault", fault, seconds=4)
        base = listen_uri(sim, "coap")
        registered(sim)
        # Table 1: 3/0/0 Manufacturer is R: 4.05 (TS 1.1 §5.4.3), the value stays "Elvaco"
        _, said = coap_get(base + "/3/0/0", method="put", payload="Acme", content_format=0)
        value, _ = coap_get(base + "/3/0/0", accept=0)
        if fault == "writable_read_only_resource":
            assert b"4.05" not in said and value == b"Acme"
        else:
            assert b"4.05" in said and value == b"Elvaco"
        # Accept 110: RFC 8428 SenML-JSON (json parses it) or the fault's TLV under that label
        body, _ = coap_get(base + "/3/0", accept=110)
        try:
            json.loads(body)
            is_json = True
        except ValueError:
            is_json = False
        assert is_json == (fault != "wrong_content_format"), body
        sim.finish()
    finally:
        rd.stop()


def test_sigterm_deregisters():
    # TS 1.1 §5.3.3 De-register: DELETE of the registration's location (coap-rd 4.3.1 aborts on it:
    # ERRATA E-116, so only the request it logged is checked)
    import signal
    rd = Rd()
    try:
        sim = Sim("--server", f"coap://127.0.0.1:{rd.port}", "--endpoint", "cmi6110-term", seconds=0)
        loc = registered(sim)
        sim.proc.send_signal(signal.SIGTERM)
        sim.finish()
        assert sim.proc.returncode == 0
        seg = loc.split("/")[-1]
        assert re.search(r"c:DELETE [^\n]*Uri-Path:rd, Uri-Path:" + re.escape(seg) + r" ", rd.text()), rd.text()[-1500:]
    finally:
        rd.stop()


def test_uplinks_over_mqttsn_to_a_gateway():
    """MQTT-SN 1.2 (the spec's §5.2 header: Length, MsgType; §5.4 messages) answered by a gateway
    written here: CONNECT → CONNACK, REGISTER → REGACK, PUBLISH → PUBACK; the module's SenML uplinks
    (one hour: readout every 15 min, transmit every 60 min, no offset, delay ≤ 1 min) at time scale
    3600 arrive QoS 1 on the topic, and cbor2 reads each payload as a SenML pack."""
    import cbor2
    rd = Rd()
    gw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    gw.bind(("127.0.0.1", 0))
    gw.settimeout(0.2)
    try:
        sim = Sim("--server", f"coap://127.0.0.1:{rd.port}", "--endpoint", "cmi6110-mq", "--time-scale", "3600",
                  "--gateway", f"127.0.0.1:{gw.getsockname()[1]}", "--topic", "elvaco/cmi6110", "--readout-interval", "15",
                  "--transmit-interval", "60", "--transmit-offset", "0", "--transmit-delay", "1", seconds=8)
        registered(sim)
        topics, publishes, connected = {}, [], False
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(publishes) < 2:
            try:
                data, peer = gw.recvfrom(2048)
            except socket.timeout:
                continue
            length, kind = data[0], data[1]
            assert length == len(data)
            if kind == 0x04:    # CONNECT: Flags, ProtocolId 0x01, Duration, ClientId
                assert data[3] == 0x01 and data[6:] == b"cmi6110-mq"
                connected = True
                gw.sendto(bytes([3, 0x05, 0x00]), peer)
            elif kind == 0x0A:  # REGISTER: TopicId, MsgId, TopicName
                topics[1] = data[6:].decode()
                gw.sendto(bytes([7, 0x0B, 0, 1]) + data[4:6] + b"\x00", peer)
            elif kind == 0x0C:  # PUBLISH: Flags, TopicId, MsgId, Data
                flags, topic_id, msg_id = data[2], int.from_bytes(data[3:5], "big"), data[5:7]
                assert (flags >> 5) & 3 == 1, "QoS 1"
                publishes.append((topic_id, data[7:]))
                gw.sendto(bytes([7, 0x0D]) + data[3:5] + msg_id + b"\x00", peer)
            elif kind == 0x18:  # DISCONNECT
                gw.sendto(bytes([2, 0x18]), peer)
        assert connected and topics == {1: "elvaco/cmi6110"}
        assert len(publishes) >= 2, sim.err.decode(errors="replace")
        for topic_id, payload in publishes:
            assert topic_id == 1
            pack = cbor2.loads(payload)
            assert isinstance(pack, list) and pack and isinstance(pack[0], dict)
        out = sim.finish()
        assert b"delivered" in out
    finally:
        gw.close()
        rd.stop()
