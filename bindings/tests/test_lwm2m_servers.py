"""The suite's LwM2M Bootstrap-Server, DM server and MQTT-SN gateway (metercert._core.Lwm2mServers,
rigs/lwm2m) against third-party and independent peers: libcoap's own client (Debian libcoap3-bin,
`coap-client-openssl`) registers, updates, de-registers and requests bootstrap, NoSec and DTLS-PSK;
`build/lwm2m_test_client` (a minimal client on metercert_coap only, none of the servers' code)
serves /3/0 with the Device object example of OMA LwM2M TS 1.0 §6.4.3.1 (TS 1.1 §7.4.3), which
metercert.lwm2m_reader (written from the specification, not the C++ codec) decodes to the values
the specification prints; tshark reads the captures; MQTT-SN datagrams are the bytes MQTT-SN 1.2
§5.4 prescribes. Loopback only, every wait bounded."""
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import time

import pytest

from metercert import _core, lwm2m_reader as rd

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("METERCERT_BIN", ROOT / "build" / "metercert")).parent
TEST_CLIENT = BUILD / "lwm2m_test_client"
COAP_CLIENT = shutil.which("coap-client-openssl")
TSHARK = shutil.which("tshark")
need_coap = pytest.mark.skipif(COAP_CLIENT is None, reason="coap-client-openssl (Debian libcoap3-bin) not installed")
need_client = pytest.mark.skipif(not TEST_CLIENT.exists(), reason="build/lwm2m_test_client not built")

# TS 1.0 §6.4.3.1 (TS 1.1 §7.4.3): Read /3/0 answered with the Device object's resources
DEVICE_TLV = bytes.fromhex(
    "C800144F70656E204D6F62696C6520416C6C69616E6365" "C801164C69676874776569676874204D324D20436C69656E74"
    "C80209333435303030313233" "C303312E30" "86064100014101 05".replace(" ", "") + "88070842000ED842011388"
    "870841007D42010384" "C10964" "C10A0F" "830B410000" "C40D5182428F" "C60E2B30323A3030" "C11055")
PSK_ID = "metercert-dm"
PSK = b"pytest-Secret-9f31"


def coap(*args, timeout=8):
    return subprocess.run([COAP_CLIENT, "-B", "3", *args], capture_output=True, text=True, timeout=timeout)


def tshark_fields(pcap, port, *fields, proto="coap"):
    args = [TSHARK, "-r", str(pcap), "-d", f"udp.port=={port},{proto}", "-T", "fields"]
    for f in fields:
        args += ["-e", f]
    out = subprocess.run(args, capture_output=True, text=True, timeout=30, check=True).stdout
    return [line.split("\t") for line in out.splitlines() if line.strip()]


@pytest.fixture
def nosec(tmp_path):
    s = _core.Lwm2mServers(pcap_dir=tmp_path, lifetime_ms=60000)
    yield s
    s.stop()


@need_coap
def test_register_update_deregister_with_libcoap_client(nosec, tmp_path):
    url = f"coap://127.0.0.1:{nosec.dm_port}"
    coap("-m", "post", f"{url}/rd?ep=x&lt=60&lwm2m=1.1&b=U", "-e", "</1/0>,</3/0>")
    reg = nosec.wait_registration("x", timeout_ms=3000)
    assert reg is not None
    assert reg["objects"] == ["/1/0", "/3/0"] and reg["links"] == "</1/0>,</3/0>"
    assert (reg["lifetime_s"], reg["lwm2m"], reg["binding"]) == (60, "1.1", "U")
    assert reg["location"] == f"/rd/{reg['id']}" and not reg["deregistered"] and not reg["expired"]

    coap("-m", "post", f"{url}{reg['location']}?lt=120")
    r = nosec.registrations()[-1]
    assert r["lifetime_s"] == 120 and len(r["updates_at_us"]) == 1 and r["updates_at_us"][0] > r["registered_at_us"]
    coap("-m", "delete", f"{url}{reg['location']}")
    r = nosec.registrations()[-1]
    assert r["deregistered"] and nosec.wait_registration("x", timeout_ms=100) is None
    assert [(e["operation"], e["code"]) for e in nosec.exchanges()] == [("register", "2.01"), ("update", "2.04"), ("deregister", "2.02")]
    # an Update of a registration that is gone: 4.04 (TS 1.1 §5.3.2)
    coap("-m", "post", f"{url}{reg['location']}?lt=10")
    assert nosec.exchanges()[-1]["code"] == "4.04"

    if TSHARK:
        nosec.stop()
        rows = tshark_fields(tmp_path / "dm.pcap", nosec.dm_port, "udp.dstport", "coap.code", "coap.opt.uri_path_recon",
                             "coap.opt.location_path")
        codes = [r[1] for r in rows]
        # RFC 7252 §12.1: 2 POST, 65 2.01, 68 2.04, 4 DELETE, 66 2.02, 132 4.04
        assert codes == ["2", "65", "2", "68", "4", "66", "2", "132"]
        assert rows[1][3] == f"rd,{reg['id']}"


