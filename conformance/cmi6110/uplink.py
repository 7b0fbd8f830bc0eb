"""The CMi6110's meter-data uplinks over MQTT-SN 1.2 to the suite's gateway (manual §7.3.4, §7.5,
§6.3 Table 2 objects 33905, 33906, 33910; ERRATA E-133, E-134, E-135).

How the module finds the gateway (ERRATA E-133): the suite writes it through its DM server, as a
lab's device management would — 33905/0/11 the topic ("metercert/<endpoint>"), 33906/0/24 the
MQTT-SN timeout, /25 the attempts, /41 the reconnect back-off, then 33905/0/0 the gateway's URI
"mqttsn://HOST:PORT" last (a module (re)connects its uplinks to the URI the DM server writes). So
the same cases run against the reference client (``sim:cmi6110?network=1``: its own servers and
client, started here with ``--time-scale`` so that the model's seconds pass quickly) and against a
module on ``lwm2m://HOST:PORT?…`` (the shared servers of network.py, which then include the
gateway; the module must reach HOST — a link listening on 0.0.0.0 names the address with
``gateway=HOST:PORT``, without it the cases are skipped).

Every datagram the module sends is the gateway's record (``Lwm2mServers.uplinks()``: type, MsgId,
DUP, QoS, topic, data, the monotonic arrival time in µs); the gateway's answers are in
``datagrams()`` (flow 'to_peer'), read here from the bytes (MQTT-SN 1.2 §5.2: Length, MsgType)."""
from __future__ import annotations

import time

from metercert.conformance import Mismatch

from . import network as netmod

TEXT = 0
TIME_SCALE = 240.0      # model seconds per real second for the reference client
TIMEOUT_S = 20          # 33906/0/24 written: MQTT-SN communication timeout, s (1..92)
ATTEMPTS = 2            # 33906/0/25 written: total sends of one message
BACKOFF = "1-1,1-1"     # 33906/0/41 written: after a failed connection exactly 1 minute, then 1 minute
BACKOFF_MIN = (60, 60)  # the first interval's min and max, s
OP_TIMEOUT_MS = 5000.0

PUBACK = 0x0D


def _text(v) -> bytes:
    return str(v).encode()


