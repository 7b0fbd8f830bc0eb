"""CMi1020 §6.7.14 — OBIS code selection list (command 0x05, 10 bytes, bit n = Table 6 Sel. Bit n)."""
import metercert
from .lib import TABLE5, elvaco, read_telegrams, records
from metercert.conformance import case, expect


@case("cmi1020/6.7.14/1", "With an all-zero selection list the telegram holds Table 5's records and nothing from the meter.")
def test_empty_selection(master):
    elvaco(master, 0x05, bytes(10))
    try:
        expect([(r["dif"], r["vif"]) for r in records(read_telegrams(master))], list(TABLE5), "records with no OBIS selected")
    finally:
        elvaco(master, 0x05, b"\xff" * 10)


SHORT_LIST = bytes([0x0F, 0x05]) + bytes(9)  # 9 bytes of mask, not §6.7.14.1's 10 (L-field 0x0E, not 0x0F)


@case("cmi1020/6.7.14/2", "A selection list of 9 bytes gets no ACK, like an unknown command (ERRATA E-20).",
      level="implementation-defined")
def test_short_selection_not_acked(master):
    ex = master.exchange(metercert.build_long(0x53, 0, 0x51, SHORT_LIST))
    if ex["outcome"] != "timeout":  # a DUT that took it gets every OBIS code back (case 6.7.14/3 judges that)
        elvaco(master, 0x05, b"\xff" * 10)
    expect(ex["outcome"], "timeout", "reply to a 9-byte selection list")


@case("cmi1020/6.7.14/3", "A selection list of 9 bytes (§6.7.14.1: 10 bytes, L-field 0x0F) is not taken: the telegrams keep "
      "the same records.")
def test_short_selection_not_taken(master):
    def keys():
        return [(r["dif"], r["vif"]) for r in records(read_telegrams(master))]

    before = keys()
    master.exchange(metercert.build_long(0x53, 0, 0x51, SHORT_LIST))  # whether it is ACKed: case 6.7.14/2
    try:
        expect(keys(), before, "records (DIF, VIF) after a 9-byte all-zero selection list")
    finally:
        elvaco(master, 0x05, b"\xff" * 10)
