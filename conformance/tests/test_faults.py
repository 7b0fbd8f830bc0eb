"""A suite that cannot fail proves nothing: every fault-injected simulator must be caught by exactly
the cases conformance/cmi1020/faults.json names, and by no other; the run's exit code follows the
verdict — a failed must case is FAIL (1), a fault that only picks another reading of an ambiguous
point of the manual fails implementation-defined cases alone and the run still passes (0)."""
import concurrent.futures
import json
import os
import re
import subprocess

import pytest

from conftest import BIN, ROOT

FAULTS = json.loads((ROOT / "conformance" / "cmi1020" / "faults.json").read_text())["faults"]
GATEWAY_FAULTS = json.loads((ROOT / "conformance" / "cme3100-master" / "faults.json").read_text())["faults"]


def run_profile(report, url, profile="cmi1020"):
    p = subprocess.run([os.path.abspath(BIN), "run", "--profile", profile, "--dut", url, "--report", str(report)],
                       capture_output=True, text=True, timeout=600)
    rec = json.loads((report / "record.json").read_text())
    return p.returncode, rec, {c["id"] for c in rec["cases"] if c["outcome"] == "failed"}, p.stdout[-3000:] + p.stderr[-3000:]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The profile against the reference and against every fault, two runs at a time (a run on the
    in-process simulator is mostly Python; two share the CI machine's cores)."""
    tmp = tmp_path_factory.mktemp("faults")
    urls = {"none": "sim:cmi1020", **{f: f"sim:cmi1020?fault={f}" for f in FAULTS}}
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2))) as pool:
        futures = {f: pool.submit(run_profile, tmp / f, url) for f, url in urls.items()}
        return {f: fut.result() for f, fut in futures.items()}


def test_every_fault_of_the_simulator_is_listed():
    p = subprocess.run([os.path.abspath(BIN), "scan", "--dut", "sim:cmi1020?fault=nosuch"], capture_output=True, text=True)
    listed = p.stderr.split("(none, ")[1].rstrip(")\n").split(", ")
    assert sorted(listed) == sorted(FAULTS)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_is_caught_by_exactly_its_cases(runs, fault):
    rc, rec, failed, out = runs[fault]
    assert failed == set(FAULTS[fault]), f"{fault}: failed {sorted(failed)}\n{out}"
    must = any(c["level"] == "must" for c in rec["cases"] if c["id"] in failed)
    assert rc == (1 if must else 0), out
    assert rec["verdict"] == ("FAIL" if must else "PASS")
    assert all(c["outcome"] in ("passed", "failed") for c in rec["cases"])  # nothing skipped on the simulator


def test_reference_simulator_fails_nothing(runs):
    rc, rec, failed, out = runs["none"]
    assert rc == 0 and failed == set() and rec["verdict"] == "PASS", out


def test_every_must_case_added_for_issue_11_has_a_fault_that_catches_it(runs):
    """The must cases that split an ambiguous point (issue 11) and the re-levelled ones each fail under
    at least one fault that does not break the reference's behaviour elsewhere."""
    caught = set().union(*(set(v) for f, v in FAULTS.items() if f != "wrong_checksum"))
    must = {c["id"] for c in runs["none"][1]["cases"] if c["level"] == "must"}
    issue_11 = {"cmi1020/6.2/6", "cmi1020/6.6/1", "cmi1020/6.6/4", "cmi1020/6.6/16", "cmi1020/6.7.2/5", "cmi1020/6.7.2/7",
                "cmi1020/6.7.3/3", "cmi1020/6.7.3/4", "cmi1020/6.7.5/2", "cmi1020/6.7.6/3", "cmi1020/6.7.7/4", "cmi1020/6.7.9/3",
                "cmi1020/6.7.8/3", "cmi1020/6.7.11/4", "cmi1020/6.7.14/3", "cmi1020/6.7.15/1", "cmi1020/6.7.22/3"}
    assert issue_11 <= must
    assert issue_11 - caught == set()


def test_only_reading_faults_leave_the_run_passing(runs):
    """A fault whose cases are all implementation-defined is another reading of the manual: the
    run passes with it. Every other fault fails the run."""
    readings = {"medium_zero", "blank_text_record", "padded_id_zero_filled", "acks_refused_commands", "medium_mask_literal",
                "signon_mask_msb_first", "only_300_2400", "fd1a_unknown_11"}
    assert {f for f in FAULTS if runs[f][0] == 0} == readings
    assert {f for f in FAULTS if runs[f][0] == 1} == set(FAULTS) - readings


@pytest.mark.parametrize("fault", sorted(GATEWAY_FAULTS))
def test_gateway_fault_is_caught_by_exactly_its_cases(tmp_path, fault):
    """The reference CMe3100 with a fault (`simulate cme3100 --fault NAME`) fails exactly the cases
    conformance/cme3100-master/faults.json names."""
    rc, rec, failed, out = run_profile(tmp_path / fault, f"sim:cme3100?fault={fault}", "cme3100-master")
    assert failed == set(GATEWAY_FAULTS[fault]), f"{fault}: failed {sorted(failed)}\n{out}"
    must = any(c["level"] == "must" for c in rec["cases"] if c["id"] in failed)
    assert rc == (1 if must else 0) and all(c["outcome"] in ("passed", "failed") for c in rec["cases"]), out


def test_every_gateway_fault_is_listed():
    p = subprocess.run([os.path.abspath(BIN), "simulate", "cme3100", "--help"], capture_output=True, text=True)
    listed = set(re.findall(r"^\s*(\w+) \(CMe3100 ", p.stdout, re.M))
    assert listed == set(GATEWAY_FAULTS), p.stdout
