"""CMi6110 §7.5 meter-data upload over MQTT-SN 1.2 inside DTLS 1.2 PSK (§6.3 Table 2 33905/x/2
"Transport Security Mode" 0 = PSK mode, 33905/x/5 "Transport Secret Key"; RFC 6347; ERRATA E-134,
E-147). The suite draws a transport key for the run, starts a gateway that accepts only DTLS-PSK
sessions (metercert._core.Lwm2mServers(mqttsn_dtls=True), rigs/dtls: a clear datagram is dropped
and named), and writes through its DM server 33905/0/2 = 0, /5 = the key (Opaque, Content-Format
42), then 33905/0/0 = the gateway (ERRATA E-133: the URI last). Table 2 has no identity resource:
the gateway expects the module's DM PSK identity (0/1/3, the DevEUI of Table 1; for a NoSec DM
session the DevEUI 3/0/2), E-147. Everything is judged from the gateway's side: the DTLS session's
identity, the MQTT-SN messages it decrypted, and every datagram on its tap a DTLS record.

The reference client (``sim:cmi6110?network=1``) gets servers and a client process of its own for
this case; a module on ``lwm2m://`` is reconfigured on the shared servers and given back its plain
gateway (33905/0/2 = 3, 33905/0/0) afterwards. The key goes to the gateway and into the DM Write (a
DTLS record when the DM session is PSK) only: never printed, never in a Mismatch."""
from __future__ import annotations

import os

from metercert import _core
from metercert.conformance import Mismatch, case

from . import network as netmod
from . import uplink as upmod
from .uplink import monotonic_us

NEEDS = ("coap.server",)
TEXT, OPAQUE = 0, 42
PSK_MODE, NO_SECURITY = 0, 3  # Table 2 33905/x/2


def _is_dtls_record(b: bytes) -> bool:
    """RFC 6347 §4.1: ContentType 20-23, ProtocolVersion major 254, a 13-byte header."""
    return len(b) >= 13 and 20 <= b[0] <= 23 and b[1] == 0xFE


class _Dut:
    """The DM side of the case: the module's registration on servers the case may use."""

    def __init__(self, conn):
        l = conn.lwm2m_listen()
        self.own = bool(l["reference_client"])
        self.host = l["host"]
        self.net = netmod.Network(conn, time_scale=1.0, lifetime_s=86400) if self.own else netmod.shared(conn)
        self.servers = self.net.servers
        self.endpoint = self.net.endpoint

    def write(self, path, payload: bytes, cf: int, what: str):
        w = self.servers.write(self.endpoint, path, payload, content_format=cf, replace=True, timeout_ms=upmod.OP_TIMEOUT_MS)
        if w["code"] != "2.04":
            raise Mismatch(f"Write {path} ({what})", "2.04 Changed", w["code"] or w["status"])

    def identity(self) -> str:
        reg = self.net.registered()
        if reg.get("psk_identity"):
            return reg["psk_identity"]
        r = self.servers.read(self.endpoint, "/3/0/2", accept=TEXT, timeout_ms=upmod.OP_TIMEOUT_MS)
        if r["code"] != "2.05":
            raise Mismatch("Read /3/0/2 (the DevEUI, the gateway's PSK identity: ERRATA E-147)", "2.05 Content", r["code"] or r["status"])
        return bytes(r["payload"]).decode(errors="replace")

    def close(self):
        if self.own:
            self.net.close()


@case("cmi6110/7.5/11", "MQTT-SN over DTLS-PSK: with 33905/0/2 = 0 (PSK mode) and the Transport Secret Key 33905/0/5 "
      "written, the module's CONNECT, REGISTER and PUBLISH reach the gateway 33905/0/0 inside a DTLS 1.2 session with the "
      "module's PSK identity (ERRATA E-147) and the written key, and nothing in clear (§6.3 Table 2 33905/x/2, /5; §7.5; "
      "RFC 6347; ERRATA E-134).", level="implementation-defined", needs=NEEDS)
