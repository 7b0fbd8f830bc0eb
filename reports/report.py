"""Report writers of the conformance run (installed as ``metercert.report``).

``write_html(record, path)`` — one self-contained page (inline CSS and SVG, no script, no network)
from ``templates/report.html.j2``, in the order the person who signs it reads it: verdict and what
it means, counts (all cases and ``must`` cases), the ``must`` cases not verified grouped by
reason, failures and errors (each linked to its detail), each profile's own DUT identity; then the
details of every failure and error (expected vs actual with the differing bytes marked, every
frame with its time, gap, baud, hex and decoded records); the reply-time plot against the
EN 13757-2 window of each baud in use; a table per profile and manual section (every case row is
anchored by its id: ``report.html#cmi1020/6.7.2/5``); provenance; a signature block.
Called after every case of a run: it renders from a compiled template and only prepares the
frames of failed and errored cases (about 10 ms for 100 cases).

``write_pdf(record, path)`` — the same document printed to A4 by WeasyPrint (page numbers, running
header with DUT and verdict, decoded records expanded, tables split between rows, hex wrapped).
Takes seconds: call it once, when the run ends.

``verdict(record)`` — the record's own ``verdict`` (record v2, set by the run); for an older
record without one it is derived from the cases with the same rules.
``summary(record)`` — the record's ``summary``, or one computed from its cases.
``reply_gaps(record)`` — every timed reply: request, reply, gap and its EN 13757-2 window.

Records are ``metercert_record_v2`` (see the plugin); missing keys (v1 records, a run in progress)
are tolerated. Everything taken from the record is escaped (jinja2 autoescape).
"""
from __future__ import annotations

import datetime as _dt
import math
import os
import pathlib
import shlex
from collections import defaultdict
from urllib.parse import quote

import jinja2

_TEMPLATES = pathlib.Path(__file__).with_name("templates")

OUTCOMES = ("passed", "failed", "skipped", "error")
LEVELS = ("must", "should", "implementation-defined")

# EN 13757-2 (wired M-Bus physical/link layer): a slave starts its reply no earlier than 11 bit
# times and no later than 330 bit times + 50 ms after the end of the request's last character; a
# character is 11 bits (start, 8 data, even parity, stop).
BITS_PER_BYTE = 11
REPLY_MIN_BITS = 11
REPLY_MAX_BITS = 330
REPLY_MAX_EXTRA_MS = 50.0

VERDICT_MEANING = {
    "PASS": "Every must case of the selected profiles ran and passed.",
    "FAIL": "A must case failed: the device does not conform to the requirement it states.",
    "ERROR": "The test suite itself broke (not the device's fault): the cases concerned prove nothing "
             "either way. Repair the station and run again.",
    "INCOMPLETE": "Some must cases could not run on this device, so conformance is not established; "
                  "no must case that ran failed.",
    "INTERRUPTED": "The run was stopped before it finished: only the cases recorded so far are reported. "
                   "This is not a verdict on the device.",
    # shown instead of the record's verdict while a run is going (or was killed before it could
    # record its end): the page is rewritten after every case and must not look final
    "UNFINISHED": "The run has not finished (still running, or killed before it could record its end): "
                  "only the cases recorded so far are reported. This is not a verdict on the device.",
}

FLAG_NAMES = ((1, "parity error"), (2, "garbled"), (4, "secret redacted"))


def reply_window_ms(baud: int) -> tuple[float, float]:
    """EN 13757-2's reply window at ``baud``: (earliest, latest) start of the reply in ms after the
    end of the request. 2400 baud: (4.583, 187.5); 9600 baud: (1.146, 84.375)."""
    bit_ms = 1000.0 / baud
    return REPLY_MIN_BITS * bit_ms, REPLY_MAX_BITS * bit_ms + REPLY_MAX_EXTRA_MS


def tx_ms(nbytes: int, baud: int) -> float:
    """Time on the line of ``nbytes`` characters at ``baud`` (11 bits each)."""
    return nbytes * BITS_PER_BYTE * 1000.0 / baud


def _num(v: float, digits: int = 3) -> str:
    """4.583333 -> '4.583', 187.5 -> '187.5', 84.375 -> '84.375', 12.0 -> '12'."""
    s = f"{v:.{digits}f}"
    return s.rstrip("0").rstrip(".") if "." in s else s


# ----------------------------------------------------------------------------------- verdict

