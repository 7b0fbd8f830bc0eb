"""CMi6110 §7.5 Table 9 "CoAP ack timeout" (Table 2 33906/./30) on a Notification: a confirmable
notification (RFC 7641 §4.5: "a notification can be confirmable or non-confirmable"; ERRATA E-156:
the reference sends them confirmable) that the DM server does not acknowledge is retransmitted
after ACK_TIMEOUT × [1, ACK_RANDOM_FACTOR 1.5] (RFC 7252 §4.2, §4.8) as the same message — the same
token (RFC 7641 §3.2: a notification carries the observation's token) and, the state being
unchanged, the same Observe number (RFC 7641 §4.5.2 lets a server replace an unacknowledged
notification by a newer one, "with a new Observe Option value", only when the state has changed
meanwhile: then the token is still the observation's).

The case starts a module of its own (the built-in module: its servers and a reference client with
a lifetime of an hour: no Update during the case), writes 33906/0/30 = 1 s, observes 33906/0/0
(Write-Attributes pmin=0&pmax=3600: a change notified at once, no periodic notification), writes a
new value and has the DM server's tap drop the module's second datagram from then on (the first
answers the Write): the notification of the new value. Expected: the module's next datagram, of the same length (under DTLS the tap sees
record lengths only), 1-1.5 s after the dropped one (−0.05/+0.1 s for the loops), and the DM
server records, for the observation (its token), a notification of the new value whose Observe
number is above the Observe response's (RFC 7641 §4.4). Times are the tap's (monotonic, at
arrival). About 1.5 s of real time."""
import time

from metercert.conformance import Mismatch, case, measure

from .network import Network, shared

TEXT = 0
TIMEOUT_MS = 5000.0
ACK_TIMEOUT = "/33906/0/30"
TARGET = "/33906/0/0"       # Meter Readout Interval (RW, Table 2): changes only when written
SET_ACK_S = 1
ACK_RANDOM_FACTOR = 1.5     # RFC 7252 §4.8 default (the manual names no other)
TOLERANCE_S = 0.1           # the module's loop and the tap's


def _code(r) -> str:
    return r["code"] or r["status"]


def _value(note) -> str:
    return bytes(note["payload"]).decode("ascii", errors="replace")


@case("cmi6110/7.5/5", "With CoAP ACK timeout 33906/0/30 = 1 s, a Notification of 33906/0/0 (Observe) whose datagram was lost "
      "is sent again 1-1.5 s later, the same message (same length), and the DM server then receives the new value with the "
      "observation's token and a newer Observe number (RFC 7252 §4.2, §4.8; RFC 7641 §4.4, §4.5; ERRATA E-156).",
      level="implementation-defined", needs=("coap.server",))
def test_lost_notification_is_resent(dut):
    if not dut.lwm2m_listen()["reference_client"]:
        n = shared(dut)  # a module on lwm2m://: the one set of servers on its port
        _check_resend(n, restore=True)
        return
    n = Network(dut, lifetime_s=3600)
    try:
        _check_resend(n, restore=False)
    finally:
        n.close()


