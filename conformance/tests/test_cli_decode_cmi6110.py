"""`metercert decode --cmi6110 senml`: the CMi6110 manual's SenML/CBOR example (§7.4.2.3) decoded
to its readouts — times in UTC from the manual's comments, values from §7.4.2.2's JSON example —
and payloads built by cbor2 (an independent CBOR encoder); refusals name the rule and the byte."""
import json
import os
import pathlib
import subprocess

import cbor2

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("METERCERT_BIN", str(ROOT / "build" / "metercert"))
DIBS1 = bytes.fromhex("04064E61BC00041507870000022B9413023BD400025A2303025E1A0202FD171240")
MANUAL = ("83A321683132333435363738221A5DE02740085821" + DIBS1.hex().upper() + "A20061560200A206390E0F08460406F24FBC00")


def run(*args, stdin=None):
    return subprocess.run([BIN, "decode", *args], input=stdin, capture_output=True, text=True, timeout=60)


def test_the_manuals_example_gives_two_readouts_in_utc_with_their_values():
    p = run("--cmi6110", "senml", "--json", MANUAL)
    assert p.returncode == 0, p.stderr
    first, second = [json.loads(line) for line in p.stdout.splitlines()]
    assert first["meter_id"] == "12345678" and first["time"] == "2019-11-28T20:00:00Z"   # "Time 2019-11-28T20:00Z"
    assert second["time"] == "2019-11-28T19:00:00Z" and first["unix_time"] - second["unix_time"] == 3600
    values = {r["quantity"]: r["value"] for r in first["records"]}
    assert values == {"energy": "12345678000", "volume": "3456.7", "power": "5012", "volume_flow": "0.212",
                      "flow_temperature": "80.3", "return_temperature": "53.8", "error_flags": "16402"}  # 0x4012
    assert [r["value"] for r in second["records"]] == ["12341234000"]  # "Energy = 12341,234 MWh"
    text = run("--cmi6110", "senml", MANUAL)
    assert text.returncode == 0 and "readout 2  2019-11-28T19:00:00Z  meter 12345678" in text.stdout


def test_payloads_from_an_independent_encoder_and_from_stdin():
    payload = cbor2.dumps([{-2: "00001234", -3: 1700000000, 8: DIBS1}, {6: 900, 8: bytes.fromhex("0413E8030000")}])
    p = run("--cmi6110", "senml", "--json", stdin=payload.hex() + "\n# a comment\n\n")
    assert p.returncode == 0, p.stderr
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    assert [r["time"] for r in rows] == ["2023-11-14T22:13:20Z", "2023-11-14T22:28:20Z"]
    assert rows[1]["records"][0]["quantity"] == "volume" and rows[1]["records"][0]["value"] == "1"  # 1000 × 0.001 m3


def test_refusals_name_the_rule_the_byte_and_the_argument():
    p = run("--cmi6110", "senml", MANUAL[:-2], MANUAL)
    assert p.returncode == 2
    # the 6-byte data value at byte 66 (46 …) lost its last byte: the error is at the end, naming the item
    assert p.stderr.strip() == f"error: argument 1: truncated at byte {len(MANUAL) // 2 - 1}: the item at byte 66 needs 1 more byte(s)"
    assert p.stdout.count("readout") == 2  # the good payload is still decoded
    long_time = MANUAL.replace("A206390E0F", "A2063A00000E0F")  # -3600 in 5 bytes instead of 3
    p = run("--cmi6110", "senml", long_time)
    assert p.returncode == 2 and "not_shortest at byte 62" in p.stderr
    p = run("--cmi6110", "senml", cbor2.dumps([{-1: 1574971200, -2: "1", 8: DIBS1}]).hex())  # base time under label -1 (E-46)
    assert p.returncode == 2 and "no_base_time at byte 1" in p.stderr
    p = run("--cmi6110", "senml", "zz")
    assert p.returncode == 2 and "bad_hex" in p.stderr
    p = run("--cmi6110", "mbus", MANUAL)  # a SenML payload is no Table 6 DIB list
    assert p.returncode == 2 and "unexpected_record at byte 0" in p.stderr, p.stderr
    p = run("--cmi6110", "cbor", MANUAL)
    assert p.returncode != 0 and "senml" in p.stderr  # the encodings are named


MANUAL_JSON = (ROOT / "vectors" / "cmi6110" / "manual_json_example.json").read_text()  # §7.4.2.2, as printed
# Table 6 DIB list of the same readout: date 2019-11-28 20:39 (type F bits 0x2B7C3427, worked out by
# hand), ID 87654321 in BCD, then the SenML example's records (same meter values)
MANUAL_MBUS = "046D27347C2B0C782143658704064E61BC00041507870000022B9413023BD400025A2303025E1A0202FD171240"
VALUES = {"energy": "12345678000", "volume": "3456.7", "power": "5012", "volume_flow": "0.212",
          "flow_temperature": "80.3", "return_temperature": "53.8", "error_flags": "16402"}


def test_json_and_mbus_encodings_of_the_manuals_readout_give_the_same_records():
    j = run("--cmi6110", "json", "--json", stdin=MANUAL_JSON)  # the example as printed, over several lines
    assert j.returncode == 0, j.stderr
    [rj] = [json.loads(line) for line in j.stdout.splitlines()]
    assert rj["time"] == "2019-11-28T20:39:00Z" and rj["meter_id"] == "87654321" and rj["format"] == "standard"
    m = run("--cmi6110", "mbus", "--json", MANUAL_MBUS)
    assert m.returncode == 0, m.stderr
    [rm] = [json.loads(line) for line in m.stdout.splitlines()]
    assert rm["meter_time"] == "2019-11-28T20:39" and rm["meter_id"] == "87654321" and "time" not in rm  # no time zone in DIB 1
    for r in (rj, rm):
        got = {x["quantity"]: x["value"] for x in r["records"] if x["quantity"] in VALUES}
        assert got == VALUES
    assert rj["records"] == rm["records"]
    # JSON Lines: two objects, one per line
    one = json.dumps(json.loads(MANUAL_JSON))
    p = run("--cmi6110", "json", "--json", stdin=one + "\n" + one.replace("87654321", "1") + "\n")
    assert p.returncode == 0 and [json.loads(x)["meter_id"] for x in p.stdout.splitlines()] == ["87654321", "00000001"]


def test_json_and_mbus_refusals_name_the_key_or_the_byte():
    p = run("--cmi6110", "json", json.dumps(dict(json.loads(MANUAL_JSON), U="kWh")))
    assert p.returncode == 2 and p.stderr.startswith("error: bad_unit at key U:"), p.stderr
    p = run("--cmi6110", "json", '{"TS":')
    assert p.returncode == 2 and p.stderr.startswith("error: bad_json at byte 6"), p.stderr
    swapped = MANUAL_MBUS.replace("04064E61BC00041507870000", "04150787000004064E61BC00")
    p = run("--cmi6110", "mbus", swapped)
    assert p.returncode == 2 and "unexpected_record at byte 12" in p.stderr