def test_mqttsn_over_dtls_psk(dut):
    d = _Dut(dut)
    if d.host in ("0.0.0.0", "::"):
        import pytest
        d.close()
        pytest.skip("lwm2m:// listens on 0.0.0.0: the suite cannot name the address its gateway is reached at (33905/0/0)")
    key = os.urandom(16)  # this run's transport key: only to the gateway and the DM Write
    gw = None
    try:
        d.net.registered()
        identity = d.identity()
        gw = _core.Lwm2mServers(bootstrap=False, dm=False, mqttsn=True, mqttsn_dtls=True, psks={identity: key},
                                address=d.host, lifetime_ms=120000.0)
        topic = f"metercert/{d.endpoint}"[:64]
        d.write("/33905/0/11", topic.encode(), TEXT, "Topic")
        d.write("/33906/0/24", str(upmod.TIMEOUT_S).encode(), TEXT, "MQTT-SN timeout")
        d.write("/33906/0/25", str(upmod.ATTEMPTS).encode(), TEXT, "MQTT-SN attempts")
        d.write("/33905/0/2", str(PSK_MODE).encode(), TEXT, "Transport Security Mode 0 = PSK mode")
        d.write("/33905/0/5", key, OPAQUE, "Transport Secret Key")
        d.write("/33905/0/0", f"mqttsn://{d.host}:{gw.mqttsn_port}".encode(), TEXT, "URI of the gateway")
        t0 = monotonic_us()
        r = d.servers.execute(d.endpoint, "/33906/0/10", timeout_ms=upmod.OP_TIMEOUT_MS)
        if r["code"] != "2.04":
            raise Mismatch("Execute /33906/0/10 (Table 2 E)", "2.04 Changed", r["code"] or r["status"])
        wait_s = 5.0 if d.own else 3.0 + upmod.TIMEOUT_S * upmod.ATTEMPTS
        def published_or_clear():
            pubs = [u for u in gw.uplinks() if u["type"] == "PUBLISH" and not u["dup"]]
            return pubs or any(e["event"] == "not_dtls" for e in gw.mqttsn_dtls_events())
        netmod.wait_until(published_or_clear, wait_s, step_s=0.02)
        got = [u for u in gw.uplinks() if u["type"] == "PUBLISH" and not u["dup"]]
        events = gw.mqttsn_dtls_events()
        clear = [e for e in events if e["event"] == "not_dtls"]
        if clear:
            raise Mismatch("datagrams from the module to the gateway outside DTLS with 33905/0/2 = 0 (RFC 6347 §4.1 records only)",
                           0, f"{len(clear)} clear datagram(s), the first: {clear[0]['reason']}")
        if not got:
            failed = [f"{e['event']}: {e['reason']}" for e in events if e["event"] in ("handshake_failed", "handshake_timeout")]
            raise Mismatch(f"a PUBLISH inside a DTLS-PSK session at the gateway within {wait_s:g} s of Execute 33906/0/10",
                           "a PUBLISH", "none" + (f" (DTLS: {failed[0]})" if failed else ""))
        sessions = [e for e in events if e["event"] == "established"]
        if not sessions or any(e["identity"] != identity for e in sessions):
            raise Mismatch("the PSK identity of the module's DTLS sessions with the gateway (ERRATA E-147)", identity,
                           sorted({e["identity"] for e in sessions}) or "no session")
        ups = [u for u in gw.uplinks() if u["at_us"] <= got[0]["at_us"]]
        kinds = [u["type"] for u in ups]
        for need in ("CONNECT", "REGISTER", "PUBLISH"):
            if need not in kinds:
                raise Mismatch(f"a {need} inside the DTLS session before the first PUBLISH's end (MQTT-SN 1.2 §6.2, §6.5)", need, kinds)
        outside = [u for u in gw.uplinks() if u["psk_identity"] != identity]
        if outside:
            raise Mismatch("MQTT-SN messages the gateway got outside the module's DTLS session", [], [u["type"] for u in outside])
        if got[0]["topic"] != topic:
            raise Mismatch("the topic of the PUBLISH (33905/0/11)", topic, got[0]["topic"] or got[0]["topic_id"])
        not_dtls = [x for x in gw.datagrams() if x["server"] == "mqttsn" and not _is_dtls_record(bytes(x["bytes"]))]
        if not_dtls:
            raise Mismatch("datagrams on the gateway's port that are no DTLS record (RFC 6347 §4.1)", 0, len(not_dtls))
        bad = [f for f in gw.findings() if f["at_us"] >= t0]
        if bad:
            raise Mismatch("MQTT-SN violations the gateway named", [], [f"{f['violation']}: {f['detail']}" for f in bad])
    finally:
        if not d.own:
            # the module's plain gateway of uplink.py again (No security), when the run set one
            try:
                d.write("/33905/0/2", str(NO_SECURITY).encode(), TEXT, "Transport Security Mode 3 = No security")
                plain = upmod._SHARED.get(dut.url)
                if plain is not None and plain.ready is True:
                    d.write("/33905/0/0", f"mqttsn://{plain.host}:{plain.servers.mqttsn_port}".encode(), TEXT, "URI of the gateway")
            except Mismatch:
                pass
        if gw is not None:
            gw.stop()
        d.close()
