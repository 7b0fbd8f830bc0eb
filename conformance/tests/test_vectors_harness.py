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
    valid = invalid = acceptable = 0
    for f in VECTORS.glob("*.json"):
        for g in json.loads(f.read_text())["testGroups"]:
            for t in g["tests"]:
                valid += t["result"] == "valid"
                invalid += t["result"] == "invalid"
                acceptable += t["result"] == "acceptable"
    return valid, invalid, acceptable


def script(tmp_path, body: str) -> str:
    p = tmp_path / "decoder.py"
    p.write_text("import os, signal, sys, time\nframe = sys.stdin.readline().strip()\n" + body)
    return f"{sys.executable} {p}"


def test_reference_passes_every_vector(tmp_path):
    p = vectors(tmp_path)
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr
    valid, invalid, acceptable = counts_in_files()
    total = valid + invalid + acceptable
    rec = json.loads((tmp_path / "v.json").read_text())
    assert rec["counts"] == {"pass": total, "fail": 0, "crash": 0, "timeout": 0}
    # the reference accepts every recoverable deviation and lists it
    assert acceptable >= 10
    assert f"{total} vectors ({valid} valid, {invalid} invalid, {acceptable} acceptable: {acceptable} accepted, 0 rejected)" in p.stdout
    assert all(v["accepted"] is True for v in rec["vectors"] if v["result"] == "acceptable")
    junit = ET.parse(tmp_path / "v.xml").getroot()
    assert sum(int(s.get("tests")) for s in junit.iter("testsuite")) == total
    assert not list(junit.iter("failure")) and not list(junit.iter("error"))


def test_strict_reference_rejects_acceptable_vectors_and_passes(tmp_path):
    p = vectors(tmp_path, "--strict", "-k", "violations#")
    assert p.returncode == 0, p.stdout + p.stderr
    res = {v["id"]: v for v in json.loads((tmp_path / "v.json").read_text())["vectors"]}
    acc = [v for v in res.values() if v["result"] == "acceptable"]
    assert acc and all(v["accepted"] is False and v["detail"].startswith("rejected (allowed)") for v in acc)
    assert "bad_bcd at byte 9" in res["violations#1"]["detail"]  # the table shows what the decoder said


def test_acceptable_vectors_need_the_listed_violations(tmp_path):
    # A decoder that accepts every frame of violations.json without listing violations fails the
    # acceptable ones; listing one on a valid frame fails the valid one.
    dec = script(tmp_path, "import json\nprint(json.dumps({'violations': [{'name': 'bad_bcd', 'offset': 9}]}))\n")
    p = vectors(tmp_path, "--decoder", dec, "-k", "violations#")
    res = {v["id"]: v for v in json.loads((tmp_path / "v.json").read_text())["vectors"]}
    assert p.returncode == 1
    assert any("$.violations: a valid frame has none" in d for d in res["violations#5"]["diff"])
    dec = script(tmp_path, "print('{}')\n")
    vectors(tmp_path, "--decoder", dec, "-k", "violations#1")
    res = {v["id"]: v for v in json.loads((tmp_path / "v.json").read_text())["vectors"]}
    assert res["violations#1"]["outcome"] == "fail" and "$.violations: missing" in " ".join(res["violations#1"]["diff"])


