"""CMi6110 §7.3.2 on the network: "the module will always make a readout and transmission of a new
value when time is synchronized. The device will therefore send an additional readout which can be
masked on the server-side." — with the time synchronised by the DM server's Write of Current Time
3/0/13 (§7.3.1, Table 1 RW; ERRATA E-129: such a Write sets the module's clock), and the
transmission observed as an uplink at the suite's MQTT-SN gateway (uplink.py; ERRATA E-133).

The case writes 3/0/13 one day ahead of the module's clock (read just before), so that a readout
made after the synchronisation is told apart from any made before (its time is on the new clock,
§7.3.1: the module stamps readouts with its clock), and expects a new PUBLISH (DUP 0) at the gateway
within the module's MQTT-SN attempts (wait_publish) whose SenML pack (33906/0/1 = 0, read with cbor2
and lib.py) holds a readout timed between the written time, floored to the minute, and 3/0/13 read
after the uplink. It puts the clock back afterwards (another synchronisation: another uplink, which
it lets settle). ERRATA E-158; the non-network synchronisation is 7.3.2/3-4 (E-59)."""
import cbor2

from metercert.conformance import Mismatch, case

from .lib import readouts_from_senml
from .uplink import monotonic_us

CURRENT_TIME = "/3/0/13"
AHEAD_S = 86400
FORMATS = {42: "standard", 43: "extended"}  # 33906/x/2


@case("cmi6110/7.3.2/5", "A Write of Current Time 3/0/13 from the DM server (a time synchronisation, ERRATA E-129) makes the "
      "module read the meter and upload that readout at once: a new PUBLISH at the gateway whose readout is timed on the new "
      "clock, from the written time (to the minute) to 3/0/13 after the uplink (§7.3.2; ERRATA E-158).",
      level="implementation-defined", needs=("coap.server",))
def test_time_sync_write_uploads_a_readout(uplink_network):
    u = uplink_network
    u.wait_settled()
    if u.read_int("/33906/0/1") != 0:
        raise Mismatch("33906/0/1 Report data encoding (this case reads SenML/CBOR)", 0, u.read_int("/33906/0/1"))
    fmt = u.read_int("/33906/0/2")
    before = u.read_int(CURRENT_TIME)
    t0_us = monotonic_us()
    target = before + AHEAD_S
    mark = u.mark()
    u.write(CURRENT_TIME, target)
    try:
        p = u.wait_publish(mark, f"the Write of {target} to {CURRENT_TIME}")
        after = u.read_int(CURRENT_TIME)
        payload = bytes(p["data"])
        try:
            readouts = readouts_from_senml(payload, FORMATS.get(fmt, "standard"), 0)
        except (ValueError, cbor2.CBORDecodeError) as e:
            raise Mismatch("the PUBLISH after the time synchronisation: a SenML pack (§7.4.2.3)", "a pack of Table 6 readouts",
                           f"{e} ({payload[:24].hex()}…)")
        times = [int(r.utc.timestamp()) for r in readouts]
        lo = target - target % 60
        if not any(lo <= t <= after for t in times):
            raise Mismatch("the readout time (bt + t, UNIX s) in the first PUBLISH after the Write of 3/0/13, against the written "
                           "time (to the minute) and 3/0/13 after the uplink", f"{lo}…{after}", times)
    finally:
        # the module's clock back: where it would be without the Write
        mark = u.mark()
        elapsed = (monotonic_us() - t0_us) / 1e6 * u.scale
        u.write(CURRENT_TIME, int(before + elapsed))
        u.wait(lambda: u.publishes(mark), 1.0)
        u.wait_settled()
