"""CMi6110 §6.3 — Information Reporting: Observe, Notify and Cancel Observation on a resource of
Table 2 (OMA LwM2M TS 1.1 §5.5, the notification attributes pmin/pmax of §5.1.2 written with
Write-Attributes §5.4.4; RFC 7641 §3.1, §3.6, §4.2; ETS ids LightweightM2M-1.1-int-301, int-302).

The target is 33906/0/0 Meter Readout Interval (RW, Table 2), which changes only when written:
with pmin=2 and pmax=6 (a module on real time: 1 and 3) the module must notify at least every pmax, never sooner than pmin after
the previous notification (the Observe response counts as the first), and a Write of a new value
is notified (no sooner than pmin). After a Cancel Observation (GET with Observe 1, RFC 7641 §3.6)
no notification with the observation's token may come: the suite records any that does (and
answers it RST) with the observation (observations()[id]['after_cancel']).

The built-in module runs these cases on its scaled clock (network.py, time_scale=20: pmin 2 s is
0.1 s, pmax 6 s 0.3 s of real time); a module connecting by itself (lwm2m://) on real time. The
times are those of the datagrams' arrival at the DM server; the tolerance covers the loop of the
module and the server (TOLERANCE_S)."""
import time

from metercert.conformance import Mismatch, case

from .network import shared

TEXT = 0
TIMEOUT_MS = 5000.0
TARGET = "/33906/0/0"
TIME_SCALE = 20.0           # the built-in module's clock for these cases
# (pmin, pmax) in s of the module's clock, and the tolerance in real s (the module's and the
# server's I/O loops; a module's radio network): the built-in module's scaled clock, a module's real time
PERIODS = {True: (2, 6, 0.12), False: (1, 3, 1.0)}


def _net(dut):
    n = shared(dut, time_scale=TIME_SCALE)
    return n, PERIODS[n.time_scale > 1.0]


def _code(r) -> str:
    return r["code"] or r["status"]


def _setup(n, PMIN, PMAX):
    n.registered()
    w = n.servers.write_attributes(n.endpoint, TARGET, [f"pmin={PMIN}", f"pmax={PMAX}"], timeout_ms=TIMEOUT_MS)
    if w["code"] != "2.04":
        raise Mismatch(f"the answer to Write-Attributes pmin={PMIN}&pmax={PMAX} on {TARGET}", "2.04 Changed", _code(w))
    oid = n.servers.observe(n.endpoint, TARGET, accept=TEXT, timeout_ms=TIMEOUT_MS)
    ob = n.servers.observations()[oid]
    first = ob["notifications"][0] if ob["notifications"] else None
    if first is None or first["code"] != "2.05" or first["observe"] is None:
        raise Mismatch(f"the answer to Observe {TARGET} (GET with Observe 0)", "2.05 with an Observe option",
                       "none" if first is None else f"{_code(first)}, Observe {first['observe']}")
    return oid


def _notes(n, oid):
    return n.servers.observations()[oid]["notifications"]


def _value(note) -> str:
    return note["payload"].decode("ascii", errors="replace")


@case("cmi6110/6.3/int-301", "Observe of 33906/0/0 with Write-Attributes pmin=2&pmax=6: notifications (2.05 with Observe) arrive "
      "at least every pmax and never sooner than pmin after the previous one, and a Write of a new value is notified with "
      "that value (LwM2M TS 1.1 §5.1.2, §5.5.1-§5.5.2; RFC 7641 §4.2).", needs=("coap.server",))