def test_unwritable_output_paths_are_one_line_exit_2_before_any_decoder_runs(tmp_path):
    marker = tmp_path / "decoder-ran"
    dec = script(tmp_path, f"open({str(marker)!r}, 'w').write('ran')\nsys.exit(1)\n")
    cases = [("--junit", "/proc/x"), ("--json", str(tmp_path)), ("--json", "/nonexistent-dir/v.json"),
             ("--junit", str(tmp_path / "missing" / "j.xml"))]
    for option, path in cases:
        p = subprocess.run([os.path.abspath(BIN), "vectors", "--decoder", dec, option, path], capture_output=True, text=True,
                           timeout=120)
        assert p.returncode == 2, (option, path, p.stdout, p.stderr)
        assert p.stderr.count("\n") == 1 and p.stderr.startswith(f"error: {option} {path}: "), p.stderr
        assert "Traceback" not in p.stderr and p.stdout == ""
    assert not marker.exists()  # the check comes before the decoders run
    # the harness itself (python3 -m metercert.harness) checks the same way
    p = subprocess.run([sys.executable, "-m", "metercert.harness", "--decoder", dec, "--vectors", str(VECTORS), "--junit",
                        "/proc/x"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and p.stderr.strip() == "error: --junit /proc/x: No such file or directory", p.stderr
    assert not marker.exists()
    # writable paths pass the check (its probe file is removed) and get their report after the run
    assert not (tmp_path / "v.json").exists()
    p = vectors(tmp_path, "--decoder", dec, "-k", "link#1")
    assert p.returncode == 1 and (tmp_path / "v.json").exists() and (tmp_path / "v.xml").exists()


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


# ------------------------------------------------------------------ vectors --wmbus (issue 13)

WMBUS = ROOT / "vectors" / "wmbus"


def wmbus_vectors_in_files():
    """(id, frame, key or None, result) of every vectors/wmbus vector, read from the files."""
    out = []
    for f in sorted(WMBUS.glob("*.json")):
        for g in json.loads(f.read_text())["testGroups"]:
            for t in g["tests"]:
                out.append((f"{f.stem}#{t['tcId']}", t["frame"].upper(), g.get("key"), t["result"]))
    return out


def test_wmbus_reference_passes_every_wireless_vector(tmp_path):
    p = vectors(tmp_path, "--wmbus")
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr
    files = wmbus_vectors_in_files()
    rec = json.loads((tmp_path / "v.json").read_text())
    assert rec["counts"] == {"pass": len(files), "fail": 0, "crash": 0, "timeout": 0}
    assert {v["id"] for v in rec["vectors"]} == {i for i, *_ in files}
    valid = sum(r == "valid" for *_, r in files)
    assert f"{len(files)} vectors ({valid} valid, {len(files) - valid} invalid" in p.stdout
    assert "--line-keys" in rec["decoder"]


def test_wmbus_decoders_read_hex_then_the_groups_key_or_a_dash(tmp_path):
    # the decoder writes what it was given; each line must be the vector's frame and its group's key
    seen = tmp_path / "seen"
    seen.mkdir()
    dec = script(tmp_path, f"import hashlib\nopen({str(seen)!r} + '/' + hashlib.sha1(frame.encode()).hexdigest(), 'w').write(frame)\n"
                           "sys.exit(3)\n")
    vectors(tmp_path, "--wmbus", "--decoder", dec)
    lines = sorted(p.read_text() for p in seen.iterdir())
    assert lines == sorted(f"{frame} {(key or '-').upper()}" for _, frame, key, _ in wmbus_vectors_in_files())
    assert any(key for *_, key, _ in wmbus_vectors_in_files()) and any(not key for *_, key, _ in wmbus_vectors_in_files())


def test_wmbus_a_decoder_that_echoes_the_key_has_it_scrubbed_everywhere(tmp_path):
    # prints the key it was given, in its stdout (as JSON) and its stderr, and fails
    dec = script(tmp_path, "key = frame.split()[-1]\nprint('{\"key\": \"%s\"}' % key)\n"
                           "print('key ' + ' '.join(key[i:i+2].lower() for i in range(0, len(key), 2)), file=sys.stderr)\n"
                           "sys.exit(0 if key == '-' else 4)\n")
    p = vectors(tmp_path, "--wmbus", "--decoder", dec)
    assert p.returncode == 1
    keys = {key.upper() for *_, key, _ in wmbus_vectors_in_files() if key}
    assert keys
    for text in (p.stdout, p.stderr, (tmp_path / "v.json").read_text(), (tmp_path / "v.xml").read_text()):
        flat = text.upper().replace(" ", "")
        assert not any(k in flat for k in keys)
    assert "*" * 32 in (tmp_path / "v.json").read_text()


def test_decode_line_keys_takes_each_lines_key_and_names_bad_lines():
    files = {i: (frame, key) for i, frame, key, r in wmbus_vectors_in_files() if r == "valid"}
    frame, key = files["oms_annex_n#1"]
    ok = subprocess.run([os.path.abspath(BIN), "decode", "--wmbus", "--json", "--line-keys"],
                        input=f"{frame} {key}\n{frame} -\n{frame} 00112233\n{frame}\n", capture_output=True, text=True, timeout=60)
    assert ok.returncode == 2
    docs = [json.loads(x) for x in ok.stdout.splitlines()]
    assert len(docs) == 1 and docs[0]["security"]["mode"] == 5 and "decryption_check" in docs[0]["security"]["verified"]
    err = ok.stderr.splitlines()
    assert err[0].startswith("error: line 2: no_key at byte 17")
    assert err[1] == "error: line 3: the key must be 32 hex digits, or - for none (the key is not shown)"
    assert err[2].startswith("error: line 4: no key: --line-keys reads each line as HEX KEY")
    assert key.upper() not in ok.stdout.upper() + ok.stderr.upper()


# ------------------------------------------------------------------ vectors --cmi6110 (issue 14)

CMI6110 = ROOT / "vectors" / "cmi6110"


def cmi6110_vectors_in_files():
    """(id, encoding, payload, result, expected) of every cmi6110_vectors_v1 vector, read from the files."""
    out = []
    for f in sorted(CMI6110.glob("*.json")):
        doc = json.loads(f.read_text())
        if not doc.get("schema", "").startswith("cmi6110_vectors_v1"):
            continue
        for g in doc["testGroups"]:
            for t in g["tests"]:
                out.append((f"{f.stem}#{t['tcId']}", t["encoding"], t["payload"], t["result"], t.get("expected")))
    return out


def test_cmi6110_reference_passes_every_payload_vector(tmp_path):
    p = vectors(tmp_path, "--cmi6110")
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr
    files = cmi6110_vectors_in_files()
    rec = json.loads((tmp_path / "v.json").read_text())
    assert rec["counts"] == {"pass": len(files), "fail": 0, "crash": 0, "timeout": 0}
    assert {v["id"] for v in rec["vectors"]} == {i for i, *_ in files}
    valid = sum(r == "valid" for _, _, _, r, _ in files)
    assert valid >= 10 and len(files) - valid >= 15
    assert f"{len(files)} vectors ({valid} valid, {len(files) - valid} invalid" in p.stdout
    assert "decode --cmi6110 lines --json" in rec["decoder"]
    assert {e for _, e, _, r, _ in files if r == "valid"} == {"senml", "json", "mbus"}  # the readouts in all three
    suites = ET.parse(tmp_path / "v.xml").getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == ["payloads.json"] and suites[0].get("failures") == "0"


def test_cmi6110_decoders_read_encoding_then_the_payload_on_one_line(tmp_path):
    seen = tmp_path / "seen"
    seen.mkdir()
    dec = script(tmp_path, f"import hashlib\nrest = sys.stdin.read()\n"
                           f"open({str(seen)!r} + '/' + hashlib.sha1(frame.encode()).hexdigest(), 'w').write(frame + '|' + rest)\n"
                           "sys.exit(3)\n")
    p = vectors(tmp_path, "--cmi6110", "--decoder", dec)
    assert p.returncode == 1
    files = cmi6110_vectors_in_files()
    assert sorted(x.read_text() for x in seen.iterdir()) == sorted({f"{e} {payload}".strip() + "|" for _, e, payload, _, _ in files})  # the decoder strips
    assert any(e == "json" and " " not in payload and payload.startswith("{") for _, e, payload, _, _ in files)
    rec = json.loads((tmp_path / "v.json").read_text())  # exit 3: every invalid vector passes, every valid one fails
    assert {v["id"] for v in rec["vectors"] if v["outcome"] == "pass"} == {i for i, _, _, r, _ in files if r == "invalid"}


def test_cmi6110_a_wrong_decoder_fails_with_a_diff(tmp_path):
    # the reference, with one energy digit off and only the first readout of each payload kept
    ref = f"{os.path.abspath(BIN)!r}"
    dec = script(tmp_path, "import subprocess\n"
                           f"p = subprocess.run([{ref}, 'decode', '--cmi6110', 'lines', '--json'], input=frame + '\\n', capture_output=True, text=True)\n"
                           "sys.stderr.write(p.stderr)\n"
                           "print(p.stdout.splitlines()[0].replace('\"12345678000\"', '\"12345678001\"') if p.stdout else '', end='')\n"
                           "sys.exit(p.returncode)\n")
    p = vectors(tmp_path, "--cmi6110", "--decoder", dec)
    assert p.returncode == 1
    rec = {v["id"]: v for v in json.loads((tmp_path / "v.json").read_text())["vectors"]}
    files = cmi6110_vectors_in_files()
    for i, _, _, r, expected in files:
        if r == "invalid":
            assert rec[i]["outcome"] == "pass", rec[i]
            continue
        assert rec[i]["outcome"] == "fail", rec[i]  # every valid readout holds the manual's 12345.678 MWh
        assert any(d.startswith("$[0].records[") and d.endswith('.value: expected "12345678000", got "12345678001"') for d in rec[i]["diff"])
        if len(expected) > 1:
            assert f"$: expected {len(expected)} elements, got 1" in rec[i]["diff"]
    assert '.value: expected "12345678000", got "12345678001"' in p.stdout
    # a decoder that accepts everything and prints nothing
    lazy = script(tmp_path, "sys.exit(0)\n")
    p = vectors(tmp_path, "--cmi6110", "--decoder", lazy)
    rec = json.loads((tmp_path / "v.json").read_text())
    assert p.returncode == 1 and rec["counts"]["pass"] == 0 and rec["counts"]["fail"] == len(files)
    assert "accepted an invalid payload (the vector expects truncated at byte 74)" in p.stdout


def test_cmi6110_senml_vectors_agree_with_cbor2():
    # an independent CBOR decoder reads each valid SenML payload's bn, bt + t and vd as the file expects them
    import calendar
    import time

    import cbor2
    for i, e, payload, r, expected in cmi6110_vectors_in_files():
        if e != "senml" or r != "valid":
            continue
        pack = cbor2.loads(bytes.fromhex(payload))
        readouts = [x for x in pack if 8 in x]
        assert len(readouts) == len(expected), i
        bt = pack[0][-3]
        for rec, want in zip(readouts, expected):
            assert pack[0][-2] == want["meter_id"], i
            assert time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(bt + rec.get(6, 0))) == want["time"], i
            assert calendar.timegm(time.strptime(want["time"], "%Y-%m-%dT%H:%M:%SZ")) == bt + rec.get(6, 0)
            # the data value is the records' DIF, VIF and data in order: each expected DIF+VIF appears at its place
            vd, at = rec[8].hex().upper(), 0
            for x in want["records"]:
                at = vd.index(x["dif"] + x["vif"], at) + 2


def test_decode_cmi6110_lines_takes_each_lines_encoding_and_names_bad_lines():
    files = {i: (e, payload) for i, e, payload, r, _ in cmi6110_vectors_in_files() if r == "valid"}
    manual_json = json.dumps(json.loads((CMI6110 / "manual_json_example.json").read_text()))  # with spaces after : and ,
    senml = next(payload for e, payload in files.values() if e == "senml")
    mbus = next(payload for e, payload in files.values() if e == "mbus")
    p = subprocess.run([os.path.abspath(BIN), "decode", "--cmi6110", "lines", "--json"],
                       input=f"json {manual_json}\nsenml {senml}\ncbor {senml}\nmbus {mbus}\n# comment\n\nmbus\n",
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    docs = [json.loads(x) for x in p.stdout.splitlines()]
    assert [d["encoding"] for d in docs][:1] == ["json"] and docs[0]["meter_id"] == "87654321"  # §7.4.2.2's ID
    assert {d["encoding"] for d in docs} == {"json", "senml", "mbus"}
    err = p.stderr.splitlines()
    assert err[0] == "error: line 3: bad_encoding at byte 0: 'cbor' is none of senml, json, mbus (a line is ENCODING PAYLOAD)"
    assert err[1].startswith("error: line 7: missing_record at byte 0") and len(err) == 2  # "mbus" and no payload
