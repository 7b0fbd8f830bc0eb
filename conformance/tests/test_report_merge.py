"""Many rigs (issue 16): `metercert run` once per rig, in parallel processes, then `metercert report
merge` combines their reports into one record, JUnit and HTML page with a row per DUT. Three runs
of the cmi1020w profile stand for three rigs: a good module, a faulty one (bad CRC) and a capture
without the simulator (INCOMPLETE). Expectations come from each run's own record and JUnit."""
import json
import os
import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import BIN

KEY = "5E2D7B13A0C94F6188E0B3D72A6C19F4"  # the cmi1020w profile's test key


def metercert(*args, **kw):
    return subprocess.run([os.path.abspath(BIN), *args], capture_output=True, text=True, timeout=300, **kw)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("rigs")
    capture = base / "capture.hex"
    sim = metercert("simulate", "cmi1020w", "--key", KEY, "--telegrams", "6", "--hex-out", "-")
    capture.write_text(sim.stdout)
    duts = {"rig-a": f"sim:cmi1020w?key={KEY}", "rig-b": f"sim:cmi1020w?key={KEY}&fault=bad_crc",
            "rig-c": f"wmbus+hex:{capture}?key={KEY}"}
    procs = {name: subprocess.Popen([os.path.abspath(BIN), "run", "--profile", "cmi1020w", "--dut", url, "--report",
                                     str(base / name)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name, url in duts.items()}  # in parallel, one process per rig
    codes = {name: p.wait(timeout=300) for name, p in procs.items()}
    return base, codes


def test_merge_gives_one_record_junit_and_page_with_a_row_per_dut(runs, tmp_path):
    base, codes = runs
    assert codes == {"rig-a": 0, "rig-b": 1, "rig-c": 3}
    out = tmp_path / "merged"
    p = metercert("report", "merge", str(base / "rig-a"), str(base / "rig-b"), str(base / "rig-c"), "--out", str(out))
    assert p.returncode == 1, p.stderr  # the worst verdict: FAIL
    merged = json.loads((out / "record.json").read_text())
    assert merged["schema"] == "metercert_merged_v1" and merged["verdict"] == "FAIL"
    own = {n: json.loads((base / n / "record.json").read_text()) for n in ("rig-a", "rig-b", "rig-c")}
    assert [(r["name"], r["verdict"]) for r in merged["runs"]] == [(n, own[n]["verdict"]) for n in ("rig-a", "rig-b", "rig-c")]
    assert [r["verdict"] for r in merged["runs"]] == ["PASS", "FAIL", "INCOMPLETE"]
    assert all(r["dut"] == own[r["name"]]["dut"]["url"] and "key=<redacted>" in r["dut"] for r in merged["runs"])
    assert [r["identity"] for r in merged["runs"]] == [" ".join([own[n]["dut"]["manufacturer"], own[n]["dut"]["id"], "v1"])
                                                       for n in ("rig-a", "rig-b", "rig-c")]
    assert len(merged["cases"]) == sum(len(r["cases"]) for r in own.values())
    # JUnit: a suite per run and profile holding exactly that run's testcases
    suites = {s.get("name"): s for s in ET.parse(out / "junit.xml").getroot().iter("testsuite")}
    assert set(suites) == {"rig-a/cmi1020w", "rig-b/cmi1020w", "rig-c/cmi1020w"}
    for n in own:
        theirs = [tc.get("name") for tc in ET.parse(base / n / "junit.xml").getroot().iter("testcase")]
        assert [tc.get("name") for tc in suites[f"{n}/cmi1020w"].iter("testcase")] == theirs
        assert int(suites[f"{n}/cmi1020w"].get("failures")) == sum(c["outcome"] == "failed" for c in own[n]["cases"])
    # the page: a row per DUT linking to that run's own report, which exists
    html = (out / "report.html").read_text()
    for n in own:
        assert f'id="run-{n}"' in html
        link = os.path.relpath(base / n / "report.html", out)
        assert f'href="{link}"' in html and (out / link).resolve().exists()
    assert KEY not in html + (out / "record.json").read_text() + (out / "junit.xml").read_text()
    assert "merged 3 run(s): 1 FAIL, 1 INCOMPLETE, 1 PASS; verdict FAIL" in p.stdout


def test_a_directory_that_is_no_run_is_named_and_nothing_is_written(runs, tmp_path):
    base, _ = runs
    out = tmp_path / "merged"
    p = metercert("report", "merge", str(base / "rig-a"), str(tmp_path), "--out", str(out))
    assert p.returncode == 2 and p.stderr == f"error: {tmp_path}: no record.json (not a metercert run's report directory)\n"
    assert not out.exists()
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "record.json").write_text("{")
    p = metercert("report", "merge", str(tmp_path / "x"), "--out", str(out))
    assert p.returncode == 2 and p.stderr.startswith(f"error: {tmp_path / 'x' / 'record.json'}: not JSON (line 1")
    p = metercert("report", "merge", str(base / "rig-a"), str(base / "rig-a"), "--out", str(out))
    assert p.returncode == 2 and "two runs have the same name (rig-a)" in p.stderr and not out.exists()


def test_all_good_runs_merge_to_pass(runs, tmp_path):
    base, _ = runs
    p = metercert("report", "merge", str(base / "rig-a"), "--out", str(tmp_path / "m"))
    assert p.returncode == 0 and json.loads((tmp_path / "m" / "record.json").read_text())["verdict"] == "PASS"
