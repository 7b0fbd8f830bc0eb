"""CMi1020 §6.5, §6.6, §6.7.2.2 — multi-telegram readout by FCB toggling: the Table 5 static data
opens the first telegram only; every telegram but the last ends with DIF 0x1F, the last with 0x0F."""
from .lib import ALL_ROWS_READOUT, TABLE5, feed_meter, read_telegrams, readout_values
from metercert.conformance import Mismatch, case, expect


def check_sequence(telegrams):
    for i, t in enumerate(telegrams):
        last = i == len(telegrams) - 1
        expect(t.get("special"), "0F" if last else "1F", f"end of telegram {i + 1} of {len(telegrams)}")
        keys = [(r["dif"], r["vif"]) for r in t["records"]]
        for dif, vif in TABLE5:
            n = keys.count((dif, vif))
            if n != (1 if i == 0 else 0):
                raise Mismatch(f"Table 5 record {dif} {vif} in telegram {i + 1}", 1 if i == 0 else 0, n)
        if i == 0:
            expect(keys[:5], list(TABLE5), "the first telegram opens with Table 5's records in order")


@case("cmi1020/6.5/1", "Table 5's records are in the first telegram only; 1F ends every telegram but the last, 0F the last.")
def test_static_data_first_only(master):
    check_sequence(read_telegrams(master))


@case("cmi1020/6.5/2", "With more meter data than one telegram holds, the readout spans telegrams and Table 5 is not repeated.",
      needs=("sim.cmi1020",))
def test_static_data_multi_telegram(dut, master, meter):
    feed_meter(dut, meter, ALL_ROWS_READOUT)
    telegrams = read_telegrams(master)
    expect(len(telegrams) >= 2, True, f"{len(telegrams)} telegrams for the {len(readout_values(ALL_ROWS_READOUT))} values of every Table 6 row")
    check_sequence(telegrams)
