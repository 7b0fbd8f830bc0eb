"""CMi1020 §6.6, Table 6 — the OBIS to M-Bus interpreter: every value of the meter's readout that
Table 6 lists arrives as the row's record (DIF, VIF in the printed range, type) with the readout's
value exactly, in the record's unit. Expectations come from the readout text and the manual's table
(table6.py), not from the reference interpreter."""
from decimal import Decimal

import table6
import metercert
from cmi1020_lib import ALL_ROWS_READOUT, TABLE5, elvaco, feed_meter, read_telegrams, readout_values, records
from metercert.conformance import Mismatch, case, expect


def check_table6(readout: bytes, recs: list[dict]) -> int:
    """Mismatch listing every readout line whose record is missing or wrong; returns lines checked."""
    problems, checked = [], 0
    for obis, value, unit in readout_values(readout):
        row = table6.BY_OBIS.get(obis)
        if row is None or row[2] == "HEADER" or not value.strip():
            continue  # not in Table 6 / goes to the header (6.2) / blank value: nothing to send
        _bit, _obis, dif, vif_pattern, type_ = row
        found = [r for r in recs if r["dif"] == dif and table6.vif_matches(vif_pattern, r["vif"])]
        checked += 1
        if len(found) != 1:
            problems.append(f"{obis}({value}*{unit}): {len(found)} records {dif} {vif_pattern}")
            continue
        r = found[0]
        want = table6.expected_value(obis, value, unit, r.get("unit", ""), type_)
        got = r["value"] if isinstance(want, str) else Decimal(r["value"]).normalize()
        if got != want:
            problems.append(f"{obis}({value}*{unit}): record {r['dif']} {r['vif']} = {r['value']} {r.get('unit', '')}, "
                            f"expected {want}")
    if problems:
        raise Mismatch(f"{len(problems)} of {checked} readout values", "each as its Table 6 record", "; ".join(problems))
    return checked


@case("cmi1020/6.6/1", "The real E350 readout's values arrive as their Table 6 records with exact values.", needs=("simulator",))
def test_real_readout(master, meter):
    check_table6(meter.readout, records(read_telegrams(master)))


@case("cmi1020/6.6/2", "A readout with a value for every Table 6 row arrives as those records with exact values.",
      needs=("simulator",))
def test_all_rows(dut, master, meter):
    feed_meter(dut, meter, ALL_ROWS_READOUT)
    expect(check_table6(ALL_ROWS_READOUT, records(read_telegrams(master))), 67, "readout values checked (68 rows; 0.0 goes to the header)")


@case("cmi1020/6.6/3", "Clearing selection bit 0 (§6.7.14) drops 1.8.0's record and keeps every other one.",
      needs=("simulator",))
def test_selection_mask_drops_row(dut, master, meter):
    before = records(read_telegrams(master))
    elvaco(master, 0x05, bytes([0xFE]) + b"\xff" * 9)
    try:
        after = records(read_telegrams(master))
        gone = [r for r in before if r not in after]
        _bit, _obis, dif, vif_pattern, _type = table6.ROWS[0]  # Sel. Bit 0: 1.8.0, 04 (83-86)3B
        expect([(r["dif"], table6.vif_matches(vif_pattern, r["vif"])) for r in gone], [(dif, True)],
               "records gone after clearing selection bit 0: only 1.8.0's (DIF, VIF in the row's range)")
    finally:
        elvaco(master, 0x05, b"\xff" * 10)


@case("cmi1020/6.6/4", "A real DUT's meter records for the readout named by --meter-readout are the reference CMi1020's, "
      "as a set (Table 6 order may differ).", level="should")
def test_records_as_reference(master, reference):
    def meter_records(recs):  # Table 5's records say nothing of the meter
        return sorted((r["dif"], r["vif"], r.get("value")) for r in recs if (r["dif"], r["vif"]) not in TABLE5)

    want = []
    for ud in reference.telegrams():  # user data from the records on: wrap it in an RSP_UD to decode it
        want += metercert.decode(metercert.build_long(0x08, 0, 0x72, bytes(12) + ud + b"\x0f"))["records"]
    expect(meter_records(records(read_telegrams(master))), meter_records(want), "meter records (DIF, VIF, value)")