def summary(record: dict) -> dict:
    """``record["summary"]`` when the run wrote one, else the same computed from the cases:
    counts per outcome, the same for ``must`` cases, and the ``must`` cases not verified (skipped
    or error) grouped by reason."""
    s = record.get("summary")
    if isinstance(s, dict) and "total" in s:
        s = dict(s)
        s.setdefault("must", {})
        s.setdefault("not_verified", [])
        return s
    cases = record.get("cases") or []
    out = {"total": len(cases), **{o: 0 for o in OUTCOMES}, "must": {"total": 0, **{o: 0 for o in OUTCOMES}}}
    groups: dict[str, list[str]] = {}
    for c in cases:
        o = c.get("outcome")
        if o in OUTCOMES:
            out[o] += 1
        if c.get("level") == "must":
            out["must"]["total"] += 1
            if o in OUTCOMES:
                out["must"][o] += 1
            if o in ("skipped", "error"):
                groups.setdefault(c.get("reason") or c.get("message") or o, []).append(c.get("id", "?"))
    out["not_verified"] = [{"reason": r, "cases": ids} for r, ids in groups.items()]
    return out


def verdict(record: dict) -> str:
    """The run's verdict: ``record["verdict"]`` when present (the run decides it), else derived
    from the cases: FAIL (a must case failed) > INTERRUPTED (stopped, or not complete) > ERROR
    (the suite broke) > INCOMPLETE (a must case did not run) > PASS."""
    v = record.get("verdict")
    if v:
        return v
    cases = record.get("cases") or []
    if any(c.get("level") == "must" and c.get("outcome") == "failed" for c in cases):
        return "FAIL"
    if record.get("interrupted_by") or not record.get("complete"):
        return "INTERRUPTED"
    if any(c.get("outcome") == "error" for c in cases):
        return "ERROR"
    if any(c.get("level") == "must" and c.get("outcome") == "skipped" for c in cases):
        return "INCOMPLETE"
    return "PASS"


# ----------------------------------------------------------------------------------- timing

def reply_gaps(record: dict) -> list[dict]:
    """Every reply with line timing, in run order: a master-to-slave frame directly followed by a
    slave-to-master frame of the same case, both with a baud rate (baud 0 = a TCP gateway: no line
    timing, left out). gap = reply start - request start - request transmission time (11 bits per
    byte at the request's baud); ``low``/``high`` = EN 13757-2 window at that baud."""
    out = []
    for c in record.get("cases") or []:
        frames = (c.get("evidence") or {}).get("frames") or []
        for i in range(1, len(frames)):
            req, rsp = frames[i - 1], frames[i]
            baud = req.get("baud") or 0
            if (req.get("direction") != "master_to_slave" or rsp.get("direction") != "slave_to_master"
                    or baud <= 0 or not rsp.get("baud") or req.get("wall_us") is None or rsp.get("wall_us") is None):
                continue
            gap = (rsp["wall_us"] - req["wall_us"]) / 1000.0 - tx_ms(len(_bytes_of(req.get("hex", ""))), baud)
            low, high = reply_window_ms(baud)
            out.append({"case": c.get("id", "?"), "profile": c.get("profile", "?"), "frame": i + 1, "baud": baud,
                        "gap_ms": gap, "low": low, "high": high, "within": low <= gap <= high})
    return out


def _nice_step(span: float, target: int = 6) -> float:
    raw = span / target
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


_PROFILE_STYLE = [  # colour and marker per profile: told apart in colour and in black and white
    ("#1f5fa8", "circle"), ("#2a7d2e", "square"), ("#8a4fb0", "triangle"), ("#a86b00", "diamond"),
    ("#3b8f8f", "circle"), ("#5b5b5b", "square"),
]


