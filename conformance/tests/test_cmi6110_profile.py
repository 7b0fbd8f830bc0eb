"""Issue 14, the cmi6110 profile as a new user meets it: `metercert run --profile cmi6110` passes
on its built-in module (three simulated days with a one-day outage); a capture of the same days
written by `simulate cmi6110 --uplinks-out` passes through `--dut cmi6110+uplinks:FILE`, the cases a
capture cannot decide skipped with their reason; a capture of a faulty module fails the capture
cases faults.json names for that fault; a bad uplinks file or URL is a usage error naming the line
or the parameter. And the issue's bar: Python's cbor2 decodes every SenML payload the simulator
sends to the labels and values of CMi6110 manual §7.4.2.3."""
import json
import subprocess
from datetime import datetime, timezone

import cbor2
import pytest

from conftest import BIN, ROOT

DEFAULT = ["--days", "3", "--utc-offset", "60", "--transmit-interval", "360", "--max-age", "1440", "--meter-error", "F5",
           "--network-down", "2019-11-29T00:00Z..2019-11-30T00:00Z"]
FAULTS = json.loads((ROOT / "conformance" / "cmi6110" / "faults.json").read_text())["cmi6110"]
# the cases a capture decides (the rest need sim.cmi6110 or another encoding)
CAPTURE_CASES = {"cmi6110/7.3.1/1", "cmi6110/7.3.1/2", "cmi6110/7.3.2/1", "cmi6110/7.3.3/1", "cmi6110/7.3.4/1",
                 "cmi6110/7.3.4/2", "cmi6110/7.3.4/3", "cmi6110/7.3.4/4", "cmi6110/7.4.1/3", "cmi6110/7.4.2.3/1",
                 "cmi6110/7.4.2.3/2", "cmi6110/7.4.2.3/3", "cmi6110/7.4.2.3/4", "cmi6110/7.4.2.3/5", "cmi6110/7.4.2.3/6"}

# the cases that run only with `metercert run --long` (test_7_5_giveup.py: 7-10.5 s of real time; ERRATA E-155)
LONG = {"cmi6110/7.5/4"}