@need_coap
def test_lifetime_expiry_and_a_register_without_ep(nosec):
    url = f"coap://127.0.0.1:{nosec.dm_port}"
    coap("-m", "post", f"{url}/rd?ep=short&lt=1&b=U", "-e", "</3/0>")
    assert nosec.wait_registration("short", timeout_ms=3000)["expired"] is False
    time.sleep(1.3)
    assert [r["expired"] for r in nosec.registrations() if r["endpoint"] == "short"] == [True]
    coap("-m", "post", f"{url}/rd?lt=60", "-e", "</3/0>")  # TS 1.1 §5.3.1: ep is mandatory
    assert nosec.exchanges()[-1]["code"] == "4.00"
    assert len(nosec.registrations()) == 1


@need_coap
def test_a_second_register_replaces_the_first(nosec):
    url = f"coap://127.0.0.1:{nosec.dm_port}"
    coap("-m", "post", f"{url}/rd?ep=twice&lt=60", "-e", "</3/0>")
    coap("-m", "post", f"{url}/rd?ep=twice&lt=90", "-e", "</3/0>,</4/0>")
    first, second = nosec.registrations()
    assert first["deregistered"] and not second["deregistered"] and first["id"] != second["id"]
    assert nosec.wait_registration("twice", timeout_ms=100)["objects"] == ["/3/0", "/4/0"]
    coap("-m", "post", f"{url}/rd/{first['id']}?lt=10")  # the replaced registration is gone (ERRATA E-120)
    assert nosec.exchanges()[-1]["code"] == "4.04"


@need_coap
def test_bootstrap_request_answered_and_recorded(nosec):
    coap("-m", "post", f"coap://127.0.0.1:{nosec.bootstrap_port}/bs?ep=boot1")
    ex = [e for e in nosec.exchanges() if e["server"] == "bootstrap"]
    assert ex[0]["operation"] == "bootstrap-request" and ex[0]["endpoint"] == "boot1" and ex[0]["code"] == "2.04"


