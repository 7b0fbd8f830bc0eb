"""What the conformance run does over a link's ``mbus.request`` interface, kept out of the generic
pytest plugin (which knows capabilities, not protocols):

- :data:`CASE_TIMEOUT_MS` and :func:`case_master` — the master the cases get (the plugin's
  ``master`` fixture);
- :func:`slave_identity` — the identity of the M-Bus slave at a URL, read from it (the profiles'
  ``pytest_metercert_identity`` hooks call it: the slave itself, or the slave behind a gateway);
- :func:`describe_frames` — the evidence of M-Bus records: each frame decoded in one line (secrets
  named, never shown), its records for failed cases, and its gap to the previous frame on the
  line (:mod:`metercert.evidence` dispatches to it for records of link kind ``mbus``).
"""
from __future__ import annotations

import time

import metercert
from metercert import _core

# EN 13757-2: a character is 11 bits (start, 8 data, even parity, stop); a slave replies no later
# than 330 bit times + 50 ms after the request. The cases' master waits twice that at 2400 baud
# + 100 ms: a late reply is then measured and judged by the timing case, not lost as silence.
BITS_PER_CHARACTER = 11
CASE_TIMEOUT_MS = 2 * (330 * 1000 / 2400 + 50) + 100


def case_master(conn) -> "metercert.Master":
    """The master of a case over the connection's mbus.request (the plugin's ``master`` fixture)."""
    return metercert.Master(conn, response_timeout_ms=CASE_TIMEOUT_MS)


def slave_identity(url: str) -> dict:
    """The identity of the M-Bus slave at the URL as read from it: the header of its first RSP_UD
    (address 254, or the first slave a secondary search finds) and its firmware record. Errors
    are evidence, not a verdict: ``{"error": …}``."""
    conn = None
    try:
        conn = metercert.connect(url)
        m = metercert.Master(conn, init_idle_ms=0, response_timeout_ms=CASE_TIMEOUT_MS)  # a late slave is still named
        try:  # one DUT on the line: address 254 (broadcast with reply, EN 13757-2) is the quickest
            m.snd_nke(254)
            frame = m.req_ud2(254)
        except metercert.MasterError:
            r = metercert.search_secondary(m)
            if not r["found"]:
                return {"error": "no slave answered REQ_UD2 to 254 or a secondary search"}
            frame = r["found"][0]["frame"]
        d = metercert.decode(frame)
        h = d["header"]
        ident = {"manufacturer": h["manufacturer"], "id": h["id"], "version": h["version"], "medium": h["medium"]}
        for rec in d.get("records", []):
            if rec.get("quantity") == "software_version" or rec.get("vif", "").upper() == "FD0F":
                ident["firmware"] = rec.get("value") or rec.get("text") or rec.get("raw")
        return ident
    except (metercert.MasterError, metercert.PortError, metercert.DecodeError, metercert.DutError) as e:
        return {"error": f"{type(e).__name__}: {e}"}
    finally:
        if conn is not None:
            release = conn.release_s
            conn.close()
            time.sleep(release)  # a gateway sees the connection go before the first case connects


REDACTED = _core.TAP_REDACTED  # tap/pcap flag: secret bytes replaced by 0x2A (rigs/.../tap.hpp)


def _decoded(b: bytes) -> tuple[str, list]:
    try:
        d = metercert.decode(b)
    except metercert.DecodeError as e:
        return f"invalid: {e}", []
    if d.get("frame") == "ack":
        return "ACK", []
    parts = [d.get("c_name", ""), f"A={d.get('a')}"]
    if "ci" in d:
        parts.append(f"CI={d['ci']}")
    if "header" in d and d["header"].get("id"):
        parts.append(f"ID={d['header']['id']}")
    if d.get("records"):
        parts.append(f"{len(d['records'])} records")
    return " ".join(p for p in parts if p), d.get("records", [])


def describe_frame(r: dict, prev: dict | None, with_records: bool) -> dict:
    """One M-Bus record (Connection.records() dict, already redacted by the link's tap chain) as
    evidence: direction, time, hex, flags, baud, decoded text; ``gap_ms``, the silence on the line
    since the end of the previous frame, when both have a line rate; the decoded records when
    ``with_records``."""
    b = r["bytes"]
    f = {"link": r.get("link", "mbus"), "direction": r["direction"], "wall_us": r["wall_us"], "hex": b.hex().upper(),
         "flags": r["flags"], "baud": r["baud"]}
    if prev is not None and r["baud"] and prev.get("baud") and prev.get("wall_us") is not None:
        on_line_ms = len(prev["bytes"]) * BITS_PER_CHARACTER * 1000.0 / prev["baud"]
        f["gap_ms"] = round((r["wall_us"] - prev["wall_us"]) / 1000.0 - on_line_ms, 3)
    secret = _core.secret_name(b) if r["flags"] & REDACTED else None
    if secret:
        f["decoded"] = f"SND_UD CI=51 set {secret} (redacted)"
    else:
        f["decoded"], records = _decoded(b)
        if with_records and records:
            f["records"] = records
    return f
