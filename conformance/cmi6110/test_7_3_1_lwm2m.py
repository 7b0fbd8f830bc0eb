"""CMi6110 §7.3.1 "Time handling" over the network: the module's clock set through the Device
object's Current Time 3/0/13 (Table 1: RW, Time), OMA LwM2M TS 1.1 Appendix E.4 ("Current UNIX
time of the LwM2M Client. The LwM2M Client should be responsible to increase this time value as
every second elapses. The LwM2M Server is able to write this Resource to make the LwM2M Client
synchronized with the LwM2M Server"). A Write sets the clock; Current Time then counts on from the
written value (ERRATA E-129, implementation-defined: the manual names the clock sources, not what
a DM Write does). The value travels as plain text, a decimal number of seconds (TS 1.1 §7.3)."""
import time

from metercert.conformance import Mismatch, case

CURRENT_TIME = "/3/0/13"
TEXT = 0
TIMEOUT_MS = 5000.0
SET_TO = 1893456000  # 2030-01-01T00:00:00Z, far from the module's own clock


def _read_time(network) -> int:
    r = network.servers.read(network.endpoint, CURRENT_TIME, accept=TEXT, timeout_ms=TIMEOUT_MS)
    if r["code"] != "2.05":
        raise Mismatch(f"Read {CURRENT_TIME} as text", "2.05 Content", r["code"] or r["status"])
    try:
        return int(r["payload"].decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise Mismatch(f"{CURRENT_TIME} as text (TS 1.1 §7.3: seconds since 1970 in decimal)", "digits", r["payload"][:40])


@case("cmi6110/7.3.1/3", "A Write of Current Time 3/0/13 (RW, Table 1) from the DM server is answered 2.04 and sets the module's "
      "clock: 3/0/13 read afterwards is the written time plus the seconds since the Write (LwM2M TS 1.1 Appendix E.4; "
      "ERRATA E-129).", level="implementation-defined", needs=("coap.server",))
def test_current_time_write_sets_the_clock(network):
    network.registered()
    scale = network.time_scale
    t0 = time.monotonic()
    w = network.servers.write(network.endpoint, CURRENT_TIME, str(SET_TO).encode(), content_format=TEXT, replace=True,
                              timeout_ms=TIMEOUT_MS)
    try:
        if w["code"] != "2.04":
            raise Mismatch(f"the answer to a Write of {SET_TO} to {CURRENT_TIME}", "2.04 Changed", w["code"] or w["status"])
        time.sleep(0.05)
        got = _read_time(network)
        elapsed = (time.monotonic() - t0) * scale
        if not SET_TO - 1 <= got <= SET_TO + elapsed + 1:
            raise Mismatch(f"{CURRENT_TIME} {elapsed:.1f} s after the Write of {SET_TO}", f"{SET_TO}…{SET_TO + elapsed + 1:.0f}", got)
    finally:  # back to the true time
        network.servers.write(network.endpoint, CURRENT_TIME, str(int(time.time())).encode(), content_format=TEXT, replace=True,
                              timeout_ms=TIMEOUT_MS)
