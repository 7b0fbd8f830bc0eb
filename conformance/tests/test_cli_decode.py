"""The `metercert decode` contract (DESIGN "Interfaces"): table or canonical JSON on stdout, exit 0
when every frame decodes, exit 2 with `error: <name> at byte <offset>: <detail>` on stderr for any
invalid input, and never a crash or a signal. Expectations come from the manuals and the vectors."""
import json
import os
import pathlib
import random
import re
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("METERCERT_BIN", str(ROOT / "build" / "metercert"))
VECTORS = ROOT / "vectors" / "mbus"


def run(*args, stdin=None):
    return subprocess.run([BIN, *args], input=stdin, capture_output=True, text=True, timeout=120)


def test_table_for_the_cmi1020_snd_nke():
    r = run("decode", "10 40 01 41 16")
    assert r.returncode == 0, r.stderr
    assert "SND_NKE" in r.stdout and "A=1" in r.stdout


def test_json_for_the_cmi6110_senml_payload():
    # user data of the CMi6110 §7.4.2.3 example in an RSP_UD with CI 0x78 (checksum 0x0F by hand:
    # 08+00+78 + the payload bytes, mod 256)
    ud = "04064E61BC00041507870000022B9413023BD400025A2303025E1A0202FD171240"
    body = bytes.fromhex("0800 78".replace(" ", "") + ud)
    frame = bytes([0x68, len(body), len(body), 0x68]) + body + bytes([sum(body) & 0xFF, 0x16])
    r = run("decode", "--json", frame.hex())
    assert r.returncode == 0, r.stderr
    recs = json.loads(r.stdout)["records"]
    assert recs[0]["value"] == "12345678000" and recs[0]["unit"] == "Wh"
    assert recs[1]["value"] == "3456.7" and recs[1]["unit"] == "m3"


def test_unquoted_bytes_form_one_frame_and_quoted_arguments_are_frames():
    r = run("decode", "--json", "10", "40", "01", "41", "16")
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 1
    r = run("decode", "--json", "10 40 01 41 16", "E5")
    assert r.returncode == 0 and [json.loads(x)["frame"] for x in r.stdout.splitlines()] == ["short", "ack"]


def test_invalid_frame_exit_2_and_named_error():
    r = run("decode", "1040014216")
    assert r.returncode == 2
    assert re.match(r"^error: bad_checksum at byte 3: ", r.stderr), r.stderr


def test_stdin_lines_comments_and_one_bad_line():
    r = run("decode", "--json", stdin="# a comment\n1040014116\n\nE5\n10400142 16\n")
    assert r.returncode == 2
    assert len(r.stdout.splitlines()) == 2  # the two good frames are still decoded
    assert "line 5: bad_checksum at byte 3" in r.stderr


def test_bad_hex_and_empty_input():
    r = run("decode", "10 4G")
    assert r.returncode == 2 and "error: bad_hex" in r.stderr
    r = run("decode", stdin="")
    assert r.returncode == 2 and "error: empty_input" in r.stderr


def test_every_golden_vector_through_the_cli():
    valid, invalid = [], []
    for path in sorted(VECTORS.glob("*.json")):
        for g in json.loads(path.read_text(encoding="utf-8"))["testGroups"]:
            for tc in g["tests"]:
                (valid if tc["result"] == "valid" else invalid).append(tc)
    r = run("decode", "--json", stdin="".join(tc["frame"] + "\n" for tc in valid))
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == len(valid)
    for tc in invalid:
        if not tc["frame"]:
            continue  # the empty frame has its own test above
        r = run("decode", tc["frame"])
        assert r.returncode == 2, tc["comment"]
        assert f"error: {tc['error']['name']} at byte {tc['error']['offset']}:" in r.stderr, (tc["comment"], r.stderr)


def test_random_bytes_never_crash_the_cli():
    rng = random.Random(20261121)
    lines = []
    for _ in range(3000):
        n = rng.randrange(0, 64)
        if rng.random() < 0.5:  # a well-framed long frame with random user data
            body = bytes([0x08, 1, rng.choice([0x72, 0x78, 0x7A, 0x51])]) + rng.randbytes(n)
            lines.append((bytes([0x68, len(body), len(body), 0x68]) + body + bytes([sum(body) & 0xFF, 0x16])).hex())
        else:
            lines.append(rng.randbytes(n + 1).hex())
    r = run("decode", "--json", stdin="\n".join(lines) + "\n")
    assert r.returncode in (0, 2), r.returncode  # negative = killed by a signal
    for line in r.stdout.splitlines():
        json.loads(line)


def test_table_redacts_passwords_json_keeps_them():
    # DIF 0C VIF FD 16 (password, EN 13757-3 Table 14) = BCD 12345678; checksum by hand:
    # 08+01+78+0C+FD+16+78+56+34+12 = 0x2B4 → B4; L = 10 bytes from C to the last data byte
    frame = "680A0A68080178 0CFD16 78563412 B416".replace(" ", "")
    r = run("decode", frame)
    assert r.returncode == 0, r.stderr
    assert "12345678" not in r.stdout and "redacted" in r.stdout
    r = run("decode", "--json", frame)
    assert json.loads(r.stdout)["records"][0]["value"] == "12345678"


def test_help_lists_decode():
    r = run("--help")
    assert r.returncode == 0 and "decode" in r.stdout


def test_quick_start_file_decodes():
    r = run("decode", stdin=(VECTORS / "valid_frames.hex").read_text())
    assert r.returncode == 0, r.stderr
