"""CMi1020 §6.7.7 — selection by secondary address (SND_UD to 253, CI 0x52) with wildcards."""
import metercert
from metercert import build_long, build_short
from cmi1020_lib import header_id
from metercert.conformance import case, expect


@case("cmi1020/6.7.7/1", "A selection with the slave's exact ID is ACKed and address 253 then reads that slave.")
def test_exact_selection(master):
    ident = header_id(master)
    mask = bytes.fromhex(ident)[::-1] + b"\xff\xff\xff\xff"
    expect(master.exchange(build_long(0x53, 253, 0x52, mask))["bytes"], b"\xe5", f"reply to selecting {ident}")
    rsp = master.exchange(build_short(0x7B, 253))
    expect(metercert.decode(rsp["bytes"])["header"]["id"], ident, "ID read through address 253")


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
