"""CMi6110 meter data over LwM2M 1.1 Send (manual §6.2 "LwM2M 1.1 Send command", §6.3 Table 2 33906/x/48
"Upload Protocol 0 = MQTT-SN 1 = LwM2M", object 33911 "Elvaco Meter Data"; OMA LwM2M TS 1.1 Core §5.6.3
"Send", Transport §6.4: CON POST /dp, SenML-CBOR or SenML-JSON, 2.04 Changed; ETS int-306 "Send
Operation"; ERRATA E-151). The suite's DM server records each Send (Lwm2mServers.sends()); its SenML-CBOR
body is read with cbor2 and the Message Data inside with lib.py's Table 6 reader, both independent of the
module's encoders."""
import re

import cbor2

from metercert.conformance import Mismatch, case

from .lib import readouts_from_senml
from .uplink import monotonic_us

NEEDS = ("coap.server",)
FORMATS = {42: "standard", 43: "extended"}  # 33906/x/2
SENML_CBOR = 112
PATH = re.compile(r"^/\d+/\d+/\d+(/\d+)?$")  # TS 1.1 §7.4.5: a Send's names resolve to Resource (Instance) paths


def _names(pack: list[dict]) -> dict[str, object]:
    """{resolved name: value} of a SenML pack (RFC 8428 §4.5.1: name = base name + name; the base name
    carries to later records until the next one)."""
    out, bn = {}, ""
    for r in pack:
        if isinstance(r.get(-2), str):
            bn = r[-2]
        name = bn + (r.get(0) if isinstance(r.get(0), str) else "")
        out[name] = next((r[k] for k in (2, 3, 4, 8) if k in r), None)
    return out


def _wait_send(u, since: int, mark: int, what: str, timeout_s: float = 3.0) -> dict:
    """The first Send after the DM server's `since`-th; Mismatch naming the PUBLISHes after the gateway's
    `mark` when none comes."""
    got = u.wait(lambda: u.servers.sends()[since:], timeout_s)
    if not got:
        published = len(u.publishes(mark))
        raise Mismatch(f"an LwM2M Send (POST /dp) at the DM server after {what} with 33906/0/48 = 1 (within {timeout_s:g} s)",
                       "a Send", "none" + (f"; {published} MQTT-SN PUBLISH instead" if published else ""))
    return got[0]


@case("cmi6110/6.2/int-306", "With 33906/0/48 Upload Protocol = 1 (LwM2M), Execute 33906/0/10 makes the module send its "
      "readout as an LwM2M 1.1 Send (POST /dp, TS 1.1 §5.6.3) in SenML-CBOR whose names are LwM2M paths: /33911/0/0 "
      "Message Type = 33906/0/2, /1 Message Encoding = 33906/0/1, /2 Message Data the SenML/CBOR pack the MQTT-SN uplink "
      "would carry, with one readout made after the Execute (Table 6's records; 6.3/10's time window), and no MQTT-SN "
      "PUBLISH meanwhile; with 33906/0/48 = 0 again the next readout goes over MQTT-SN and no Send (ERRATA E-151).",
      level="implementation-defined", needs=NEEDS)
def test_readout_now_as_lwm2m_send(uplink_network):
    u = uplink_network
    u.wait_settled()
    enc, fmt = u.read_int("/33906/0/1"), u.read_int("/33906/0/2")
    if enc != 0:
        raise Mismatch("33906/0/1 Report data encoding (this case reads SenML/CBOR)", 0, enc)
    u.write("/33906/0/48", 1)
    try:
        # the module's next minute (3/0/13): a readout made before the Execute's minute must show (6.3/10)
        t0 = u.read_int("/3/0/13")
        u.wait(lambda: u.read_int("/3/0/13") >= t0 - t0 % 60 + 60, 61.0 / u.scale + 1.0)
        mark = u.mark()
        since = len(u.servers.sends())
        before = u.read_int("/3/0/13")
        u.execute("/33906/0/10")
        send = _wait_send(u, since, mark, "Execute 33906/0/10")
        after = u.read_int("/3/0/13")
        if send["content_format"] != SENML_CBOR:
            raise Mismatch("the Send's Content-Format (TS 1.1 §5.6.3; this case reads SenML-CBOR)", SENML_CBOR, send["content_format"])
        body = bytes(send["payload"])
        try:
            pack = cbor2.loads(body)
            if not isinstance(pack, list) or not pack or not all(isinstance(r, dict) for r in pack):
                raise ValueError("not a non-empty CBOR array of maps")
            values = _names(pack)
        except (ValueError, cbor2.CBORDecodeError) as e:
            raise Mismatch("the Send's body (SenML-CBOR, RFC 8428 §6)", "a SenML pack", f"{e} ({body[:24].hex()}…)")
        bad = [n for n in values if not PATH.match(n)]
        if bad:
            raise Mismatch("the Send's SenML names (bn + n): LwM2M resource paths (TS 1.1 §5.6.3, §7.4.5)", "/33911/0/0, /1, /2",
                           ", ".join(repr(n) for n in bad[:4]))
        want = {"/33911/0/0": fmt, "/33911/0/1": enc}
        got = {k: values.get(k) for k in want}
        if got != want:
            raise Mismatch("the Send's Message Type and Message Encoding (33911/0/0, /1 against 33906/0/2, /1)", want, got)
        data = values.get("/33911/0/2")
        if not isinstance(data, bytes):
            raise Mismatch("the Send's /33911/0/2 Message Data (an opaque value, SenML vd)", "bytes", type(data).__name__)
        try:
            readouts = readouts_from_senml(data, FORMATS.get(fmt, "standard"), 0)
        except (ValueError, cbor2.CBORDecodeError) as e:
            raise Mismatch("the Message Data's SenML pack (§7.4.2.3)", "a pack of Table 6 readouts", f"{e} ({data[:24].hex()}…)")
        if len(readouts) != 1 or readouts[0].utc is None:
            raise Mismatch("timed readouts in the Send's Message Data", 1, len(readouts))
        t = int(readouts[0].utc.timestamp())
        lo = before - before % 60
        if not lo <= t <= after:
            raise Mismatch("the readout's time (bt + t, UNIX s) against 3/0/13 before the Execute (to the minute) and after the "
                           "Send", f"{lo}…{after}", f"{t} ({(lo - t) // 60} min too old)" if t < lo else t)
        sent_at = monotonic_us()
        u.wait(lambda: False, 0.2)  # a PUBLISH the module would make besides the Send
        extra = [p for p in u.publishes(mark) if not p["dup"]]
        if extra:
            raise Mismatch("MQTT-SN PUBLISHes while 33906/0/48 = 1 (LwM2M)", 0, f"{len(extra)} (the first "
                           f"{(extra[0]['at_us'] - sent_at) / 1e3:+.0f} ms from the Send)")
    finally:
        u.write("/33906/0/48", 0)
    mark = u.mark()
    since = len(u.servers.sends())
    u.execute("/33906/0/10")
    u.wait_publish(mark, "Execute 33906/0/10 with 33906/0/48 = 0 again")
    late = u.servers.sends()[since:]
    if late:
        raise Mismatch("LwM2M Sends after 33906/0/48 = 0 (MQTT-SN)", 0, len(late))
