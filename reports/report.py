"""Report writers of the conformance run (installed as ``metercert.report``).

``write_html(record, path)`` — one self-contained page (inline CSS and SVG, no script, no network)
from ``templates/report.html.j2``, in the order the person who signs it reads it: verdict and what
it means, counts (all cases and ``must`` cases), the ``must`` cases not verified grouped by
reason, failures and errors (each linked to its detail), each profile's own DUT identity; then the
details of every failure and error (expected vs actual with the differing bytes marked, every
frame with its time, gap, baud, hex and decoded records); one plot per measurement series, each
point against the limits it was recorded with; a table per profile and manual section (every case
row is anchored by its id: ``report.html#cmi1020/6.7.2/5``); provenance; a signature block.
Called after every case of a run: it renders from a compiled template and only prepares the
frames of failed and errored cases (about 10 ms for 100 cases).

``write_pdf(record, path)`` — the same document printed to A4 by WeasyPrint (page numbers, running
header with DUT and verdict, decoded records expanded, tables split between rows, hex wrapped).
Takes seconds: call it once, when the run ends.

``verdict(record)`` — the record's own ``verdict`` (record v2, set by the run); for an older
record without one it is derived from the cases with the same rules.
``summary(record)`` — the record's ``summary``, or one computed from its cases.
``measurement_series(record)`` — every plotted measurement, by series.

The report knows no protocol: what it plots are the measurements cases and profiles recorded
(``metercert.conformance.measure(name, value, unit, low, high, series=…)``; the cmi1020 profile
records every M-Bus reply's gap with the EN 13757-2 window at its baud), each with its own limits;
a frame's gap is the one its link kind's describer measured (``gap_ms``, metercert.evidence), else
the time between arrivals.

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


# ----------------------------------------------------------------------------------- plots

def measurement_series(record: dict) -> list[dict]:
    """Every plotted measurement (one with a ``series``), grouped by series in the order they were
    first recorded: ``{"name", "unit", "label", "basis", "points": [{case, profile, frame, value,
    low, high, within}]}``; a point's limits are its own (None: no limit on that side)."""
    out: dict[str, dict] = {}
    for c in record.get("cases") or []:
        for m in c.get("measurements") or []:
            if not isinstance(m, dict) or not m.get("series") or not isinstance(m.get("value"), (int, float)):
                continue
            s = out.setdefault(str(m["series"]), {"name": str(m["series"]), "unit": m.get("unit") or "",
                                                  "label": m.get("name") or str(m["series"]), "basis": m.get("basis"),
                                                  "points": []})
            low = m.get("low") if isinstance(m.get("low"), (int, float)) else None
            high = m.get("high") if isinstance(m.get("high"), (int, float)) else None
            within = m.get("within")
            if within is None:
                within = (low is None or m["value"] >= low) and (high is None or m["value"] <= high)
            s["points"].append({"case": c.get("id", "?"), "profile": c.get("profile", "?"), "frame": m.get("frame"),
                                "value": float(m["value"]), "low": low, "high": high, "within": bool(within)})
    return list(out.values())


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


def _limit_text(values: list, unit: str) -> str:
    vs = sorted({v for v in values if v is not None})
    if not vs:
        return ""
    text = _num(vs[0]) if len(vs) == 1 else f"{_num(vs[0])}–{_num(vs[-1])}"
    return f"{text} {unit}".strip()