@need_client
@pytest.mark.parametrize("dtls", [False, True], ids=["nosec", "psk"])
def test_bootstrap_sequence_reaches_the_client(tmp_path, dtls):
    sec = bytes.fromhex("C8000F636F61703A2F2F3132372E302E302E31")  # /0/1/0 "coap://127.0.0.1" (TLV resource 0)
    srv = bytes.fromhex("C10001C4010000003C")                         # /1/0: 0 Short Server ID 1, 1 Lifetime 60
    s = _core.Lwm2mServers(dm=False, lifetime_ms=30000, dtls=dtls, psks={PSK_ID: PSK} if dtls else None,
                           pcap_dir=tmp_path, bootstrap_sequence=[
        {"kind": "delete", "path": "/"}, {"kind": "write", "path": "/0/1", "payload": sec},
        {"kind": "write", "path": "/1/0", "payload": srv}, {"kind": "discover", "path": "/"}, {"kind": "finish"}])
    scheme = "coaps" if dtls else "coap"
    psk = ["--psk-id", PSK_ID, "--psk-hex", PSK.hex()] if dtls else []
    try:
        p = subprocess.run([str(TEST_CLIENT), f"{scheme}://127.0.0.1:{s.bootstrap_port}", "bs-ep", "C10964", "--seconds", "8",
                            "--bootstrap", "1", *psk], capture_output=True, text=True, timeout=20)
        assert p.returncode == 0, p.stderr
        assert s.wait_bootstrap("bs-ep", timeout_ms=3000)
        lines = p.stdout.splitlines()
        assert lines[0] == "bootstrap-request 2.04"
        assert lines[1:] == ["DELETE / ", f"PUT /0/1 {sec.hex()}", f"PUT /1/0 {srv.hex()}", "GET / ", "POST /bs "]
        got = [(e["operation"], e["path"], e["code"], e["request_format"]) for e in s.exchanges()]
        assert got == [("bootstrap-request", "/bs", "2.04", None), ("bootstrap-delete", "/", "2.02", None),
                       ("bootstrap-write", "/0/1", "2.04", 11542), ("bootstrap-write", "/1/0", "2.04", 11542),
                       ("bootstrap-discover", "/", "2.05", None), ("bootstrap-finish", "/bs", "2.04", None)]
        assert rd.read_links(s.exchanges()[4]["payload"].decode()) == [("/", {})]
        assert {e["psk_identity"] for e in s.exchanges()} == {PSK_ID if dtls else ""}
    finally:
        s.stop()
    with pytest.raises(_core.Lwm2mServersError, match="stopped"):
        s.read("bs-ep", "/3/0")
    if dtls:
        assert sec not in (tmp_path / "bootstrap.pcap").read_bytes()  # the Bootstrap-Write went encrypted