def _plots(gaps: list[dict], profiles: list[str]) -> list[dict]:
    """One panel per baud in use: axis ticks (ms), the window, each reply as a point (x: reply
    number in run order), out-of-window replies as red crosses labelled with their case."""
    styles = {p: _PROFILE_STYLE[i % len(_PROFILE_STYLE)] for i, p in enumerate(profiles)}
    for g in gaps:
        if g["profile"] not in styles:
            styles[g["profile"]] = _PROFILE_STYLE[len(styles) % len(_PROFILE_STYLE)]
    panels = []
    W, H, L, R, T, B = 720, 270, 58, 130, 22, 46
    pw, ph = W - L - R, H - T - B
    for baud in sorted({g["baud"] for g in gaps}):
        pts = [g for g in gaps if g["baud"] == baud]
        low, high = reply_window_ms(baud)
        vmax = max(high * 1.12, max(g["gap_ms"] for g in pts) * 1.06)
        vmin = min(0.0, min(g["gap_ms"] for g in pts) * 1.1)
        step = _nice_step(vmax - vmin)
        top = math.ceil(vmax / step) * step
        bottom = math.floor(vmin / step) * step

        def y(v, top=top, bottom=bottom):
            return T + ph * (top - v) / (top - bottom)

        ticks = []
        t = bottom
        while t <= top + step / 1000:
            ticks.append({"y": round(y(t), 1), "label": _num(t, 2)})
            t += step
        n = len(pts)
        points, outside, seps = [], [], []
        prev = None
        for i, g in enumerate(pts):
            x = L + pw * (i + 0.5) / n
            if g["profile"] != prev:
                seps.append({"x": round(L + pw * i / n, 1), "label": g["profile"]})
                prev = g["profile"]
            colour, shape = styles[g["profile"]]
            p = {"x": round(x, 1), "y": round(y(g["gap_ms"]), 1), "colour": colour, "shape": shape,
                 "title": f"{g['case']} frame {g['frame']}: reply after {_num(g['gap_ms'])} ms",
                 "href": "#" + _frag(g["case"]), "within": g["within"]}
            points.append(p)
            if not g["within"]:
                outside.append({**g, "gap": _num(g["gap_ms"]), "limit": _num(low if g["gap_ms"] < low else high),
                                "side": "early" if g["gap_ms"] < low else "late", "x": p["x"], "y": p["y"]})
        by_case: dict = {}  # the table under the plot: one row per case and side of the window
        for o in outside:
            k = (o["case"], o["side"])
            row = by_case.setdefault(k, {"case": o["case"], "side": o["side"], "limit": o["limit"], "frames": [], "gaps": []})
            row["frames"].append(str(o["frame"]))
            row["gaps"].append(o["gap_ms"])
        table = []
        for r in by_case.values():
            lo, hi = _num(min(r["gaps"])), _num(max(r["gaps"]))
            table.append({**r, "frames": ", ".join(r["frames"]), "gap": lo if lo == hi else f"{lo} … {hi}"})
        shown = list(dict.fromkeys(g["profile"] for g in pts))
        step_x = min(150.0, (W - L - 20) / (len(shown) + (1 if outside else 0)))
        legend = [{"profile": p, "colour": styles[p][0], "shape": styles[p][1], "x": round(L + 6 + i * step_x, 1),
                   "n": sum(1 for g in pts if g["profile"] == p)} for i, p in enumerate(shown)]
        panels.append({
            "baud": baud, "W": W, "H": H, "L": L, "R": R, "T": T, "B": B, "pw": pw, "ph": ph,
            "ticks": ticks, "points": points, "seps": seps if len(seps) > 1 else [],
            "low": _num(low), "high": _num(high), "y_low": round(y(low), 1), "y_high": round(y(high), 1),
            "n": n, "min": _num(min(g["gap_ms"] for g in pts)), "max": _num(max(g["gap_ms"] for g in pts)),
            "legend": legend, "outside_x": round(L + 6 + len(shown) * step_x, 1),
            "outside": outside, "outside_table": table, "labels": outside if len(outside) <= 6 else [],
        })
    return panels


# ----------------------------------------------------------------------------------- frames

def _frag(case_id: str) -> str:
    return quote(str(case_id), safe="/.:-_~@!$&'()*+,;=")


def _bytes_of(hexstr: str) -> list[str]:
    h = "".join(str(hexstr).split()).upper()
    return [h[i:i + 2] for i in range(0, len(h), 2)]


