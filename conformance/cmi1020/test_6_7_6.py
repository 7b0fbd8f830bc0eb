"""CMi1020 §6.7.6 — set secondary address (SND_UD CI 0x51, DIF 0C, VIF 79, 8 digits packed BCD)."""
import metercert
from .lib import header_id, bcd, snd_ud
from metercert.conformance import Mismatch, case, expect


def rsp_ud(master) -> bytes:
    """SND_NKE, REQ_UD2: the RSP_UD as sent (§6.7.2.2 byte indexes; not decoded, so that an ID with
    non-BCD digits is shown as it is)."""
    master.snd_nke(0)
    b = master.req_ud2(0)
    if len(b) < 21 or b[0] != 0x68 or b[6] != 0x72:
        raise Mismatch("reply to REQ_UD2", "RSP_UD with the 12-byte header of §6.7.2.2", b.hex(" ").upper())
    return b


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


NON_BCD = bytes([0x0C, 0x79, 0x21, 0x43, 0xA5, 0x87])  # 87A54321: digit A is no BCD digit


@case("cmi1020/6.7.6/2", "A secondary address that is not 8 BCD digits gets no ACK, like an unknown command (ERRATA E-20).",
      level="implementation-defined")
def test_non_bcd_secondary_address_not_acked(master):
    before = rsp_ud(master)[7:11]
    ex = master.exchange(metercert.build_long(0x53, 0, 0x51, NON_BCD))
    if ex["outcome"] != "timeout":  # a DUT that took it gets its ID back (case 6.7.6/3 judges that)
        master.exchange(metercert.build_long(0x53, 0, 0x51, bytes([0x0C, 0x79]) + before))
    expect(ex["outcome"], "timeout", "reply to 0C 79 87A54321")


@case("cmi1020/6.7.6/3", "A secondary address that is not 8 BCD digits is not taken: the header ID (RSP_UD bytes 7–10) stays as it was "
      "(§6.7.6.1: packed BCD).")
def test_non_bcd_secondary_address_not_taken(master):
    before = rsp_ud(master)[7:11]
    master.exchange(metercert.build_long(0x53, 0, 0x51, NON_BCD))  # whether it is ACKed: case 6.7.6/2
    after = rsp_ud(master)[7:11]
    try:
        expect(after[::-1].hex().upper(), before[::-1].hex().upper(), "header ID after 0C 79 87A54321")
    finally:
        if after != before:
            master.exchange(metercert.build_long(0x53, 0, 0x51, bytes([0x0C, 0x79]) + before))
