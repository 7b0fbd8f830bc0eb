"""CMi1020 §6.7.15 — P1/P2 sign-on method list (command 0x06, 16-bit mask, bit set = P2): each
meter command signs on with the method its bit selects."""
from .lib import elvaco
from metercert.conformance import case, expect

# (Elvaco command, fields, meter command, §6.7.15 bit)
COMMANDS = [
    (0x03, b"\x02", 0xFF05, 1),
    (0x22, bytes([0, 1, 0, 0, 0, 0]), 0xFF22, 3),
    (0x23, bytes([0, 1]), 0xFF23, 4),
    (0x24, bytes([0, 1, 0, 1, 8, 0]), 0xFF24, 5),
    (0x25, bytes([0, 1]), 0xFF25, 6),
    (0x26, bytes([0, 1, 0]), 0xFF26, 7),
    (0x27, bytes([0, 1]), 0xFF27, 8),
]


def methods_with(master, meter, mask: bytes) -> list[tuple[int, str]]:
    elvaco(master, 0x06, mask)
    try:
        for command, fields, _code, _bit in COMMANDS:
            elvaco(master, command, fields)
        return [(c["code"], c["method"]) for c in meter.executed]
    finally:
        elvaco(master, 0x06, b"\x00\x00")


def expected(bits: int) -> list[tuple[int, str]]:
    return [(code, "p2" if bits >> bit & 1 else "p1") for _c, _f, code, bit in COMMANDS]


@case("cmi1020/6.7.15/1", "Each command uses P2 exactly when its bit of the method list is set, else P1 (a list whose two bytes "
      "are equal, so that both byte orders read the same, ERRATA E-20).", needs=("sim.cmi1020",))
def test_method_per_command(master, meter):
    # bits 3 and 6 (0xFF22, 0xFF25) in either byte; bits 11 and 14 are unused (§6.7.15.1)
    expect(methods_with(master, meter, bytes([0x48, 0x48])), expected(0x4848),
           "meter command and sign-on method, in order, with method list 48 48")


@case("cmi1020/6.7.15/2", "The method list's two bytes are taken LSByte first, as all M-Bus data (ERRATA E-20): 48 01 sets bits "
      "3, 6 and 8.", level="implementation-defined", needs=("sim.cmi1020",))
def test_method_list_lsbyte_first(master, meter):
    expect(methods_with(master, meter, bytes([0x48, 0x01])), expected(0x0148),
           "meter command and sign-on method, in order, with method list 48 01")
