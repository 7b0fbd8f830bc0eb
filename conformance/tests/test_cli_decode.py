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


def golden(result):
    out = []
    for path in sorted(VECTORS.glob("*.json")):
        for g in json.loads(path.read_text(encoding="utf-8"))["testGroups"]:
            out += [tc for tc in g["tests"] if tc["result"] == result]
    return out


def test_every_golden_vector_through_the_cli():
    valid, invalid, acceptable = golden("valid"), golden("invalid"), golden("acceptable")
    r = run("decode", "--json", stdin="".join(tc["frame"] + "\n" for tc in valid))
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == len(valid)
    assert not any("violations" in json.loads(line) for line in r.stdout.splitlines())
    r = run("decode", "--json", "--strict", stdin="".join(tc["frame"] + "\n" for tc in valid))
    assert r.returncode == 0 and len(r.stdout.splitlines()) == len(valid), r.stderr
    for tc in invalid:
        if not tc["frame"]:
            continue  # the empty frame has its own test above
        r = run("decode", tc["frame"])
        assert r.returncode == 2, tc["comment"]
        assert f"error: {tc['error']['name']} at byte {tc['error']['offset']}:" in r.stderr, (tc["comment"], r.stderr)
    assert len(acceptable) >= 10
    for tc in acceptable:  # decoded with the deviation listed; --strict rejects it by name
        r = run("decode", "--json", tc["frame"])
        assert r.returncode == 0, (tc["comment"], r.stderr)
        got = [(v["name"], v["offset"]) for v in json.loads(r.stdout)["violations"]]
        assert got == [(v["name"], v["offset"]) for v in tc["expected"]["violations"]], tc["comment"]
        r = run("decode", "--strict", tc["frame"])
        assert r.returncode == 2 and r.stdout == "", tc["comment"]
        assert r.stderr.startswith(f"error: {tc['error']['name']} at byte {tc['error']['offset']}:"), (tc["comment"], r.stderr)


def long_frame(c, a, ci, ud):
    body = bytes([c, a, ci]) + ud
    return bytes([0x68, len(body), len(body), 0x68]) + body + bytes([sum(body) & 0xFF, 0x16])


def test_non_bcd_identification_number_is_a_violation_not_an_error():
    # A real electricity meter's header (rscada/libmbus test-frames/electricity-meter-2.hex): ID bytes
    # E5 02 00 05 → digits 050002E5 (E at byte 7), manufacturer 00 00 → "@@@" (byte 11).
    frame = long_frame(0x08, 0x02, 0x72, bytes.fromhex("E5020005 0000 12 02 25 00 0000 0403 01000000"))
    r = run("decode", frame.hex())
    assert r.returncode == 0, r.stderr
    assert "id 050002E5" in r.stdout
    assert "violation: bad_bcd at byte 7" in r.stdout and "violation: bad_manufacturer at byte 11" in r.stdout
    r = run("decode", "--json", frame.hex())
    d = json.loads(r.stdout)
    assert d["header"]["id"] == "050002E5" and d["records"][0]["value"] == "1"
    assert [(v["name"], v["offset"]) for v in d["violations"]] == [("bad_bcd", 7), ("bad_manufacturer", 11)]
    r = run("decode", "--strict", frame.hex())
    assert r.returncode == 2 and re.match(r"^error: bad_bcd at byte 7: ", r.stderr), r.stderr


def test_fixed_data_structure_table_and_json():
    # m-bus.com's CI 73 example (rscada/libmbus test-frames/manual_frame2.hex): ID 12345678, access 10,
    # status 00, medium/unit E9 7E: unit 1 = 0x29 (l), unit 2 = 0x3E (historic), medium 7 (water);
    # counters BCD 00000001 and 00000135 → 0.001 m3 and 0.135 m3 (storage 1).
    frame = "68131368080573785634120A00E97E01000000350100003C16"
    r = run("decode", frame)
    assert r.returncode == 0, r.stderr
    assert "CI=0x73 rsp_ud_fixed" in r.stdout and "id 12345678" in r.stdout and "water" in r.stdout
    assert re.search(r"\b1\s+0x29\s+bcd8\s+0\s+volume\s+0\.001 m3", r.stdout), r.stdout
    assert re.search(r"\b2\s+0x3E\s+bcd8\s+1\s+volume\s+0\.135 m3", r.stdout), r.stdout
    d = json.loads(run("decode", "--json", frame).stdout)
    assert d["header"] == {"id": "12345678", "access_number": 10, "status": "00", "status_flags": [], "medium": "07",
                           "medium_name": "water"}
    assert [(x["counter"], x["storage"], x["unit"], x["value"]) for x in d["records"]] == [(1, 0, "m3", "0.001"), (2, 1, "m3", "0.135")]


