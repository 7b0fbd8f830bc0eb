"""The reference CMi6110 (`metercert simulate cmi6110 --server coaps://…`) uploads over MQTT-SN inside
DTLS 1.2 PSK once its DM server writes 33905/0/2 = 0 (PSK mode), 33905/0/5 (the Transport Secret Key)
and 33905/0/0 (the gateway) — CMi6110 §6.3 Table 2, ERRATA E-134, E-147 — and over plain UDP again
after 33905/0/2 = 3. Judged by the suite's gateway (Lwm2mServers(mqttsn_dtls=True)): the session's
identity is the module's DM PSK identity, the MQTT-SN messages came out of it, every datagram on its
tap is a DTLS record; neither key is in the module's output or in a capture. Loopback, bounded."""
import subprocess
import time

from conftest import BIN, stop_process
from metercert import _core

DM_ID = "0004A30B00C0FFEE"       # the DevEUI, the module's DM PSK identity
DM_KEY = bytes.fromhex("0f1e2d3c4b5a69788796a5b4c3d2e1f0")
T_KEY = bytes.fromhex("a1b2c3d4e5f60718293a4b5c6d7e8f90")  # 33905/0/5
TEXT, OPAQUE = 0, 42


def _wait(pred, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    return pred()


def test_uplinks_over_dtls_psk_when_33905_2_is_0_and_plain_when_3(tmp_path):
    (tmp_path / "dm").mkdir()
    (tmp_path / "gw").mkdir()
    dm = _core.Lwm2mServers(bootstrap=False, dm=True, dtls=True, psks={DM_ID: DM_KEY}, pcap_dir=tmp_path / "dm", lifetime_ms=60000)
    gw = _core.Lwm2mServers(bootstrap=False, dm=False, mqttsn=True, mqttsn_dtls=True, psks={DM_ID: T_KEY},
                            pcap_dir=tmp_path / "gw", lifetime_ms=60000)
    plain = _core.Lwm2mServers(bootstrap=False, dm=False, mqttsn=True, lifetime_ms=60000)
    ep = "dtls-module-1"
    module = subprocess.Popen([BIN, "simulate", "cmi6110", "--server", f"coaps://127.0.0.1:{dm.dm_port}", "--endpoint", ep,
                               "--psk-id", DM_ID, "--psk", DM_KEY.hex(), "--run-seconds", "30"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert dm.wait_registration(ep, timeout_ms=10000) is not None

        def write(path, payload, cf=TEXT):
            assert dm.write(ep, path, payload, content_format=cf, replace=True, timeout_ms=5000)["code"] == "2.04", path

        write("/33905/0/11", b"metercert/dtls")
        write("/33905/0/2", b"0")                    # Table 2: 0 = PSK mode
        write("/33905/0/5", T_KEY, OPAQUE)           # Table 2: W Opaque
        write("/33905/0/0", f"mqttsn://127.0.0.1:{gw.mqttsn_port}".encode())
        t0 = time.monotonic()
        assert dm.execute(ep, "/33906/0/10", timeout_ms=5000)["code"] == "2.04"
        pub = _wait(lambda: [u for u in gw.uplinks() if u["type"] == "PUBLISH"], 5)
        took = time.monotonic() - t0
        assert pub, gw.mqttsn_dtls_events()
        assert took < 3.0  # the handshake on loopback and the MQTT-SN exchange, not a retransmission timer
        kinds = [u["type"] for u in gw.uplinks()]
        assert kinds[:3] == ["CONNECT", "REGISTER", "PUBLISH"], kinds
        assert {u["psk_identity"] for u in gw.uplinks()} == {DM_ID}
        assert pub[0]["topic"] == "metercert/dtls"
        est = [e for e in gw.mqttsn_dtls_events() if e["event"] == "established"]
        assert len(est) == 1 and est[0]["identity"] == DM_ID
        assert not [e for e in gw.mqttsn_dtls_events() if e["event"] == "not_dtls"]
        for d in gw.datagrams():
            b = bytes(d["bytes"])
            assert 20 <= b[0] <= 23 and b[1] == 0xFE  # RFC 6347 §4.1 record header, both directions
        # 33905/0/2 = 3 (No security) and a plain gateway: clear MQTT-SN again
        write("/33905/0/2", b"3")
        write("/33905/0/0", f"mqttsn://127.0.0.1:{plain.mqttsn_port}".encode())
        assert dm.execute(ep, "/33906/0/10", timeout_ms=5000)["code"] == "2.04"
        assert _wait(lambda: [u for u in plain.uplinks() if u["type"] == "PUBLISH"], 5)
        assert all(u["psk_identity"] == "" for u in plain.uplinks())
        assert bytes(plain.datagrams()[0]["bytes"])[1] == 0x04  # MQTT-SN 1.2 §5.4.4: a CONNECT in clear
    finally:
        out, err = stop_process(module)
        for s in (dm, gw, plain):
            s.stop()
    assert "DTLS 1.2 PSK (33905/0/2 = 0), identity " + DM_ID in err, err[-3000:]
    assert "gateway DTLS session established" in err, err[-3000:]
    for key in (DM_KEY, T_KEY):
        for text in (out, err):
            assert key.hex() not in text and key.hex().upper() not in text
        for p in tmp_path.rglob("*.pcap"):
            assert key not in p.read_bytes() and key.hex().encode() not in p.read_bytes()


def test_psk_mode_without_a_key_sends_nothing(tmp_path):
    dm = _core.Lwm2mServers(bootstrap=False, dm=True, lifetime_ms=30000)
    gw = _core.Lwm2mServers(bootstrap=False, dm=False, mqttsn=True, mqttsn_dtls=True, psks={DM_ID: T_KEY}, lifetime_ms=30000)
    ep = "dtls-module-2"
    module = subprocess.Popen([BIN, "simulate", "cmi6110", "--server", f"coap://127.0.0.1:{dm.dm_port}", "--endpoint", ep,
                               "--run-seconds", "20"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert dm.wait_registration(ep, timeout_ms=10000) is not None
        for path, v in (("/33905/0/2", b"0"), ("/33905/0/0", f"mqttsn://127.0.0.1:{gw.mqttsn_port}".encode())):
            assert dm.write(ep, path, v, content_format=TEXT, replace=True, timeout_ms=5000)["code"] == "2.04"
        assert dm.execute(ep, "/33906/0/10", timeout_ms=5000)["code"] == "2.04"
        time.sleep(0.5)
        assert gw.datagrams() == [] and gw.uplinks() == []
    finally:
        _, err = stop_process(module)
        dm.stop()
        gw.stop()
    assert "no Transport Secret Key (33905/0/5) was written: no uplinks" in err, err[-2000:]
