"""CMi6110 §7.5 / §7.3.4 meter-data upload over MQTT-SN 1.2, on the wire: the module (told the
suite's gateway through the DM server: uplink.py, ERRATA E-133) connects, registers the topic of
33905/0/11, publishes its readout QoS 1 and waits for the PUBACK (MQTT-SN 1.2 §6.2, §6.5, §6.6);
without a PUBACK it sends the PUBLISH again with DUP 1 and the same MsgId after the 33906/0/24
timeout, 33906/0/25 sends in all (§7.3.4, MQTT-SN 1.2 §6.13, §5.3.4); after the last one the
connection is lost and the module connects again only after the 33906/0/41 back-off (ERRATA E-102).
Every datagram is the suite's gateway's record (metercert::mqttsn::Gateway: its named violations
are findings here); times are the gateway's arrival times, the module's timers model seconds (the
reference client runs them × uplink.TIME_SCALE)."""
from metercert.conformance import Mismatch, case

from .uplink import ATTEMPTS, BACKOFF_MIN, TIMEOUT_S, monotonic_us

NEEDS = ("coap.server",)


def _findings(u, since_us=0):
    return [f for f in u.servers.findings() if f["at_us"] >= since_us]


@case("cmi6110/7.5/10", "After Execute 33906/0/10 the module uploads over MQTT-SN 1.2 to the gateway 33905/0/0 names: "
      "CONNECT, REGISTER of the topic 33905/0/11 (TopicId 0x0000), then a PUBLISH QoS 1 with a MsgId other than 0x0000 on the "
      "topic id the REGACK gave, which the gateway acknowledges (PUBACK); no MQTT-SN violation (§6.3 Table 2, §7.5; MQTT-SN "
      "1.2 §6.2, §6.5, §6.6, §5.3.7).", needs=NEEDS)
def test_connect_register_publish_qos1(uplink_network):
    u = uplink_network
    u.servers.set_gateway(withhold_pubacks=0, withhold_all_pubacks=False)
    t0 = monotonic_us()
    mark = u.mark()
    topic = u.read_text("/33905/0/11")
    u.execute("/33906/0/10")
    p = u.wait_publish(mark, "Execute 33906/0/10")
    if p["qos"] != 1:
        raise Mismatch("the QoS of the meter-data PUBLISH (MQTT-SN 1.2 §6.6; §7.3.4 acknowledged uploads)", 1, p["qos"])
    if p["msg_id"] == 0:
        raise Mismatch("the MsgId of a QoS 1 PUBLISH (MQTT-SN 1.2 §5.3.7)", "≠ 0x0000", 0)
    before = [x for x in u.uplinks() if x["at_us"] < p["at_us"]]
    sessions = [x for x in before if x["type"] == "CONNECT"]
    if not sessions:
        raise Mismatch("a CONNECT from the module before its PUBLISH (MQTT-SN 1.2 §6.2)", "CONNECT", "none")
    regs = [x for x in before if x["type"] == "REGISTER"]
    if not regs:
        raise Mismatch("a REGISTER from the module before its PUBLISH (MQTT-SN 1.2 §6.5)", "REGISTER", "none")
    if regs[-1]["topic"] != topic:
        raise Mismatch("the topic name the module registers (33905/0/11)", topic, regs[-1]["topic"])
    if p["topic"] != topic:
        raise Mismatch("the topic the PUBLISH's topic id stands for (the REGACK's id for 33905/0/11)", topic, p["topic"] or p["topic_id"])
    if not u.wait(lambda: p["msg_id"] in {m for m, _ in u.pubacks()}, 2.0):
        raise Mismatch(f"the gateway's PUBACK to MsgId {p['msg_id']}", "a PUBACK", "none (the gateway saw no acceptable PUBLISH)")
    bad = _findings(u, t0)
    if bad:
        raise Mismatch("MQTT-SN violations the gateway named", [], [f"{f['violation']}: {f['detail']}" for f in bad])


@case("cmi6110/7.3.4/10", "When the gateway withholds the PUBACK, the module sends the PUBLISH again after the MQTT-SN "
      "communication timeout 33906/0/24, with DUP 1 and the same MsgId, and stops once acknowledged (§7.3.4 data "
      "retransmission; Table 2 33906/x/24, /25; MQTT-SN 1.2 §6.13, §5.3.4).", needs=NEEDS)
