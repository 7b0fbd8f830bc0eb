"""CMi6110 §6.3 Table 2 33905/x/10 "Connection config 0..1 0 = Optimized 1 = Compliant" and §7.5
Table 11 "MQTT/SN Connection — Connection type used when publishing messages to the MQTT-SN broker,
Optimized / Compliant, default Optimized". The manual names the two modes and never says what
either does; metercert's reading (ERRATA E-100) against MQTT-SN 1.2: Compliant is a complete session
per upload — CONNECT, REGISTER of 33905/0/11, PUBLISH QoS 1, DISCONNECT (MQTT-SN 1.2 §6.2, §6.5,
§6.6, §6.12); Optimized keeps the session after an upload, so the next upload is a PUBLISH on the
topic id already registered, with no DISCONNECT, CONNECT or REGISTER between. A write of 33905/0/10
takes effect at the module's next upload, on a new connection (ERRATA E-161). Hence the case is
implementation-defined.

The suite writes 33905/0/10 through its DM server, makes the module upload with Execute 33906/0/10
(Readout now, as 7.5/10), twice per mode, and reads the message sequence at its gateway
(uplink.py: the gateway's records; a PUBLISH with DUP 1 is a retransmission and not a new message).
The QoS of the PUBLISHes is 7.5/10's: here a QoS 1 one is waited for its PUBACK, a QoS 0 one not.
It puts the value it found back at the end."""
from metercert.conformance import Mismatch, case

from .uplink import ATTEMPTS, TIMEOUT_S, monotonic_us

CONNECTION = "/33905/0/10"   # Table 2: 0 = Optimized, 1 = Compliant
READOUT_NOW = "/33906/0/10"  # Table 2 E
OPTIMIZED, COMPLIANT = 0, 1
QUIET_S = 0.3                # how long the case watches for a DISCONNECT after an Optimized upload (real s)


def _types(u, since: int, until_us: int | None = None) -> list[str]:
    """The module's MQTT-SN messages since the mark, DUP 1 PUBLISHes left out (retransmissions)."""
    return [x["type"] or "undecodable" for x in u.uplinks(since)
            if not (x["type"] == "PUBLISH" and x["dup"]) and (until_us is None or x["at_us"] <= until_us)]


def _upload(u, what: str) -> tuple[int, dict]:
    """Execute 33906/0/10; (the mark before it, the upload's first PUBLISH)."""
    mark = u.mark()
    u.execute(READOUT_NOW)
    return mark, u.wait_publish(mark, f"Execute {READOUT_NOW} ({what})")


@case("cmi6110/7.5/12", "MQTT-SN connection config 33905/0/10: with 1 = Compliant each upload (Execute 33906/0/10) is a "
      "session of its own — CONNECT, REGISTER of 33905/0/11, PUBLISH QoS 1, DISCONNECT; with 0 = Optimized the session is "
      "kept — the second upload is a PUBLISH on the registered topic id with no DISCONNECT, CONNECT or REGISTER between "
      "(§6.3 Table 2, §7.5 Table 11; MQTT-SN 1.2 §6.2, §6.5, §6.12; ERRATA E-100, E-161).",
      level="implementation-defined", needs=("coap.server",))
def test_optimized_and_compliant_connection(uplink_network):
    u = uplink_network
    u.servers.set_gateway(withhold_pubacks=0, withhold_all_pubacks=False)
    u.wait_settled()
    original = u.read_int(CONNECTION)
    t0 = monotonic_us()
    settle_s = 1.0 + u.real_s(TIMEOUT_S * ATTEMPTS)
    try:
        u.write(CONNECTION, COMPLIANT)
        for n in (1, 2):
            mark, p = _upload(u, f"Compliant, upload {n}")
            u.wait(lambda: "DISCONNECT" in _types(u, mark), settle_s)
            seq = _types(u, mark)
            if "DISCONNECT" not in seq:
                raise Mismatch(f"a DISCONNECT after Compliant upload {n} (33905/0/10 = 1; MQTT-SN 1.2 §6.12; ERRATA E-100)",
                               "CONNECT, REGISTER, PUBLISH, DISCONNECT", ", ".join(seq) + " (no DISCONNECT)")
            seq = seq[:seq.index("DISCONNECT") + 1]
            pubs = seq.count("PUBLISH")
            if seq[:2] != ["CONNECT", "REGISTER"] or seq[2:] != ["PUBLISH"] * pubs + ["DISCONNECT"] or pubs < 1:
                raise Mismatch(f"the messages of Compliant upload {n} (33905/0/10 = 1; ERRATA E-100)",
                               "CONNECT, REGISTER, PUBLISH, DISCONNECT", ", ".join(seq))

        u.write(CONNECTION, OPTIMIZED)
        _, p1 = _upload(u, "Optimized, upload 1")
        if p1["qos"] == 1 and not u.wait(lambda: p1["msg_id"] in {m for m, _ in u.pubacks()}, settle_s):
            raise Mismatch(f"the gateway's PUBACK to MsgId {p1['msg_id']}", "a PUBACK", "none")
        after1 = u.mark()
        u.wait(lambda: "DISCONNECT" in _types(u, after1), QUIET_S)
        _, p2 = _upload(u, "Optimized, upload 2")
        between = _types(u, after1, until_us=p2["at_us"])
        if between != ["PUBLISH"]:
            raise Mismatch("the messages from the PUBACK of Optimized upload 1 to the PUBLISH of upload 2 (33905/0/10 = 0: "
                           "the session kept; ERRATA E-100)", "PUBLISH", ", ".join(between))
        if p2["topic_id"] != p1["topic_id"] or p2["topic"] != p1["topic"]:
            raise Mismatch("the topic id of Optimized upload 2 (the one registered for upload 1)",
                           f"{p1['topic_id']} ({p1['topic']})", f"{p2['topic_id']} ({p2['topic'] or 'unknown'})")
        if p2["qos"] == 1 and not u.wait(lambda: p2["msg_id"] in {m for m, _ in u.pubacks()}, settle_s):
            raise Mismatch(f"the gateway's PUBACK to MsgId {p2['msg_id']} (a PUBLISH in the kept session)", "a PUBACK",
                           "none (the gateway did not accept it)")
        bad = [f for f in u.servers.findings() if f["at_us"] >= t0]
        if bad:
            raise Mismatch("MQTT-SN violations the gateway named", [], [f"{f['violation']}: {f['detail']}" for f in bad])
    finally:
        u.wait_settled()
        if u.read_int(CONNECTION) != original:
            u.write(CONNECTION, original)
