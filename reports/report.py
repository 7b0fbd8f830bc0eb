"""Report writers of the conformance run (installed as ``metercert.report``).

``verdict(record)`` — ``PASS`` when every ``must`` case passed (skips allowed) and the run is
complete, ``FAIL`` when a ``must`` case failed, ``INTERRUPTED`` otherwise.
``write_html(record, path)`` — one self-contained page (no network: inline CSS and SVG) from
``templates/report.html.j2``: summary and verdict, a table per profile and section, each failure
with expected vs actual and the frames in hex beside their decoded form, and a reply-time plot.
"""
from __future__ import annotations

import html
import pathlib
from collections import defaultdict

import jinja2

_TEMPLATES = pathlib.Path(__file__).with_name("templates")


def verdict(record: dict) -> str:
    if any(c["level"] == "must" and c["outcome"] == "failed" for c in record["cases"]):
        return "FAIL"
    return "PASS" if record.get("complete") else "INTERRUPTED"


def _reply_gaps(record: dict) -> list[tuple[str, float]]:
    """(case id, ms) from each request to the start of its reply, less the request's own
    transmission time at its baud rate (11 bits per character). Bursts without a line rate (a
    TCP gateway) carry no M-Bus timing and are left out."""
    out = []
    for c in record["cases"]:
        frames = c.get("evidence", {}).get("frames", [])
        for req, rsp in zip(frames, frames[1:]):
            if req["direction"] == "master_to_slave" and rsp["direction"] == "slave_to_master" and req.get("baud"):
                tx_ms = len(req["hex"]) // 2 * 11 * 1000 / req["baud"]
                out.append((c["id"], max(0.0, (rsp["wall_us"] - req["wall_us"]) / 1000 - tx_ms)))
    return out


def _plot(gaps: list[tuple[str, float]], limit_ms: float = 330 * 1000 / 2400 + 50) -> str:
    """SVG scatter of the reply gaps against EN 13757-2's latest start (at 2400 baud by default)."""
    w, h, pad = 640, 180, 30
    if not gaps:
        return ""
    top = max(limit_ms * 1.1, max(g for _, g in gaps) * 1.1)
    pts = []
    for i, (cid, g) in enumerate(gaps):
        x = pad + (w - 2 * pad) * (i + 0.5) / len(gaps)
        y = h - pad - (h - 2 * pad) * g / top
        pts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5"><title>{html.escape(cid)}: {g:.1f} ms</title></circle>')
    ly = h - pad - (h - 2 * pad) * limit_ms / top
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" aria-label="reply times">'
            f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#888"/>'
            f'<line x1="{pad}" y1="{ly:.1f}" x2="{w - pad}" y2="{ly:.1f}" stroke="#c33" stroke-dasharray="4"/>'
            f'<text x="{w - pad}" y="{ly - 4:.1f}" text-anchor="end" font-size="10" fill="#c33">EN 13757-2 limit {limit_ms:.1f} ms</text>'
            f'<text x="{pad}" y="{pad - 10}" font-size="10">reply gap (ms), {len(gaps)} replies, max {max(g for _, g in gaps):.1f} ms</text>'
            + "".join(pts) + "</svg>")


def _section_key(section: str) -> tuple:
    """Manual order: 6.7.2 before 6.7.11; numbered sections before named ones (table3, figure6)."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in section.split("."))


def write_html(record: dict, path: pathlib.Path) -> None:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATES)), autoescape=True)
    sections: dict = defaultdict(lambda: defaultdict(list))
    counts: dict = defaultdict(int)
    for c in record["cases"]:
        sections[c["profile"]][c["section"]].append(c)
        counts[c["outcome"]] += 1
    html = env.get_template("report.html.j2").render(
        record=record, sections={p: dict(sorted(s.items(), key=lambda kv: _section_key(kv[0]))) for p, s in sections.items()},
        counts=dict(counts),
        failures=[c for c in record["cases"] if c["outcome"] == "failed"], plot=_plot(_reply_gaps(record)))
    tmp = pathlib.Path(str(path) + ".tmp")
    tmp.write_text(html)
    tmp.replace(path)
