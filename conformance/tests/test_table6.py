"""The cmi1020 profile's Table 6 judgement on its own (metercert.table6, bindings/metercert/table6.py, and case 6.6/4's
comparison): every record stands for one readout line and every line has its record, values exact,
any VIF exponent of the printed range (ERRATA E-16), a value the row cannot carry may be absent."""
import sys

import pytest

import metercert
from conftest import ROOT

sys.path.insert(0, str(ROOT / "conformance"))  # the profiles are packages there
from metercert import table6  # noqa: E402
from metercert.readout import readout_values  # noqa: E402
from cmi1020.test_6_6 import compare  # noqa: E402

READOUT = b"/LGZ4ZMF100AC.M26\r\n\x02F.F(00)\r\n0.0(          120858)\r\nC.1.1(        )\r\n1.8.0(061561.289*kWh)\r\n" \
          b"2.8.0(000010.490*kWh)\r\n32.7(241*V)\r\n!\r\n\x03\x00"
TABLE5 = "01FD1A54" "01FD1B00" "8340FD17000000" "0DFD0F05302E322E31" "8C407801000000"


def decoded(*records_hex: str) -> list[dict]:
    ud = bytes(12) + bytes.fromhex(TABLE5 + "".join(records_hex)) + b"\x0f"
    return metercert.decode(metercert.build_long(0x08, 0, 0x72, ud))["records"]


FF = "02FD170000"                  # F.F(00)
E180 = "04833B" + "C959AB03"      # 1.8.0 = 61561289 Wh, LSByte first
E280 = "04833C" + "FA280000"      # 2.8.0 = 10490 Wh
V327 = "8340FD49" + "F10000"      # 32.7 = 241 V (FD 49: V·10^0)


def test_readout_with_and_without_framing():
    bare = b"F.F(00)\n0.0(          120858)\n1.8.0(061561.289*kWh)\n"
    assert readout_values(bare) == [("F.F", "00", ""), ("0.0", "          120858", ""), ("1.8.0", "061561.289", "kWh")]
    assert readout_values(READOUT)[:2] == [("F.F", "00", ""), ("0.0", "          120858", "")]


@pytest.mark.parametrize("obis, value, fits", [
    ("1.8.0", "061561.289", True), ("1.8.0", "061561.2891", False), ("1.8.0", "9999999.999", False),
    ("1.8.0", "2147483.647", True), ("32.7", "241", True), ("31.7", "000.35", True), ("C.1.0", "13647123", True),
    ("C.1.0", "123456789", False), ("C.1.1", "        ", False), ("C.1.1", "ABCDEFGHI", False), ("F.F", "00", True),
    ("C.5.0", "0401", True), ("C.5.0", "10000", False), ("C.7.0", "0008", True), ("C.7.0", "1.5", False),
    ("1.8.0", "n/a", False),
])
def test_representable(obis, value, fits):
    assert table6.representable(table6.BY_OBIS[obis], value) is fits


def test_exact_records_in_any_exponent_of_the_range():
    assert compare(READOUT, decoded(FF, E180, E280, V327)) == ([], [], 4)
    # 2.8.0 as 1049 × 10 Wh (VIF 0x84), 32.7 as 241000 mV (FD 46): other exponents, the same values
    assert compare(READOUT, decoded(FF, E180, "04843C" + "19040000", "8340FD46" + "68AD03")) == ([], [], 4)


def test_a_blank_value_may_come_as_an_empty_or_a_space_text():
    assert compare(READOUT, decoded(FF, E180, E280, V327, "0DFD0A00"))[:2] == ([], [])
    assert compare(READOUT, decoded(FF, E180, E280, V327, "0DFD0A08" + "20" * 8))[:2] == ([], [])


def test_every_deviation_is_named():
    plus_one = "04833B" + "CA59AB03"
    problems, extra, _ = compare(READOUT, decoded(FF, plus_one, E280, V327))
    assert extra == [] and problems == ["1.8.0(061561.289*kWh): record 04 833B = 61561290 Wh, expected 61561289"]
    problems, extra, _ = compare(READOUT, decoded(FF, E180, E180, E280, V327))
    assert problems == ["1.8.0(061561.289*kWh): 2 records 04 (83-86)3B"]
    problems, extra, _ = compare(READOUT, decoded(FF, E280, V327))
    assert problems == ["1.8.0(061561.289*kWh): no record 04 (83-86)3B"]
    problems, extra, _ = compare(READOUT, decoded(FF, E180, E280, V327, "0413" + "00000000", "8410833B" + "01000000"))
    assert problems == [] and len(extra) == 2
    assert "no Table 6 row" in extra[0] and "1.8.1" in extra[1] and "does not give" in extra[1]
    # a value that no exponent of the row carries exactly may be absent (ERRATA E-16), never rounded
    fine = READOUT.replace(b"2.8.0(000010.490*kWh)", b"2.8.0(000010.4901*kWh)")
    assert compare(fine, decoded(FF, E180, V327))[:2] == ([], [])
    assert compare(fine, decoded(FF, E180, E280, V327))[0] == [
        "2.8.0(000010.4901*kWh): record 04 833C = 10490 Wh, expected 10490.1"]
