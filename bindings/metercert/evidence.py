"""The evidence of a case: the records its DUT link tapped (already redacted by the link kind's
stage of the tap chain), each described by the describer of its link kind — so the run's record
and report hold frames of any link, and the pytest plugin knows no protocol.

A describer takes one record (a :meth:`metercert.Connection.records` dict: ``link``,
``direction`` ``to_dut``/``from_dut``, ``channel``, ``flags``, ``baud``, ``wall_us``, ``bytes``),
the previous record of the same case and link kind (or None), and whether the decoded content is
wanted (failed and broken cases), and returns the frame as record.json holds it: at least
``link``, ``direction``, ``wall_us``, ``hex``, ``flags``, ``baud``, ``decoded``; ``gap_ms`` when
the link measures the silence before it; ``records`` when asked. Wireless M-Bus has its
describer (metercert.wmbus_link); CoAP adds its own here.
"""
from __future__ import annotations

from typing import Callable

from . import mbus_link, wmbus_link

Describer = Callable[[dict, "dict | None", bool], dict]

DESCRIBERS: dict[str, Describer] = {
    "mbus": mbus_link.describe_frame,
    "wmbus": wmbus_link.describe_frame,
}


def _plain(r: dict, prev: dict | None, with_records: bool) -> dict:
    """A record of a link kind without a describer: its bytes, undecoded."""
    return {"link": r.get("link", "?"), "direction": r["direction"], "wall_us": r["wall_us"], "hex": r["bytes"].hex().upper(),
            "flags": r["flags"], "baud": r.get("baud", 0), "decoded": ""}


def frames(records: list[dict], with_records: bool) -> list[dict]:
    """Every tapped record of a case as evidence, in order."""
    out, prev = [], {}
    for r in records:
        kind = r.get("link", "mbus")
        out.append(DESCRIBERS.get(kind, _plain)(r, prev.get(kind), with_records))
        prev[kind] = r
    return out