class UplinkNetwork:
    """The module registered with the suite's DM server and uploading to the suite's gateway."""

    def __init__(self, conn):
        l = conn.lwm2m_listen()
        self.own = bool(l["reference_client"])
        if self.own:
            self.net = netmod.Network(conn, mqttsn=True, time_scale=TIME_SCALE, lifetime_s=86400)
            self.scale = TIME_SCALE
        else:
            self.net = netmod.shared(conn)
            self.scale = 1.0
        self.servers = self.net.servers
        self.endpoint = self.net.endpoint
        self.host = l["host"]
        self.topic = f"metercert/{self.endpoint}"[:64]
        self.ready = None  # None: not set up; a Mismatch: set-up failed

    # ------------------------------------------------------------------ DM helpers
    def read_int(self, path: str) -> int:
        r = self.servers.read(self.endpoint, path, accept=TEXT, timeout_ms=OP_TIMEOUT_MS)
        if r["code"] != "2.05":
            raise Mismatch(f"Read {path} (text/plain)", "2.05 Content", r["code"] or r["status"])
        try:
            return int(bytes(r["payload"]).decode())
        except ValueError:
            raise Mismatch(f"{path} read as text/plain", "an integer", bytes(r["payload"])[:32])

    def read_text(self, path: str) -> str:
        r = self.servers.read(self.endpoint, path, accept=TEXT, timeout_ms=OP_TIMEOUT_MS)
        if r["code"] != "2.05":
            raise Mismatch(f"Read {path} (text/plain)", "2.05 Content", r["code"] or r["status"])
        return bytes(r["payload"]).decode(errors="replace")

    def write(self, path: str, value):
        w = self.servers.write(self.endpoint, path, _text(value), content_format=TEXT, replace=True, timeout_ms=OP_TIMEOUT_MS)
        if w["code"] != "2.04":
            raise Mismatch(f"Write {path} = {value!r} (Table 2 RW)", "2.04 Changed", w["code"] or w["status"])

    def execute(self, path: str):
        r = self.servers.execute(self.endpoint, path, timeout_ms=OP_TIMEOUT_MS)
        if r["code"] != "2.04":
            raise Mismatch(f"Execute {path} (Table 2 E)", "2.04 Changed", r["code"] or r["status"])

    # ------------------------------------------------------------------ set-up (once)
    def setup(self):
        if isinstance(self.ready, Mismatch):
            raise self.ready
        if self.ready:
            return
        uri = self.net.gateway_uri()
        if uri is None:
            import pytest
            pytest.skip("lwm2m:// listens on 0.0.0.0: the suite cannot name the address its gateway is reached at "
                        "(33905/0/0); give the link gateway=HOST:PORT (the address the module reaches this machine at) "
                        "or listen on the lab's address")
        try:
            self.net.registered()
            self.write("/33905/0/11", self.topic)
            self.write("/33906/0/24", TIMEOUT_S)
            self.write("/33906/0/25", ATTEMPTS)
            self.write("/33906/0/41", BACKOFF)
            self.write("/33905/0/0", uri)
        except Mismatch as e:
            self.ready = e
            raise
        self.ready = True

    # ------------------------------------------------------------------ the gateway's records
    def uplinks(self, since: int = 0) -> list[dict]:
        return self.servers.uplinks()[since:]

    def mark(self) -> int:
        return len(self.servers.uplinks())

    def publishes(self, since: int = 0) -> list[dict]:
        return [u for u in self.uplinks(since) if u["type"] == "PUBLISH"]

    def pubacks(self) -> list[tuple[int, int]]:
        """(MsgId, arrival µs) of every PUBACK the gateway sent (MQTT-SN 1.2 §5.4.14: Length, 0x0D,
        TopicId, MsgId, ReturnCode)."""
        out = []
        for d in self.servers.datagrams():
            b = bytes(d["bytes"])
            if d["server"] == "mqttsn" and d["flow"] == "to_peer" and len(b) == 7 and b[0] == 7 and b[1] == PUBACK:
                out.append((int.from_bytes(b[4:6], "big"), d["at_us"]))
        return out

    def wait(self, pred, timeout_s: float):
        return netmod.wait_until(pred, timeout_s, step_s=0.01)

    def real_s(self, model_s: float) -> float:
        return model_s / self.scale

    def wait_publish(self, since: int, what: str, timeout_s: float | None = None) -> dict:
        """The first PUBLISH after `since` (a new one: DUP 0), or a Mismatch."""
        t = timeout_s if timeout_s is not None else 3.0 + self.real_s(TIMEOUT_S * ATTEMPTS)
        got = self.wait(lambda: [p for p in self.publishes(since) if not p["dup"]], t)
        if not got:
            raise Mismatch(f"a PUBLISH at the gateway after {what} (within {t:.1f} s)", "a PUBLISH", "none")
        return got[0]

    def wait_settled(self, timeout_s: float = 3.0):
        """Until every QoS 1 PUBLISH seen has its PUBACK or is older than its attempts' time (given
        up), at most timeout_s: the module's queue drained."""
        def done():
            acked = {m for m, _ in self.pubacks()}
            old = monotonic_us() - (self.real_s(TIMEOUT_S * ATTEMPTS) + 0.3) * 1e6
            return all(p["msg_id"] in acked or p["at_us"] < old for p in self.publishes() if p["qos"] == 1)
        self.wait(done, timeout_s)

    def close(self):
        if self.own:
            self.net.close()


_SHARED: dict[str, UplinkNetwork] = {}


def shared(conn) -> UplinkNetwork:
    key = conn.url
    if key not in _SHARED:
        _SHARED[key] = UplinkNetwork(conn)
    n = _SHARED[key]
    n.setup()
    return n


def close_all():
    while _SHARED:
        _SHARED.popitem()[1].close()


def monotonic_us() -> int:
    return int(time.monotonic() * 1e6)
