"""CMi1020 §6.6, Table 6 — the OBIS to M-Bus interpreter: every value of the meter's readout that
Table 6 lists arrives as the row's record (DIF, VIF in the printed range, type) with the readout's
value exactly, in the record's unit. Expectations come from the readout text and the manual's table
(metercert.table6), not from the reference interpreter."""
from decimal import Decimal, InvalidOperation

import pytest

from metercert import table6
from .lib import ALL_ROWS_READOUT, TABLE5, elvaco, feed_meter, read_telegrams, readout_values, records
from metercert.conformance import Mismatch, case, expect


def _rows_of(rec: dict) -> list[tuple]:
    """The Table 6 rows whose DIF and VIF pattern a record fits (at most one: no two rows share both)."""
    return [row for row in table6.ROWS if row[2] == rec.get("dif") and table6.vif_matches(row[3], rec.get("vif", ""))]


def _value_problem(obis: str, value: str, unit: str, row: tuple, rec: dict) -> str | None:
    """Why a record does not carry its readout line's value exactly (None: it does)."""
    want = table6.expected_value(obis, value, unit, rec.get("unit", ""), row[4])
    got = rec.get("value")
    shown = f"{obis}({value}*{unit}): record {rec.get('dif')} {rec.get('vif')} = {got} {rec.get('unit', '')}".rstrip()
    if want is None:
        return f"{shown}, but the readout value is no value of this row (Table 6 type {row[4]})"
    if isinstance(want, str):  # a text as sent, with or without the readout's padding
        return None if isinstance(got, str) and got.strip() == want else f"{shown}, expected {want!r}"
    try:
        number = Decimal(str(got)).normalize()
    except (InvalidOperation, ValueError):
        return f"{shown}, expected the number {want}"
    return None if number == want else f"{shown}, expected {want}"


def readout_lines(readout: bytes) -> dict[str, tuple[str, str, tuple]]:
    """OBIS → (value, unit, Table 6 row) of the readout's lines that Table 6 maps to a record (the
    first of a repeated line; 0.0 goes to the header: case 6.2)."""
    lines: dict[str, tuple[str, str, tuple]] = {}
    for obis, value, unit in readout_values(readout):
        row = table6.BY_OBIS.get(obis)
        if row is not None and row[2] != "HEADER" and obis not in lines:
            lines[obis] = (value, unit, row)
    return lines


def records_by_line(lines: dict, recs: list[dict], absent: str) -> tuple[dict[str, list[dict]], list[str]]:
    """Each readout line's records (by Table 6's DIF and VIF), and the records that stand for no line
    of the readout (`absent` ends their message: which readout does not give the row). The
    CMi1020's own static records (Table 5, case 6.5) are neither."""
    by_line: dict[str, list[dict]] = {obis: [] for obis in lines}
    extra = []
    for rec in recs:
        if (rec.get("dif"), rec.get("vif")) in TABLE5:
            continue
        rows = _rows_of(rec)
        if not rows:
            extra.append(f"record {rec.get('dif')} {rec.get('vif')} = {rec.get('value')}: no Table 6 row has this DIF and VIF")
        elif rows[0][1] not in lines:
            extra.append(f"record {rec.get('dif')} {rec.get('vif')} = {rec.get('value')}: row {rows[0][0]} ({rows[0][1]}), "
                         f"which {absent}")
        else:
            by_line[rows[0][1]].append(rec)
    return by_line, extra


def check_line(obis: str, value: str, unit: str, row: tuple, found: list[dict], problems: list[str]) -> int:
    """One readout line against the records that stand for it: exactly one record with the value
    exactly (none allowed when the row cannot carry the value: ERRATA E-16). Appends what is wrong
    to `problems`; returns 1 when the line was checked, 0 for a blank value with no record (the
    E350's C.1.1(        ): nothing to send, ERRATA E-34)."""
    if not value.strip() and not found:
        return 0
    if len(found) > 1:
        problems.append(f"{obis}({value}*{unit}): {len(found)} records {row[2]} {row[3]}")
    elif not found:
        if table6.representable(row, value):
            problems.append(f"{obis}({value}*{unit}): no record {row[2]} {row[3]}")
    else:
        why = _value_problem(obis, value, unit, row, found[0])
        if why:
            problems.append(why)
    return 1


