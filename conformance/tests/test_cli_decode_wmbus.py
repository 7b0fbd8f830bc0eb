"""`metercert decode --wmbus` (issue 13): canonical JSON with link/ell/afl/tpl/security/records,
keys from --key or a CMe3100 key file and never in any output, exit 2 with the named error.

The crypto is cross-checked independently with Debian's python3-cryptography: the OMS Annex N
telegrams are decrypted here (AES-CBC, AES-CMAC key derivation and MAC) and compared with what
metercert decoded; and telegrams encrypted here (mode 5 and mode 7 with random keys and data)
must decode in metercert to exactly the plain records written.
"""
import json
import os
import pathlib
import random
import subprocess

import pytest

from conftest import wmbus_crc16 as crc16

cryptography = pytest.importorskip("cryptography")
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402
from cryptography.hazmat.primitives.cmac import CMAC  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("METERCERT_BIN", str(ROOT / "build" / "metercert"))

# OMS Vol. 2 Annex N (vectors/wmbus/oms_annex_n.json)
MODE5 = "2E44931578563412330333637A2A0020255923C95AAA26D1B2E7493BC2AD013EC4A6F6D3529B520EDFF0EA6DEFC955B29D6D69EBF3EC8A"
MODE5_KEY = "0102030405060708090A0B0C0D0E0F11"
MODE7_PLAIN_CRC = "434493157856341233038C2075900F002C25B30A000021924D4F2FB66E017A75002007109058475F4BC91DF878B80A1B0F98B629024AAC727942BFC549233C0140829B93"
MODE7_KEY = "000102030405060708090A0B0C0D0E0F"


