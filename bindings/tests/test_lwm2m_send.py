"""The suite's DM server and the LwM2M 1.1 Send operation (TS 1.1 Core §5.6.3 "Send", Transport §6.4: the
client's CON POST /dp with a SenML-CBOR body, answered 2.04 Changed): from a client's registered session it is
accepted and recorded (Lwm2mServers.sends(), counters()['sends']); from a session no registration holds it is
answered 4.00 Bad Request ("no registration found", as Eclipse Leshan's SendResource answers). The client here is
a UDP socket sending CoAP datagrams built byte by byte from RFC 7252 §3 (header) and §3.1 (options), so none of
the suite's CoAP code is on the client side. Loopback only, every wait bounded."""
import socket

import cbor2

from metercert import _core

CON, ACK = 0, 2
POST = 0x02
URI_PATH, CONTENT_FORMAT, URI_QUERY = 11, 12, 15


def option(delta: int, value: bytes) -> bytes:
    """One CoAP option (RFC 7252 §3.1), delta and length < 13 (enough here)."""
    assert delta < 13 and len(value) < 13
    return bytes([(delta << 4) | len(value)]) + value


def request(mid: int, path: str, content_format: int | None, query: list[str], payload: bytes) -> bytes:
    """A CON POST without a token (RFC 7252 §3: Ver 1, T, TKL 0, Code 0.02, Message ID)."""
    out = bytes([0x40 | (CON << 4), POST]) + mid.to_bytes(2, "big")
    last = 0
    opts = [(URI_PATH, seg.encode()) for seg in path.strip("/").split("/")]
    if content_format is not None:
        opts.append((CONTENT_FORMAT, bytes([content_format]) if content_format else b""))
    opts += [(URI_QUERY, q.encode()) for q in query]
    for number, value in opts:
        out += option(number - last, value)
        last = number
    return out + (b"\xff" + payload if payload else b"")


def exchange(sock: socket.socket, datagram: bytes) -> tuple[int, int]:
    """(type, code byte) of the piggy-backed answer (RFC 7252 §5.2.1), matched by Message ID."""
    sock.send(datagram)
    while True:
        reply = sock.recv(2048)
        if reply[2:4] == datagram[2:4]:
            return (reply[0] >> 4) & 3, reply[1]


def code(c: int) -> str:
    return f"{c >> 5}.{c & 31:02d}"


# /33911/0 Meter Data as the reference client sends it (ERRATA E-151), by hand: bn, then n + v / vd (RFC 8428 §6)
SEND_BODY = cbor2.dumps([{-2: "/33911/0/", 0: "0", 2: 42}, {0: "1", 2: 0}, {0: "2", 8: b"\x01\x02"}])


def test_send_from_registered_and_unregistered_sessions():
    s = _core.Lwm2mServers(bootstrap=False, dm=True, lifetime_ms=20000.0)
    registered = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    stranger = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for sock in (registered, stranger):
            sock.settimeout(5.0)
            sock.connect(("127.0.0.1", s.dm_port))
        # not registered: 4.00
        t, c = exchange(stranger, request(0x1001, "/dp", 112, [], SEND_BODY))
        assert (t, code(c)) == (ACK, "4.00")
        # Register (TS 1.1 §5.3.1: POST /rd?ep=&lt=&lwm2m=&b=, link format 40) → 2.01, then Send → 2.04
        t, c = exchange(registered, request(0x2001, "/rd", 40, ["ep=send-test", "lt=60", "lwm2m=1.1", "b=U"], b"</3/0>,</33911/0>"))
        assert (t, code(c)) == (ACK, "2.01")
        t, c = exchange(registered, request(0x2002, "/dp", 112, [], SEND_BODY))
        assert (t, code(c)) == (ACK, "2.04")
        # the other socket is still nobody's registration
        t, c = exchange(stranger, request(0x1002, "/dp", 112, [], SEND_BODY))
        assert (t, code(c)) == (ACK, "4.00")
        sends = s.sends()
        assert [(x["endpoint"], x["code"], x["content_format"]) for x in sends] == [("", "4.00", 112), ("send-test", "2.04", 112), ("", "4.00", 112)]
        assert all(bytes(x["payload"]) == SEND_BODY for x in sends)
        assert sends[0]["at_us"] < sends[1]["at_us"] < sends[2]["at_us"] and all(x["wall_us"] > 0 for x in sends)
        assert s.counters()["sends"] == 3
        assert [e["operation"] for e in s.exchanges() if e["path"] == "/dp"] == ["send"] * 3
    finally:
        registered.close()
        stranger.close()
        s.stop()
