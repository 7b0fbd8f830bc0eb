"""CMi1020 §6.1 — product identification: manufacturer ELV, medium electricity, generation 01–09
in the header, and the software version in plain text (Table 5: 0D FD0F, Major.Minor.Patchlevel)."""
import re

from .lib import read_telegrams, record
from metercert.conformance import case, expect


@case("cmi1020/6.1/1", "The first telegram carries the software version as text Major.Minor.Patchlevel (Table 5, DIF 0D VIF FD0F).")
def test_software_version_text(master):
    version = record(read_telegrams(master)[0], "0D", "FD0F")["value"]
    expect(bool(re.fullmatch(r"\d+\.\d+\.\d+", version)), True, f"software version {version!r} is Major.Minor.Patchlevel")


@case("cmi1020/6.1/2", "A selection naming the header's generation matches; another generation does not (§6.1, §6.7.7 byte 13).")
def test_selection_by_generation(master):
    h = read_telegrams(master)[0]["header"]
    gen = int(h["version"])
    expect(master.select(f"{h['id']}FFFF{gen:02X}FF"), "ack", f"selection with generation {gen:02X}")
    other = gen % 9 + 1
    expect(master.select(f"{h['id']}FFFF{other:02X}FF"), "none", f"selection with generation {other:02X}")
    master.exchange(bytes.fromhex("1040FD3D16"))  # SND_NKE to 253 ends any selection
