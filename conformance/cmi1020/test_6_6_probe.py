"""CMi1020 §6.6, Table 6, against the meter itself (meter ground truth): the lab reads the meter
through an IEC 62056-21 optical probe before and after reading the DUT (the rig's probe role, or
the built-in simulator's meter), and every record the DUT reports is compared with those readouts
through Table 6 (metercert.table6): a register that only grows lies between its two readings, every
other value the meter held unchanged is the record's value exactly.

The module reads its meter every 30 s (§5, ERRATA E-18) and reports its last readout, so the
bracket holds only when the module read the meter after the first probe readout: the cases wait one
readout period between the first probe readout and the DUT's (ERRATA E-114). Which registers only
grow, and why a value that changed between the two readings is not judged: ERRATA E-115.
Expectations come from the probe's readouts and the manual's table, not from the reference
interpreter."""
from decimal import Decimal, InvalidOperation

from metercert import table6
from metercert.conformance import Mismatch, case, measure
from .lib import READOUT_PERIOD_MS, read_telegrams, records
from .test_6_6 import check_line, readout_lines, records_by_line


def grows(obis: str) -> bool:
    """A register that only grows (ERRATA E-115): OBIS value group D 8, a cumulative register
    (IEC 62056-61: "time integral 1", the energy registers x.8.y, 15.8.0, 128.8.0 …; the E350's
    82.8.1/82.8.2 counters), and the power-failure counts C.7.x."""
    parts = obis.split(".")
    return (len(parts) == 3 and parts[1] == "8") or obis.startswith("C.7.")


# On the built-in simulator the meter takes a load while the case runs (the cases set its faults the
# same way): 3.6 MW, 1 kWh per second, from one readout period before the first probe readout, so
# that its energy registers move and a module that reports a stale value is caught (fault
# stale_readout). A value off by one unit then lies inside the bracket: cases 6.6/1 and 6.6/4
# catch that one (fault energy_plus_one) against the meter's unchanging readout.
SIM_LOAD_W = 3_600_000


def bracket(dut, master):
    """Probe readout, one module readout period (§5: the module then has read its meter after it),
    the DUT's telegrams, probe readout: (before, the DUT's records, after)."""
    meter = dut.meter(0) if "sim.cmi1020" in dut.capabilities else None
    if meter is not None:
        meter.advance_to(dut.now_ms())  # the load starts now, a readout period before the first probe readout
        meter.load_w = SIM_LOAD_W
        dut.idle(READOUT_PERIOD_MS)
    try:
        before = dut.probe.read()
        dut.idle(READOUT_PERIOD_MS)
        recs = records(read_telegrams(master))
        after = dut.probe.read()
    finally:
        if meter is not None:
            meter.load_w = 0
    return before, recs, after


def _evidence(before, after) -> dict:
    """The two probe readouts as the record keeps them (the measurement's extra keys): where they
    came from, when, at which rate, and their text."""
    return {"basis": "IEC 62056-21 probe readouts before and after the DUT's telegrams (ERRATA E-114)",
            "probe": {"source": before.source,
                      "before": {"started": before.started, "baud": before.baud, "text": before.bytes.decode("ascii", "replace")},
                      "after": {"started": after.started, "baud": after.baud, "text": after.bytes.decode("ascii", "replace")}}}


def _number(x) -> Decimal | None:
    try:
        d = Decimal(str(x))
    except (InvalidOperation, ValueError):
        return None
    return d.normalize() if d.is_finite() else None


@case("cmi1020/6.6/17", "Each register that only grows (the energy registers, Table 6 rows x.8.y, and the power-failure "
      "counts C.7.x) arrives as its Table 6 record with a value between the meter's own readings through an IEC 62056-21 "
      "optical probe before and after the DUT was read (ERRATA E-114, E-115).", needs=("meter.probe",))
def test_growing_registers_between_probe_readouts(dut, master):
    before, recs, after = bracket(dut, master)
    lo_lines, hi_lines = readout_lines(before.bytes), readout_lines(after.bytes)
    by_line, _extra = records_by_line(hi_lines, recs, "the meter's readouts do not give")
    problems, checked = [], 0
    for obis, (hi_value, unit, row) in hi_lines.items():
        if not grows(obis) or obis not in lo_lines or not hi_value.strip():
            continue
        lo_value = lo_lines[obis][0]
        checked += 1
        found = by_line[obis]
        shown = f"{obis}: meter {lo_value.strip()} … {hi_value.strip()} {unit}".rstrip()
        if len(found) != 1:
            if found or table6.representable(row, hi_value):
                problems.append(f"{shown}: {len(found)} records {row[2]} {row[3]}")
            continue
        rec = found[0]
        lo = table6.expected_value(obis, lo_value, unit, rec.get("unit", ""), row[4])
        hi = table6.expected_value(obis, hi_value, unit, rec.get("unit", ""), row[4])
        got = _number(rec.get("value"))
        if not isinstance(lo, Decimal) or not isinstance(hi, Decimal):
            problems.append(f"{shown}: no number of this row (Table 6 type {row[4]})")
        elif lo > hi:
            problems.append(f"{shown}: the meter's register fell between the two probe readouts")
        elif got is None or not lo <= got <= hi:
            problems.append(f"{shown}: record {rec.get('dif')} {rec.get('vif')} = {rec.get('value')} {rec.get('unit', '')}, "
                            f"expected {lo} … {hi}".rstrip())
    measure("growing registers compared with the probe's readouts", checked, "registers", **_evidence(before, after))
    if not checked:
        raise Mismatch("growing registers in the meter's readouts", "at least one (Table 6 x.8.y or C.7.x)", 0)
    if problems:
        raise Mismatch(f"{len(problems)} of {checked} growing registers", "each between the meter's two probe readouts",
                       "; ".join(problems))


@case("cmi1020/6.6/18", "Every other record the DUT reports equals the value the meter held through both probe readouts "
      "(its Table 6 row, exact; the VIF exponent any of the row's range, ERRATA E-16), and no record stands for a value the "
      "meter does not give (a value that changed between the two readouts is not judged: ERRATA E-115).",
      needs=("meter.probe",))
def test_other_records_equal_the_probe_readouts(dut, master):
    before, recs, after = bracket(dut, master)
    lo_lines, hi_lines = readout_lines(before.bytes), readout_lines(after.bytes)
    by_line, extra = records_by_line(hi_lines, recs, "the meter's readouts do not give")
    problems, checked, changed = [], 0, []
    for obis, (value, unit, row) in hi_lines.items():
        if grows(obis):
            continue
        if obis not in lo_lines or lo_lines[obis][0].strip() != value.strip():
            changed.append(obis)
            continue
        checked += check_line(obis, value, unit, row, by_line[obis], problems)
    measure("records compared with the probe's readouts", checked, "records", **_evidence(before, after))
    if changed:
        measure("values that changed between the probe readouts (not judged)", len(changed), "values")
    if problems or extra:
        raise Mismatch(f"the DUT's records against {checked} unchanged values of the meter's probe readouts",
                       "each as its Table 6 record with the meter's value, no other record", "; ".join(problems + extra))
