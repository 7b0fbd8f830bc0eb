"""CMi1020 §6.7.14 — OBIS code selection list (command 0x05, 10 bytes, bit n = Table 6 Sel. Bit n)."""
from cmi1020_lib import TABLE5, elvaco, read_telegrams, records
from metercert.conformance import case, expect


@case("cmi1020/6.7.14/1", "With an all-zero selection list the telegram holds Table 5's records and nothing from the meter.")
def test_empty_selection(master):
    elvaco(master, 0x05, bytes(10))
    try:
        expect([(r["dif"], r["vif"]) for r in records(read_telegrams(master))], list(TABLE5), "records with no OBIS selected")
    finally:
        elvaco(master, 0x05, b"\xff" * 10)


@case("cmi1020/6.7.14/2", "A selection list of 9 bytes is refused with no ACK (L-field 0x0F, §6.7.14.1).",
      level="implementation-defined")
def test_short_selection_refused(master):
    import metercert
    ex = master.exchange(metercert.build_long(0x53, 0, 0x51, bytes([0x0F, 0x05]) + bytes(9)))
    expect(ex["outcome"], "timeout", "reply to a 9-byte selection list")
