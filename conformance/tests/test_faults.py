"""A suite that cannot fail proves nothing. Every simulated device keeps one list of faults (name,
the clause it deviates from, summary), which `metercert faults --json` prints; each profile's
faults.json, keyed by device, names the cases of that profile that catch each fault. Here:

- the CLI's lists and the faults.json files agree: every fault of every device has its cases, and
  no file names an unknown device or fault;
- every fault of a simulated DUT (sim:cmi1020?fault=NAME, sim:cme3100?fault=NAME, sim:cme3000?fault=NAME,
  sim:cmi1020w?key=…&fault=NAME) is caught by
  exactly its cases and by no other, and the run's exit code follows the verdict — a failed must
  case is FAIL (1), a fault that only picks another reading of an ambiguous point of the manual
  fails implementation-defined cases alone and the run still passes (0);
- the meter model's faults (e350), which the cases inject themselves, name cases that exist and
  pass on the reference."""
import concurrent.futures
import json
import os
import re
import subprocess

import pytest

from conftest import BIN, ROOT

# each profile's faults.json: {"comment", "profile", DEVICE: {FAULT: [case ids]}}
FAULT_FILES = {json.loads(p.read_text())["profile"]: (p, json.loads(p.read_text()))
               for p in sorted((ROOT / "conformance").glob("*/faults.json"))}
META = {"comment", "profile"}
# The devices the suite simulates (README, DESIGN "Interfaces"), and how a fault of each is switched
# on for a whole run: a DUT URL; e350 (the meter behind a CMi1020) is set by the cases themselves.
# The CMi1020W's run uses the profile's test key (its default DUT): three of its faults change the
# encryption, and the reference must be the same encrypted module.
CMI1020W_KEY = "5E2D7B13A0C94F6188E0B3D72A6C19F4"
# cmi6110: the profile's default DUT (conformance/cmi6110/conftest.py: three days, a one-day outage, the
# reference LwM2M client against the suite's servers, through its Bootstrap-Server: network=1&bootstrap=1)
CMI6110 = ("sim:cmi6110?days=3&utc_offset=60&transmit_interval=360&max_age=1440&meter_errors=F5"
           "&network_down=2019-11-29T00:00Z..2019-11-30T00:00Z"
           "&network=1&endpoint=urn:imei:350000000000001&psk_id=cmi6110-dm&psk=3f9a1c5e7b2d4f6081a3c5e7f9b1d3e5"
           "&lifetime_s=8&bootstrap=1")
DUT_URL = {"cmi1020": "sim:cmi1020?fault={}", "cme3100": "sim:cme3100?fault={}", "cme3000": "sim:cme3000?time_scale=5&fault={}",
           "cmi1020w": "sim:cmi1020w?key=" + CMI1020W_KEY + "&fault={}", "cmi6110": CMI6110 + "&fault={}"}
# the reference run of a device (default: sim:DEVICE)
REFERENCE_URL = {"cme3000": "sim:cme3000?time_scale=5", "cmi1020w": "sim:cmi1020w?key=" + CMI1020W_KEY, "cmi6110": CMI6110}
INJECTED_BY_CASES = {"e350"}
# devices whose faults no profile catches yet, with the slice that adds that profile
NO_PROFILE_YET: dict[str, str] = {}
DEVICES = {"cmi1020", "e350", "cme3100", "cme3000", "cmi1020w", "cmi6110"}


def devices_of(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k not in META}


# (profile, device, fault) → the cases that must fail, for every fault a DUT URL switches on
CAUGHT = {(profile, device, fault): set(cases) for profile, (_, doc) in FAULT_FILES.items()
          for device, faults in devices_of(doc).items() if device in DUT_URL for fault, cases in faults.items()}
# (profile, device, "none") → the reference run of that profile on that simulated device
REFERENCE = {(profile, device, "none") for profile, device, _ in CAUGHT}


# cases that run only with `metercert run --long` (real-time waits of several seconds): the reference run of
# their profile and the runs of the faults they catch take them, the other runs skip them
LONG_CASES = {"cmi6110/7.5/4"}


def run_profile(report, url, profile, long_cases=False):
    p = subprocess.run([os.path.abspath(BIN), "run", "--profile", profile, "--dut", url, "--report", str(report)]
                       + (["--long"] if long_cases else []), capture_output=True, text=True, timeout=600)
    rec = json.loads((report / "record.json").read_text())
    return p.returncode, rec, {c["id"] for c in rec["cases"] if c["outcome"] == "failed"}, p.stdout[-3000:] + p.stderr[-3000:]