def simulate(path, *args):
    p = subprocess.run([BIN, "simulate", "cmi6110", *args, "--uplinks-out", str(path)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return path


def run(report, *args):
    p = subprocess.run([BIN, "run", "--profile", "cmi6110", "--report", str(report), *args], capture_output=True, text=True,
                       timeout=120)
    rec = json.loads((report / "record.json").read_text()) if (report / "record.json").exists() else None
    return p, rec


def outcomes(rec, outcome):
    return {c["id"] for c in rec["cases"] if c["outcome"] == outcome}


def test_the_default_run_passes_on_the_built_in_module(tmp_path):
    p, rec = run(tmp_path / "r")
    assert p.returncode == 0 and rec["verdict"] == "PASS", p.stderr[-3000:]
    # every case passes but the long ones (`metercert run --long`), skipped with that reason
    assert outcomes(rec, "passed") == {c["id"] for c in rec["cases"]} - LONG and len(rec["cases"]) >= 25
    assert all(c["outcome"] == "skipped" and "--long" in c["reason"] for c in rec["cases"] if c["id"] in LONG)
    # the transmit windows are measured and plotted
    m = [m for c in rec["cases"] if c["id"] == "cmi6110/7.3.3/1" for m in c["measurements"]]
    assert m and all(x["within"] and x["series"] == "transmit time after T1" and (x["low"], x["high"]) == (30, 270) for x in m)
    assert sum(c["duration_s"] for c in rec["cases"]) < 20  # with the network half (~11 s loaded) well inside the default run's 60


def test_a_capture_of_the_same_days_passes_the_cases_a_capture_decides(tmp_path):
    cap = simulate(tmp_path / "uplinks.jsonl", *DEFAULT)
    p, rec = run(tmp_path / "r", "--dut", f"cmi6110+uplinks:{cap}")
    assert outcomes(rec, "failed") == set() and outcomes(rec, "error") == set(), p.stderr[-3000:]
    assert outcomes(rec, "passed") == CAPTURE_CASES
    for c in rec["cases"]:
        if c["outcome"] == "skipped":
            # the §5.3.5-§5.3.6 cases need the rig's power / button, which only the built-in module takes itself
            rig = c["id"].startswith(("cmi6110/5.3.5/", "cmi6110/5.3.6/")) and c["reason"].startswith(("needs power: ", "needs button: "))
            # the network cases (§6.2-§6.3) need the suite's LwM2M servers and a module connecting to them
            net = c["reason"].startswith("needs coap.server: ")
            assert c["id"] not in CAPTURE_CASES and (rig or net or "needs sim.cmi6110" in c["reason"]
                                                     or "the uplinks are senml" in c["reason"]), c
    assert rec["dut"]["meter_id"] == "12345678" and rec["dut"]["encoder"] == "type 0, version 0"  # the identity hook
    assert p.returncode == 3 and rec["verdict"] == "INCOMPLETE"  # must cases left to the built-in module


@pytest.mark.parametrize("fault", sorted(f for f, cases in FAULTS.items() if set(cases) & CAPTURE_CASES))
def test_a_capture_of_a_faulty_module_fails_that_faults_capture_cases(tmp_path, fault):
    cap = simulate(tmp_path / "uplinks.jsonl", *DEFAULT, "--fault", fault)
    _, rec = run(tmp_path / "r", "--dut", f"cmi6110+uplinks:{cap}")
    assert outcomes(rec, "failed") == set(FAULTS[fault]) & CAPTURE_CASES


def test_a_bad_uplinks_file_names_its_line_and_key(tmp_path):
    f = tmp_path / "u.jsonl"
    f.write_text('{"config": {"order": "lifo"}}\n{"time": "2019-11-28T03:00:00Z", "encoding": "senml", "payload": "80"}\n'
                 '{"time": "2019-11-28T02:00Z", "encoding": "senml", "payload": "80"}\n')
    p, rec = run(tmp_path / "r", "--dut", f"cmi6110+uplinks:{f}")
    assert p.returncode == 2 and rec is None
    assert p.stderr.strip().splitlines()[-1] == (f"error: DUT URL 'cmi6110+uplinks:{f}': {f}: line 3, key \"time\": earlier "
                                                 "than the uplink before it (the file is in time order)")
    f.write_text('{"config": {"encoding": "json"}}\n{"time": "2019-11-28T03:00:00Z", "encoding": "senml", "payload": "80"}\n')
    p, _ = run(tmp_path / "r", "--dut", f"cmi6110+uplinks:{f}")
    assert p.returncode == 2 and "line 2, key \"encoding\": 'senml' while the configuration says 'json'" in p.stderr
    f.write_text("")
    p, _ = run(tmp_path / "r", "--dut", f"cmi6110+uplinks:{f}")
    assert p.returncode == 2 and "line 1, key \"config\": no configuration line (empty file)" in p.stderr
    p, _ = run(tmp_path / "r", "--dut", "sim:cmi6110?max_uploads=0")
    assert p.returncode == 2 and "max_uploads=0 is not a number in 1…8000" in p.stderr


def test_a_dut_of_another_kind_is_refused(tmp_path):
    p, rec = run(tmp_path / "r", "--dut", "sim:cmi1020")
    assert p.returncode == 2 and rec is None and "profile cmi6110 needs a CMi6110's uplinks" in p.stderr


# ------------------------------------------------------------------------- the cbor2 bar

# Table 6's rows (§7.4.2.1): DIF/DIFE/VIF and data bytes; the UH50's registers as the module reads them
# (ERRATA E-51: power and flow two bytes, the tariffs' VIF 06 kWh, missing time BCD in hours)
STANDARD_ROWS = [(b"\x04\x6d", 4), (b"\x0c\x78", 4), (b"\x04\x06", 4), (b"\x04\x13", 4), (b"\x02\x2b", 2),
                 (b"\x02\x3b", 2), (b"\x02\x5a", 2), (b"\x02\x5e", 2), (b"\x02\xfd\x17", 2)]
EXTENDED_ROWS = STANDARD_ROWS + [(b"\x84\x10\x06", 4), (b"\x84\x20\x06", 4), (b"\x84\x30\x06", 4), (b"\x3c\x22", 4)]


def type_f(b):
    """EN 13757-3 type F date/time."""
    year = 2000 + (((b[2] & 0xE0) >> 5) | ((b[3] & 0xF0) >> 1))
    return datetime(year, b[3] & 0x0F, b[2] & 0x1F, b[1] & 0x1F, b[0] & 0x3F, tzinfo=timezone.utc)


@pytest.mark.parametrize("args", [DEFAULT, ["--days", "2", "--meter-id", "87654321", "--readout-interval", "120"],
                                  ["--days", "1", "--format", "extended", "--utc-offset", "-300"]],
                         ids=["default-dut", "two-hourly", "extended"])
def test_cbor2_decodes_every_senml_payload_to_the_manuals_labels(tmp_path, args):
    lines = simulate(tmp_path / "u.jsonl", *args).read_text().splitlines()
    config = json.loads(lines[0])["config"]
    ups = [json.loads(line) for line in lines[1:]]
    assert ups
    rows = EXTENDED_ROWS if config["format"] == "extended" else STANDARD_ROWS
    for u in ups:
        pack = cbor2.loads(bytes.fromhex(u["payload"]))
        # §7.4.2.3: an array of maps; first {−2: bn, −3: bt, 8: vd}, then {0: "V", 2: 0x0000}, then {6: t, 8: vd}
        assert isinstance(pack, list) and len(pack) == u["readouts"] + 1
        first, version, rest = pack[0], pack[1], pack[2:]
        assert list(first) == [-2, -3, 8] and first[-2] == config["meter_id"] and isinstance(first[-3], int)
        assert version == {0: "V", 2: 0}
        assert all(list(r) == [6, 8] and isinstance(r[6], int) and r[6] > 0 for r in rest)
        sent = datetime.strptime(u["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
        for rec in [first] + rest:
            t = first[-3] + rec.get(6, 0)
            assert t <= sent
            vd, pos = rec[8], 0
            for head, size in rows:  # Table 6's rows in order, nothing after them
                assert vd[pos:pos + len(head)] == head, (vd.hex(), pos, head.hex())
                data = vd[pos + len(head):pos + len(head) + size]
                assert len(data) == size
                if head == b"\x04\x6d":  # the meter's time − the UTC offset is the record's time (§7.3.1)
                    meter = type_f(data)
                    assert meter.timestamp() - config["utc_offset"] * 60 == t
                    assert (meter.hour * 60 + meter.minute) % config["readout_interval"] == 0  # the grid (§7.3.2)
                if head == b"\x0c\x78":
                    assert data[::-1].hex() == config["meter_id"]  # 8 BCD digits, LSB first
                pos += len(head) + size
            assert pos == len(vd)
