"""CMi6110 §6.3 "Status and configuration parameters" — the Device Management operations of the DM
server on the module's objects (OMA LwM2M TS 1.1 §5.4; ETS ids LightweightM2M-1.1-int-…):
the Registration Update Trigger (int-104), Write in plain text (int-205) and TLV (int-215) to the
writable resources of Table 2 with their ranges (§7.5 Tables 9-12), Read of a whole object and
object instance (int-222), Discover with the attributes written (int-260), and the answers the
tables' operations give (4.05 Method Not Allowed, 4.04 Not Found, 4.00 Bad Request: TS 1.1 §5.4
"Response Codes"). Every payload is built and decoded here, independently of the suite's C++ codec:
TLV by metercert.lwm2m_reader and the small encoder below (TS 1.1 §7.4.3), link format by
lwm2m_reader.read_links (RFC 6690), plain text per TS 1.1 §7.3 (decimal integers, UTF-8).

Each case puts back what it wrote (the shared registration serves the other cases)."""
import time

from metercert import lwm2m_reader as rd
from metercert.conformance import Mismatch, case

TEXT, TLV = 0, 11542
TIMEOUT_MS = 5000.0

# Table 1: the DM server's Server object instance is 1 ("1/1/1 DM lifetime", "1/1/8 Registration
# Update Trigger"; ERRATA E-130)
UPDATE_TRIGGER = "/1/1/8"
DM_LIFETIME = "/1/1/1"
# Table 2 / §7.5 Table 11: Meter Readout Interval 33906/./0, RW Integer, 5-1440 min, default 60;
# §7.5 Table 8: Meter Max Retry Count 33906/./43, RW Integer, 0-255, default 255
READOUT_INTERVAL, READOUT_RANGE = "/33906/0/0", (5, 1440)
MAX_RETRIES, MAX_RETRIES_RANGE = "/33906/0/43", (0, 255)
# Table 2: the resources of Elvaco MCM Config 33906 (the rows "33906/./N")
TABLE2_33906 = [0, 1, 2, 3, 4, 5, 6, 10, 13, 14, 15, 16] + list(range(17, 55))
# Table 1: the Device object's resources and their Op. column (E: Reboot 3/0/4)
TABLE1_DEVICE = {0: "R", 1: "R", 2: "R", 3: "R", 4: "E", 6: "R", 7: "R", 9: "R", 11: "R", 13: "RW", 14: "RW", 18: "R"}


def _now_us() -> int:
    return time.monotonic_ns() // 1000  # the servers' at_us clock (CLOCK_MONOTONIC, rigs::monotonic_now)


def _code(r) -> str:
    return r["code"] or r["status"]



