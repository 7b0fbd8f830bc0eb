"""CMi6110 §7.3.4 "Data retransmission" on the wire: "If data cannot be sent … the device will give up and leave
the readout as 'unsent' in its storage. Next time a transmission is attempted unsent data will be resent"
(ERRATA E-152). The suite's gateway withholds every PUBACK (MQTT-SN 1.2 §6.6, §6.13) until the module gives the
readout-now telegram up (33910/0/3 Lost transactions, read over LwM2M), then acknowledges again: the module's next
transmission (Execute 33906/0/10) carries the unsent payload again besides its new one, and once every telegram
is acknowledged the transmission after that carries only its new one. Payloads are compared byte for byte as
the gateway received them (uplink.py)."""
from metercert.conformance import Mismatch, case

from .uplink import ATTEMPTS, BACKOFF_MIN, TIMEOUT_S

NEEDS = ("coap.server",)


def _new_publishes(u, since):
    return [p for p in u.publishes(since) if not p["dup"]]


def _acked(u, publishes):
    acked = {m for m, _ in u.pubacks()}
    return all(p["msg_id"] in acked for p in publishes)


@case("cmi6110/7.3.4/12", "A readout-now telegram whose PUBLISH the gateway never acknowledges (33906/0/25 attempts) is "
      "counted lost (33910/0/3) and left unsent: the module's next transmission (Execute 33906/0/10) publishes it again, "
      "byte for byte, besides the new readout; once both are acknowledged the next transmission publishes only its new "
      "one and 33906/0/14 reads 0 (§7.3.4; ERRATA E-101, E-152).", level="implementation-defined", needs=NEEDS)
def test_unsent_telegram_resent_at_next_transmission(uplink_network):
    u = uplink_network
    u.servers.set_gateway(withhold_pubacks=0, withhold_all_pubacks=False)
    u.wait_settled()
    u.execute("/33910/0/0")
    timeout = u.real_s(TIMEOUT_S)
    mark = u.mark()
    u.servers.set_gateway(withhold_all_pubacks=True)
    try:
        u.execute("/33906/0/10")
        first = u.wait_publish(mark, "Execute 33906/0/10")
        lost = u.wait(lambda: u.read_int("/33910/0/3") >= 1, ATTEMPTS * timeout + 1.0)
    finally:
        u.servers.set_gateway(withhold_all_pubacks=False)
    if lost is not True:
        raise Mismatch(f"33910/0/3 Lost transactions once the PUBLISH went unacknowledged {ATTEMPTS} times (33906/0/25)",
                       1, u.read_int("/33910/0/3"))
    unsent = bytes(first["data"])
    # the next transmission: the unsent telegram again, with the new readout (after the 33906/0/41 back-off)
    mark2 = u.mark()
    u.execute("/33906/0/10")
    got = u.wait(lambda: (lambda g: g if len(g) >= 2 else None)(_new_publishes(u, mark2)),
                 2.0 + u.real_s(BACKOFF_MIN[1]) + 2 * timeout) or _new_publishes(u, mark2)
    if unsent not in [bytes(p["data"]) for p in got]:
        raise Mismatch("the telegram left unsent, among the PUBLISHes of the next transmission (§7.3.4 'unsent data will be "
                       "resent')", f"{unsent[:12].hex()}… again", f"{len(got)} PUBLISH(es), none with its payload")
    u.wait(lambda: _acked(u, got), 2.0)
    u.wait_settled()
    # acknowledged telegrams leave the backlog: the next transmission holds the new readout only
    mark3 = u.mark()
    u.execute("/33906/0/10")
    p3 = u.wait_publish(mark3, "Execute 33906/0/10 after every telegram was acknowledged")
    u.wait(lambda: _acked(u, [p3]), 2.0)
    u.wait(lambda: False, 0.15)  # any further PUBLISH of that transmission
    again = _new_publishes(u, mark3)
    if len(again) != 1:
        raise Mismatch("PUBLISHes of a transmission once every earlier telegram was acknowledged (a PUBACKed telegram "
                       "leaves the backlog)", 1, len(again))
    queued = u.read_int("/33906/0/14")
    if queued != 0:
        raise Mismatch("33906/0/14 once every telegram is acknowledged (ERRATA E-136)", 0, queued)