def run(*args, stdin=None):
    p = subprocess.run([BIN, "decode", "--wmbus", *args], input=stdin, capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def cbc(key, iv, data, encrypt):
    c = Cipher(algorithms.AES(key), modes.CBC(iv))
    op = c.encryptor() if encrypt else c.decryptor()
    return op.update(data) + op.finalize()


def cmac(key, msg):
    c = CMAC(algorithms.AES(key))
    c.update(msg)
    return c.finalize()


def raw_records(obj):
    return "".join(r["raw"] for r in obj["records"])


def test_mode5_json_matches_an_independent_decryption():
    rc, out, err = run("--json", "--key", MODE5_KEY, MODE5)
    assert rc == 0, err
    obj = json.loads(out)
    assert list(obj)[:2] == ["link", "tpl"] and "security" in obj and "records" in obj
    t = bytes.fromhex(MODE5)
    logical = t[:10] + t[12:28] + t[30:46] + t[48:53]  # format A: CRCs after 10, then every 16 bytes
    assert crc16(t[:10]) == int.from_bytes(t[10:12], "big")
    iv = logical[2:10] + bytes([logical[11]]) * 8
    plain = cbc(bytes.fromhex(MODE5_KEY), iv, logical[15:47], False)
    assert plain[:2] == b"\x2f\x2f"
    assert raw_records(obj).upper() == plain.hex().upper()
    assert MODE5_KEY not in out and MODE5_KEY not in err


def test_mode7_kdf_and_mac_match_an_independent_computation():
    rc, out, err = run("--json", "--crc", "none", "--key", MODE7_KEY, MODE7_PLAIN_CRC)
    assert rc == 0, err
    obj = json.loads(out)
    t = bytes.fromhex(MODE7_PLAIN_CRC)
    k = bytes.fromhex(MODE7_KEY)
    mcr, ident = t[18:22], t[4:8]
    kenc = cmac(k, b"\x00" + mcr + ident + b"\x07" * 7)
    kmac = cmac(k, b"\x01" + mcr + ident + b"\x07" * 7)
    assert cmac(kmac, t[17:22] + t[30:])[:8].hex().upper() == obj["afl"]["mac"]
    plain = cbc(kenc, bytes(16), t[36:68], False)
    assert raw_records(obj).upper() == plain.hex().upper()
    assert obj["security"]["verified"] == ["mac", "decryption_check"]


def build_mode5(key, acc, apl):
    head = bytes.fromhex("449315785634123303") + b"\x7a" + bytes([acc, 0x00]) + (0x0500 | (len(apl) // 16) << 4).to_bytes(2, "little")
    iv = head[1:9] + bytes([acc]) * 8
    logical = bytes([len(head) + len(apl)]) + head + cbc(key, iv, apl, True)
    return logical


def build_mode7(key, counter, apl):
    dll = bytes.fromhex("449315785634123303")
    ident = dll[3:7]
    mcr = counter.to_bytes(4, "little")
    kenc = cmac(key, b"\x00" + mcr + ident + b"\x07" * 7)
    kmac = cmac(key, b"\x01" + mcr + ident + b"\x07" * 7)
    tpl = b"\x7a\x01\x00" + (0x0700 | (len(apl) // 16) << 4).to_bytes(2, "little") + b"\x10" + cbc(kenc, bytes(16), apl, True)
    mac = cmac(kmac, b"\x25" + mcr + tpl)[:8]
    afl = b"\x90\x0f\x00\x2c\x25" + mcr + mac
    body = dll + afl + tpl
    return bytes([len(body)]) + body


@pytest.mark.parametrize("mode", [5, 7])
def test_telegrams_encrypted_here_decode_to_their_plain_records(mode):
    rng = random.Random(13 + mode)
    for _ in range(5):
        key = bytes(rng.randrange(256) for _ in range(16))
        values = [rng.randrange(10**8) for _ in range(4)]
        apl = b"\x2f\x2f" + b"".join(b"\x0c\x13" + bytes.fromhex(f"{v:08d}")[::-1] for v in values)
        apl += b"\x2f" * (-len(apl) % 16)
        frame = build_mode5(key, rng.randrange(256), apl) if mode == 5 else build_mode7(key, rng.randrange(1, 2**32), apl)
        rc, out, err = run("--json", "--crc", "none", "--key", key.hex(), frame.hex())
        assert rc == 0, err
        obj = json.loads(out)
        got = [r["value"] for r in obj["records"] if r.get("vif") == "13"]
        assert got == [str(v / 1000).rstrip("0").rstrip(".") if v % 1000 else str(v // 1000) for v in values]
        assert key.hex() not in out.lower()


def test_errors_are_named_with_offsets_and_never_show_the_key():
    rc, out, err = run(MODE5)
    assert rc == 2 and err.startswith("error: no_key at byte 17")
    wrong = MODE5_KEY[:-1] + "2"
    rc, out, err = run("--key", wrong, MODE5)
    assert rc == 2 and "decryption_check_failed at byte 17" in err and wrong not in err
    rc, out, err = run("--crc", "none", "--key", MODE7_KEY, MODE7_PLAIN_CRC.replace("4D4F2FB6", "4D4F3FB6"))
    assert rc == 2 and "mac_mismatch at byte 22" in err
    rc, out, err = run("--crc", "A", MODE5[:-2])
    assert rc == 2 and "truncated_frame" in err
    rc, out, err = run("--key", "00", MODE5)
    assert rc == 2 and "32 hex digits" in err


def test_key_file_in_the_cme3100_format(tmp_path):
    f = tmp_path / "keys.csv"
    f.write_text("address,key,manufacturer,deviceType,version\n"
                 "99999999,FFEEDDCCBBAA99887766554433221100,*,-1,-1\n"
                 f"12345678,{MODE5_KEY},ELS,-1,-1\n")
    rc, out, err = run("--json", "--keys", str(f), MODE5)
    assert rc == 0, err
    assert json.loads(out)["security"]["verified"] == ["crc", "decryption_check"]
    assert MODE5_KEY not in out + err
    f.write_text("address,key,manufacturer,deviceType,version\n99999999,FFEEDDCCBBAA99887766554433221100,*,-1,-1\n")
    rc, out, err = run("--keys", str(f), MODE5)
    assert rc == 2 and "no_key" in err
