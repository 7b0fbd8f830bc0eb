"""What the conformance run shows of a wireless M-Bus record (a telegram a link's wmbus.receive
got: rigs/include/metercert/rigs/wmbus_receiver.hpp), kept out of the generic plugin:
:mod:`metercert.evidence` dispatches records of link kind ``wmbus`` here. The evidence never
decrypts (the run holds no key in its record): it names the link layer and the transport header,
read by the codec without a key, and the records of a plain telegram."""
from __future__ import annotations

from . import DecodeError, decode_wmbus


def _decoded(b: bytes) -> tuple[str, list]:
    """One line about a telegram (format found by its length, ERRATA E-47) and, when plain, its records."""
    try:
        d = decode_wmbus(b)
    except DecodeError as e:
        if e.name != "no_key" or len(b) < 10:
            return f"wM-Bus: {e}", []
        # encrypted: the link layer and header are plain; say them without the records
        m = (b[2] | b[3] << 8)
        letters = "".join(chr(64 + ((m >> s) & 0x1F)) for s in (10, 5, 0))
        return (f"wM-Bus C={b[1]:02X} {letters} {b[7]:02X}{b[6]:02X}{b[5]:02X}{b[4]:02X} v{b[8]} type {b[9]:02X}, "
                f"encrypted (no key in the evidence)"), []
    link, tpl = d.get("link", {}), d.get("tpl", {})
    parts = [f"wM-Bus {link.get('crc', '')} C={link.get('c')} {link.get('c_name', '')} {link.get('manufacturer', '')} "
             f"{link.get('id', '')} v{link.get('version', '')} {link.get('medium_name', '')}"]
    if tpl:
        h = tpl.get("header", {})
        parts.append(f"CI={tpl.get('ci')} access {h.get('access_number')} status {h.get('status')} mode {tpl.get('security_mode', 0)}")
    records = [r for r in d.get("records", []) if "vif" in r]
    return ", ".join(parts), records


def describe_frame(r: dict, prev: dict | None, with_records: bool) -> dict:
    """One wireless M-Bus record (Connection.records() dict) as evidence: direction, time, hex, flags,
    decoded text; the records of a plain telegram when ``with_records``. ``prev`` is unused (a radio
    telegram has no line gap)."""
    b = r["bytes"]
    f = {"link": "wmbus", "direction": r["direction"], "wall_us": r["wall_us"], "hex": b.hex().upper(), "flags": r["flags"],
         "baud": r.get("baud", 0)}
    f["decoded"], records = _decoded(b)
    if with_records and records:
        f["records"] = records
    return f
