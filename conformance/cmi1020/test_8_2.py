"""CMi1020 §8.2 Table 7 — factory defaults, as restored by application reset with sub-code 0xB0
(§6.7.4): primary address 0, 2400 baud, secondary address from the meter, disconnector on with
both push-buttons enabled, every OBIS code selected, every command by P1, rate disabled, P1
88888888, P2 16 × 0x99."""
from .lib import bcd, elvaco, error_flags, header_id, read_telegrams, record_int, records, snd_ud
from metercert.conformance import case, expect


def factory_reset(master, a=0):
    snd_ud(master, b"\xb0", a=a, ci=0x50)


@case("cmi1020/8.2/1", "After a factory reset RSP_UD shows the disconnector setting on, both push-buttons enabled (FD1A 010101xx).")
def test_disconnector_defaults(master):
    snd_ud(master, bytes([0x01, 0xFD, 0x1A, 0xA8]))  # off, both push-buttons disabled
    factory_reset(master)
    expect(f"{record_int(read_telegrams(master)[0], '01', 'FD1A') >> 2:06b}", "010101", "FD1A bits 7–2")


@case("cmi1020/8.2/2", "A factory reset forgets a manually set secondary address: the ID comes from the meter again.",
      needs=("sim.cmi1020",))
def test_secondary_address_default(master):
    from_meter = header_id(master)  # the meter's 0.0 or C.1.0 (Table 4; which reading: cases 6.2/3, 6.2/6)
    manual = "11223344" if from_meter != "11223344" else "44332211"
    snd_ud(master, bytes([0x0C, 0x79]) + bcd(int(manual)))
    expect(header_id(master), manual, "header ID after setting it by command")
    factory_reset(master)
    expect(header_id(master), from_meter, "header ID after the factory reset (the one from the meter)")


@case("cmi1020/8.2/3", "A factory reset selects every OBIS code again.")
def test_selection_and_baud_defaults(master):
    full = len(records(read_telegrams(master)))
    elvaco(master, 0x05, bytes(10))
    factory_reset(master)
    expect(len(records(read_telegrams(master))), full, "records after the reset")


@case("cmi1020/8.2/4", "A factory reset restores the factory P1 password and P2 key of §8.2, all commands by P1 and rate disabled.",
      needs=("sim.cmi1020",))
def test_secret_and_method_defaults(dut, master, meter):
    # the meter model keeps the §8.2 factory P1 and P2: a command succeeds only if the CMi1020's are back
    elvaco(master, 0x01, b"13572468")
    elvaco(master, 0x02, bytes(16))
    elvaco(master, 0x06, b"\xff\x07")
    elvaco(master, 0x03, b"\xff")  # rate from the inputs
    factory_reset(master)
    elvaco(master, 0x04)  # flags latched before the reset (the P2 rate command failed) are not its business
    done = len(meter.executed)
    elvaco(master, 0x25, bytes([0, 1]))
    expect([(c["code"], c["method"]) for c in meter.executed[done:]], [(0xFF25, "p1")], "command after the reset: by P1")
    expect(error_flags(master) & (1 << 23), 0, "FD17 bit 23 (P1 sign-on with the factory password)")
    elvaco(master, 0x06, bytes([0x40, 0x40]))  # bit 6 (0xFF25 by P2) in either byte order (ERRATA E-20)
    elvaco(master, 0x25, bytes([0, 2]))  # now by P2: signs on only with the factory 16 × 0x99
    expect(error_flags(master) & (1 << 23), 0, "FD17 bit 23 (P2 sign-on with the factory key)")
    done = len(meter.executed)
    dut.set_rate_inputs(0, True, True)
    expect([c["code"] for c in meter.executed[done:]], [], "meter commands when the rate inputs change (rate disabled)")
