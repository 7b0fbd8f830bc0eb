"""The wireless M-Bus bindings (bindings/wmbus.cpp): decode_wmbus gives the canonical JSON that
`metercert decode --wmbus --json` prints, its errors are named with their offsets and never show
the key; a Connection on sim:cmi1020w receives the module's telegrams on the simulated clock (the
first 15 s after power-up: CMi1020W manual "LED indications"), taps each as a wmbus record and
drives the module and its meter (sim.cmi1020w); a wmbus+hex capture replays its lines; URLs are
shown redacted."""
import json
import os
import pathlib
import subprocess

import pytest

import metercert

KEY = "000102030405060708090A0B0C0D0E0F"
BIN = os.environ.get("METERCERT_BIN", str(pathlib.Path(__file__).resolve().parents[2] / "build" / "metercert"))


def first(url: str, timeout_s: float = 20):
    conn = metercert.connect(url)
    return conn, conn.receive(timeout_s)


def test_decode_wmbus_is_the_cli_json():
    _c, t = first(f"sim:cmi1020w?key={KEY}")
    hex_ = t["frame"].hex().upper()
    p = subprocess.run([BIN, "decode", "--wmbus", "--json", "--key", KEY, hex_], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert metercert.decode_wmbus(t["frame"], bytes.fromhex(KEY)) == json.loads(p.stdout)
    assert metercert.decode_wmbus(t["frame"], bytes.fromhex(KEY), crc="A")["link"]["id"] == "13647123"


def test_decode_wmbus_errors_are_named_and_never_show_the_key():
    _c, t = first(f"sim:cmi1020w?key={KEY}")
    with pytest.raises(metercert.DecodeError) as e:
        metercert.decode_wmbus(t["frame"])
    assert e.value.name == "no_key"
    wrong = bytes(16)
    with pytest.raises(metercert.DecodeError) as e:
        metercert.decode_wmbus(t["frame"], wrong)
    assert e.value.name == "decryption_check_failed" and KEY not in str(e.value)
    spoiled = bytearray(t["frame"])
    spoiled[11] ^= 0xFF  # the first block's CRC (EN 13757-4 format A: after byte 9)
    with pytest.raises(metercert.DecodeError) as e:
        metercert.decode_wmbus(bytes(spoiled), bytes.fromhex(KEY), crc="A")
    assert (e.value.name, e.value.offset) == ("crc_mismatch", 10)
    with pytest.raises(ValueError, match="16 bytes expected"):
        metercert.decode_wmbus(t["frame"], b"\x01" * 15)
    with pytest.raises(ValueError, match="crc="):
        metercert.decode_wmbus(t["frame"], None, crc="C")


def test_receive_on_the_simulated_clock_and_the_module():
    conn = metercert.connect("sim:cmi1020w?interval=60")
    assert conn.capabilities == {"wmbus.receive", "sim.cmi1020w"}
    assert conn.receive(14.9) is None and conn.receiver_now_ms() == 14900
    t = conn.receive(1)
    assert set(t) == {"frame", "crc", "at_ms", "rssi_dbm", "mode"}
    assert (t["at_ms"], t["crc"], t["rssi_dbm"], t["mode"]) == (15000.0, "A", None, "T1")
    recs = conn.records()
    assert [(r["link"], r["direction"], r["bytes"]) for r in recs] == [("wmbus", "from_dut", t["frame"])]
    state = conn.cmi1020w_state()
    assert state["encrypted"] is False and state["sent"] == 1 and state["access_number"] == 1 and state["interval_s"] == 60
    assert "key" not in state
    meter = conn.cmi1020w_meter()
    assert meter.reads == 1
    conn.cmi1020w_idle(100)
    conn.cmi1020w_power_cycle()
    assert conn.cmi1020w_state()["powered_up_at_ms"] == 115000
    assert conn.receive(30)["at_ms"] == 130000
    conn.cmi1020w_set_tariff_set_failed(True)
    assert conn.receive(61)["frame"][14] == 0x40  # wire byte 14 = logical 12: the status byte, bit 6
    conn.close()
    with pytest.raises(metercert.PortError):
        conn.receive(1)


def test_a_link_without_the_capability_says_so():
    conn = metercert.connect("sim:cmi1020")
    with pytest.raises(metercert.DutError, match="wmbus.receive"):
        conn.receive(1)
    with pytest.raises(metercert.DutError, match="sim.cmi1020w"):
        conn.cmi1020w_state()


def test_capture_replay_and_its_pcap(tmp_path):
    cap = tmp_path / "cap.hex"
    cap.write_text("# two telegrams\n0.0 0A4496152371641301027A rssi=-60\n12.5 0A4496152371641301027B\n")
    pcap = tmp_path / "cap.pcap"
    conn = metercert.connect(f"wmbus+hex:{cap}?key={KEY}", str(pcap))
    assert conn.url == f"wmbus+hex:{cap}?key=<redacted>"
    a = conn.receive(0)
    assert (a["at_ms"], a["rssi_dbm"], a["crc"]) == (0.0, -60, "none")
    assert conn.receive(12) is None and conn.receive(1)["at_ms"] == 12500
    assert conn.receive(3600) is None
    raw = pcap.read_bytes()
    assert int.from_bytes(raw[20:24], "little") == 148  # LINKTYPE_USER1: wireless M-Bus records (rigs/pcap.hpp)
    assert bytes.fromhex("0A4496152371641301027B") in raw and KEY.encode() not in raw


def test_urls_are_shown_redacted():
    url = f"sim:cmi1020w?key={KEY}&mode=C1"
    assert metercert.redact_url(url) == "sim:cmi1020w?key=<redacted>&mode=C1"
    info = metercert.dut_link(url)
    assert info["url"] == "sim:cmi1020w?key=<redacted>&mode=C1" and info["query"] == {"key": "<redacted>", "mode": "C1"}
    assert KEY not in json.dumps(info)
    with pytest.raises(metercert.DutError) as e:
        metercert.connect(f"sim:cmi1020w?key={KEY}&mode=Q")
    assert KEY not in str(e.value) and "key=<redacted>" in str(e.value)
    assert metercert.capabilities()["wmbus.receive"]["reserved"] is False
    assert "sim:cmi1020w" in metercert.capabilities()["sim.cmi1020w"]["offered_by"]
