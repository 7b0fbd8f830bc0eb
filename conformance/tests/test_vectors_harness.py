"""`metercert vectors`: the third-party parser harness. The reference passes every golden vector;
decoders that are wrong, crash or hang are reported as such, per vector, in the table, the JUnit
and the JSON. Expected counts come from the vector files themselves."""
import json
import os
import pathlib
import subprocess
import sys
import xml.etree.ElementTree as ET

from conftest import BIN, ROOT

VECTORS = ROOT / "vectors" / "mbus"


def vectors(tmp_path, *args):
    return subprocess.run([os.path.abspath(BIN), "vectors", "--json", str(tmp_path / "v.json"), "--junit",
                           str(tmp_path / "v.xml"), *args], capture_output=True, text=True, timeout=600)


def counts_in_files():
    valid = invalid = 0
    for f in VECTORS.glob("*.json"):
        for g in json.loads(f.read_text())["testGroups"]:
            for t in g["tests"]:
                valid += t["result"] == "valid"
                invalid += t["result"] == "invalid"
    return valid, invalid


def script(tmp_path, body: str) -> str:
    p = tmp_path / "decoder.py"
    p.write_text("import os, signal, sys, time\nframe = sys.stdin.readline().strip()\n" + body)
    return f"{sys.executable} {p}"


def test_reference_passes_every_vector(tmp_path):
    p = vectors(tmp_path)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr
    valid, invalid = counts_in_files()
    rec = json.loads((tmp_path / "v.json").read_text())
    assert rec["counts"] == {"pass": valid + invalid, "fail": 0, "crash": 0, "timeout": 0}
    assert f"{valid + invalid} vectors ({valid} valid, {invalid} invalid)" in p.stdout
    junit = ET.parse(tmp_path / "v.xml").getroot()
    assert sum(int(s.get("tests")) for s in junit.iter("testsuite")) == valid + invalid
    assert not list(junit.iter("failure")) and not list(junit.iter("error"))


def test_example_decoder_passes_ack_and_rejections_fails_the_rest(tmp_path):
    p = vectors(tmp_path, "--decoder", f"{sys.executable} {ROOT / 'vectors' / 'tools' / 'example_decoder.py'}")
    assert p.returncode == 1
    res = {v["id"]: v for v in json.loads((tmp_path / "v.json").read_text())["vectors"]}
    assert res["link#1"]["outcome"] == "pass"  # E5
    # link#2 is SND_NKE 10 40 01 41 16: the example prints no c_name/prm/address_kind
    assert res["link#2"]["outcome"] == "fail" and "$.c_name: missing (expected \"SND_NKE\")" in res["link#2"]["diff"]
    assert all(v["outcome"] == "pass" for v in res.values() if v["result"] == "invalid")  # it rejects them all
    assert "link#2" in p.stdout and "FAIL" in p.stdout


def test_crash_and_timeout_are_named(tmp_path):
    dec = script(tmp_path, "if frame.startswith('10'): os.kill(os.getpid(), signal.SIGSEGV)\n"
                           "if frame == 'E5': time.sleep(30)\nsys.exit(1)\n")
    p = vectors(tmp_path, "--decoder", dec, "--timeout", "1", "-k", "link#")
    assert p.returncode == 1
    res = {v["id"]: v for v in json.loads((tmp_path / "v.json").read_text())["vectors"]}
    assert res["link#1"]["outcome"] == "timeout"
    assert res["link#2"]["outcome"] == "crash" and "SIGSEGV" in res["link#2"]["detail"]
    junit = ET.parse(tmp_path / "v.xml").getroot()
    assert {e.get("type") for e in junit.iter("error")} == {"crash", "timeout"}


def test_accepting_an_invalid_frame_fails_it(tmp_path):
    dec = script(tmp_path, "print('{}')\n")  # accepts everything with an empty object
    p = vectors(tmp_path, "--decoder", dec, "-k", "invalid#")
    res = json.loads((tmp_path / "v.json").read_text())
    assert p.returncode == 1 and res["counts"]["fail"] == len(res["vectors"]) > 0
    assert "accepted an invalid frame" in res["vectors"][0]["detail"]


def test_usage_errors_exit_2(tmp_path):
    assert vectors(tmp_path, "--decoder", "/nonexistent/decoder").returncode == 2
    assert vectors(tmp_path, "-k", "no vector has this").returncode == 2
