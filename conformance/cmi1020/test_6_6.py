"""CMi1020 §6.6, Table 6 — the OBIS to M-Bus interpreter: every value of the meter's readout that
Table 6 lists arrives as the row's record (DIF, VIF in the printed range, type) with the readout's
value exactly, in the record's unit. Expectations come from the readout text and the manual's table
(table6.py), not from the reference interpreter."""
from decimal import Decimal

import table6
from cmi1020_lib import ALL_ROWS, elvaco, feed_meter, make_readout, read_telegrams, readout_values, records
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


@case("cmi1020/6.6/2", "A readout with every Table 6 row an E350 sends arrives as those records with exact values.",
      needs=("simulator",))
def test_all_rows(dut, master, meter):
    readout = make_readout(ALL_ROWS)
    feed_meter(dut, meter, readout)
    expect(check_table6(readout, records(read_telegrams(master))) >= 35, True, "rows checked")


@case("cmi1020/6.6/3", "Clearing selection bit 0 (§6.7.14) drops 1.8.0's record and keeps every other one.",
      needs=("simulator",))
def test_selection_mask_drops_row(dut, master, meter):
    before = records(read_telegrams(master))
    elvaco(master, 0x05, bytes([0xFE]) + b"\xff" * 9)
    try:
        after = records(read_telegrams(master))
        gone = [(r["dif"], r["vif"]) for r in before if r not in after]
        expect(gone, [("04", next(r["vif"] for r in before if r["dif"] == "04" and r["vif"].endswith("3B")))],
               "records gone after clearing selection bit 0 (1.8.0)")
    finally:
        elvaco(master, 0x05, b"\xff" * 10)


@case("cmi1020/6.6/4", "The DUT's records for its meter's readout are the reference CMi1020's, as a set (Table 6 order may differ).",
      level="should")
def test_records_as_reference(master, reference):
    got = sorted((r["dif"], r["vif"], r.get("value")) for r in records(read_telegrams(master))[5:])
    import metercert
    want = []
    for ud in reference.telegrams():
        frame = metercert.build_long(0x08, 0, 0x72, bytes(12) + ud + b"\x0f")
        want += [(r["dif"], r["vif"], r.get("value")) for r in metercert.decode(frame)["records"][5:]]
    expect(got, sorted(want), "records after Table 5 (DIF, VIF, value)")
