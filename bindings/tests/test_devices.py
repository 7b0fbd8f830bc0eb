"""The device-model bindings (metercert.E350, metercert.Reference) that the meter and reference
fixtures hand to cases. Expectations are the CMi1020 manual's bytes and the readout's text."""
import pathlib

import pytest

import metercert

E350_READOUT = (pathlib.Path(__file__).resolve().parents[2] / "vectors" / "obis" / "lgz-zmf100ac-m26.readout").read_bytes()


def test_reference_answers_as_the_manual_says():
    ref = metercert.Reference()  # default: the real E350 capture
    assert ref.meter.readout == E350_READOUT
    assert ref.on_frame(bytes.fromhex("1040004016")) == b"\xe5"  # SND_NKE to 0 (§6.7.1): ACK
    assert ref.on_frame(bytes.fromhex("1040115116")) is None  # SND_NKE to 17: not addressed, silence
    ref.advance_to(3000)  # past the first meter readout (2 s after power-on)
    first = ref.telegrams()[0]
    assert first[:3] == bytes.fromhex("01FD1A")  # Table 5 opens the first telegram
    assert ref.secondary_address == 0x13647123  # C.1.0(13647123): 0.0 is space-padded (E-17)
    assert ref.error_flags == 0 and ref.status_byte == 0


def test_meter_model_records_commands_and_rejects_unknown_faults():
    conn = metercert.connect("sim:cmi1020")
    meter = conn.meter(0)
    m = metercert.Master(conn)
    m.snd_ud(0, 0x51, bytes([0x0F, 0x25, 0x03, 0x02]))  # LCD rate indicator (§6.7.19): index 3, rate 2
    assert meter.executed == [{"code": 0xFF25, "method": "p1", "fields": b"\x03\x02"}]
    with pytest.raises(ValueError, match="unknown meter fault"):
        meter.fault = "nosuch"
    with pytest.raises(ValueError, match="16 bytes"):
        meter.p2_key = b"\x00"
