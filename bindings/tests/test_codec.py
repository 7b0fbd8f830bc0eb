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
                continue
            model = metercert.decode(frame)
            assert metercert.encode(model) == frame, tc["comment"]
            if tc["result"] == "acceptable":  # decoded with the deviation listed; strict decoding rejects it by name
                assert [(v["name"], v["offset"]) for v in model["violations"]] == \
                       [(v["name"], v["offset"]) for v in tc["expected"]["violations"]], tc["comment"]
                with pytest.raises(metercert.DecodeError) as e:
                    metercert.decode(frame, strict=True)
                assert (e.value.name, e.value.offset) == (tc["error"]["name"], tc["error"]["offset"]), tc["comment"]
            else:
                assert "violations" not in model, tc["comment"]
                assert metercert.decode(frame, strict=True) == model, tc["comment"]


def test_fixed_data_structure_encodes_from_its_model():
    # m-bus.com's CI 73 example: ID 12345678, access 10, status 00, medium 7 (water); counter 1 in
    # litres (unit 0x29): 1 l = 0.001 m3; counter 2 "same but historic" (0x3E): 135 l = 0.135 m3.
    model = {"frame": "long", "c": "08", "a": 5, "ci": "73",
             "header": {"id": "12345678", "access_number": 10, "status": "00", "medium": "07"},
             "records": [{"unit_code": "29", "type": "bcd8", "value": "0.001"},
                         {"unit_code": "3E", "type": "bcd8", "value": "0.135"}]}
    assert metercert.encode(model) == bytes.fromhex("68131368080573785634120A00E97E01000000350100003C16")
    model["ci"] = "77"  # mode 2: every multi-byte field MSB first; checksum by hand: 0x3C + 0x77 − 0x73 = 0x40
    assert metercert.encode(model) == bytes.fromhex("6813136808057712345678 0A00 7EE9 00000001 00000135 4016".replace(" ", ""))
    model["records"][0]["value"] = "0.0001"  # finer than the litre of unit 0x29
    with pytest.raises(metercert.DecodeError) as e:
        metercert.encode(model)
    assert e.value.name == "bad_model"


def test_strict_decoding_of_a_non_bcd_identification_number():
    # CI 72 header with ID bytes 23 71 6A 13 (digit A at byte 9), ELV, version 1, electricity
    frame = metercert.build_long(0x08, 0x01, 0x72, bytes.fromhex("23716A13 9615 01 02 07 00 0000".replace(" ", "")))
    d = metercert.decode(frame)
    assert d["header"]["id"] == "136A7123" and d["violations"][0]["name"] == "bad_bcd" and d["violations"][0]["offset"] == 9
    with pytest.raises(metercert.DecodeError) as e:
        metercert.decode_hex(frame.hex(), strict=True)
    assert (e.value.name, e.value.offset) == ("bad_bcd", 9)


def test_every_fixed_structure_decodes_round_trips_and_agrees_with_strict():
    # Any 16 bytes after CI 73/77 are a fixed data structure (layout in vectors/ERRATA.md): it decodes,
    # re-encodes byte for byte (model and canonical JSON), and strict decoding rejects it exactly when
    # it lists a violation, with the first one. Other lengths are rejected by name (none at all is a control frame).
    import random
    rng = random.Random(7313)
    for n in range(2000):
        ci = 0x73 if n % 2 else 0x77
        ud = rng.randbytes(16)
        if n % 3 == 0:  # mostly BCD digits, so that conforming frames are common too
            ud = bytes(((b >> 4) % 10) << 4 | (b & 15) % 10 for b in ud[:4]) + ud[4:5] + bytes([ud[5] & 0xFC]) + ud[6:]
        frame = metercert.build_long(0x08, 1, ci, ud)
        d = metercert.decode(frame)
        assert metercert.encode(d) == frame and [r["counter"] for r in d["records"]] == [1, 2]
        if "violations" in d:
            with pytest.raises(metercert.DecodeError) as e:
                metercert.decode(frame, strict=True)
            assert (e.value.name, e.value.offset) == (d["violations"][0]["name"], d["violations"][0]["offset"])
        else:
            assert metercert.decode(frame, strict=True) == d
    for size, name, offset in ((15, "truncated_header", 22), (17, "bad_fixed_length", 23), (1, "truncated_header", 8)):
        with pytest.raises(metercert.DecodeError) as e:
            metercert.decode(metercert.build_long(0x08, 1, 0x73, bytes(size)))
        assert (e.value.name, e.value.offset) == (name, offset)
