"""CMe3000 §6.7 Table 3 — factory defaults of the transparent server: port 10001, keep-alive 45 s,
disconnect timeout 10 s (a connection with no byte either way for 10 s is closed; ERRATA E-22).

Times are the gateway's seconds: real seconds × the simulator's time_scale (``sim:cme3000?time_scale=5``,
the profile's default DUT, runs Table 3's timer 5× faster); 1 for a real gateway."""
import time

from .lib import closed_within, fresh_client, gateway_time_scale
from metercert.conformance import case, expect, expect_between, measure


@case("cme3000/table3/1", "An idle connection is closed by the gateway 10 s after its last byte (Table 3 default).",
      level="implementation-defined")
def test_disconnect_timeout(dut_target, dut):
    dut_url, scale = dut_target.url, gateway_time_scale(dut_target)
    c = fresh_client(dut, dut_url)  # not the case's own connection: measure from a fresh one
    try:
        c.sendall(bytes.fromhex("1040FE3E16"))
        c.settimeout(2.0)
        c.recv(16)
        sent = time.monotonic()
        closed = closed_within(c, 13.0 / scale)
        waited = (time.monotonic() - sent) * scale
    finally:
        c.close()
    if closed is None:
        measure("connection still open after", waited, "s", 9.5, 11.0)
        raise AssertionError("the gateway did not close an idle connection within 13 s")
    expect_between(waited, 9.5, 11.0, "idle time before the gateway closed the connection", "s")


@case("cme3000/table3/2", "A connection idle for 9 s, less than Table 3's 10 s disconnect timeout under any reading of it, stays open "
      "and is served (ERRATA E-22).")
def test_not_closed_before_timeout(dut_target, dut):
    dut_url, scale = dut_target.url, gateway_time_scale(dut_target)
    c = fresh_client(dut, dut_url)
    try:
        c.sendall(bytes.fromhex("1040FE3E16"))
        c.settimeout(2.0)
        expect(c.recv(16), b"\xe5", "ACK to SND_NKE 254 on a fresh connection")
        closed = closed_within(c, 9.0 / scale)
        if closed is not None:
            closed *= scale
            measure("idle time before the gateway closed the connection", closed, "s", 9.0, None)
            raise AssertionError(f"the gateway closed a connection idle for {closed:.1f} s (Table 3: 10 s)")
        c.sendall(bytes.fromhex("1040FE3E16"))
        c.settimeout(2.0)
        try:
            reply = c.recv(16)
        except OSError:
            reply = b""
        expect(reply, b"\xe5", "ACK to SND_NKE 254 after 9 s of silence")
    finally:
        c.close()
