"""pytest over the bindings: expectations come from the manuals and EN 13757, not from metercert."""
import json
import pathlib

import pytest

import metercert

VECTORS = pathlib.Path(__file__).resolve().parents[2] / "vectors" / "mbus"


def test_snd_nke_of_the_cmi1020_manual():
    # CMi1020 manual §6.7.1: 10 40 A CS 16, CS = C + A.
    assert metercert.build_short(0x40, 1) == bytes.fromhex("1040014116")
    d = metercert.decode(bytes.fromhex("1040014116"))
    assert d["frame"] == "short" and d["c_name"] == "SND_NKE" and d["a"] == 1


def test_senml_example_payload_of_the_cmi6110_manual():
    ud = bytes.fromhex("04064E61BC000415 07870000022B9413 023BD400025A2303 025E1A0202FD1712 40".replace(" ", ""))
    frame = metercert.build_long(0x08, 0, 0x78, ud)
    recs = metercert.decode(frame)["records"]
    assert [(r["quantity"], r["unit"], r["value"]) for r in recs] == [
        ("energy", "Wh", "12345678000"), ("volume", "m3", "3456.7"), ("power", "W", "5012"),
        ("volume_flow", "m3/h", "0.212"), ("flow_temperature", "°C", "80.3"),
        ("return_temperature", "°C", "53.8"), ("error_flags", "", "16402")]
    assert metercert.encode(metercert.decode(frame)) == frame


def test_decode_error_names_and_offsets():
    with pytest.raises(metercert.DecodeError) as e:
        metercert.decode(bytes.fromhex("1040014216"))
    assert (e.value.name, e.value.offset) == ("bad_checksum", 3)
    with pytest.raises(metercert.DecodeError) as e:
        metercert.decode_hex("10 4X")
    assert e.value.name == "bad_hex"
    with pytest.raises(metercert.DecodeError) as e:
        metercert.decode(b"")
    assert e.value.name == "empty_input"


def test_encode_rejects_a_value_finer_than_the_vif():
    model = {"frame": "long", "c": "08", "a": 1, "ci": "78", "records": [
        {"dif": "04", "vif": "06", "type": "int32", "value": "1.5"}]}  # VIF 06 is kWh: 1.5 Wh is finer
    with pytest.raises(metercert.DecodeError) as e:
        metercert.encode(model)
    assert e.value.name == "bad_model"
    model["records"][0]["value"] = "2000"  # 2 kWh
    assert metercert.encode(model) == metercert.build_long(0x08, 1, 0x78, bytes.fromhex("040602000000"))


def test_manufacturer_and_medium_tables():
    assert metercert.manufacturer_code("ELV") == 0x1596  # CMi1020 §6.7.2.2: bytes 96 15
    assert metercert.manufacturer_letters(0x1596) == "ELV"
    assert metercert.manufacturer_code("elv") is None
    assert metercert.medium_name(0x02) == "electricity"


def test_frame_reader_reports_collisions():
    r = metercert.FrameReader()
    events = r.feed(bytes.fromhex("00E5") + bytes.fromhex("1040014216") + bytes.fromhex("E5"))
    assert [(e.kind, e.offset) for e in events] == [("garbage", 0), ("frame", 1), ("garbled", 2), ("frame", 7)]
    assert events[2].error == "bad_checksum" and events[2].error_offset == 5


@pytest.mark.parametrize("path", sorted(VECTORS.glob("*.json")), ids=lambda p: p.stem)
def test_golden_vectors_through_python(path):
    doc = json.loads(path.read_text(encoding="utf-8"))
    for group in doc["testGroups"]:
        for tc in group["tests"]:
            frame = bytes.fromhex(tc["frame"])
            if tc["result"] == "invalid":
                with pytest.raises(metercert.DecodeError) as e:
                    metercert.decode(frame)
                assert (e.value.name, e.value.offset) == (tc["error"]["name"], tc["error"]["offset"]), tc["comment"]
            else:
                assert metercert.encode(metercert.decode(frame)) == frame, tc["comment"]