# CMi1020 manual §6.7.9 set P1 password: 68 0D 0D 68 C A 51 0F 01 <8 ASCII digits> CS 16;
# §6.7.10 set P2 key: 68 15 15 68 C A 51 0F 02 <16 key bytes> CS 16 (L = 0x15, ERRATA E-20).
P1 = b"73914265"
P2 = bytes.fromhex("C0FFEE0123456789ABCDEF1122334455")
P1_FRAME = long_frame(0x53, 0x01, 0x51, b"\x0F\x01" + P1)
P2_FRAME = long_frame(0x73, 0x01, 0x51, b"\x0F\x02" + P2)


def leaks(text, secret, frame):
    """Whether `text` shows the secret (as text or hex, either case) or the frame's checksum in hex."""
    low = text.lower()
    needles = [secret.hex(), secret.hex()[:8]]
    if secret.isascii():
        needles.append(secret.decode().lower())
    checksum = f"{frame[-2]:02x}"
    return any(n in low for n in needles) or f"0x{checksum}" in low or f"'{checksum}'" in low


@pytest.mark.parametrize("frame,secret,what", [(P1_FRAME, P1, "P1 password"), (P2_FRAME, P2, "P2 key")], ids=["p1", "p2"])
def test_decode_never_prints_a_secret(frame, secret, what):
    r = run("decode", frame.hex())
    assert r.returncode == 0, r.stderr
    assert f"redacted: {what}" in r.stdout and not leaks(r.stdout + r.stderr, secret, frame), r.stdout
    r = run("decode", "--json", frame.hex())
    d = json.loads(r.stdout)
    assert d["redacted"] == what and d["ci_name"] == "data_send" and d["special"] == "0F"
    assert d["manufacturer_data"] == frame[8:9].hex().upper() + "2A" * len(secret)  # the sub-command byte, then the mask
    assert not leaks(r.stdout + r.stderr, secret, frame), r.stdout
    # a wrong checksum: the error keeps its name and offset, its detail (the computed sum) is withheld
    bad = frame[:-2] + bytes([(frame[-2] + 1) & 0xFF, 0x16])
    r = run("decode", bad.hex())
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith(f"error: bad_checksum at byte {len(frame) - 2}: detail withheld") and not leaks(r.stderr, secret, bad)


def test_decode_pcap_never_prints_a_secret(tmp_path):
    import metercert  # noqa: the bindings, for a capture in clear (as a tcpdump of a gateway would hold)

    clear = tmp_path / "clear.pcap"
    w = metercert._core.PcapWriter(str(clear))
    w.record({"direction": "to_dut", "wall_us": 1_700_000_000_000_000, "bytes": P1_FRAME})
    w.record({"direction": "from_dut", "wall_us": 1_700_000_000_100_000, "bytes": b"\xE5"})
    w.record({"direction": "to_dut", "wall_us": 1_700_000_001_000_000, "bytes": P2_FRAME})
    del w
    for args in (["decode", "--pcap", str(clear)], ["decode", "--json", "--pcap", str(clear)]):
        r = run(*args)
        assert r.returncode == 0, r.stderr
        assert "P1 password" in r.stdout and "P2 key" in r.stdout
        assert not leaks(r.stdout + r.stderr, P1, P1_FRAME) and not leaks(r.stdout + r.stderr, P2, P2_FRAME), r.stdout
    # a capture whose tap already masked the secrets (bytes 9 … checksum = 0x2A) shows them as redacted frames
    masked = tmp_path / "masked.pcap"
    w = metercert._core.PcapWriter(str(masked))
    w.record({"direction": "to_dut", "wall_us": 1_700_000_000_000_000, "bytes": P1_FRAME[:9] + b"\x2A" * 9 + b"\x16"})
    del w
    r = run("decode", "--json", "--pcap", str(masked))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["decoded"]["redacted"] == "P1 password"


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
    r = run("decode", "--help")
    assert r.returncode == 0 and "--strict" in r.stdout and "violation" in r.stdout and "73/77" in r.stdout


def test_quick_start_file_decodes():
    r = run("decode", stdin=(VECTORS / "valid_frames.hex").read_text())
    assert r.returncode == 0, r.stderr
