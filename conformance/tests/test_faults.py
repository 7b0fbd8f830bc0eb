"""A suite that cannot fail proves nothing: every fault-injected simulator must be caught by exactly
the cases conformance/cmi1020/faults.json names, and by no other case."""
import json
import os
import subprocess

import pytest

from conftest import BIN, ROOT

FAULTS = json.loads((ROOT / "conformance" / "cmi1020" / "faults.json").read_text())["faults"]


def failed_cases(tmp_path, url):
    p = subprocess.run([os.path.abspath(BIN), "run", "--profile", "cmi1020", "--dut", url, "--report", str(tmp_path)],
                       capture_output=True, text=True, timeout=300)
    rec = json.loads((tmp_path / "record.json").read_text())
    return p.returncode, rec, {c["id"] for c in rec["cases"] if c["outcome"] == "failed"}


def test_every_fault_of_the_simulator_is_listed():
    p = subprocess.run([os.path.abspath(BIN), "scan", "--dut", "sim:cmi1020?fault=nosuch"], capture_output=True, text=True)
    listed = p.stderr.split("(none, ")[1].rstrip(")\n").split(", ")
    assert sorted(listed) == sorted(FAULTS)


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_is_caught_by_exactly_its_cases(tmp_path, fault):
    rc, rec, failed = failed_cases(tmp_path, f"sim:cmi1020?fault={fault}")
    assert failed == set(FAULTS[fault]), f"{fault}: failed {sorted(failed)}"
    must = any(c["level"] == "must" for c in rec["cases"] if c["id"] in failed)
    assert rc == (1 if must else 0)
    assert all(c["outcome"] in ("passed", "failed") for c in rec["cases"])  # nothing skipped on the simulator


def test_reference_simulator_fails_nothing(tmp_path):
    rc, _, failed = failed_cases(tmp_path, "sim:cmi1020")
    assert rc == 0 and failed == set()