def _wall(us) -> str:
    if us is None:
        return "—"
    t = _dt.datetime.fromtimestamp(us // 1_000_000, tz=_dt.timezone.utc)
    return f"{t:%H:%M:%S}.{us % 1_000_000:06d}"


def _frames(frames: list[dict]) -> list[dict]:
    """Frames of one case for display: UTC time (µs), gap to the previous frame (silence on the line
    after its last byte when both have a baud; over TCP the time between arrivals), bytes, flags,
    and for a reply its position in the EN 13757-2 window."""
    out = []
    prev = None
    for i, f in enumerate(frames):
        bs = _bytes_of(f.get("hex", ""))
        baud = f.get("baud") or 0
        d = {"n": i + 1, "time": _wall(f.get("wall_us")), "dir": f.get("direction", ""),
             "baud": baud, "hex": " ".join(bs), "decoded": f.get("decoded", ""), "records": _record_rows(f.get("records") or []),
             "flags": [name for bit, name in FLAG_NAMES if (f.get("flags") or 0) & bit],
             "gap": "", "gap_kind": "", "window": None}
        if prev is not None and f.get("wall_us") is not None and prev.get("wall_us") is not None:
            delta = (f["wall_us"] - prev["wall_us"]) / 1000.0
            pbaud = prev.get("baud") or 0
            if baud and pbaud:
                gap = delta - tx_ms(len(_bytes_of(prev.get("hex", ""))), pbaud)
                d["gap"], d["gap_kind"] = _num(gap), "line"
                if prev.get("direction") == "master_to_slave" and f.get("direction") == "slave_to_master":
                    low, high = reply_window_ms(pbaud)
                    d["window"] = {"low": _num(low), "high": _num(high), "within": low <= gap <= high}
            else:
                d["gap"], d["gap_kind"] = _num(delta), "arrival"
        out.append(d)
        prev = f
    return out


def _record_rows(records: list[dict]) -> list[dict]:
    rows = []
    for r in records:
        if not isinstance(r, dict):
            rows.append({"quantity": str(r)})
            continue
        extra = []
        for k in ("storage", "tariff", "subunit"):
            if r.get(k):
                extra.append(f"{k} {r[k]}")
        if r.get("function") and r["function"] != "instantaneous":
            extra.append(str(r["function"]))
        extra += [str(q) for q in r.get("qualifiers") or []]
        if r.get("special"):
            extra.append(str(r["special"]))
        value = r.get("value")
        rows.append({"dif": r.get("dif", ""), "vif": r.get("vif", ""), "quantity": r.get("quantity", ""),
                     "value": "—" if value is None else str(value), "unit": r.get("unit", ""), "extra": ", ".join(extra)})
    return rows


def _hex_diff(expected_hex: str, actual_hex: str, width: int = 16) -> dict:
    """Both byte strings in rows of ``width`` bytes, expected above actual, each byte that differs
    at the same offset (or is missing on one side) marked."""
    e, a = _bytes_of(expected_hex), _bytes_of(actual_hex)
    n = max(len(e), len(a))
    differ = [i for i in range(n) if i >= len(e) or i >= len(a) or e[i] != a[i]]
    dset = set(differ)
    rows = []
    for off in range(0, max(n, 1), width):
        rows.append({"offset": f"{off:04X}",
                     "expected": [(e[i] if i < len(e) else "··", i in dset) for i in range(off, min(off + width, n))],
                     "actual": [(a[i] if i < len(a) else "··", i in dset) for i in range(off, min(off + width, n))]})
    return {"rows": rows, "differ": differ, "len_e": len(e), "len_a": len(a),
            "offsets": ", ".join(str(i) for i in differ[:40]) + (" …" if len(differ) > 40 else "")}


# ----------------------------------------------------------------------------------- model

def _section_key(section) -> tuple:
    """Manual order: 6.7.2 before 6.7.11; numbered sections before named ones (table3, figure6)."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in str(section or "").split("."))


def _identity_rows(dut: dict) -> list[dict]:
    profs = dut.get("profiles") if isinstance(dut.get("profiles"), dict) else None
    if profs:
        return [{"profile": p, **(d if isinstance(d, dict) else {"error": str(d)})} for p, d in profs.items()]
    return [{"profile": "all profiles", **{k: v for k, v in dut.items() if k != "profiles"}}]


def _measure(m: dict) -> dict:
    def fmt(v):
        return "" if v is None else (_num(v) if isinstance(v, float) else str(v))
    return {"name": m.get("name", ""), "value": fmt(m.get("value")), "unit": m.get("unit", ""),
            "low": fmt(m.get("low")), "high": fmt(m.get("high")), "within": m.get("within")}


def _duration(started, finished) -> str:
    try:
        s = _dt.datetime.fromisoformat(str(started))
        f = _dt.datetime.fromisoformat(str(finished))
    except (TypeError, ValueError):
        return ""
    secs = int((f - s).total_seconds())
    return f"{secs // 3600}:{secs // 60 % 60:02d}:{secs % 60:02d}" if secs >= 3600 else f"{secs // 60}:{secs % 60:02d} min"


def _model(record: dict) -> dict:
    cases = [c for c in (record.get("cases") or []) if isinstance(c, dict)]
    dut = record.get("dut") if isinstance(record.get("dut"), dict) else {}
    v = verdict(record)
    # v2 records say how a run ended (finished, interrupted_by); a v1 record cannot tell a run in
    # progress from a stopped one and keeps its derived verdict
    running = ("interrupted_by" in record and not record.get("complete") and not record.get("finished")
               and not record.get("interrupted_by"))
    if running:
        v = "UNFINISHED"
    s = summary(record)
    level_rank = {lv: i for i, lv in enumerate(LEVELS)}

    def rank(c):  # failed must, then suite errors, then failed should / implementation-defined
        if c.get("outcome") == "failed" and c.get("level") == "must":
            return 0
        return 1 if c.get("outcome") == "error" else 2 + level_rank.get(c.get("level"), 9)

    order = {id(c): i for i, c in enumerate(cases)}
    problems = sorted((c for c in cases if c.get("outcome") in ("failed", "error")), key=lambda c: (rank(c), order[id(c)]))
    details = []
    for c in problems:
        frames = (c.get("evidence") or {}).get("frames") or []
        diff = _hex_diff(c["expected_hex"], c["actual_hex"]) if c.get("expected_hex") is not None and c.get("actual_hex") is not None else None
        details.append({"c": c, "frag": _frag(c.get("id", "")), "frames": _frames(frames), "diff": diff,
                        "measurements": [_measure(m) for m in c.get("measurements") or [] if isinstance(m, dict)]})

    profiles: dict = defaultdict(lambda: defaultdict(list))
    pcounts: dict = defaultdict(lambda: dict.fromkeys(OUTCOMES, 0))
    for c in cases:
        profiles[c.get("profile", "?")][c.get("section", "")].append(c)
        if c.get("outcome") in OUTCOMES:
            pcounts[c.get("profile", "?")][c["outcome"]] += 1
    idents = _identity_rows(dut)
    ident_of = {r["profile"]: r for r in idents}
    prof_list = []
    for p, secs in profiles.items():
        rows = []
        for sec, cs in sorted(secs.items(), key=lambda kv: _section_key(kv[0])):
            for c in cs:
                rows.append({"c": c, "frag": _frag(c.get("id", "")),
                             "measurements": [_measure(m) for m in c.get("measurements") or [] if isinstance(m, dict)]})
        prof_list.append({"name": p, "rows": rows, "counts": pcounts[p],
                          "identity": ident_of.get(p) or ident_of.get("all profiles")})

    gaps = reply_gaps(record)
    prov = record.get("provenance") if isinstance(record.get("provenance"), dict) else {}
    cmd = prov.get("command_line")
    if isinstance(cmd, (list, tuple)):
        cmd = shlex.join(str(a) for a in cmd)
    nv = s.get("not_verified") or []
    return {
        "record": record, "verdict": v, "meaning": VERDICT_MEANING.get(v, ""), "summary": s,
        "must": s.get("must") or {}, "not_verified": nv,
        "not_verified_n": sum(len(g.get("cases") or []) for g in nv),
        "problems": details, "profiles": prof_list, "identities": idents, "dut": dut,
        "plots": _plots(gaps, list(profiles)), "timed_replies": len(gaps),
        "untimed_frames": sum(1 for c in cases for f in (c.get("evidence") or {}).get("frames") or [] if not f.get("baud")),
        "prov": prov, "command_line": cmd, "duration": _duration(record.get("started"), record.get("finished")),
        "frag": _frag, "running": running,
        "generated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


_ENV = None


def _template():
    global _ENV
    if _ENV is None:
        _ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATES)), autoescape=True,
                                  trim_blocks=True, lstrip_blocks=True, undefined=jinja2.ChainableUndefined)
    return _ENV.get_template("report.html.j2")


def render_html(record: dict, for_pdf: bool = False) -> str:
    """The report as one HTML string (what ``write_html`` writes and ``write_pdf`` prints;
    ``for_pdf`` leaves out the CSS only browsers understand)."""
    return _template().render(**_model(record), for_pdf=for_pdf)


def _atomic_write(path, data: bytes) -> None:
    path = pathlib.Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_html(record: dict, path) -> None:
    """Write the self-contained report page to ``path`` (atomically: a reader never sees half a page)."""
    _atomic_write(path, render_html(record).encode("utf-8"))


def write_pdf(record: dict, path) -> None:
    """Print the report to ``path`` (A4) with WeasyPrint; same content as the HTML, decoded records
    expanded. Raises RuntimeError when WeasyPrint is not installed (Debian package ``weasyprint``)."""
    try:
        import weasyprint
    except ImportError as e:  # pragma: no cover - depends on the station
        raise RuntimeError("report.pdf needs WeasyPrint (Debian package weasyprint)") from e
    pdf = weasyprint.HTML(string=render_html(record, for_pdf=True), base_url=str(_TEMPLATES)).write_pdf()
    _atomic_write(path, pdf)