def cli_faults() -> dict:
    p = subprocess.run([os.path.abspath(BIN), "faults", "--json"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    return json.loads(p.stdout)


PROFILES_WITH_E350 = {profile for profile, (_, doc) in FAULT_FILES.items() if INJECTED_BY_CASES & set(devices_of(doc))}


def needed(item) -> set:
    """The runs one collected test reads (a `-k` selection runs only those)."""
    key = getattr(item, "callspec", None) and item.callspec.params.get("key")
    if key:
        return {key}
    cmi1020 = {k for k in CAUGHT.keys() | REFERENCE if k[1] == "cmi1020"}
    return {"test_meter_faults_name_cases_that_pass_on_the_reference": {k for k in REFERENCE if k[0] in PROFILES_WITH_E350},
            "test_every_must_case_added_for_issue_11_has_a_fault_that_catches_it": cmi1020,
            "test_only_reading_faults_leave_the_run_passing": cmi1020}.get(item.originalname, set())


@pytest.fixture(scope="module")
def runs(request, tmp_path_factory):
    """Each profile with DUT faults against its reference and against every one of those faults
    that the selected tests read, a few runs at a time (a run on the in-process simulator is mostly
    Python; they share the CI machine's cores)."""
    tmp = tmp_path_factory.mktemp("faults")
    want = set().union(*(needed(i) for i in request.session.items if i.module is request.module))
    jobs = {k: (REFERENCE_URL.get(k[1], f"sim:{k[1]}"), k[0]) for k in REFERENCE & want}
    jobs.update({k: (DUT_URL[k[1]].format(k[2]), k[0]) for k in CAUGHT.keys() & want})
    # the longest profiles first, so that the pool does not end on one long run
    order = sorted(jobs, key=lambda k: ["cmi6110", "cme3000"].index(k[0]) if k[0] in ("cmi6110", "cme3000") else 2)
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2))) as pool:
        futures = {k: pool.submit(run_profile, tmp / "-".join(k), *jobs[k],
                                  k in REFERENCE or bool(CAUGHT.get(k, set()) & LONG_CASES)) for k in order}
        return {k: fut.result() for k, fut in futures.items()}


# ------------------------------------------------------------------ the lists and faults.json agree

def test_the_cli_lists_every_device_with_named_and_cited_faults():
    lists = cli_faults()
    assert list(lists) == ["cmi1020", "e350", "cme3100", "cme3000", "cmi1020w", "cmi6110"]
    for device, specs in lists.items():
        names = [f["name"] for f in specs]
        assert len(names) == len(set(names)), f"{device}: a fault listed twice"
        for f in specs:
            assert set(f) == {"name", "clause", "summary"}, f
            assert re.fullmatch(r"[a-z][a-z0-9_]*", f["name"]) and f["name"] != "none", f
            # the clause it deviates from: a section, table or message of a manual or standard
            assert re.match(r"(CMi1020|CMi6110|CMe3000|CMe3100) (§\d|Table \d)|CMi1020W manual \"[a-z ]+\"|EN 13757-[2347] |"
                            r"OMS Vol\. 2 §\d|IEC 62056-21 |LwM2M TS 1\.[01] §\d|RFC \d+ §\d|MQTT-SN 1\.2 §\d", f["clause"]), f
            assert f["summary"] and "\n" not in f["summary"], f


def test_faults_json_and_the_cli_agree():
    lists = cli_faults()
    named: dict[str, set] = {}
    for profile, (path, doc) in FAULT_FILES.items():
        assert doc.get("comment"), path
        for device, faults in devices_of(doc).items():
            assert device in lists, f"{path}: unknown device {device} (metercert faults: {', '.join(lists)})"
            known = {f["name"] for f in lists[device]}
            for fault, cases in faults.items():
                assert fault in known, f"{path}: {device} has no fault {fault} (metercert faults {device})"
                assert fault not in named.get(device, set()), f"{path}: {device}/{fault} is also in another faults.json"
                assert cases and len(cases) == len(set(cases)), f"{path}: {device}/{fault}: no cases, or one twice"
                assert all(c.startswith(profile + "/") for c in cases), f"{path}: {device}/{fault}: a case of another profile"
                named.setdefault(device, set()).add(fault)
            named.setdefault(device, set())
    for device, specs in lists.items():
        if device in NO_PROFILE_YET:
            assert device not in named, f"{device} has a faults.json now: drop it from NO_PROFILE_YET"
            continue
        assert device in named, f"no faults.json has the key {device}"
        missing = {f["name"] for f in specs} - named[device]
        assert not missing, f"faults of {device} no faults.json names the cases of: {sorted(missing)}"
        if specs:
            assert device in DUT_URL or device in INJECTED_BY_CASES, f"no way to run the faults of {device}"