def test_observe_pmin_pmax(dut):
    n, (PMIN, PMAX, TOLERANCE_S) = _net(dut)
    scale = n.time_scale
    pmin_s, pmax_s = PMIN / scale, PMAX / scale
    oid = _setup(n, PMIN, PMAX)
    original = None
    try:
        time.sleep(2.5 * pmax_s + TOLERANCE_S)
        notes = _notes(n, oid)
        times = [x["at_us"] / 1e6 for x in notes]
        original = _value(notes[0])
        if len(times) < 3:
            raise Mismatch(f"notifications of {TARGET} in {2.5 * PMAX:g} s (model time) without a change, pmax {PMAX} s",
                           "at least 2 after the Observe response", len(times) - 1)
        for a, b in zip(times, times[1:]):
            if b - a > pmax_s + TOLERANCE_S:
                raise Mismatch(f"the time between two notifications of {TARGET} (pmax {PMAX} s)", f"≤ {PMAX} s",
                               f"{(b - a) * scale:.2f} s")
            if b - a < pmin_s - TOLERANCE_S / 4:
                raise Mismatch(f"the time between two notifications of {TARGET} (pmin {PMIN} s)", f"≥ {PMIN} s",
                               f"{(b - a) * scale:.2f} s")
        new = "90" if original != "90" else "120"
        seen = len(_notes(n, oid))
        w = n.servers.write(n.endpoint, TARGET, new.encode(), content_format=TEXT, replace=True, timeout_ms=TIMEOUT_MS)
        if w["code"] != "2.04":
            raise Mismatch(f"the answer to a Write of {new} to {TARGET}", "2.04 Changed", _code(w))
        t_write = w["at_us"] / 1e6
        deadline = time.monotonic() + pmax_s + TOLERANCE_S
        while time.monotonic() < deadline and not any(_value(x) == new for x in _notes(n, oid)[seen:]):
            time.sleep(0.01)
        later = [x for x in _notes(n, oid)[seen:] if _value(x) == new]
        if not later:
            raise Mismatch(f"a notification of {TARGET} after the Write of {new}", new, [_value(x) for x in _notes(n, oid)[seen:]])
        # a change is notified once pmin allows, not only when pmax comes round
        if later[0]["at_us"] / 1e6 - t_write > pmin_s + TOLERANCE_S:
            raise Mismatch(f"the notification of the new value of {TARGET}", f"within pmin ({PMIN} s) of the Write",
                           f"{(later[0]['at_us'] / 1e6 - t_write) * scale:.2f} s after it")
    finally:
        n.servers.cancel_observe(oid)
        if original is not None:
            n.servers.write(n.endpoint, TARGET, original.encode(), content_format=TEXT, replace=True, timeout_ms=TIMEOUT_MS)


@case("cmi6110/6.3/int-302", "After a Cancel Observation of 33906/0/0 (GET with Observe 1) the module sends no further "
      "notification with the observation's token, for 2 pmax (LwM2M TS 1.1 §5.5.3; RFC 7641 §3.6).", needs=("coap.server",))
def test_cancel_observe(dut):
    n, (PMIN, PMAX, TOLERANCE_S) = _net(dut)
    scale = n.time_scale
    oid = _setup(n, PMIN, PMAX)
    original = _value(_notes(n, oid)[0])
    # one notification before the cancel, from a change of value (so this case does not rest on pmax)
    new = "90" if original != "90" else "120"
    try:
        w = n.servers.write(n.endpoint, TARGET, new.encode(), content_format=TEXT, replace=True, timeout_ms=TIMEOUT_MS)
        if w["code"] != "2.04":
            raise Mismatch(f"the answer to a Write of {new} to {TARGET}", "2.04 Changed", _code(w))
        deadline = time.monotonic() + PMIN / scale + 2 * TOLERANCE_S
        while time.monotonic() < deadline and not any(_value(x) == new for x in _notes(n, oid)[1:]):
            time.sleep(0.01)
        if not any(_value(x) == new for x in _notes(n, oid)[1:]):
            raise Mismatch(f"a notification of the new value {new} of {TARGET} before the cancel", new,
                           [_value(x) for x in _notes(n, oid)[1:]])
        if not n.servers.cancel_observe(oid):
            raise Mismatch(f"the observation of {TARGET} before the cancel", "active", "ended")
        time.sleep(2 * PMAX / scale + TOLERANCE_S)
        stray = n.servers.observations()[oid]["after_cancel"]
        if stray:
            raise Mismatch(f"notifications of {TARGET} with the cancelled token in {2 * PMAX} s (model time) after the cancel", 0,
                           f"{len(stray)} (Observe {[x['observe'] for x in stray][:5]})")
    finally:
        n.servers.cancel_observe(oid)
        n.servers.write(n.endpoint, TARGET, original.encode(), content_format=TEXT, replace=True, timeout_ms=TIMEOUT_MS)