def _read_int_text(network, path) -> int:
    body = network.read_content(path, TEXT)
    try:
        return int(body.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise Mismatch(f"{path} read as text (TS 1.1 §7.3: a decimal integer)", "digits", body[:40])


def _write_text(network, path, text):
    return network.servers.write(network.endpoint, path, text.encode(), content_format=TEXT, replace=True, timeout_ms=TIMEOUT_MS)


# ---- a TLV encoder written from TS 1.1 §7.4.3 (Table 7.4.3-1), for the Writes of int-215
def _tlv(kind: int, ident: int, value: bytes) -> bytes:
    """kind 0b11 resource with value, 0b00 object instance; 8- or 16-bit identifier; length in
    bits 2-0 up to 7 bytes, else an 8/16/24-bit length field."""
    t = kind << 6
    idb = ident.to_bytes(1 if ident < 256 else 2, "big")
    if ident >= 256:
        t |= 0x20
    n = len(value)
    if n < 8:
        t |= n
        lenb = b""
    else:
        size = 1 if n < 1 << 8 else 2 if n < 1 << 16 else 3
        t |= size << 3
        lenb = n.to_bytes(size, "big")
    return bytes([t]) + idb + lenb + value


def _tlv_integer(v: int) -> bytes:
    """Integer: the shortest of 1, 2, 4, 8 signed big-endian bytes (TS 1.1 Appendix C)."""
    for size in (1, 2, 4, 8):
        if -(1 << (8 * size - 1)) <= v < 1 << (8 * size - 1):
            return v.to_bytes(size, "big", signed=True)
    raise ValueError(v)


def _tlv_resources(values: dict[int, int]) -> bytes:
    return b"".join(_tlv(0b11, rid, _tlv_integer(v)) for rid, v in values.items())


@case("cmi6110/6.3/int-104", "Execute of the Registration Update Trigger 1/1/8 (Table 1) is answered 2.04 and the module "
      "sends a Registration Update (POST /rd/<id>) within 1 s (LwM2M TS 1.1 §5.4.5, Appendix E.2; §6.2.2).",
      needs=("coap.server",))
def test_registration_update_trigger(network):
    reg = network.registered()
    cur = network.current()
    lt = cur["lifetime_s"]
    # Away from the module's own periodic Update (the reference client updates at lt/2): when one
    # may fall into the next 1.5 s, wait for it first, so an Update in the window is the trigger's.
    if lt <= 120 and (_now_us() - cur["last_at_us"]) / 1e6 > lt / 2 - 1.5:
        seen = len(cur["updates_at_us"])
        deadline = time.monotonic() + lt / 2
        while len(network.current()["updates_at_us"]) == seen and time.monotonic() < deadline:
            time.sleep(0.02)
    before = len(network.current()["updates_at_us"])
    t0 = _now_us()
    r = network.servers.execute(network.endpoint, UPDATE_TRIGGER, timeout_ms=TIMEOUT_MS)
    if r["code"] != "2.04":
        raise Mismatch(f"the answer to Execute {UPDATE_TRIGGER}", "2.04 Changed", _code(r))
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        ups = [t for t in network.current()["updates_at_us"][before:] if t >= t0]
        if ups:
            return
        time.sleep(0.02)
    raise Mismatch(f"a Registration Update of {reg['location']} within 1 s of Execute {UPDATE_TRIGGER}", "an Update", "none")


@case("cmi6110/6.3/int-205", "Write (PUT) in plain text to 33906/0/0 Meter Readout Interval (RW, 5-1440 min: Table 2, §7.5 "
      "Table 11) is answered 2.04 and reads back equal; the values 4 and 1441, out of the range, are refused 4.00 Bad Request "
      "and leave the value (LwM2M TS 1.1 §5.4.3, §7.3).", needs=("coap.server",))
def test_write_plain_text(network):
    original = _read_int_text(network, READOUT_INTERVAL)
    new = 120 if original != 120 else 240
    try:
        w = _write_text(network, READOUT_INTERVAL, str(new))
        if w["code"] != "2.04":
            raise Mismatch(f"the answer to a Write of {new} to {READOUT_INTERVAL} as text", "2.04 Changed", _code(w))
        got = _read_int_text(network, READOUT_INTERVAL)
        if got != new:
            raise Mismatch(f"{READOUT_INTERVAL} read back after the Write", new, got)
        lo, hi = READOUT_RANGE
        for bad in (lo - 1, hi + 1):
            w = _write_text(network, READOUT_INTERVAL, str(bad))
            got = _read_int_text(network, READOUT_INTERVAL)
            if w["code"] != "4.00":
                raise Mismatch(f"the answer to a Write of {bad} (outside {lo}-{hi}) to {READOUT_INTERVAL}", "4.00 Bad Request", _code(w))
            if got != new:
                raise Mismatch(f"{READOUT_INTERVAL} after the refused Write of {bad}", new, got)
    finally:
        _write_text(network, READOUT_INTERVAL, str(original))


@case("cmi6110/6.3/int-215", "Write in TLV: a partial update (POST /33906/0) of 33906/0/0 Meter Readout Interval and 33906/0/43 "
      "Meter Max Retry Count is answered 2.04 and a TLV Read of /33906/0 gives both values back; a Write (PUT) of 256 to "
      "33906/0/43 (0-255, §7.5 Table 8) is refused 4.00 and leaves the value (LwM2M TS 1.1 §5.4.3, §7.4.3).",
      needs=("coap.server",))
def test_write_tlv(network):
    before = {0: _read_int_text(network, READOUT_INTERVAL), 43: _read_int_text(network, MAX_RETRIES)}
    new = {0: 30 if before[0] != 30 else 45, 43: 100 if before[43] != 100 else 101}
    ep = network.endpoint
    try:
        w = network.servers.write(ep, "/33906/0", _tlv_resources(new), content_format=TLV, replace=False, timeout_ms=TIMEOUT_MS)
        if w["code"] != "2.04":
            raise Mismatch("the answer to a TLV Write (POST) of 33906/0/0 and /43", "2.04 Changed", _code(w))
        payload = network.read_content("/33906/0", TLV)
        try:
            values = rd.tlv_values(payload, "/33906/0")
            got = {rid: rd.tlv_int(values[f"/33906/0/{rid}"]) if f"/33906/0/{rid}" in values else None for rid in new}
        except rd.ReaderError as e:
            raise Mismatch("the TLV of /33906/0", "TLV (TS 1.1 §7.4.3)", str(e))
        if got != new:
            raise Mismatch("33906/0/0 and /43 in the TLV of /33906/0 after the Write", new, got)
        hi = MAX_RETRIES_RANGE[1]
        w = network.servers.write(ep, MAX_RETRIES, _tlv(0b11, 43, _tlv_integer(hi + 1)), content_format=TLV, replace=True,
                                  timeout_ms=TIMEOUT_MS)
        after = _read_int_text(network, MAX_RETRIES)
        if w["code"] != "4.00":
            raise Mismatch(f"the answer to a TLV Write of {hi + 1} (outside 0-{hi}) to {MAX_RETRIES}", "4.00 Bad Request", _code(w))
        if after != new[43]:
            raise Mismatch(f"{MAX_RETRIES} after the refused Write", new[43], after)
    finally:
        network.servers.write(ep, "/33906/0", _tlv_resources(before), content_format=TLV, replace=False, timeout_ms=TIMEOUT_MS)


@case("cmi6110/6.3/int-222", "Read of the Device object /3 and of its instance /3/0 in TLV (2.05) holds every resource of Table 1's "
      "object 3 that reads by itself (2.05), with the same value, and no resource Table 1 does not list as readable "
      "(LwM2M TS 1.1 §5.4.1, §7.4.3).", needs=("coap.server",))
def test_read_object_and_instance(network):
    network.registered()
    singles = {}
    for rid, op in TABLE1_DEVICE.items():
        if "R" not in op:
            continue
        r = network.servers.read(network.endpoint, f"/3/0/{rid}", accept=TLV, timeout_ms=TIMEOUT_MS)
        if r["code"] == "2.05":
            try:
                singles.update(rd.tlv_values(r["payload"], f"/3/0/{rid}"))
            except rd.ReaderError as e:
                raise Mismatch(f"the TLV of /3/0/{rid}", "TLV (TS 1.1 §7.4.3)", str(e))
    if "/3/0/0" not in singles:
        raise Mismatch("Read /3/0/0 (Manufacturer, Table 1)", "2.05", "no value")
    for base in ("/3/0", "/3"):
        try:
            whole = rd.tlv_values(network.read_content(base, TLV), base)
        except rd.ReaderError as e:
            raise Mismatch(f"the TLV of {base}", "TLV (TS 1.1 §7.4.3)", str(e))
        listed = {p for p in whole if p.startswith("/3/0/")}
        extra = sorted(p for p in listed if int(p.split("/")[3]) not in TABLE1_DEVICE or "R" not in TABLE1_DEVICE[int(p.split("/")[3])])
        if extra:
            raise Mismatch(f"resources in the Read of {base}", "only the readable resources of Table 1", extra)
        missing = sorted(set(singles) - listed, key=lambda p: [int(x) for x in p.split("/")[1:]])
        if missing:
            raise Mismatch(f"resources in the Read of {base} (each reads 2.05 by itself)", sorted(singles), sorted(listed))
        for p, v in singles.items():
            if p == "/3/0/13":  # Current Time moves between the reads
                if abs(rd.tlv_int(whole[p]) - rd.tlv_int(v)) > 2:
                    raise Mismatch(f"{p} in the Read of {base}", rd.tlv_int(v), rd.tlv_int(whole[p]))
            elif whole[p] != v:
                raise Mismatch(f"{p} in the Read of {base}", v.hex(), whole[p].hex())


@case("cmi6110/6.3/int-260", "Discover of /33906/0 answers 2.05 in link format (40) listing the instance and every resource of "
      "Table 2's object 33906, and after Write-Attributes pmin=10&pmax=60 on 33906/0/0 that resource's link carries "
      "pmin=10 and pmax=60 (LwM2M TS 1.1 §5.4.2, §5.4.4; RFC 6690).", needs=("coap.server",))
def test_discover(network):
    network.registered()
    ep = network.endpoint
    w = network.servers.write_attributes(ep, READOUT_INTERVAL, ["pmin=10", "pmax=60"], timeout_ms=TIMEOUT_MS)
    try:
        if w["code"] != "2.04":
            raise Mismatch(f"the answer to Write-Attributes pmin=10&pmax=60 on {READOUT_INTERVAL}", "2.04 Changed", _code(w))
        d = network.servers.discover(ep, "/33906/0", timeout_ms=TIMEOUT_MS)
        if d["code"] != "2.05" or d["content_format"] != 40:
            raise Mismatch("the answer to Discover /33906/0", "2.05 in Content-Format 40", f"{_code(d)} in {d['content_format']}")
        try:
            links = dict(rd.read_links(d["payload"].decode("utf-8")))
        except (UnicodeDecodeError, rd.ReaderError) as e:
            raise Mismatch("the payload of Discover /33906/0", "CoRE link format (RFC 6690)", str(e))
        if "/33906/0" not in links:
            raise Mismatch("the links of Discover /33906/0", "</33906/0> first (TS 1.1 §5.4.2)", sorted(links)[:5])
        missing = [f"/33906/0/{r}" for r in TABLE2_33906 if f"/33906/0/{r}" not in links]
        if missing:
            raise Mismatch("the resources of Table 2's 33906 in Discover /33906/0", "all", f"missing {missing}")
        params = links[READOUT_INTERVAL]
        got = {k: params.get(k) for k in ("pmin", "pmax")}
        if got != {"pmin": "10", "pmax": "60"}:
            raise Mismatch(f"the attributes of <{READOUT_INTERVAL}> in Discover", {"pmin": "10", "pmax": "60"}, got)
    finally:
        network.servers.write_attributes(ep, READOUT_INTERVAL, ["pmin", "pmax"], timeout_ms=TIMEOUT_MS)


@case("cmi6110/6.3/2", "The operations of Tables 1 and 2 hold: an Execute of a resource that is not E (3/0/0 Manufacturer R, "
      "33906/0/0 Meter Readout Interval RW) is refused 4.05; a Read of an E resource (33906/0/10) 4.05; a Read of an instance "
      "the module does not have (/3/1) or of a resource Table 2 does not list (33906/0/7) 4.04; a Write of text that is not "
      "an Integer to 33906/0/0 4.00 (LwM2M TS 1.1 §5.4 'Response Codes').", needs=("coap.server",))
def test_operations_of_the_tables(network):
    network.registered()
    ep, s = network.endpoint, network.servers
    checks = [
        ("Execute /3/0/0 (R)", lambda: s.execute(ep, "/3/0/0", timeout_ms=TIMEOUT_MS), "4.05"),
        (f"Execute {READOUT_INTERVAL} (RW)", lambda: s.execute(ep, READOUT_INTERVAL, timeout_ms=TIMEOUT_MS), "4.05"),
        ("Read /33906/0/10 (E)", lambda: s.read(ep, "/33906/0/10", accept=TEXT, timeout_ms=TIMEOUT_MS), "4.05"),
        ("Read /3/1 (no such instance)", lambda: s.read(ep, "/3/1", accept=TLV, timeout_ms=TIMEOUT_MS), "4.04"),
        ("Read /33906/0/7 (not in Table 2)", lambda: s.read(ep, "/33906/0/7", accept=TEXT, timeout_ms=TIMEOUT_MS), "4.04"),
        (f"Write of 'sixty' to {READOUT_INTERVAL} (Integer)", lambda: _write_text(network, READOUT_INTERVAL, "sixty"), "4.00"),
    ]
    for what, op, want in checks:
        r = op()
        if r["code"] != want:
            raise Mismatch(f"the answer to {what}", want, _code(r))


@case("cmi6110/6.3/3", "The registration's lifetime is the DM server's Lifetime 1/1/1 (Table 1: R, 'DM lifetime'): it reads as "
      "the Register's lt, and a Write from the DM server is refused 4.05 and leaves it (ERRATA E-130: the manual's R against "
      "TS 1.1 Appendix E.2's RW).", level="implementation-defined", needs=("coap.server",))
def test_lifetime_resource(network):
    reg = network.registered()
    lt = _read_int_text(network, DM_LIFETIME)
    if lt != reg["lifetime_s"]:
        raise Mismatch(f"{DM_LIFETIME} Lifetime against the Register's lt", reg["lifetime_s"], lt)
    w = _write_text(network, DM_LIFETIME, str(max(lt // 2, 2)))
    after = _read_int_text(network, DM_LIFETIME)
    if w["code"] != "4.05":
        raise Mismatch(f"the answer to a Write of {DM_LIFETIME} (R in Table 1)", "4.05 Method Not Allowed", _code(w))
    if after != lt:
        raise Mismatch(f"{DM_LIFETIME} after the refused Write", lt, after)
