"""LAVA (issue 16, "Many rigs"): the shipped test definition and job template are what LAVA itself
accepts (lava-common's schemas, Debian `lava-common`), and the definition's run step gives LAVA one
test case per case of the run's JUnit with its outcome, and the verdict. A fake `lava-test-case`
on PATH records what LAVA would be told; the expectations are read from the JUnit file with
ElementTree and from the run's exit status, not from the converter."""
import os
import pathlib
import stat
import subprocess
import xml.etree.ElementTree as ET

import pytest
import yaml

from conftest import BIN, ROOT

LAVA = ROOT / "rigs" / "lava"
KEY = "5E2D7B13A0C94F6188E0B3D72A6C19F4"  # the cmi1020w profile's test key (conformance/cmi1020w/conftest.py)

schemas = pytest.importorskip("lava_common.schemas", reason="Debian lava-common (ci/setup installs it)")


def test_the_job_template_is_a_valid_lava_job():
    job = yaml.safe_load((LAVA / "job-template.yaml").read_text())
    schemas.validate(job)  # raises voluptuous.Invalid with the path of what LAVA would refuse
    (definition,) = job["actions"][0]["test"]["definitions"]
    testdef = yaml.safe_load((ROOT / definition["path"]).read_text())
    assert definition["name"] == testdef["metadata"]["name"]
    assert set(definition["parameters"]) <= set(testdef["params"])


def test_the_test_definition_is_a_valid_lava_test_definition():
    from lava_common.schemas.test import testdef as schema
    testdef = yaml.safe_load((LAVA / "metercert.yaml").read_text())
    schema.validate(testdef)
    assert testdef["metadata"]["format"] == "Lava-Test Test Definition 1.0"
    (step,) = testdef["run"]["steps"]
    assert step.split()[0] == "./rigs/lava/run-metercert.sh" and (ROOT / step.split()[0]).stat().st_mode & stat.S_IXUSR


def test_a_broken_job_is_refused_by_the_schema():
    job = yaml.safe_load((LAVA / "job-template.yaml").read_text())
    del job["timeouts"]["job"]
    with pytest.raises(Exception):
        schemas.validate(job)


def fake_lava(tmp_path) -> tuple[dict, pathlib.Path]:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "lava.log"
    tool = bindir / "lava-test-case"
    tool.write_text(f"#!/bin/sh\necho \"$@\" >> {log}\n")
    tool.chmod(0o755)
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}")
    return env, log


def run_step(tmp_path, profile: str, dut: str):
    env, log = fake_lava(tmp_path)
    report = tmp_path / "report"
    p = subprocess.run([str(LAVA / "run-metercert.sh"), os.path.abspath(BIN), profile, "", dut, str(report)],
                       capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
    calls = [line.split() for line in log.read_text().splitlines()] if log.exists() else []
    return p, calls, report / "junit.xml"


def junit_outcomes(path) -> dict:
    out = {}
    for tc in ET.parse(path).getroot().iter("testcase"):
        kind = "fail" if tc.find("failure") is not None or tc.find("error") is not None else \
            "skip" if tc.find("skipped") is not None else "pass"
        out[tc.get("name").replace("/", "_")] = kind
    return out


def test_the_run_step_gives_lava_every_case_and_the_verdict(tmp_path):
    p, calls, junit = run_step(tmp_path, "cmi1020w", "")
    assert p.returncode == 0, p.stderr[-2000:]
    told = {c[0]: c[2] for c in calls if c[1] == "--result"}
    expected = junit_outcomes(junit)
    assert len(expected) >= 20 and set(expected.values()) == {"pass"}
    assert told == {**expected, "verdict": "pass"}
    assert [c[0] for c in calls][-1] == "verdict"


def test_a_failing_device_fails_its_cases_and_the_verdict_in_lava(tmp_path):
    p, calls, junit = run_step(tmp_path, "cmi1020w", f"sim:cmi1020w?key={KEY}&fault=bad_crc")
    assert p.returncode == 1
    told = {c[0]: c[2] for c in calls}
    expected = junit_outcomes(junit)
    assert "fail" in expected.values() and told == {**expected, "verdict": "fail"}
    assert KEY not in p.stdout + p.stderr


def test_the_converter_names_a_missing_junit_file(tmp_path):
    p = subprocess.run(["/usr/bin/python3", str(LAVA / "junit_to_lava.py"), "--print", str(tmp_path / "nope.xml")],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and p.stderr.startswith(f"error: {tmp_path / 'nope.xml'}: ")
