"""CMi6110 §6.3 Table 2 executes that drive the meter-data uplinks, checked on what crossed the wire
to the suite's MQTT-SN gateway (uplink.py): 33906/x/10 "Trigger a meter readout" (a PUBLISH with a
readout made then: its SenML pack read with cbor2 and the Table 6 records with lib.py's reader, its
time between the module's Current Time 3/0/13 before the Execute and after the uplink),
33906/x/13 "Trigger upload of all historic data" (the payloads it published before arrive again, in
order) with 33906/x/14 "Number of messages in uplink queue" (ERRATA E-136), and the 33910 transaction
statistics (Transactions, Retransmissions, Lost transactions; Execute 33910/x/0 resets them) against
the exchanges the gateway saw (ERRATA E-135)."""
import cbor2

from metercert.conformance import Mismatch, case

from .lib import readouts_from_senml, senml_pack
from .uplink import TIMEOUT_S, monotonic_us

NEEDS = ("coap.server",)
FORMATS = {42: "standard", 43: "extended"}  # 33906/x/2


@case("cmi6110/6.3/10", "Execute 33906/0/10 (readout trigger) makes the module upload a new readout: a PUBLISH whose SenML/CBOR "
      "pack (33906/0/1 = 0) is deterministic CBOR with base name and base time (§7.4.2.3; ERRATA E-45, E-46), holds Table 6's "
      "records for the format 33906/0/2, and whose readout time (bt + t) lies between the module's Current Time 3/0/13 before "
      "the Execute (to the minute, waited for a new minute of 3/0/13 first) and after the uplink (§6.3 Table 2).", needs=NEEDS)
def test_readout_now_uploads_a_fresh_readout(uplink_network):
    u = uplink_network
    u.wait_settled()
    enc, fmt = u.read_int("/33906/0/1"), u.read_int("/33906/0/2")
    # a readout made before the Execute's minute must show: wait for the module's next minute (3/0/13;
    # the readout's time has minute resolution, §7.4.1 type F)
    t0 = u.read_int("/3/0/13")
    u.wait(lambda: u.read_int("/3/0/13") >= t0 - t0 % 60 + 60, 61.0 / u.scale + 1.0)
    mark = u.mark()
    before = u.read_int("/3/0/13")
    u.execute("/33906/0/10")
    p = u.wait_publish(mark, "Execute 33906/0/10")
    after = u.read_int("/3/0/13")
    payload = bytes(p["data"])
    if enc != 0:
        raise Mismatch("33906/0/1 Report data encoding (this case reads SenML/CBOR)", 0, enc)
    try:
        pack = senml_pack(payload)
        if cbor2.dumps(cbor2.loads(payload)) != payload:
            raise ValueError("not deterministic CBOR (ERRATA E-45): re-encoding the items gives other bytes")
        if not isinstance(pack[0].get(-2), str) or not isinstance(pack[0].get(-3), int):
            raise ValueError(f"the first record has no base name (−2) and base time (−3): keys {sorted(pack[0])}")
        readouts = readouts_from_senml(payload, FORMATS.get(fmt, "standard"), 0)
    except (ValueError, cbor2.CBORDecodeError) as e:
        raise Mismatch("the readout-now PUBLISH's SenML pack (§7.4.2.3)", "a pack of Table 6 readouts", f"{e} ({payload[:24].hex()}…)")
    if len(readouts) != 1:
        raise Mismatch("readouts in the readout-now uplink", 1, len(readouts))
    t = int(readouts[0].utc.timestamp())
    lo = before - before % 60
    if not lo <= t <= after:
        raise Mismatch("the readout's time (bt + t, UNIX s) against 3/0/13 before the Execute (to the minute) and after the "
                       "uplink", f"{lo}…{after}", f"{t} ({(lo - t) // 60} min too old)" if t < lo else t)


@case("cmi6110/6.3/11", "Execute 33906/0/13 (historic resend trigger) uploads again every payload the module published before, "
      "in the same order and byte for byte; while they are being sent 33906/0/14 (Historic resend status, \"Number of "
      "messages in uplink queue\") reads how many are queued and not yet acknowledged, and 0 once all are (§6.3 Table 2; "
      "ERRATA E-136).", level="implementation-defined", needs=NEEDS)
