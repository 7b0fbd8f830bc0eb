"""Lwm2mServers.counters(): the exact running totals (rigs/lwm2m/server.hpp ServerCounters) equal
what a client counted on its own side. The MQTT-SN datagrams are built by hand from MQTT-SN 1.2
§5.4 (CONNECT 0x04, REGISTER 0x0A, REGACK 0x0B, PUBLISH 0x0C with DUP 0x80 / QoS 1 0x20,
PUBACK 0x0D, DISCONNECT 0x18); loopback, bounded waits."""
import socket

from metercert import _core


def test_counters_equal_the_clients_own_counts():
    s = _core.Lwm2mServers(bootstrap=False, dm=True, mqttsn=True, lifetime_ms=20000)
    try:
        sent = received = 0
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as c:
            c.settimeout(2)

            def exchange(datagram):
                nonlocal sent, received
                c.sendto(datagram, ("127.0.0.1", s.mqttsn_port))
                sent += 1
                answer = c.recv(2048)
                received += 1
                return answer

            assert exchange(bytes([0x0B, 0x04, 0x04, 0x01, 0x00, 0x3C]) + b"count") == bytes([0x03, 0x05, 0x00])
            regack = exchange(bytes([0x09, 0x0A, 0x00, 0x00, 0x00, 0x01]) + b"m/1")
            assert regack[1] == 0x0B and regack[6] == 0x00
            for flags, mid in ((0x20, 1), (0x20, 2), (0xA0, 2)):
                puback = exchange(bytes([0x08, 0x0C, flags, regack[2], regack[3], 0x00, mid]) + b"x")
                assert puback[1] == 0x0D and puback[5] == mid and puback[6] == 0x00
            assert exchange(bytes([0x02, 0x18])) == bytes([0x02, 0x18])
        c = s.counters()
        assert c["uplinks"] == sent == 6
        assert c["publishes"] == 2 and c["publish_dups"] == 1
        assert c["datagrams_mqttsn"] == sent + received
        assert c["registers"] == c["updates"] == c["deregisters"] == c["exchanges"] == 0
        assert c["datagrams_dm"] == c["datagrams_bootstrap"] == 0
        assert c["last_register_at_us"] == 0
        assert len(s.uplinks()) == 6  # no record_limit: every record kept
    finally:
        s.stop()
