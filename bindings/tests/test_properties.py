"""Property tests (hypothesis): any long frame either decodes and re-encodes byte for byte, or is
rejected with a named error inside the frame; never a crash. Strict decoding rejects a frame
exactly when lenient decoding lists a violation, with the first one (vectors/README.md)."""
import hypothesis.strategies as st
from hypothesis import given, settings

import metercert

NAMES = {"empty_input", "bad_start", "truncated_frame", "l_field_mismatch", "bad_second_start",
         "l_field_too_small", "bad_checksum", "bad_stop", "trailing_bytes", "truncated_header", "bad_bcd",
         "truncated_record", "too_many_dife", "too_many_vife", "reserved_dif", "reserved_lvar", "lvar_overflow", "bad_fixed_length"}
VIOLATIONS = {"bad_bcd", "bad_manufacturer", "reserved_fixed_code"}


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from([0x72, 0x78, 0x7A, 0x51, 0x76, 0x73, 0x77, 0x70]), st.binary(max_size=80))
def test_long_frames_round_trip_or_fail_by_name(ci, ud):
    frame = metercert.build_long(0x08, 1, ci, ud)
    try:
        model = metercert.decode(frame)
    except metercert.DecodeError as e:
        assert e.name in NAMES
        assert 0 <= e.offset <= len(frame)
        return
    assert metercert.encode(model) == frame
    violations = model.get("violations", [])
    assert {v["name"] for v in violations} <= VIOLATIONS
    try:
        metercert.decode(frame, strict=True)
        assert not violations
    except metercert.DecodeError as e:
        assert violations and (e.name, e.offset) == (violations[0]["name"], violations[0]["offset"])


@settings(max_examples=3000, deadline=None)
@given(st.binary(max_size=40))
def test_arbitrary_bytes_never_crash(data):
    try:
        metercert.decode(data)
    except metercert.DecodeError as e:
        assert e.name in NAMES
