"""``metercert report merge DIR… --out DIR``: the runs of several rigs (one ``metercert run`` per
rig file, in parallel processes) as one result: ``record.json`` (schema ``metercert_merged_v1``),
``junit.xml`` and ``report.html`` with a row per DUT. Installed as ``metercert.merge``; like
``report.py`` it takes records as plain dicts and imports nothing else of metercert.

The merged verdict is the worst of the runs' (FAIL > INTERRUPTED > ERROR > INCOMPLETE > PASS, the
order ``report.verdict`` derives them in); a run directory without a readable ``record.json`` is a
usage error naming it, and nothing is written. Each run keeps its own report: the merged page
links to it (a path relative to ``--out``).

Exit status (as ``metercert run``): 0 PASS, 1 FAIL, 2 usage or ERROR, 3 INCOMPLETE, 4 INTERRUPTED.

    python3 -m metercert.merge RUN_DIR… --out DIR [--title TEXT]
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import xml.etree.ElementTree as ET

try:  # installed: metercert.merge beside metercert.report
    from .report import summary, verdict, _atomic_write, _template_env
except ImportError:  # run from the source tree (reports/)
    from report import summary, verdict, _atomic_write, _template_env  # type: ignore

SCHEMA = "metercert_merged_v1"
# worst first (report.verdict's order of precedence)
ORDER = ["FAIL", "INTERRUPTED", "ERROR", "INCOMPLETE", "PASS"]
EXIT = {"PASS": 0, "FAIL": 1, "ERROR": 2, "INCOMPLETE": 3, "INTERRUPTED": 4}


class MergeError(Exception):
    """A run directory that cannot be merged: the message names it and why."""


def load_run(directory: pathlib.Path) -> dict:
    path = directory / "record.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MergeError(f"{directory}: no record.json (not a metercert run's report directory)") from None
    except (OSError, UnicodeDecodeError) as e:
        raise MergeError(f"{path}: {e}") from None
    except json.JSONDecodeError as e:
        raise MergeError(f"{path}: not JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
    if not isinstance(record, dict) or not str(record.get("schema", "")).startswith("metercert_record"):
        raise MergeError(f"{path}: not a metercert record (schema {record.get('schema') if isinstance(record, dict) else None!r})")
    return record


def _identity(dut: dict) -> str:
    """One line of what the DUT said it is: 'ELV 13647123 v1' (a run of one profile keeps its
    identity in ``dut`` itself; a run of several, per profile in ``dut.profiles``)."""
    def words(ident: dict) -> str:
        w = [str(ident[k]) for k in ("manufacturer", "id", "meter_id") if ident.get(k)]
        if ident.get("version") not in (None, ""):
            w.append(f"v{ident['version']}")
        return " ".join(w) if w else str(ident.get("model", ""))
    profiles = dut.get("profiles")
    if not isinstance(profiles, dict):
        return words(dut)
    return "; ".join(f"{prof}: {words(ident)}" for prof, ident in profiles.items() if isinstance(ident, dict))


def merge(records: list[dict], names: list[str], links: list[str]) -> dict:
    """The merged record: one entry per run (its name, DUT, verdict, summary, report link) and
    every case tagged with its run."""
    runs, cases = [], []
    for record, name, link in zip(records, names, links):
        v = verdict(record)
        dut = record.get("dut") or {}
        runs.append({"name": name, "dut": dut.get("url", ""), "identity": _identity(dut), "verdict": v,
                     "summary": summary(record), "report": link, "station": record.get("station", ""),
                     "started": record.get("started"), "finished": record.get("finished")})
        cases += [{**c, "run": name} for c in record.get("cases") or []]
    worst = min((r["verdict"] for r in runs), key=lambda v: ORDER.index(v) if v in ORDER else 0, default="PASS")
    return {"schema": SCHEMA, "verdict": worst, "runs": runs, "cases": cases,
            "counts": {v: sum(r["verdict"] == v for r in runs) for v in ORDER}}


def write_junit(merged: dict, path: pathlib.Path) -> None:
    """A testsuite per run and profile (name 'RUN/profile'), a testcase per case (as a run's own)."""
    root = ET.Element("testsuites", name="metercert report merge", tests=str(len(merged["cases"])))
    suites: dict[tuple[str, str], list[dict]] = {}
    for c in merged["cases"]:
        suites.setdefault((c["run"], c.get("profile", "")), []).append(c)
    for (run, profile), cases in suites.items():
        suite = ET.SubElement(root, "testsuite", name=f"{run}/{profile}", tests=str(len(cases)),
                              failures=str(sum(c.get("outcome") == "failed" for c in cases)),
                              errors=str(sum(c.get("outcome") == "error" for c in cases)),
                              skipped=str(sum(c.get("outcome") == "skipped" for c in cases)),
                              time=f"{sum(c.get('duration_s', 0) for c in cases):.3f}")
        props = ET.SubElement(suite, "properties")
        v = next(r["verdict"] for r in merged["runs"] if r["name"] == run)
        ET.SubElement(props, "property", name="verdict", value=v)
        for c in cases:
            tc = ET.SubElement(suite, "testcase", classname=f"{run}.{profile}.{c.get('section', '')}", name=c.get("id", "?"),
                               time=f"{c.get('duration_s', 0):.3f}")
            if c.get("outcome") == "failed":
                ET.SubElement(tc, "failure", message=(c.get("message") or "")[:500]).text = c.get("message", "")
            elif c.get("outcome") == "error":
                ET.SubElement(tc, "error", message=(c.get("reason") or "")[:500]).text = c.get("message", "")
            elif c.get("outcome") == "skipped":
                ET.SubElement(tc, "skipped", message=c.get("reason", ""))
    tmp = pathlib.Path(str(path) + ".tmp")
    ET.ElementTree(root).write(tmp, encoding="utf-8", xml_declaration=True)
    tmp.replace(path)


def render_html(merged: dict, title: str) -> str:
    return _template_env().get_template("merged.html.j2").render(m=merged, title=title)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="metercert report merge", description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", help="report directories of metercert runs (each with its record.json)")
    ap.add_argument("--out", required=True, help="directory for the merged record.json, junit.xml and report.html")
    ap.add_argument("--title", default="metercert: runs merged", help="the page's title")
    a = ap.parse_args(argv)
    out = pathlib.Path(a.out)
    try:
        dirs = [pathlib.Path(d) for d in a.runs]
        records = [load_run(d) for d in dirs]
        names = [d.resolve().name for d in dirs]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise MergeError(f"two runs have the same name ({', '.join(sorted(dup))}): give each run its own directory name")
        if out.exists() and not out.is_dir():
            raise MergeError(f"--out {out}: is not a directory")
        out.mkdir(parents=True, exist_ok=True)
        links = [os.path.relpath(d.resolve() / "report.html", out.resolve()) for d in dirs]
    except MergeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"error: --out {out}: {e.strerror or e}", file=sys.stderr)
        return 2
    merged = merge(records, names, links)
    _atomic_write(out / "record.json", json.dumps(merged, indent=1, ensure_ascii=False).encode())
    write_junit(merged, out / "junit.xml")
    _atomic_write(out / "report.html", render_html(merged, a.title).encode())
    counts = ", ".join(f"{n} {v}" for v, n in merged["counts"].items() if n)
    print(f"merged {len(records)} run(s): {counts}; verdict {merged['verdict']} → {out}/ (record.json, junit.xml, report.html)")
    return EXIT.get(merged["verdict"], 2)


if __name__ == "__main__":
    sys.exit(main())