def test_resend_history_and_queue_length(uplink_network):
    u = uplink_network
    u.wait_settled()
    mark0 = u.mark()
    u.execute("/33906/0/10")  # at least one stored
    u.wait_publish(mark0, "Execute 33906/0/10")
    u.wait_settled()
    stored = [bytes(x["data"]) for x in u.publishes() if not x["dup"]]
    mark = u.mark()
    timeout = u.real_s(TIMEOUT_S)
    u.servers.set_gateway(withhold_pubacks=1)  # each resend waits one timeout for its PUBACK: the queue is seen
    try:
        u.execute("/33906/0/13")
        queued = u.read_int("/33906/0/14")
        read_done_us = monotonic_us()
        def resent():
            got = [bytes(x["data"]) for x in u.publishes(mark) if not x["dup"]]
            return got if len(got) >= len(stored) else None
        got = u.wait(resent, 2.0 + len(stored) * (timeout + 0.1)) or [bytes(x["data"]) for x in u.publishes(mark) if not x["dup"]]
        u.wait_settled(2.0 + timeout)
    finally:
        u.servers.set_gateway(withhold_pubacks=0)
    if got[:len(stored)] != stored:
        at = next((i for i, (a, b) in enumerate(zip(got, stored)) if a != b), min(len(got), len(stored)))
        raise Mismatch(f"the payloads after Execute 33906/0/13 (the {len(stored)} published before, in order)",
                       f"payload {at}: {stored[at][:12].hex() if at < len(stored) else 'none'}…",
                       f"{got[at][:12].hex() if at < len(got) else 'none'}… ({len(got)} resent)")
    # the PUBACKs the module may have had before it answered the Read: those the gateway sent before
    # the answer came (each resend's first PUBACK is withheld: 0 unless the Read was slow)
    resent_ids = {x["msg_id"] for x in u.publishes(mark)}
    acked = len({m for m, at in u.pubacks() if m in resent_ids and at >= u.uplinks(mark)[0]["at_us"] and at < read_done_us}) \
        if u.uplinks(mark) else 0
    if not len(stored) - acked <= queued <= len(stored):
        raise Mismatch(f"33906/0/14 read right after Execute 33906/0/13 ({len(stored)} resent, {acked} acknowledged before "
                       "the Read's answer)", f"{len(stored) - acked}…{len(stored)}", queued)
    after = u.wait(lambda: u.read_int("/33906/0/14") == 0, 1.0) or u.read_int("/33906/0/14")  # the last PUBACK reaches it
    if after is not True:
        raise Mismatch("33906/0/14 once every resent message is acknowledged", 0, after)


def _gateway_counts(uplinks):
    """Transactions and retransmissions as the gateway saw them (ERRATA E-135): CONNECT, DISCONNECT,
    REGISTER with a new MsgId and PUBLISH with DUP 0 start one; PUBLISH with DUP 1 and REGISTER with
    a MsgId already seen are retransmissions."""
    tx = rtx = 0
    reg_ids = set()
    for x in uplinks:
        if x["type"] in ("CONNECT", "DISCONNECT"):
            tx += 1
        elif x["type"] == "REGISTER":
            if x["msg_id"] in reg_ids:
                rtx += 1
            else:
                tx += 1
                reg_ids.add(x["msg_id"])
        elif x["type"] == "PUBLISH":
            if x["dup"]:
                rtx += 1
            else:
                tx += 1
    return tx, rtx


@case("cmi6110/6.3/12", "Execute 33910/0/0 sets Transactions, Retransmissions and Lost transactions (33910/0/1-3) to 0; "
      "afterwards they count the MQTT-SN exchanges the module started and the retransmissions it made, as the gateway saw "
      "them, a PUBLISH retransmitted once because its first PUBACK was withheld included (§6.3 Table 2 object 33910; "
      "ERRATA E-135).", level="implementation-defined", needs=NEEDS)
def test_transaction_statistics(uplink_network):
    u = uplink_network
    u.wait_settled()
    u.execute("/33910/0/0")
    mark = u.mark()
    reset = [u.read_int(f"/33910/0/{r}") for r in (1, 2, 3)]
    if reset != [0, 0, 0]:
        raise Mismatch("33910/0/1, /2, /3 after Execute 33910/0/0", [0, 0, 0], reset)
    u.servers.set_gateway(withhold_pubacks=1)
    try:
        u.execute("/33906/0/10")
        p = u.wait_publish(mark, "Execute 33906/0/10")
        u.wait(lambda: p["msg_id"] in {m for m, _ in u.pubacks()}, 2.0 + 2 * u.real_s(TIMEOUT_S))
        u.wait_settled()
    finally:
        u.servers.set_gateway(withhold_pubacks=0)
    got = [u.read_int("/33910/0/1"), u.read_int("/33910/0/2")]
    want = list(_gateway_counts(u.uplinks(mark)))
    if got != want:
        raise Mismatch("33910/0/1 Transactions and /2 Retransmissions since the reset, against the gateway's count",
                       want, got)