def _check_resend(n, restore: bool):
    n.registered()
    s, ep = n.servers, n.endpoint
    r = s.read(ep, ACK_TIMEOUT, accept=TEXT, timeout_ms=TIMEOUT_MS)
    if r["code"] != "2.05":
        raise Mismatch(f"Read {ACK_TIMEOUT} CoAP ACK Timeout", "2.05 Content", _code(r))
    ack_before = bytes(r["payload"])
    oid = None
    original = None
    try:
        w = s.write(ep, ACK_TIMEOUT, str(SET_ACK_S).encode(), content_format=TEXT, replace=True, timeout_ms=TIMEOUT_MS)
        if w["code"] != "2.04":
            raise Mismatch(f"the answer to a Write of {SET_ACK_S} to {ACK_TIMEOUT}", "2.04 Changed", _code(w))
        # pmin 0: the change is notified at once (an earlier case may have left a pmin); pmax: none periodic
        a = s.write_attributes(ep, TARGET, ["pmin=0", "pmax=3600"], timeout_ms=TIMEOUT_MS)
        if a["code"] != "2.04":
            raise Mismatch(f"the answer to Write-Attributes pmin=0&pmax=3600 on {TARGET}", "2.04 Changed", _code(a))
        oid = s.observe(ep, TARGET, accept=TEXT, timeout_ms=TIMEOUT_MS)
        notes = s.observations()[oid]["notifications"]
        if not notes or notes[0]["code"] != "2.05" or notes[0]["observe"] is None:
            raise Mismatch(f"the answer to Observe {TARGET} (GET with Observe 0)", "2.05 with an Observe option",
                           "none" if not notes else f"{_code(notes[0])}, Observe {notes[0]['observe']}")
        original = _value(notes[0])
        new = "90" if original != "90" else "120"
        mark = len(s.datagrams())
        # the 1st datagram from the module from now on answers the Write (piggybacked ACK), the 2nd is the notification
        s.add_tap_fault("dm", action="drop", flow="to_upstream", first=2, count=1)
        w = s.write(ep, TARGET, new.encode(), content_format=TEXT, replace=True, timeout_ms=TIMEOUT_MS)
        if w["code"] != "2.04":
            raise Mismatch(f"the answer to a Write of {new} to {TARGET}", "2.04 Changed", _code(w))
        deadline = time.monotonic() + 2.0  # for the notification; then for its retransmission from the dropped one on
        dropped = resent = None
        while time.monotonic() < deadline:
            ups = [d for d in s.datagrams()[mark:] if d["server"] == "dm" and d["flow"] == "to_upstream"]
            i = next((i for i, d in enumerate(ups) if d["dropped"]), None)
            if i is not None:
                if dropped is None:
                    deadline = time.monotonic() + SET_ACK_S * ACK_RANDOM_FACTOR + 2 * TOLERANCE_S
                dropped = ups[i]
                if i + 1 < len(ups):
                    resent = ups[i + 1]
                    break
            time.sleep(0.01)
        if dropped is None:
            raise Mismatch(f"a notification of {TARGET} after the Write of {new} (the datagram the tap drops)", "one", "none")
        if resent is None:
            raise Mismatch(f"the lost notification sent again within {SET_ACK_S * ACK_RANDOM_FACTOR:g} s (ACK_TIMEOUT {SET_ACK_S} s "
                           f"× {ACK_RANDOM_FACTOR}; RFC 7252 §4.2)", "a retransmission", "none")
        gap = (resent["at_us"] - dropped["at_us"]) / 1e6
        lo, hi = SET_ACK_S, SET_ACK_S * ACK_RANDOM_FACTOR
        if not measure("lost notification to its retransmission", gap, "s", lo - TOLERANCE_S / 2, hi + TOLERANCE_S):
            raise Mismatch("the time from the lost notification to its retransmission (RFC 7252 §4.2)", f"{lo:g}-{hi:g} s",
                           f"{gap:.3f} s")
        if len(resent["bytes"]) != len(dropped["bytes"]):
            raise Mismatch("the module's datagram after the lost notification", f"its retransmission ({len(dropped['bytes'])} bytes)",
                           f"{len(resent['bytes'])} bytes")
        got = None
        end = time.monotonic() + 0.5
        while got is None and time.monotonic() < end:
            got = next((x for x in s.observations()[oid]["notifications"][1:] if _value(x) == new), None)
            time.sleep(0.01)
        if got is None:
            raise Mismatch(f"a notification of {TARGET} = {new} with the observation's token at the DM server", new,
                           [_value(x) for x in s.observations()[oid]["notifications"][1:]])
        if got["observe"] is None or not _newer(got["observe"], notes[0]["observe"]):
            raise Mismatch("the Observe number of the resent notification (RFC 7641 §4.4: newer than the Observe response's)",
                           f"> {notes[0]['observe']}", got["observe"])
    finally:
        if oid is not None:
            s.cancel_observe(oid)
        if restore:
            if original is not None:
                s.write(ep, TARGET, original.encode(), content_format=TEXT, replace=True, timeout_ms=TIMEOUT_MS)
            s.write(ep, ACK_TIMEOUT, ack_before, content_format=TEXT, replace=True, timeout_ms=TIMEOUT_MS)


def _newer(v2: int, v1: int) -> bool:
    """RFC 7641 §3.4: V2 is newer than V1 in 24-bit serial arithmetic (the 128 s clause aside)."""
    return (v1 < v2 and v2 - v1 < 2 ** 23) or (v1 > v2 and v1 - v2 > 2 ** 23)
