"""CMi6110 §7.5 Table 9 "CoAP ack timeout" and "CoAP max retransmit" (Table 2 33906/./30 and /31,
defaults 60 s and 1) on the wire: the module retransmits a confirmable request whose ACK does not
come after ACK_TIMEOUT, the first time at a random point in [ACK_TIMEOUT, ACK_TIMEOUT ×
ACK_RANDOM_FACTOR] with ACK_RANDOM_FACTOR 1.5 (RFC 7252 §4.2, §4.8).

The case sets the ACK timeout to 1 s through a DM Write of 33906/0/30 (which takes effect on the
running session: ERRATA E-132), has the module send a Registration Update (Execute 1/1/8, away from
its own periodic Update), and has the DM server's UDP tap drop the first datagram the module sends
after its answer to the Execute: the Update. The retransmission is the module's next datagram: its
time after the dropped one is the first timeout; its length equals the dropped one's (the same
CoAP message; under DTLS a new record of the same size), and the DM server then records the
Update. Times are the tap's (monotonic, at arrival). It puts the ACK timeout back afterwards.
Not checked here (its wall time, 3-4.5 s for MAX_RETRANSMIT 1): that the module gives up after
MAX_RETRANSMIT retransmissions."""
import time

from metercert.conformance import Mismatch, case

TEXT = 0
TIMEOUT_MS = 5000.0
ACK_TIMEOUT = "/33906/0/30"
UPDATE_TRIGGER = "/1/1/8"   # Table 1 (ERRATA E-130)
SET_ACK_S = 1
ACK_RANDOM_FACTOR = 1.5     # RFC 7252 §4.8 default (the manual names no other)
TOLERANCE_S = 0.1           # the module's loop and the tap's


def _now_us() -> int:
    return time.monotonic_ns() // 1000


def _code(r) -> str:
    return r["code"] or r["status"]


@case("cmi6110/7.5/3", "With CoAP ACK timeout 33906/0/30 set to 1 s, the module retransmits a Registration Update whose first "
      "datagram was lost after 1-1.5 s (ACK_TIMEOUT × [1, ACK_RANDOM_FACTOR 1.5]), the same message, which the DM server then "
      "receives (RFC 7252 §4.2, §4.8; Table 2 33906/./30; ERRATA E-132).", level="implementation-defined", needs=("coap.server",))
def test_con_retransmission_after_ack_timeout(network):
    network.registered()
    s, ep = network.servers, network.endpoint
    r = s.read(ep, ACK_TIMEOUT, accept=TEXT, timeout_ms=TIMEOUT_MS)
    if r["code"] != "2.05":
        raise Mismatch(f"Read {ACK_TIMEOUT} CoAP ACK Timeout", "2.05 Content", _code(r))
    original = r["payload"]
    w = s.write(ep, ACK_TIMEOUT, str(SET_ACK_S).encode(), content_format=TEXT, replace=True, timeout_ms=TIMEOUT_MS)
    try:
        if w["code"] != "2.04":
            raise Mismatch(f"the answer to a Write of {SET_ACK_S} to {ACK_TIMEOUT}", "2.04 Changed", _code(w))
        # away from the module's own periodic Update (the built-in module's is at lt/2)
        cur = network.current()
        lt = cur["lifetime_s"]
        window = SET_ACK_S * ACK_RANDOM_FACTOR + 0.5
        if lt <= 120 and (_now_us() - cur["last_at_us"]) / 1e6 > lt / 2 - window - 0.3:
            seen = len(cur["updates_at_us"])
            deadline = time.monotonic() + lt / 2
            while len(network.current()["updates_at_us"]) == seen and time.monotonic() < deadline:
                time.sleep(0.02)
        before = len(network.current()["updates_at_us"])
        n_dgrams = len(s.datagrams())
        # the 1st datagram from the module from now on answers the Execute (piggybacked ACK), the 2nd is the Update
        s.add_tap_fault("dm", action="drop", flow="to_upstream", first=2, count=1)
        e = s.execute(ep, UPDATE_TRIGGER, timeout_ms=TIMEOUT_MS)
        if e["code"] != "2.04":
            raise Mismatch(f"the answer to Execute {UPDATE_TRIGGER}", "2.04 Changed", _code(e))
        deadline = time.monotonic() + SET_ACK_S * ACK_RANDOM_FACTOR + 2 * TOLERANCE_S + 0.2
        dropped = retrans = None
        while time.monotonic() < deadline:
            ups = [d for d in s.datagrams()[n_dgrams:] if d["server"] == "dm" and d["flow"] == "to_upstream"]
            drops = [i for i, d in enumerate(ups) if d["dropped"]]
            if drops:
                dropped = ups[drops[0]]
                later = ups[drops[0] + 1:]
                if later:
                    retrans = later[0]
                    break
            time.sleep(0.01)
        if dropped is None:
            raise Mismatch(f"a Registration Update after Execute {UPDATE_TRIGGER} (the datagram the tap drops)", "one", "none")
        if retrans is None:
            raise Mismatch(f"a retransmission of the dropped Update within {SET_ACK_S * ACK_RANDOM_FACTOR:g} s "
                           f"(ACK_TIMEOUT {SET_ACK_S} s × {ACK_RANDOM_FACTOR})", "one", "none")
        gap = (retrans["at_us"] - dropped["at_us"]) / 1e6
        lo, hi = SET_ACK_S - TOLERANCE_S / 2, SET_ACK_S * ACK_RANDOM_FACTOR + TOLERANCE_S
        if not lo <= gap <= hi:
            raise Mismatch("the time from the dropped Update to its retransmission (RFC 7252 §4.2)",
                           f"{SET_ACK_S}-{SET_ACK_S * ACK_RANDOM_FACTOR:g} s", f"{gap:.3f} s")
        if len(retrans["bytes"]) != len(dropped["bytes"]):
            raise Mismatch("the module's datagram after the dropped Update", f"its retransmission ({len(dropped['bytes'])} bytes)",
                           f"{len(retrans['bytes'])} bytes")
        got = None
        end = time.monotonic() + 0.5
        while time.monotonic() < end and got is None:
            ups = network.current()["updates_at_us"][before:]
            got = ups[0] if ups else None
            time.sleep(0.01)
        if got is None:
            raise Mismatch("the Update at the DM server after the retransmission", "recorded", "none")
    finally:
        s.write(ep, ACK_TIMEOUT, original, content_format=TEXT, replace=True, timeout_ms=TIMEOUT_MS)