def test_retransmission_with_dup_after_timeout(uplink_network):
    u = uplink_network
    u.wait_settled()
    mark = u.mark()
    u.servers.set_gateway(withhold_pubacks=1)
    try:
        u.execute("/33906/0/10")
        first = u.wait_publish(mark, "Execute 33906/0/10")
        mid = first["msg_id"]
        timeout = u.real_s(TIMEOUT_S)
        def sends_of():
            s = [x for x in u.publishes(mark) if x["msg_id"] == mid]
            return s if len(s) >= 2 else None
        sends = u.wait(sends_of, 2.0 + 2 * timeout) or [first]
        u.wait(lambda: mid in {m for m, _ in u.pubacks()}, 1.0 + timeout)
    finally:
        u.servers.set_gateway(withhold_pubacks=0)
    if len(sends) < 2:
        raise Mismatch(f"sends of the PUBLISH MsgId {mid} with its first PUBACK withheld (33906/0/25 = {ATTEMPTS})", 2, len(sends))
    a, b = sends[0], sends[1]
    if a["dup"] or not b["dup"]:
        raise Mismatch("DUP of the first send and of the retransmission (MQTT-SN 1.2 §5.3.4)", (False, True), (a["dup"], b["dup"]))
    if a["data"] != b["data"] or a["qos"] != b["qos"]:
        raise Mismatch("the retransmission's data and QoS", "those of the first send", "different")
    gap_s = (b["at_us"] - a["at_us"]) / 1e6
    lo, hi = 0.85 * timeout, timeout + 0.5
    if not lo <= gap_s <= hi:
        raise Mismatch(f"the time from the first send to the retransmission (33906/0/24 = {TIMEOUT_S} s model time, "
                       f"{timeout:.3f} s real)", f"{lo:.3f}…{hi:.3f} s", f"{gap_s:.3f} s")
    extra = [x for x in u.publishes(mark) if x["msg_id"] == mid][2:]
    if extra:
        raise Mismatch("sends of the PUBLISH after its PUBACK", 0, len(extra))


@case("cmi6110/7.3.4/11", "Without any PUBACK the module sends the PUBLISH 33906/0/25 times in all, then gives up; its next "
      "upload connects again only after the 33906/0/41 reconnect back-off (here exactly 1 minute; §7.3.4, §7.5 Table 12; "
      "ERRATA E-101, E-102).", level="implementation-defined", needs=NEEDS)
def test_attempts_then_backoff(uplink_network):
    u = uplink_network
    u.wait_settled()
    mark = u.mark()
    timeout = u.real_s(TIMEOUT_S)
    u.servers.set_gateway(withhold_all_pubacks=True)
    try:
        u.execute("/33906/0/10")
        first = u.wait_publish(mark, "Execute 33906/0/10")
        mid = first["msg_id"]
        sends_of = lambda: [x for x in u.publishes(mark) if x["msg_id"] == mid]
        u.wait(lambda: len(sends_of()) >= ATTEMPTS, ATTEMPTS * timeout + 1.0)
        # given up: the uplink queue 33906/0/14 is empty again (ERRATA E-136)
        u.wait(lambda: u.read_int("/33906/0/14") == 0, timeout + 1.0)
        sends = sends_of()
    finally:
        u.servers.set_gateway(withhold_all_pubacks=False)
    if len(sends) != ATTEMPTS:
        raise Mismatch(f"sends of an unacknowledged PUBLISH (33906/0/25 = {ATTEMPTS})", ATTEMPTS, len(sends))
    failed_at = sends[-1]["at_us"] + timeout * 1e6
    mark2 = u.mark()
    u.execute("/33906/0/10")
    conn = u.wait(lambda: [x for x in u.uplinks(mark2) if x["type"] in ("CONNECT", "PUBLISH", "REGISTER")], 3.0 + u.real_s(BACKOFF_MIN[1]))
    if not conn:
        raise Mismatch("the module's next upload after the back-off", "a CONNECT", "nothing")
    if conn[0]["type"] != "CONNECT":
        raise Mismatch("the first message after a lost connection (MQTT-SN 1.2 §6.13: the client connects again)", "CONNECT",
                       conn[0]["type"])
    wait_s = (conn[0]["at_us"] - failed_at) / 1e6
    lo, hi = 0.8 * u.real_s(BACKOFF_MIN[0]), u.real_s(BACKOFF_MIN[1]) + 0.5
    u.wait_settled()
    if not lo <= wait_s <= hi:
        raise Mismatch(f"the time from the last attempt's timeout to the new CONNECT (33906/0/41 first interval "
                       f"{BACKOFF_MIN[0] // 60}-{BACKOFF_MIN[1] // 60} min, × 1/{u.scale:g} real)", f"{lo:.3f}…{hi:.3f} s",
                       f"{wait_s:.3f} s")