def _plots(series: list[dict], profiles: list[str]) -> list[dict]:
    """One panel per series: axis ticks, each point's limits as lines (one line where they stay the
    same, steps where they change) with the band between them shaded, each point (x: its number
    in run order), points outside their limits as red crosses labelled with their case."""
    styles = {p: _PROFILE_STYLE[i % len(_PROFILE_STYLE)] for i, p in enumerate(profiles)}
    panels = []
    W, H, L, R, T, B = 720, 270, 58, 130, 22, 46
    pw, ph = W - L - R, H - T - B
    for s in series:
        pts = s["points"]
        unit = s["unit"]
        for g in pts:
            if g["profile"] not in styles:
                styles[g["profile"]] = _PROFILE_STYLE[len(styles) % len(_PROFILE_STYLE)]
        values = [g["value"] for g in pts]
        highs = [g["high"] for g in pts if g["high"] is not None]
        lows = [g["low"] for g in pts if g["low"] is not None]
        top_ref = max(highs + [max(values)])
        vmax = max(top_ref * 1.12 if top_ref > 0 else top_ref + 1, max(values) * 1.06 if max(values) > 0 else max(values) + 1)
        vmin = min([0.0, min(values) * 1.1 if min(values) < 0 else 0.0] + [x * 1.1 if x < 0 else 0.0 for x in lows])
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

        def x_at(i):
            return L + pw * i / n

        # the limits: runs of consecutive points with the same (low, high)
        bands, lines = [], []
        i = 0
        while i < n:
            j = i
            while j + 1 < n and (pts[j + 1]["low"], pts[j + 1]["high"]) == (pts[i]["low"], pts[i]["high"]):
                j += 1
            lo, hi = pts[i]["low"], pts[i]["high"]
            x1, x2 = round(x_at(i), 1), round(x_at(j + 1), 1)
            if lo is not None and hi is not None:
                bands.append({"x": x1, "w": round(x2 - x1, 1), "y": round(y(hi), 1), "h": round(y(lo) - y(hi), 1)})
            for side, v in (("high", hi), ("low", lo)):
                if v is not None:
                    lines.append({"side": side, "x1": x1, "x2": x2, "y": round(y(v), 1)})
            i = j + 1
        labels = []
        for side, word, vs in (("high", "upper", [g["high"] for g in pts]), ("low", "lower", [g["low"] for g in pts])):
            last = next((g[side] for g in reversed(pts) if g[side] is not None), None)
            if last is not None:
                yl = round(y(last), 1)  # the text's baseline: under its line for the upper limit, over it for the lower
                labels.append({"side": side, "y": yl, "ty": yl + 4 if side == "high" else yl - 2,
                               "text": f"{word} limit {_limit_text(vs, unit)}"})
        if len(labels) == 2 and abs(labels[0]["ty"] - labels[1]["ty"]) < 12:  # limits close together: apart, outwards
            labels[0]["ty"] = min(labels[0]["y"], labels[1]["y"]) - 4
            labels[1]["ty"] = max(labels[0]["y"], labels[1]["y"]) + 12
        points, outside, seps = [], [], []
        prev = None
        for k, g in enumerate(pts):
            xk = L + pw * (k + 0.5) / n
            if g["profile"] != prev:
                seps.append({"x": round(x_at(k), 1), "label": g["profile"]})
                prev = g["profile"]
            colour, shape = styles[g["profile"]]
            frame = f" frame {g['frame']}" if g["frame"] is not None else ""
            p = {"x": round(xk, 1), "y": round(y(g["value"]), 1), "colour": colour, "shape": shape,
                 "title": f"{g['case']}{frame}: {s['label']} {_num(g['value'])} {unit}".rstrip(),
                 "href": "#" + _frag(g["case"]), "within": g["within"]}
            points.append(p)
            if not g["within"]:
                below = g["low"] is not None and g["value"] < g["low"]
                limit = g["low"] if below else g["high"]
                outside.append({**g, "shown": _num(g["value"]), "limit": "" if limit is None else _num(limit),
                                "side": "below" if below else "above", "x": p["x"], "y": p["y"]})
        by_case: dict = {}  # the table under the plot: one row per case and side of the limits
        for o in outside:
            k = (o["case"], o["side"])
            row = by_case.setdefault(k, {"case": o["case"], "side": o["side"], "limit": o["limit"], "frames": [], "values": []})
            row["frames"].append("—" if o["frame"] is None else str(o["frame"]))
            row["values"].append(o["value"])
        table = []
        for r in by_case.values():
            lo, hi = _num(min(r["values"])), _num(max(r["values"]))
            table.append({**r, "frames": ", ".join(r["frames"]), "shown": lo if lo == hi else f"{lo} … {hi}"})
        shown = list(dict.fromkeys(g["profile"] for g in pts))
        step_x = min(150.0, (W - L - 20) / (len(shown) + (1 if outside else 0)))
        legend = [{"profile": p, "colour": styles[p][0], "shape": styles[p][1], "x": round(L + 6 + i * step_x, 1),
                   "n": sum(1 for g in pts if g["profile"] == p)} for i, p in enumerate(shown)]
        panels.append({
            "name": s["name"], "unit": unit, "axis": f"{s['label']} ({unit})" if unit else s["label"], "basis": s["basis"],
            "W": W, "H": H, "L": L, "R": R, "T": T, "B": B, "pw": pw, "ph": ph,
            "ticks": ticks, "points": points, "seps": seps if len(seps) > 1 else [], "bands": bands, "lines": lines,
            "limit_labels": labels, "limits": " … ".join(t for t in (_limit_text([g["low"] for g in pts], unit),
                                                                      _limit_text([g["high"] for g in pts], unit)) if t),
            "n": n, "min": _num(min(values)), "max": _num(max(values)),
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


def _frames(frames: list[dict], measurements: list) -> list[dict]:
    """Frames of one case for display: UTC time (µs), the gap to the previous frame (the silence
    before it as its link measured it, ``gap_ms``; else the time between arrivals, marked as such),
    bytes, flags, and the limits of a measurement the case or its profile took of that frame."""
    of_frame = {m["frame"]: m for m in measurements if isinstance(m, dict) and m.get("frame") is not None
                and isinstance(m.get("value"), (int, float))}
    out = []
    prev = None
    for i, f in enumerate(frames):
        bs = _bytes_of(f.get("hex", ""))
        d = {"n": i + 1, "time": _wall(f.get("wall_us")), "dir": f.get("direction", ""),
             "baud": f.get("baud") or 0, "hex": " ".join(bs), "decoded": f.get("decoded", ""),
             "records": _record_rows(f.get("records") or []),
             "flags": [name for bit, name in FLAG_NAMES if (f.get("flags") or 0) & bit],
             "gap": "", "gap_kind": "", "window": None}
        if isinstance(f.get("gap_ms"), (int, float)):
            d["gap"], d["gap_kind"] = _num(f["gap_ms"]), "line"
        elif prev is not None and f.get("wall_us") is not None and prev.get("wall_us") is not None:
            d["gap"], d["gap_kind"] = _num((f["wall_us"] - prev["wall_us"]) / 1000.0), "arrival"
        m = of_frame.get(i + 1)
        if m is not None:
            d["window"] = {"low": "" if m.get("low") is None else _num(m["low"]), "high": "" if m.get("high") is None else _num(m["high"]),
                           "within": bool(m.get("within", True))}
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


def _measurements(ms: list) -> list[dict]:
    """A case's measurements for its rows: each one on its own; the points of a plotted series
    summed up in one line (how many, their range, their limits, how many outside)."""
    rows, series = [], {}
    for m in ms:
        if not isinstance(m, dict):
            continue
        if m.get("series") and isinstance(m.get("value"), (int, float)):
            series.setdefault(str(m["series"]), []).append(m)
        else:
            rows.append(_measure(m))
    for name, pts in series.items():
        unit = pts[0].get("unit", "")
        lo, hi = _num(min(p["value"] for p in pts)), _num(max(p["value"] for p in pts))
        out = sum(1 for p in pts if p.get("within") is False)
        rows.append({"name": name, "value": lo if lo == hi or len(pts) == 1 else f"{lo} … {hi}", "unit": unit,
                     "low": _limit_text([p.get("low") for p in pts], "").strip(),
                     "high": _limit_text([p.get("high") for p in pts], "").strip(),
                     "within": out == 0, "count": len(pts), "outside": out})
    return rows


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
        details.append({"c": c, "frag": _frag(c.get("id", "")), "frames": _frames(frames, c.get("measurements") or []),
                        "diff": diff, "measurements": _measurements(c.get("measurements") or [])})

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
                rows.append({"c": c, "frag": _frag(c.get("id", "")), "measurements": _measurements(c.get("measurements") or [])})
        prof_list.append({"name": p, "rows": rows, "counts": pcounts[p],
                          "identity": ident_of.get(p) or ident_of.get("all profiles")})

    series = measurement_series(record)
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
        "plots": _plots(series, list(profiles)),
        "prov": prov, "command_line": cmd, "duration": _duration(record.get("started"), record.get("finished")),
        "frag": _frag, "running": running,
        "generated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


_ENV = None


def _template_env():
    """The templates' jinja2 environment (autoescaped), made once per process."""
    global _ENV
    if _ENV is None:
        _ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATES)), autoescape=True,
                                  trim_blocks=True, lstrip_blocks=True, undefined=jinja2.ChainableUndefined)
    return _ENV


def _template():
    return _template_env().get_template("report.html.j2")


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
