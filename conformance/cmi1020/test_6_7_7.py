"""CMi1020 §6.7.7 — selection by secondary address (SND_UD to 253, CI 0x52) with wildcards."""
from metercert import build_long, build_short
from .lib import header_id, rsp_ud
from metercert.conformance import case, expect


@case("cmi1020/6.7.7/1", "A selection with the slave's exact ID is ACKed and address 253 then reads that slave.")
def test_exact_selection(master):
    ident = header_id(master)
    mask = bytes.fromhex(ident)[::-1] + b"\xff\xff\xff\xff"
    expect(master.exchange(build_long(0x53, 253, 0x52, mask))["bytes"], b"\xe5", f"reply to selecting {ident}")
    rsp = master.exchange(build_short(0x7B, 253))
    expect(rsp_ud(rsp["bytes"])["header"]["id"], ident, "ID read through address 253")


@case("cmi1020/6.7.7/2", "Nibble F in the ID mask is a wildcard: an ID with its last digit as F selects the slave.")
def test_wildcard_selection(master):
    ident = header_id(master)
    mask = bytes.fromhex(ident[:7] + "F")[::-1] + b"\xff\xff\xff\xff"
    expect(master.exchange(build_long(0x53, 253, 0x52, mask))["bytes"], b"\xe5", f"reply to selecting {ident[:7]}F")


@case("cmi1020/6.7.7/3", "A selection with another ID gets no reply, and address 253 is then not answered.")
def test_other_id_is_not_selected(master):
    ident = header_id(master)
    other = f"{(int(ident) + 1) % 100000000:08d}"
    mask = bytes.fromhex(other)[::-1] + b"\xff\xff\xff\xff"
    expect(master.exchange(build_long(0x53, 253, 0x52, mask))["outcome"], "timeout", f"reply to selecting {other}")
    expect(master.exchange(build_short(0x7B, 253))["outcome"], "timeout", "reply at 253 when nothing is selected")


def select_medium(master, ident: str, medium: int) -> str:
    """A full selection mask (§6.7.7.1 bytes 7–14): the slave's ID, manufacturer and generation as
    wildcards, and this medium byte. 'ack' or 'none'; SND_NKE to 253 afterwards ends any selection."""
    try:
        return master.select(f"{ident}FFFFFF{medium:02X}")
    finally:
        master.exchange(build_short(0x40, 253))


@case("cmi1020/6.7.7/4", "A selection's medium byte 0x00 or 0xFF matches (§6.7.7.1 byte 14); 0x07 (water) is a mismatch and "
      "selects nothing.")
def test_medium_mask(master):
    ident = header_id(master)
    got = {f"{m:02X}": select_medium(master, ident, m) for m in (0x00, 0xFF, 0x07)}
    expect(got, {"00": "ack", "FF": "ack", "07": "none"}, f"replies to selecting {ident} with medium byte 00, FF, 07")


@case("cmi1020/6.7.7/5", "A selection's medium byte 0x02, the electricity medium of the header, matches too (ERRATA E-1, E-20).",
      level="implementation-defined")
def test_medium_mask_electricity(master):
    ident = header_id(master)
    expect(select_medium(master, ident, 0x02), "ack", f"reply to selecting {ident} with medium byte 02")
