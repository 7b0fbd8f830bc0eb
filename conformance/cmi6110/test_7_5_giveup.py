"""CMi6110 §7.5 Table 9 "CoAP ack timeout" / "CoAP max retransmit" (Table 2 33906/./30, /31): the
give-up after MAX_RETRANSMIT (RFC 7252 §4.2: "the retransmission counter is incremented and the
timeout is doubled … If the retransmission counter reaches MAX_RETRANSMIT on a timeout … the
attempt to transmit the message is canceled"; §4.8: ACK_RANDOM_FACTOR 1.5; §4.8.2:
MAX_TRANSMIT_WAIT = ACK_TIMEOUT × (2^(MAX_RETRANSMIT + 1) − 1) × ACK_RANDOM_FACTOR, "the maximum time
from the first transmission of a Confirmable message to the time when the sender gives up").

The case starts a module of its own (servers and, for the built-in module, a reference client with
a lifetime of an hour: no periodic Update during the case), sets the ACK timeout to 1 s and max
retransmit to 2 through DM Writes (ERRATA E-132: they apply to the running session), has the
module send a Registration Update (Execute 1/1/8, E-130) and the DM server's tap drop the module's
datagrams from its second on (the first answers the Execute), 1 + MAX_RETRANSMIT of them: every
copy of the Update. The copies are the datagrams of the first dropped one's length (under DTLS the
tap sees records only: a retransmission is a record of the same length). Expected: exactly
1 + MAX_RETRANSMIT copies, the k-th interval (k = 0, 1, …) in [ACK_TIMEOUT × 2^k, ACK_TIMEOUT × 1.5
× 2^k] (RFC 7252 §4.2: the initial timeout is drawn once in [ACK_TIMEOUT, ACK_TIMEOUT ×
ACK_RANDOM_FACTOR], then doubled), and no further copy until MAX_TRANSMIT_WAIT after the first (a
copy beyond the last would pass the tap: its count is spent). The watch ends early once the module
sends a datagram of another length after its last copy (the built-in module registers again when
its Update is given up). Times are the tap's (monotonic, at arrival).

Real time: 7-10.5 s (MAX_TRANSMIT_WAIT with these values): a long case, run only with
``metercert run --long`` (METERCERT_LONG_CASES=1), skipped with that reason otherwise (ERRATA E-155)."""
import os
import time

import pytest

from metercert.conformance import Mismatch, case, measure

from .network import Network, shared

TEXT = 0
TIMEOUT_MS = 5000.0
ACK_TIMEOUT = "/33906/0/30"
MAX_RETRANSMIT = "/33906/0/31"
UPDATE_TRIGGER = "/1/1/8"   # Table 1 (ERRATA E-130)
SET_ACK_S = 1
SET_MAX_RETRANSMIT = 2
ACK_RANDOM_FACTOR = 1.5     # RFC 7252 §4.8 default (the manual names no other)
TOLERANCE_S = 0.1           # the module's I/O loop and the tap's, per interval
# RFC 7252 §4.8.2
MAX_TRANSMIT_WAIT_S = SET_ACK_S * (2 ** (SET_MAX_RETRANSMIT + 1) - 1) * ACK_RANDOM_FACTOR


def long_cases() -> bool:
    """True when the run takes the long real-time cases (``metercert run --long``)."""
    return os.environ.get("METERCERT_LONG_CASES", "") not in ("", "0")


def _code(r) -> str:
    return r["code"] or r["status"]


@case("cmi6110/7.5/4", "With CoAP ACK timeout 33906/0/30 = 1 s and max retransmit 33906/0/31 = 2, a Registration Update none "
      "of whose copies is acknowledged is sent exactly 1 + 2 times, the k-th interval within [1, 1.5] × 2^k s, and not again "
      "up to MAX_TRANSMIT_WAIT (10.5 s) after the first: the module gives up (RFC 7252 §4.2, §4.8, §4.8.2; Table 2 "
      "33906/./30-31; ERRATA E-132, E-155).", level="implementation-defined", needs=("coap.server",))
