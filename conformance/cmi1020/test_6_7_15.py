"""CMi1020 §6.7.15 — P1/P2 sign-on method list (command 0x06, 16-bit mask, bit set = P2): each
meter command signs on with the method its bit selects."""
from cmi1020_lib import elvaco
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


@case("cmi1020/6.7.15/1", "Each command uses P2 exactly when its bit of the method list is set, else P1.", needs=("simulator",))
def test_method_per_command(master, meter):
    mask = (1 << 3) | (1 << 6) | (1 << 8)  # 0xFF22, 0xFF25, 0xFF27 by P2
    elvaco(master, 0x06, mask.to_bytes(2, "little"))
    try:
        for command, fields, _code, _bit in COMMANDS:
            elvaco(master, command, fields)
        got = [(c["code"], c["method"]) for c in meter.executed]
        want = [(code, "p2" if mask >> bit & 1 else "p1") for _c, _f, code, bit in COMMANDS]
        expect(got, want, "meter command and sign-on method, in order")
    finally:
        elvaco(master, 0x06, b"\x00\x00")