def test_the_simulated_devices_are_known():
    assert set(cli_faults()) == DEVICES


# ------------------------------------------------------------------------- every fault is caught

@pytest.mark.parametrize("key", sorted(CAUGHT), ids=lambda k: f"{k[1]}-{k[2]}")
def test_fault_is_caught_by_exactly_its_cases(runs, key):
    rc, rec, failed, out = runs[key]
    assert failed == CAUGHT[key], f"{key}: failed {sorted(failed)}\n{out}"
    must = any(c["level"] == "must" for c in rec["cases"] if c["id"] in failed)
    assert rc == (1 if must else 0), out
    assert rec["verdict"] == ("FAIL" if must else "PASS")
    # nothing skipped on the simulator but the long cases in runs without --long
    assert all(c["outcome"] in ("passed", "failed") or (c["id"] in LONG_CASES and c["id"] not in CAUGHT[key]) for c in rec["cases"])


@pytest.mark.parametrize("key", sorted(REFERENCE), ids=lambda k: k[1])
def test_reference_simulator_fails_nothing(runs, key):
    rc, rec, failed, out = runs[key]
    assert rc == 0 and failed == set() and rec["verdict"] == "PASS", out


def test_meter_faults_name_cases_that_pass_on_the_reference(runs):
    """The e350 faults are set by the cases (meter.fault): each names cases of the profile's
    reference run, which pass there (a DUT that does not report the meter's failure fails them)."""
    for profile, (path, doc) in FAULT_FILES.items():
        for device in INJECTED_BY_CASES & set(devices_of(doc)):
            reference = [k for k in REFERENCE if k[0] == profile]
            assert reference, f"{path}: {device} faults in a profile without a reference run"
            outcomes = {c["id"]: c["outcome"] for c in runs[reference[0]][1]["cases"]}
            for fault, cases in doc[device].items():
                for c in cases:
                    assert outcomes.get(c) == "passed", f"{path}: {device}/{fault}: case {c} is {outcomes.get(c, 'not in the run')}"


def test_every_must_case_added_for_issue_11_has_a_fault_that_catches_it(runs):
    """The must cases that split an ambiguous point (issue 11) and the re-levelled ones each fail under
    at least one fault that does not break the reference's behaviour elsewhere."""
    caught = set().union(*(v for k, v in CAUGHT.items() if k[1] == "cmi1020" and k[2] != "wrong_checksum"))
    must = {c["id"] for c in runs[("cmi1020", "cmi1020", "none")][1]["cases"] if c["level"] == "must"}
    issue_11 = {"cmi1020/6.2/6", "cmi1020/6.6/1", "cmi1020/6.6/4", "cmi1020/6.6/16", "cmi1020/6.7.2/5", "cmi1020/6.7.2/7",
                "cmi1020/6.7.3/3", "cmi1020/6.7.3/4", "cmi1020/6.7.5/2", "cmi1020/6.7.6/3", "cmi1020/6.7.7/4", "cmi1020/6.7.9/3",
                "cmi1020/6.7.8/3", "cmi1020/6.7.11/4", "cmi1020/6.7.14/3", "cmi1020/6.7.15/1", "cmi1020/6.7.22/3"}
    assert issue_11 <= must
    assert issue_11 - caught == set()


def test_only_reading_faults_leave_the_run_passing(runs):
    """A fault whose cases are all implementation-defined is another reading of the manual: the
    run passes with it. Every other fault fails the run."""
    readings = {"medium_zero", "blank_text_record", "padded_id_zero_filled", "acks_refused_commands", "medium_mask_literal",
                "signon_mask_msb_first", "only_300_2400", "fd1a_unknown_11", "button_keeps_eeprom"}
    cmi1020 = {k for k in CAUGHT if k[1] == "cmi1020"}
    assert {k[2] for k in cmi1020 if runs[k][0] == 0} == readings
    assert {k[2] for k in cmi1020 if runs[k][0] == 1} == {k[2] for k in cmi1020} - readings