def test_gives_up_after_max_retransmit(dut):
    if not long_cases():
        pytest.skip(f"a long real-time case (up to {MAX_TRANSMIT_WAIT_S + 1:g} s): run with `metercert run --long` "
                    "(METERCERT_LONG_CASES=1)")
    if not dut.lwm2m_listen()["reference_client"]:
        _check_give_up(shared(dut))  # a module on lwm2m://: the one set of servers on its port
        return
    n = Network(dut, lifetime_s=3600)
    try:
        _check_give_up(n)
    finally:
        n.close()


def _check_give_up(n):
    n.registered()
    s, ep = n.servers, n.endpoint
    for path, value in ((ACK_TIMEOUT, SET_ACK_S), (MAX_RETRANSMIT, SET_MAX_RETRANSMIT)):
        w = s.write(ep, path, str(value).encode(), content_format=TEXT, replace=True, timeout_ms=TIMEOUT_MS)
        if w["code"] != "2.04":
            raise Mismatch(f"the answer to a Write of {value} to {path}", "2.04 Changed", _code(w))
    mark = len(s.datagrams())
    copies_expected = 1 + SET_MAX_RETRANSMIT
    # the 1st datagram from the module from now on answers the Execute (piggybacked ACK), the next ones are the Update's copies
    s.add_tap_fault("dm", action="drop", flow="to_upstream", first=2, count=copies_expected)
    e = s.execute(ep, UPDATE_TRIGGER, timeout_ms=TIMEOUT_MS)
    if e["code"] != "2.04":
        raise Mismatch(f"the answer to Execute {UPDATE_TRIGGER}", "2.04 Changed", _code(e))

    def ups():
        return [d for d in s.datagrams()[mark:] if d["server"] == "dm" and d["flow"] == "to_upstream"]

    t_execute = time.monotonic()
    first = None
    while first is None and time.monotonic() < t_execute + 2.0:
        first = next((d for d in ups() if d["dropped"]), None)
        time.sleep(0.01)
    if first is None:
        raise Mismatch(f"a Registration Update after Execute {UPDATE_TRIGGER} (the datagram the tap drops)", "one", "none")
    size = len(first["bytes"])
    deadline_us = first["at_us"] + (MAX_TRANSMIT_WAIT_S + 2 * TOLERANCE_S) * 1e6
    while True:
        later = [d for d in ups() if d["at_us"] >= first["at_us"]]
        copies = [d for d in later if len(d["bytes"]) == size]
        after_last = [d for d in later if len(d["bytes"]) != size and d["at_us"] > copies[-1]["at_us"]]
        # the module moved on (another message) after its last copy: a copy later than that would be a retransmission
        # after the give-up, which the module has shown it made
        if len(copies) >= copies_expected and after_last:
            time.sleep(2 * TOLERANCE_S)
            copies = [d for d in ups() if d["at_us"] >= first["at_us"] and len(d["bytes"]) == size and d["at_us"] <= deadline_us]
            break
        if time.monotonic() * 1e6 > deadline_us + 0.05e6:
            copies = [d for d in copies if d["at_us"] <= deadline_us]
            break
        time.sleep(0.02)
    times = [(d["at_us"] - first["at_us"]) / 1e6 for d in copies]
    if len(copies) != copies_expected:
        raise Mismatch(f"transmissions of the unacknowledged Update within MAX_TRANSMIT_WAIT ({MAX_TRANSMIT_WAIT_S:g} s, "
                       f"RFC 7252 §4.8.2) of the first, with max retransmit {SET_MAX_RETRANSMIT}",
                       f"1 + {SET_MAX_RETRANSMIT}", f"{len(copies)} (at {', '.join(f'{t:.2f}' for t in times)} s)")
    for k, (a, b) in enumerate(zip(times, times[1:])):
        lo, hi = SET_ACK_S * 2 ** k, SET_ACK_S * ACK_RANDOM_FACTOR * 2 ** k
        if not measure(f"interval before retransmission {k + 1}", b - a, "s", lo - TOLERANCE_S / 2, hi + TOLERANCE_S,
                       series="CoAP retransmission intervals"):
            raise Mismatch(f"the interval before retransmission {k + 1} of the Update (RFC 7252 §4.2: the timeout doubles)",
                           f"{lo:g}-{hi:g} s", f"{b - a:.3f} s")
