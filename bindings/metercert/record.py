"""The record of a conformance run (``record.json``, schema ``metercert_record_v2``): outcomes,
the verdict, the summary, provenance and the JUnit view of the same data.

Outcomes of a case: ``passed``; ``failed`` — the DUT did something else than the requirement
says (a :class:`metercert.conformance.Mismatch` or ``AssertionError``, or the DUT's own errors:
:class:`metercert.MasterError` such as a timeout, :class:`metercert.PortError` such as a closed
connection, :class:`metercert.DecodeError` for a frame that is no valid M-Bus); ``skipped`` — the
DUT cannot give what the case needs (the reason says what); ``error`` — the suite itself broke
(any other exception): never blamed on the DUT.

Verdict (metercert DESIGN "Interfaces", exit code of ``metercert run`` in brackets):

- ``FAIL`` (1): a ``must`` case failed, whatever else was skipped or broke;
- ``ERROR`` (2): no must case failed, but a case of any level ended in an error of the suite;
- ``INCOMPLETE`` (3): no failure and no error, but a ``must`` case could not run on this DUT;
- ``PASS`` (0): every ``must`` case ran and passed (``should`` / ``implementation-defined``
  failures are reported, never fail the run);
- ``INTERRUPTED`` (130 after SIGINT, 143 after SIGTERM): the run was stopped; ``complete`` false.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import pathlib
import platform
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import OrderedDict

SCHEMA = "metercert_record_v2"
OUTCOMES = ("passed", "failed", "skipped", "error")
EXIT_CODES = {"PASS": 0, "FAIL": 1, "ERROR": 2, "INCOMPLETE": 3}


def summarize(cases: list[dict]) -> dict:
    """Counts by outcome, the same for ``must`` cases, and the must cases not verified (skipped
    or in error) grouped by reason, in the order they were first met."""
    out = {k: sum(c["outcome"] == k for c in cases) for k in OUTCOMES}
    out["total"] = len(cases)
    must = [c for c in cases if c["level"] == "must"]
    out["must"] = {k: sum(c["outcome"] == k for c in must) for k in OUTCOMES}
    out["must"]["total"] = len(must)
    groups: OrderedDict[str, list[str]] = OrderedDict()
    for c in must:
        if c["outcome"] in ("skipped", "error"):
            reason = c.get("reason") or "no reason given"
            if c["outcome"] == "error":
                reason = f"error of the suite: {reason}"
            groups.setdefault(reason, []).append(c["id"])
    out["not_verified"] = [{"reason": r, "cases": ids} for r, ids in groups.items()]
    return out


def verdict(record: dict) -> str:
    """The verdict of a record (see the module docstring)."""
    cases = record["cases"]
    if any(c["level"] == "must" and c["outcome"] == "failed" for c in cases):
        return "FAIL"
    if not record.get("complete"):
        return "INTERRUPTED"
    if any(c["outcome"] == "error" for c in cases):
        return "ERROR"
    if any(c["level"] == "must" and c["outcome"] != "passed" for c in cases):
        return "INCOMPLETE"
    return "PASS"


def finalize(record: dict) -> dict:
    """Sets ``summary`` and ``verdict`` from the cases (in place); returns the record."""
    record["summary"] = summarize(record["cases"])
    record["verdict"] = verdict(record)
    return record


def _git(root: pathlib.Path, *args: str) -> str:
    try:
        p = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    return p.stdout.strip() if p.returncode == 0 else ""


def vectors_sha256(root: pathlib.Path) -> str:
    """sha256 over every file of ``vectors/`` (relative path, NUL, content, NUL; sorted by path):
    two runs with the same value used the same golden data and readouts."""
    h = hashlib.sha256()
    base = root / "vectors"
    for p in sorted(q for q in base.rglob("*") if q.is_file() and "__pycache__" not in q.parts):
        h.update(str(p.relative_to(base)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def provenance(root: pathlib.Path, argv: list[str], version: str) -> dict:
    """Where the verdict came from: tool version and source commit, the vectors' hash, the command
    line, the host and the Python/pytest versions."""
    import pytest

    commit = _git(root, "rev-parse", "HEAD")
    return {"metercert_version": version, "git_commit": commit or None,
            "git_dirty": bool(_git(root, "status", "--porcelain", "--untracked-files=no")) if commit else None,
            "vectors_sha256": vectors_sha256(root), "command_line": argv, "host": socket.gethostname(),
            "platform": platform.platform(), "python": sys.version.split()[0], "pytest": pytest.__version__}


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def write_junit(record: dict, path: pathlib.Path) -> None:
    """JUnit XML for CI: a testsuite per profile, a testcase per case (name = case id) with its
    level and requirement as properties; failed → <failure>, error → <error>, skipped → <skipped>.
    The suites carry the verdict as a property, so a CI job can tell INCOMPLETE from PASS."""
    root = ET.Element("testsuites", name="metercert run", tests=str(len(record["cases"])))
    by_profile: OrderedDict[str, list[dict]] = OrderedDict()
    for c in record["cases"]:
        by_profile.setdefault(c["profile"], []).append(c)
    for profile, cases in by_profile.items():
        suite = ET.SubElement(root, "testsuite", name=profile, tests=str(len(cases)),
                              failures=str(sum(c["outcome"] == "failed" for c in cases)),
                              errors=str(sum(c["outcome"] == "error" for c in cases)),
                              skipped=str(sum(c["outcome"] == "skipped" for c in cases)),
                              time=f"{sum(c.get('duration_s', 0) for c in cases):.3f}")
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="verdict", value=record.get("verdict", ""))
        for c in cases:
            tc = ET.SubElement(suite, "testcase", classname=f"{profile}.{c['section']}", name=c["id"],
                               time=f"{c.get('duration_s', 0):.3f}")
            p = ET.SubElement(tc, "properties")
            ET.SubElement(p, "property", name="level", value=c["level"])
            ET.SubElement(p, "property", name="requirement", value=c["requirement"])
            if c["outcome"] == "failed":
                ET.SubElement(tc, "failure", message=(c.get("message") or "")[:500]).text = c.get("message", "")
            elif c["outcome"] == "error":
                ET.SubElement(tc, "error", message=(c.get("reason") or "")[:500]).text = c.get("message", "")
            elif c["outcome"] == "skipped":
                ET.SubElement(tc, "skipped", message=c.get("reason", ""))
    tmp = pathlib.Path(str(path) + ".tmp")
    ET.ElementTree(root).write(tmp, encoding="utf-8", xml_declaration=True)
    tmp.replace(path)
