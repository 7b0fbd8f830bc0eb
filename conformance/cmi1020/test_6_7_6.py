"""CMi1020 §6.7.6 — set secondary address (SND_UD CI 0x51, DIF 0C, VIF 79, 8 digits packed BCD)."""
import metercert
from cmi1020_lib import header_id, bcd, snd_ud
from metercert.conformance import case, expect


@case("cmi1020/6.7.6/1", "After 0C 79 <ID>, RSP_UD carries the new ID and a selection of it is ACKed.")
def test_set_secondary_address(master):
    old = header_id(master)
    snd_ud(master, bytes([0x0C, 0x79]) + bcd(87654321))
    try:
        expect(header_id(master), "87654321", "header ID after setting 87654321")
        expect(master.select("87654321FFFFFFFF"), "ack", "selection of the new ID")
        master.exchange(bytes.fromhex("1040FD3D16"))
    finally:
        snd_ud(master, bytes([0x0C, 0x79]) + bcd(int(old)))


@case("cmi1020/6.7.6/2", "A secondary address that is not 8 BCD digits is refused: no ACK, the ID unchanged (ERRATA E-20).",
      level="implementation-defined")
def test_non_bcd_secondary_address(master):
    old = header_id(master)
    ex = master.exchange(metercert.build_long(0x53, 0, 0x51, bytes([0x0C, 0x79, 0x21, 0x43, 0xA5, 0x87])))
    expect(ex["outcome"], "timeout", "reply to 0C 79 87A54321")
    expect(header_id(master), old, "header ID")
