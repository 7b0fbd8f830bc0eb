"""Lwm2mServers(record_limit=N): the records kept are capped (exchanges(), datagrams() per server,
uplinks(): at least the last N, at most 2N; registrations(): every live one and at most 2N ended)
while counters() stays exact (rigs/lwm2m/server.hpp Options::record_limit). The datagrams are
built by hand: MQTT-SN 1.2 §5.4 (CONNECT 0x04, REGISTER 0x0A, PUBLISH 0x0C QoS 1 0x20, PUBACK 0x0D)
and CoAP (RFC 7252 §3: a CON POST /rd?ep=…&lt=… with Content-Format 40, the LwM2M Register of TS 1.1
§5.3.1; Uri-Path 11, Content-Format 12, Uri-Query 15). Loopback, bounded waits."""
import socket

import pytest

from metercert import _core

LIMIT = 5


def _register(mid: int, ep: bytes) -> bytes:
    """CON POST /rd?ep=<ep>&lt=60, Content-Format 40, payload </3/0> (RFC 7252 §3, §5.10)."""
    assert len(ep) + 3 < 13
    opts = bytes([0xB2]) + b"rd"                       # Uri-Path (11), 2 bytes
    opts += bytes([0x11, 40])                            # Content-Format (12 = 11 + 1), 1 byte: 40
    q1 = b"ep=" + ep
    opts += bytes([0x30 | len(q1)]) + q1                 # Uri-Query (15 = 12 + 3)
    opts += bytes([0x05]) + b"lt=60"                     # Uri-Query again (delta 0)
    return bytes([0x40, 0x02, mid >> 8, mid & 0xFF]) + opts + b"\xff</3/0>"


def test_records_capped_counters_exact():
    s = _core.Lwm2mServers(bootstrap=False, dm=True, mqttsn=True, lifetime_ms=30000, record_limit=LIMIT)
    try:
        publishes = 40
        registers = 30
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as c:
            c.settimeout(2)

            def exchange(datagram, port):
                c.sendto(datagram, ("127.0.0.1", port))
                return c.recv(2048)

            assert exchange(bytes([0x0B, 0x04, 0x04, 0x01, 0x00, 0x3C]) + b"limit", s.mqttsn_port) == bytes([0x03, 0x05, 0x00])
            regack = exchange(bytes([0x09, 0x0A, 0x00, 0x00, 0x00, 0x01]) + b"m/1", s.mqttsn_port)
            assert regack[1] == 0x0B and regack[6] == 0x00
            for mid in range(1, publishes + 1):
                puback = exchange(bytes([0x08, 0x0C, 0x20, regack[2], regack[3], mid >> 8, mid & 0xFF]) + b"x", s.mqttsn_port)
                assert puback[1] == 0x0D and puback[4:6] == mid.to_bytes(2, "big") and puback[6] == 0x00  # accepted
            # the same endpoint registers again and again: each Register replaces the last (ERRATA E-120)
            for i in range(registers):
                ack = exchange(_register(0x1000 + i, b"rl"), s.dm_port)
                assert ack[0] >> 4 == 0x6 and ack[1] == 0x41  # ACK 2.01 Created (RFC 7252 §5.9.1.1)
        c = s.counters()
        assert c["uplinks"] == publishes + 2 and c["publishes"] == publishes and c["publish_dups"] == 0
        assert c["datagrams_mqttsn"] == 2 * (publishes + 2)
        assert c["registers"] == registers and c["exchanges"] == registers
        assert c["datagrams_dm"] == 2 * registers

        ups = s.uplinks()
        assert LIMIT <= len(ups) <= 2 * LIMIT
        assert [u["msg_id"] for u in ups] == list(range(publishes - len(ups) + 1, publishes + 1))  # the newest kept, in order
        for server in ("mqttsn", "dm"):
            n = sum(1 for d in s.datagrams() if d["server"] == server)
            assert LIMIT <= n <= 2 * LIMIT, (server, n)
        ex = s.exchanges()
        assert LIMIT <= len(ex) <= 2 * LIMIT
        regs = s.registrations()
        live = [r for r in regs if not r["deregistered"]]
        assert len(live) == 1 and live[0]["endpoint"] == "rl"
        assert LIMIT <= len(regs) - 1 <= 2 * LIMIT
    finally:
        s.stop()


def test_record_limit_is_a_count():
    with pytest.raises(TypeError):
        _core.Lwm2mServers(bootstrap=False, dm=True, lifetime_ms=5000, record_limit=-1)
