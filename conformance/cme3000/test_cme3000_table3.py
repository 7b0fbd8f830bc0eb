"""CMe3000 §6.7 Table 3 — factory defaults of the transparent server: port 10001, keep-alive 45 s,
disconnect timeout 10 s (a connection with no byte either way for 10 s is closed; ERRATA E-22)."""
import time

from cme3000_lib import closed_within, fresh_client
from metercert.conformance import case, expect_between, measure


@case("cme3000/table3/1", "An idle connection is closed by the gateway 10 s after its last byte (Table 3 default).",
      level="implementation-defined")
def test_disconnect_timeout(dut_url, dut):
    c = fresh_client(dut, dut_url)  # not the case's own connection: measure from a fresh one
    try:
        c.sendall(bytes.fromhex("1040FE3E16"))
        c.settimeout(2.0)
        c.recv(16)
        sent = time.monotonic()
        closed = closed_within(c, 13.0)
        waited = time.monotonic() - sent
    finally:
        c.close()
    if closed is None:
        measure("connection still open after", waited, "s", 9.5, 11.0)
        raise AssertionError("the gateway did not close an idle connection within 13 s")
    expect_between(waited, 9.5, 11.0, "idle time before the gateway closed the connection", "s")
