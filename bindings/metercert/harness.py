"""Third-party parser harness (``metercert vectors``), in the style of toml-test.

Every golden vector of ``vectors/mbus/*.json`` (schema ``mbus_vectors_v1``, vectors/README.md)
is fed to a decoder command: the frame as one line of hex on stdin. With ``--kind wmbus`` the
vectors are ``vectors/wmbus/*.json`` (``wmbus_vectors_v1``) and the line is ``HEX KEY``: the
telegram (with its CRCs as the vector has them: the decoder detects the frame format) and the
AES-128 key of the vector's group as 32 hex digits, ``-`` when it has none. The key never
appears in what the harness prints or writes: a decoder's output is scrubbed of it (``*``). With
``--kind cmi6110`` the vectors are ``vectors/cmi6110/*.json`` (``cmi6110_vectors_v1``: CMi6110
uplink payloads, manual §7.4.2) and the line is ``ENCODING PAYLOAD`` (``senml``/``mbus``: hex,
``json``: the JSON object on one line); the decoder prints one JSON object per readout, one per
line (as ``metercert decode --cmi6110 ENC --json``), and ``expected`` is that list. A decoder passes
a vector

- *valid*: it exits 0 and prints canonical JSON whose content includes every key of the vector's
  ``expected`` with an equal value (objects key by key, arrays element by element and of the
  same length; keys the vector does not name are not compared), and lists no ``violations``;
- *acceptable* (Wycheproof's third result: a recoverable deviation): it either rejects the frame
  (non-zero exit, any code but a crash) or accepts it and prints the expected JSON, the listed
  ``violations`` included. The table says which the decoder did;
- *invalid*: it exits non-zero (any code but a crash). The error it names is shown, not judged.

Outcomes per vector: ``pass``, ``fail`` (with a diff: the JSON path, expected, got), ``crash``
(killed by a signal), ``timeout`` (no exit within ``--timeout`` seconds; the process is
killed). Results go to the terminal as a table, and to ``--junit FILE`` and ``--json FILE``;
both paths are checked before any decoder runs. Exit status: 0 all pass, 1 any other outcome,
2 usage error (no vectors, decoder not found, an output path that cannot be written).

    python3 -m metercert.harness --decoder "python3 mydecoder.py" [--timeout 5] [-k link]
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import pathlib
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET


SCHEMAS = {"mbus": "mbus_vectors_v1", "wmbus": "wmbus_vectors_v1", "cmi6110": "cmi6110_vectors_v1"}


def load_vectors(directory: pathlib.Path, kind: str = "mbus") -> list[dict]:
    """Every vector of every ``*.json`` file of the kind's schema: file, tcId, comment, flags,
    frame, result, expected, error, for wmbus the group's ``key`` (hex or None), for cmi6110 the
    ``encoding`` (its ``payload`` is the vector's ``frame``)."""
    out = []
    for path in sorted(directory.glob("*.json")):
        doc = json.loads(path.read_text())
        if not str(doc.get("schema", "")).startswith(SCHEMAS[kind]):
            continue
        for group in doc["testGroups"]:
            for t in group["tests"]:
                out.append({"file": path.name, "id": f"{path.stem}#{t['tcId']}", "comment": t.get("comment", ""),
                            "flags": t.get("flags", []), "source": group.get("source", ""),
                            "frame": t["payload"] if kind == "cmi6110" else t["frame"], "encoding": t.get("encoding"),
                            "result": t["result"], "expected": t.get("expected"), "error": t.get("error"),
                            "key": group.get("key") if kind == "wmbus" else None, "kind": kind})
    return out


def input_line(vector: dict) -> str:
    """What the decoder reads on stdin for `vector`: ``HEX`` (mbus), ``HEX KEY`` (wmbus) or
    ``ENCODING PAYLOAD`` (cmi6110: the payload as the vector has it, hex or JSON text)."""
    if vector.get("kind") == "cmi6110":
        return f"{vector['encoding']} {vector['frame']}\n"
    frame = vector["frame"].upper()
    if vector.get("kind") == "wmbus":
        return f"{frame} {(vector.get('key') or '-').upper()}\n"
    return frame + "\n"


def scrub(text: str, key: str | None) -> str:
    """`text` without the key's hex digits (any case, with or without spaces between bytes)."""
    if not key or not text:
        return text
    pattern = r"\s?".join(re.escape(key[i:i + 2]) for i in range(0, len(key), 2))
    return re.sub(pattern, "*" * 32, text, flags=re.IGNORECASE)


def diff(expected, got, path: str = "$") -> list[str]:
    """Where ``got`` does not include ``expected`` (vectors/README.md's comparison rule)."""
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return [f"{path}: expected an object, got {json.dumps(got)[:80]}"]
        out = []
        for k, v in expected.items():
            if k not in got:
                out.append(f"{path}.{k}: missing (expected {json.dumps(v)[:80]})")
            else:
                out += diff(v, got[k], f"{path}.{k}")
        return out
    if isinstance(expected, list):
        if not isinstance(got, list):
            return [f"{path}: expected an array, got {json.dumps(got)[:80]}"]
        out = [] if len(got) == len(expected) else [f"{path}: expected {len(expected)} elements, got {len(got)}"]
        for i, (e, g) in enumerate(zip(expected, got)):
            out += diff(e, g, f"{path}[{i}]")
        return out
    if expected != got or type(expected) is not type(got):
        return [f"{path}: expected {json.dumps(expected)}, got {json.dumps(got)}"]
    return []


def run_one(argv: list[str], vector: dict, timeout: float) -> dict:
    """Feed one vector to the decoder; the vector's outcome with its evidence."""
    start = time.monotonic()
    try:
        p = subprocess.run(argv, input=input_line(vector), capture_output=True, text=True, timeout=timeout,
                           errors="replace")
    except subprocess.TimeoutExpired:
        return {"outcome": "timeout", "detail": f"no exit within {timeout:g} s", "seconds": timeout}
    if vector.get("key"):  # a decoder that echoes the key: nothing the harness keeps holds it
        p.stdout, p.stderr = scrub(p.stdout, vector["key"]), scrub(p.stderr, vector["key"])
    res = {"seconds": round(time.monotonic() - start, 4), "exit": p.returncode, "stderr": p.stderr[-500:]}
    if p.returncode < 0:
        try:
            name = signal.Signals(-p.returncode).name
        except ValueError:
            name = f"signal {-p.returncode}"
        return {**res, "outcome": "crash", "detail": f"killed by {name}"}
    said = p.stderr.strip().splitlines()[-1][:120] if p.stderr.strip() else ""
    if vector["result"] == "invalid":
        if p.returncode == 0:
            return {**res, "outcome": "fail", "detail": f"accepted an invalid {'payload' if vector.get('kind') == 'cmi6110' else 'frame'} (the vector expects "
                                                       f"{vector['error']['name']} at byte {vector['error']['offset']})",
                    "stdout": p.stdout[:500]}
        return {**res, "outcome": "pass", "detail": said}
    if vector["result"] == "acceptable" and p.returncode != 0:  # rejecting a recoverable deviation is allowed
        return {**res, "outcome": "pass", "accepted": False, "detail": f"rejected (allowed): {said}"}
    if p.returncode != 0:
        return {**res, "outcome": "fail", "detail": f"exit {p.returncode} on a valid frame: {p.stderr.strip()[:200]}"}
    try:
        if vector.get("kind") == "cmi6110":  # one object per readout, one per line
            got = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
        else:
            got = json.loads(p.stdout)
    except json.JSONDecodeError as e:
        what = "JSON lines" if vector.get("kind") == "cmi6110" else "one JSON document"
        return {**res, "outcome": "fail", "detail": f"stdout is not {what} ({e})", "stdout": p.stdout[:500]}
    problems = diff(vector["expected"], got)
    if vector["result"] == "valid" and isinstance(got, dict) and got.get("violations"):
        problems.append(f"$.violations: a valid frame has none, got {json.dumps(got['violations'])[:120]}")
    if problems:
        return {**res, "outcome": "fail", "detail": f"{len(problems)} difference(s)", "diff": problems}
    if vector["result"] == "acceptable":
        names = ", ".join(f"{v.get('name')}@{v.get('offset')}" for v in got.get("violations", []))
        return {**res, "outcome": "pass", "accepted": True, "detail": f"accepted with violations {names}"}
    return {**res, "outcome": "pass", "detail": ""}


def write_junit(path: str, vectors: list[dict], results: list[dict], decoder: str) -> None:
    suites = ET.Element("testsuites", name=f"metercert vectors: {decoder}")
    for file in sorted({v["file"] for v in vectors}):
        rows = [(v, r) for v, r in zip(vectors, results) if v["file"] == file]
        suite = ET.SubElement(suites, "testsuite", name=file, tests=str(len(rows)),
                              failures=str(sum(r["outcome"] == "fail" for _, r in rows)),
                              errors=str(sum(r["outcome"] in ("crash", "timeout") for _, r in rows)))
        for v, r in rows:
            tc = ET.SubElement(suite, "testcase", classname=file, name=f"{v['id']} {v['comment']}"[:200],
                               time=str(r.get("seconds", 0)))
            if r["outcome"] == "fail":
                ET.SubElement(tc, "failure", message=r["detail"]).text = "\n".join(r.get("diff", [])) or r.get("stdout", "")
            elif r["outcome"] in ("crash", "timeout"):
                ET.SubElement(tc, "error", type=r["outcome"], message=r["detail"]).text = r.get("stderr", "")
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def check_output_path(option: str, path: str) -> str | None:
    """Why `path` cannot take the output of `option`, or None. Checked before any decoder runs; a
    file this check creates is removed again."""
    p = pathlib.Path(path)
    if p.is_dir():
        return f"error: {option} {path}: is a directory"
    existed = p.exists()
    try:
        with open(p, "a", encoding="utf-8"):
            pass
    except OSError as e:
        return f"error: {option} {path}: {e.strerror or e}"
    if not existed:
        try:
            p.unlink()
        except OSError:
            pass
    return None


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends the table quietly
    ap = argparse.ArgumentParser(prog="metercert vectors", description=__doc__.split("\n\n")[0])
    ap.add_argument("--decoder", required=True, help='decoder command, e.g. "python3 mydecoder.py" (hex on stdin)')
    ap.add_argument("--vectors", required=True, help="directory of vector files (vectors/mbus, vectors/wmbus, vectors/cmi6110)")
    ap.add_argument("--kind", choices=sorted(SCHEMAS), default="mbus",
                    help="mbus: a line HEX per vector; wmbus: a line HEX KEY (KEY '-' when none); "
                         "cmi6110: a line ENCODING PAYLOAD, JSON lines out")
    ap.add_argument("--timeout", type=float, default=5.0, help="seconds per vector (default 5)")
    ap.add_argument("--junit", default="", help="write JUnit XML here")
    ap.add_argument("--json", default="", help="write the per-vector results as JSON here")
    ap.add_argument("-k", default="", help="only vectors whose id or comment contains this text")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="decoders run at once")
    ap.add_argument("--quiet", action="store_true", help="table rows only for vectors that do not pass")
    a = ap.parse_args(argv)
    try:
        cmd = shlex.split(a.decoder)
    except ValueError as e:
        print(f"error: --decoder: {e}", file=sys.stderr)
        return 2
    if not cmd or not shutil.which(cmd[0]):
        print(f"error: --decoder: {cmd[0] if cmd else '(empty)'}: command not found", file=sys.stderr)
        return 2
    for option, path in (("--junit", a.junit), ("--json", a.json)):
        if path and (problem := check_output_path(option, path)):
            print(problem, file=sys.stderr)
            return 2
    vectors = [v for v in load_vectors(pathlib.Path(a.vectors), a.kind) if a.k in v["id"] or a.k in v["comment"]]
    if not vectors:
        print(f"error: no vectors in {a.vectors}" + (f" matching -k {a.k!r}" if a.k else ""), file=sys.stderr)
        return 2
    with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as pool:
        results = list(pool.map(lambda v: run_one(cmd, v, a.timeout), vectors))
    counts = {k: sum(r["outcome"] == k for r in results) for k in ("pass", "fail", "crash", "timeout")}
    width = max(len(v["id"]) for v in vectors)
    print(f"{'vector':<{width}}  {'kind':<10}  {'outcome':<7}  detail")
    for v, r in zip(vectors, results):
        if a.quiet and r["outcome"] == "pass":
            continue
        print(f"{v['id']:<{width}}  {v['result']:<10}  {r['outcome'].upper():<7}  {r['detail'] or v['comment'][:70]}")
        for line in r.get("diff", [])[:10]:
            print(f"{'':<{width}}         {line}")
    acceptable = [r for v, r in zip(vectors, results) if v["result"] == "acceptable"]
    print(f"\n{len(vectors)} vectors ({sum(v['result'] == 'valid' for v in vectors)} valid, "
          f"{sum(v['result'] == 'invalid' for v in vectors)} invalid, {len(acceptable)} acceptable: "
          f"{sum(r.get('accepted') is True for r in acceptable)} accepted, {sum(r.get('accepted') is False for r in acceptable)} "
          f"rejected): {counts['pass']} pass, {counts['fail']} fail, "
          f"{counts['crash']} crash, {counts['timeout']} timeout — decoder: {a.decoder}")
    try:
        if a.junit:
            write_junit(a.junit, vectors, results, a.decoder)
        if a.json:
            pathlib.Path(a.json).write_text(json.dumps({"decoder": a.decoder, "counts": counts, "vectors": [
                {k: v[k] for k in ("id", "file", "comment", "flags", "result")} | r for v, r in zip(vectors, results)]}, indent=1))
    except OSError as e:  # e.g. the disk filled up after the check
        print(f"error: {e.filename or ''}: {e.strerror or e}", file=sys.stderr)
        return 2
    return 0 if counts["pass"] == len(vectors) else 1


if __name__ == "__main__":
    sys.exit(main())
