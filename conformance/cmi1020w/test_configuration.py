"""CMi1020W manual "configuration": the default configuration transmits C.1.0, C.5.0, C.7.0,
1.8.0, 2.8.0, 15.8.0, 16.7.0 (or their short codes) "in the same order as configured in the
electricity meter". Each is coded as the CMi1020's Table 6 row of its OBIS code (ERRATA E-52;
metercert.table6, the manual's table transcribed, which the cmi1020 profile uses too); a field the meter does not give
(the real E350 has no 16.7.0) is not sent, and nothing else is. Values are compared with the meter
reference (the simulated meter, or --meter-readout FILE)."""
from . import lib
from metercert.conformance import Mismatch, case, expect


def _records(dut, key) -> list[dict]:
    return lib.meter_records(lib.decode(lib.telegrams(dut, 1)[0], key))


def _matched(readout: bytes, recs: list[dict]):
    """(default lines of the readout, for each record the line it stands for or None)."""
    lines = lib.default_lines(readout)
    rows = [row for _o, _v, _u, row in lines]
    by_row = {row: (obis, value, unit, row) for obis, value, unit, row in lines}
    return lines, [by_row.get(lib.row_of(r, rows)) for r in recs]


@case("cmi1020w/configuration/1", "Every default field the meter gives has exactly one record, and there is no "
      "other record (manual \"configuration\"; each field's record as its Table 6 row: ERRATA E-52).",
      needs=("wmbus.receive",))
def test_default_fields_present(dut, key, meter_readout):
    recs = _records(dut, key)
    lines, matched = _matched(meter_readout, recs)
    problems = [f"record {r['dif']} {r['vif']} = {r.get('value')}: no default field of the meter's"
                for r, m in zip(recs, matched) if m is None]
    for obis, value, unit, row in lines:
        n = sum(1 for m in matched if m is not None and m[3] == row)
        if n != 1 and (n or lib.table6.representable(row, value)):
            problems.append(f"{obis}({value}*{unit}): {n} records {row[2]} {row[3]}")
    if problems:
        raise Mismatch(f"records of the {len(lines)} default field(s) the meter gives", "one each, nothing else",
                       "; ".join(problems))


@case("cmi1020w/configuration/2", "The default fields go in the order the meter gives them (manual "
      "\"configuration\": \"in the same order as configured in the electricity meter\").", needs=("wmbus.receive",))
def test_meter_order(dut, key, meter_readout):
    recs = _records(dut, key)
    lines, matched = _matched(meter_readout, recs)
    sent = [m[0] for m in matched if m is not None]
    expect(sent, [obis for obis, _v, _u, _r in lines if obis in sent], "order of the default fields sent")


@case("cmi1020w/configuration/3", "Each default field's value is the meter's exactly, in the record's unit (manual "
      "\"configuration\"; Table 6 scaling, CMi1020 §6.6).", needs=("wmbus.receive",))
def test_values_exact(dut, key, meter_readout):
    recs = _records(dut, key)
    _lines, matched = _matched(meter_readout, recs)
    problems = [p for r, m in zip(recs, matched) if m is not None for p in [lib.value_problem(m[0], m[1], m[2], m[3], r)] if p]
    expect(sum(1 for m in matched if m is not None) > 0, True, "records of default fields to compare")
    if problems:
        raise Mismatch("values of the default fields", "the meter's, exactly", "; ".join(problems))