def compare(readout: bytes, recs: list[dict]) -> tuple[list[str], list[str], int]:
    """The DUT's records against the meter's readout under Table 6 (expectations from the readout
    text and table6.py only). Returns (problems of readout lines: record missing, twice or with
    another value; records that stand for no readout line; readout lines checked). A line whose
    value the row cannot carry exactly may be left out (ERRATA E-16); a blank value needs no record
    (absent, or a text of spaces or of no character: ERRATA E-34);
    the VIF exponent may be any of the row's printed range (E-16)."""
    lines = readout_lines(readout)
    by_line, extra = records_by_line(lines, recs, "the meter's readout does not give")
    problems, checked = [], 0
    for obis, (value, unit, row) in lines.items():
        checked += check_line(obis, value, unit, row, by_line[obis], problems)
    return problems, extra, checked


def check_table6(readout: bytes, recs: list[dict]) -> int:
    """Mismatch listing every readout line whose record is missing, doubled or wrong; returns lines checked."""
    problems, _extra, checked = compare(readout, recs)
    if problems:
        raise Mismatch(f"{len(problems)} of {checked} readout values", "each as its Table 6 record", "; ".join(problems))
    return checked


@case("cmi1020/6.6/1", "Every value of the meter's readout that Table 6 lists arrives as its row's record with the exact value "
      "(the meter reference: the simulated meter, or --meter-readout FILE).")
def test_real_readout(master, meter_readout):
    check_table6(meter_readout, records(read_telegrams(master)))


@case("cmi1020/6.6/2", "A readout with a value for every Table 6 row arrives as those records with exact values.",
      needs=("sim.cmi1020",))
def test_all_rows(dut, master, meter):
    feed_meter(dut, meter, ALL_ROWS_READOUT)
    expect(check_table6(ALL_ROWS_READOUT, records(read_telegrams(master))), 67, "readout values checked (68 rows; 0.0 goes to the header)")


@case("cmi1020/6.6/3", "Clearing selection bit 0 (§6.7.14) drops 1.8.0's record and keeps every other one.")
def test_selection_mask_drops_row(master):
    def keys():  # DIF and VIF: a real meter's values move between readouts
        return [(r["dif"], r["vif"]) for r in records(read_telegrams(master))]

    before = keys()
    elvaco(master, 0x05, bytes([0xFE]) + b"\xff" * 9)
    try:
        after = keys()
        gone = [k for k in before if k not in after]
        _bit, _obis, dif, vif_pattern, _type = table6.ROWS[0]  # Sel. Bit 0: 1.8.0, 04 (83-86)3B
        expect([(d, table6.vif_matches(vif_pattern, v)) for d, v in gone], [(dif, True)],
               "records gone after clearing selection bit 0: only 1.8.0's (DIF, VIF in the row's range)")
        expect(len(after), len(before) - 1, "records after clearing selection bit 0")
    finally:
        elvaco(master, 0x05, b"\xff" * 10)


@case("cmi1020/6.6/4", "Every meter record the DUT sends (all but Table 5's) stands for exactly one line of the meter's readout "
      "under its Table 6 row, and every such line has its record: none extra, none twice, none missing; values exact, "
      "the VIF exponent any of the row's printed range (ERRATA E-16).")
def test_records_are_the_readout(master, meter_readout):
    problems, extra, checked = compare(meter_readout, records(read_telegrams(master)))
    if problems or extra:
        raise Mismatch(f"meter records against the {checked} Table 6 lines of the meter's readout",
                       "one record per readout line, no other", "; ".join(problems + extra))


@case("cmi1020/6.6/15", "A blank readout value (the E350's C.1.1(        )) gives no record; a text record of spaces or of no "
      "character are the other readings (ERRATA E-34).", level="implementation-defined")
def test_blank_value_no_record(master, meter_readout):
    blank = [(obis, table6.BY_OBIS[obis]) for obis, value, _unit in readout_values(meter_readout)
             if obis in table6.BY_OBIS and table6.BY_OBIS[obis][2] != "HEADER" and not value.strip()]
    if not blank:
        pytest.skip("the meter's readout has no blank value")
    recs = records(read_telegrams(master))
    got = [f"{obis}: {r['dif']} {r['vif']} = {r.get('value')!r}" for obis, row in blank for r in recs
           if r.get("dif") == row[2] and table6.vif_matches(row[3], r.get("vif", ""))]
    expect(got, [], f"records for the blank values of {', '.join(o for o, _ in blank)}")