@need_client
def test_dm_operations_on_the_clients_session(tmp_path):
    s = _core.Lwm2mServers(bootstrap=False, pcap_dir=tmp_path, lifetime_ms=60000)
    p = subprocess.Popen([str(TEST_CLIENT), f"coap://127.0.0.1:{s.dm_port}", "dev1", DEVICE_TLV.hex(), "--seconds", "4",
                          "--notify-ms", "250"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert s.wait_registration("dev1", timeout_ms=5000) is not None
        r = s.read("dev1", "/3/0", accept=11542, timeout_ms=5000)
        assert (r["status"], r["code"], r["content_format"]) == ("ok", "2.05", 11542)
        assert r["payload"] == DEVICE_TLV
        v = rd.tlv_values(r["payload"], "/3/0")
        assert rd.tlv_string(v["/3/0/0"]) == "Open Mobile Alliance"
        assert rd.tlv_string(v["/3/0/1"]) == "Lightweight M2M Client"
        assert rd.tlv_string(v["/3/0/2"]) == "345000123" and rd.tlv_string(v["/3/0/3"]) == "1.0"
        assert [rd.tlv_int(v[f"/3/0/6/{i}"]) for i in (0, 1)] == [1, 5]
        assert [rd.tlv_int(v[f"/3/0/7/{i}"]) for i in (0, 1)] == [3800, 5000]
        assert [rd.tlv_int(v[f"/3/0/8/{i}"]) for i in (0, 1)] == [125, 900]
        assert (rd.tlv_int(v["/3/0/9"]), rd.tlv_int(v["/3/0/10"]), rd.tlv_int(v["/3/0/11/0"])) == (100, 15, 0)
        assert rd.tlv_int(v["/3/0/13"]) == 1367491215
        assert rd.tlv_string(v["/3/0/14"]) == "+02:00" and rd.tlv_string(v["/3/0/16"]) == "U"

        t = s.read("dev1", "/3/0/9", accept=0)
        assert (t["payload"], t["content_format"]) == (b"100", 0)  # ERRATA E-122: option 12 on the wire
        assert s.read("dev1", "/3/0/5")["code"] == "4.04"
        w = s.write("dev1", "/1/0/1", bytes.fromhex("C1013C"), content_format=11542, replace=True)
        assert w["code"] == "2.04"
        assert s.write("dev1", "/1/0/1", bytes.fromhex("C1013C"), replace=False)["code"] == "2.04"
        assert s.execute("dev1", "/3/0/4", arguments="0='x'")["code"] == "2.04"
        assert s.write_attributes("dev1", "/3/0/9", ["pmin=10"])["code"] == "4.04"  # the test client has no attributes
        ex = {e["operation"]: e for e in s.exchanges() if e["direction"] == "to_client"}
        assert ex["execute"]["method"] == "POST" and ex["execute"]["request_payload"] == b"0='x'"
        assert ex["write-replace"]["method"] == "PUT" and ex["write-partial"]["method"] == "POST"
        assert ex["write-attributes"]["method"] == "PUT" and ex["write-attributes"]["query"] == ["pmin=10"]

        oid = s.observe("dev1", "/3/0", accept=11542, timeout_ms=3000)
        time.sleep(1.0)
        assert s.cancel_observe(oid)
        time.sleep(0.4)
        ob = s.observations()[oid]
        n = ob["notifications"]
        assert not ob["active"] and len(n) >= 3
        assert all(x["payload"] == DEVICE_TLV and x["observe"] is not None for x in n)
        assert [x["at_us"] for x in n] == sorted(x["at_us"] for x in n)
        # RFC 7641 §3.6: after the cancel (a GET with Observe 1) the client sends no notification on
        # that token; read on the wire (the tap), not through the observation's callbacks
        cancelled_at = time.monotonic_ns() // 1000
        time.sleep(0.8)

        def token_of(b):  # RFC 7252 §3: TKL in the low nibble of byte 0, the token after the 4-byte header
            return b[4:4 + (b[0] & 0x0F)]
        late = [d for d in s.datagrams() if d["server"] == "dm" and d["flow"] == "to_upstream" and d["bytes"][1] == 69
                and token_of(d["bytes"]) == ob["token"] and d["at_us"] > cancelled_at + 300000]
        assert len(ob["token"]) >= 1 and late == []
        assert len([d for d in s.datagrams() if d["flow"] == "to_upstream" and d["bytes"][1] == 69
                    and token_of(d["bytes"]) == ob["token"]]) >= len(n)
        with pytest.raises(_core.Lwm2mServersError, match="not registered"):
            s.read("nobody", "/3/0")
        with pytest.raises(_core.Lwm2mServersError, match="not an LwM2M path"):
            s.read("dev1", "/x/0")
        out, err = p.communicate(timeout=10)
        assert "deregistered 2.02" in out
    finally:
        if p.poll() is None:
            p.kill()
        s.stop()
    if TSHARK:
        rows = tshark_fields(tmp_path / "dm.pcap", s.dm_port, "coap.code", "coap.opt.uri_path_recon")
        assert ["1", "/3/0"] in [r[:2] for r in rows]  # the Read went out as a GET of /3/0


@need_coap
def test_dtls_psk_register_and_a_wrong_key_refused(tmp_path):
    s = _core.Lwm2mServers(dtls=True, psks={PSK_ID: PSK}, pcap_dir=tmp_path, lifetime_ms=60000)
    try:
        assert PSK.decode() not in repr(s) and "DTLS-PSK" in repr(s)
        url = f"coaps://127.0.0.1:{s.dm_port}"
        coap("-m", "post", f"{url}/rd?ep=sec&lt=60&lwm2m=1.1&b=U", "-e", "</1/0>,</3/0>", "-u", PSK_ID, "-k", PSK.decode())
        reg = s.wait_registration("sec", timeout_ms=3000)
        assert reg is not None and reg["psk_identity"] == PSK_ID
        coap("-m", "post", f"{url}/rd?ep=intruder&lt=60", "-e", "</3/0>", "-u", PSK_ID, "-k", "not-the-key")
        coap("-m", "post", f"{url}/rd?ep=stranger&lt=60", "-e", "</3/0>", "-u", "unknown-id", "-k", PSK.decode())
        assert s.wait_registration("intruder", timeout_ms=500) is None
        assert s.wait_registration("stranger", timeout_ms=100) is None
        assert [e["endpoint"] for e in s.exchanges()] == ["sec"]
    finally:
        s.stop()
    if TSHARK:
        rows = tshark_fields(tmp_path / "dm.pcap", s.dm_port, "dtls.record.content_type", proto="dtls")
        types = {t for r in rows for t in r[0].split(",") if t}
        assert {"22", "23"} <= types  # handshake and application data (RFC 6347 §4.1)
    blob = (tmp_path / "dm.pcap").read_bytes()
    assert PSK not in blob and PSK.hex().encode() not in blob


@need_coap
def test_keylog_only_when_asked(tmp_path):
    keylog = tmp_path / "keys.log"
    for asked in (True, False):
        s = _core.Lwm2mServers(bootstrap=False, dtls=True, psks={PSK_ID: PSK}, lifetime_ms=20000,
                               keylog_file=keylog if asked else None)
        try:
            coap("-m", "post", f"coaps://127.0.0.1:{s.dm_port}/rd?ep=k{asked}&lt=60", "-e", "</3/0>", "-u", PSK_ID, "-k", PSK.decode())
            assert s.wait_registration(f"k{asked}", timeout_ms=3000) is not None
        finally:
            s.stop()
        if asked:
            lines = keylog.read_text().splitlines()
            assert lines and all(x.split()[0] in ("CLIENT_RANDOM", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
                                                   "EXPORTER_SECRET", "SERVER_TRAFFIC_SECRET_0", "CLIENT_TRAFFIC_SECRET_0") for x in lines)
            assert keylog.stat().st_mode & 0o777 == 0o600
            size = keylog.stat().st_size
            assert PSK.hex() not in keylog.read_text() and PSK.decode() not in keylog.read_text()
    assert keylog.stat().st_size == size  # the second servers, not asked, wrote nothing


@need_coap
def test_no_psk_in_any_output(tmp_path):
    """Everything a script using the servers prints, and the captures: no PSK (issue 15 "Security")."""
    script = f"""
import subprocess, sys
from metercert import _core
s = _core.Lwm2mServers(dtls=True, psks={{{PSK_ID!r}: {PSK!r}}}, pcap_dir={str(tmp_path)!r}, lifetime_ms=20000)
print(repr(s))
subprocess.run([{COAP_CLIENT!r}, "-B", "2", "-m", "post", f"coaps://127.0.0.1:{{s.dm_port}}/rd?ep=g&lt=60", "-e", "</3/0>",
                "-u", {PSK_ID!r}, "-k", "wrong-key-here"])
subprocess.run([{COAP_CLIENT!r}, "-B", "2", "-m", "post", f"coaps://127.0.0.1:{{s.dm_port}}/rd?ep=g&lt=60", "-e", "</3/0>",
                "-u", {PSK_ID!r}, "-k", {PSK.decode()!r}], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(s.wait_registration("g", timeout_ms=2000))
print(s.registrations(), s.exchanges(), s.datagrams())
try:
    s.read("nobody", "/3/0")
except Exception as e:
    print("error:", e)
try:
    _core.Lwm2mServers(dtls=True, psks={{}})
except Exception as e:
    print("error:", e)
s.stop()
"""
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                       env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert "'psk_identity': 'metercert-dm'" in out  # the registration was made with the key
    for secret in (PSK.decode(), PSK.hex(), PSK.hex().upper()):
        assert secret not in out
    for f in tmp_path.glob("*.pcap"):
        assert PSK not in f.read_bytes()


def _udp(port, data, timeout=2.0, sock=None):
    sock.sendto(data, ("127.0.0.1", port))
    sock.settimeout(timeout)
    return sock.recvfrom(2048)[0]


def test_mqttsn_gateway_over_udp(tmp_path):
    s = _core.Lwm2mServers(bootstrap=False, dm=False, mqttsn=True, pcap_dir=tmp_path, lifetime_ms=30000)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        # MQTT-SN 1.2 §5.4.4 CONNECT: Length, 0x04, Flags (CleanSession 0x04), ProtocolId 0x01, Duration 60, "cmi1"
        assert _udp(s.mqttsn_port, bytes.fromhex("0A 04 04 01 003C") + b"cmi1", sock=u) == bytes.fromhex("03 05 00")  # CONNACK accepted
        # §5.4.10 REGISTER: TopicId 0x0000, MsgId 1, "m/1" → §5.4.11 REGACK TopicId, MsgId 1, accepted
        regack = _udp(s.mqttsn_port, bytes.fromhex("09 0A 0000 0001") + b"m/1", sock=u)
        assert regack[:2] == bytes.fromhex("07 0B") and regack[4:] == bytes.fromhex("0001 00")
        tid = regack[2:4]
        # §5.4.12 PUBLISH QoS 1 (Flags 0x20), TopicId, MsgId 2, data → §5.4.13 PUBACK TopicId, MsgId 2, accepted
        assert _udp(s.mqttsn_port, bytes.fromhex("0A 0C 20") + tid + bytes.fromhex("0002") + b"abc", sock=u) == \
            bytes.fromhex("07 0D") + tid + bytes.fromhex("0002 00")
        u.sendto(bytes.fromhex("FF"), ("127.0.0.1", s.mqttsn_port))  # not a datagram MQTT-SN decodes
        deadline = time.monotonic() + 2
        while len(s.uplinks()) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        ups = s.uplinks()
        assert [x["type"] for x in ups] == ["CONNECT", "REGISTER", "PUBLISH", None]
        assert ups[2]["qos"] == 1 and ups[2]["msg_id"] == 2 and ups[2]["topic"] == "m/1" and ups[2]["data"] == b"abc"
        assert ups[2]["client_id"] == "cmi1" and ups[2]["in_session"]
        assert [f["violation"] for f in s.findings()] == ["undecodable"]
        assert [d["flow"] for d in s.datagrams() if d["server"] == "mqttsn"][:2] == ["to_upstream", "to_peer"]
    finally:
        u.close()
        s.stop()
    if TSHARK:
        rows = tshark_fields(tmp_path / "mqttsn.pcap", s.mqttsn_port, "mqttsn.msg.type", proto="mqttsn")
        assert [r[0] for r in rows[:6]] == ["0x04", "0x05", "0x0a", "0x0b", "0x0c", "0x0d"]


def test_mqttsn_gateway_withholds_the_first_puback(tmp_path):
    s = _core.Lwm2mServers(bootstrap=False, dm=False, mqttsn=True, gateway={"withhold_pubacks": 1}, lifetime_ms=30000)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        assert _udp(s.mqttsn_port, bytes.fromhex("0A 04 04 01 0000") + b"cmi2", sock=u) == bytes.fromhex("03 05 00")
        tid = _udp(s.mqttsn_port, bytes.fromhex("09 0A 0000 0001") + b"m/2", sock=u)[2:4]
        publish = bytes.fromhex("0A 0C 20") + tid + bytes.fromhex("0007") + b"xyz"
        with pytest.raises(socket.timeout):
            _udp(s.mqttsn_port, publish, timeout=0.5, sock=u)  # the first send gets no PUBACK
        dup = bytes([publish[0], publish[1], publish[2] | 0x80]) + publish[3:]  # §5.3.4: DUP on the retransmission
        assert _udp(s.mqttsn_port, dup, sock=u) == bytes.fromhex("07 0D") + tid + bytes.fromhex("0007 00")
        assert [x["dup"] for x in s.uplinks() if x["type"] == "PUBLISH"] == [False, True]
        assert s.findings() == []
    finally:
        u.close()
        s.stop()


def test_mqttsn_puback_withholding_changes_while_running():
    """set_gateway(): the PUBACK knobs from the next datagram on (MQTT-SN 1.2 §5.4.12-§5.4.13 bytes)."""
    s = _core.Lwm2mServers(bootstrap=False, dm=False, mqttsn=True, lifetime_ms=30000)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        assert _udp(s.mqttsn_port, bytes.fromhex("0A 04 04 01 0000") + b"cmi3", sock=u) == bytes.fromhex("03 05 00")
        tid = _udp(s.mqttsn_port, bytes.fromhex("09 0A 0000 0001") + b"m/3", sock=u)[2:4]
        def publish(msg_id, dup=False):
            return bytes.fromhex("0A 0C") + bytes([0xA0 if dup else 0x20]) + tid + msg_id.to_bytes(2, "big") + b"abc"
        puback = lambda msg_id: bytes.fromhex("07 0D") + tid + msg_id.to_bytes(2, "big") + b"\x00"
        assert _udp(s.mqttsn_port, publish(2), sock=u) == puback(2)        # answered
        assert s.set_gateway(withhold_all_pubacks=True) is True
        for dup in (False, True):
            with pytest.raises(socket.timeout):
                _udp(s.mqttsn_port, publish(3, dup), timeout=0.3, sock=u)  # none while withheld
        assert s.set_gateway(withhold_pubacks=1) is True
        with pytest.raises(socket.timeout):
            _udp(s.mqttsn_port, publish(4), timeout=0.3, sock=u)          # the first send of MsgId 4: none
        assert _udp(s.mqttsn_port, publish(4, True), sock=u) == puback(4)  # its retransmission: PUBACK
        assert s.set_gateway() is True
        assert _udp(s.mqttsn_port, publish(5), sock=u) == puback(5)
        assert s.findings() == []
        s.stop()
        assert s.set_gateway() is False
    finally:
        u.close()
        s.stop()


def test_reader_against_the_specification():
    items = rd.read_tlv(bytes.fromhex("080079") + DEVICE_TLV)  # TS 1.0 §6.4.3.2 A: inside an Object Instance
    assert items[0].kind == "object_instance" and len(items[0].children) == 13
    assert items[0].children[4].kind == "multiple_resource" and items[0].children[4].id == 6
    assert rd.tlv_values(bytes.fromhex("C10964"), "/3/0/9") == {"/3/0/9": b"\x64"}
    assert rd.tlv_bool(bytes.fromhex("01")) is True and rd.tlv_objlnk(bytes.fromhex("00420000")) == (66, 0)
    assert rd.tlv_float(bytes.fromhex("3F800000")) == 1.0
    with pytest.raises(rd.ReaderError) as e:
        rd.read_tlv(DEVICE_TLV[:10])  # resource 0 declares 20 bytes
    assert e.value.offset == 0
    with pytest.raises(rd.ReaderError):
        rd.read_tlv(bytes.fromhex("860641000142"))  # a Multiple Resource cut inside
    # RFC 6690 §5 examples' shapes and TS 1.1 §5.3.1 Register payload
    assert rd.read_links('</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>') == [("/", {"rt": "oma.lwm2m", "ct": "11543"}),
                                                                          ("/1/0", {}), ("/3/0", {})]
    assert rd.read_links('</3/0/7>;dim=2;pmin=10,</3>;q') == [("/3/0/7", {"dim": "2", "pmin": "10"}), ("/3", {"q": None})]
    with pytest.raises(rd.ReaderError) as e:
        rd.read_links("</1/0>;")
    assert e.value.offset == 7


@need_coap
def test_refuse_registers_answers_the_first_registers_4_03(tmp_path):
    """refuse_registers=1 (the fallback-to-bootstrap case, int-7): libcoap's client sees 4.03
    Forbidden (RFC 7252 §5.9.2.4) on its first Register and 2.01 on the next."""
    s = _core.Lwm2mServers(bootstrap=False, pcap_dir=tmp_path, lifetime_ms=60000, refuse_registers=1)
    try:
        url = f"coap://127.0.0.1:{s.dm_port}/rd?ep=refused&lt=60&b=U"
        first = coap("-m", "post", url, "-e", "</3/0>")
        assert s.wait_registration("refused", timeout_ms=200) is None
        coap("-m", "post", url, "-e", "</3/0>")
        assert s.wait_registration("refused", timeout_ms=3000) is not None
        assert [(e["operation"], e["endpoint"], e["code"]) for e in s.exchanges()] == [
            ("register", "refused", "4.03"), ("register", "refused", "2.01")]
        assert "4.03" in first.stdout + first.stderr  # libcoap prints the error response's code
    finally:
        s.stop()
    if TSHARK:
        codes = [r[1] for r in tshark_fields(tmp_path / "dm.pcap", s.dm_port, "udp.dstport", "coap.code")]
        assert codes == ["2", "131", "2", "65"]  # POST, 4.03 (4 << 5 | 3), POST, 2.01
