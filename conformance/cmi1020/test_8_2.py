"""CMi1020 §8.2 Table 7 — factory defaults, as restored by application reset with sub-code 0xB0
(§6.7.4): primary address 0, 2400 baud, secondary address from the meter, disconnector on with
both push-buttons enabled, every OBIS code selected, every command by P1, rate disabled, P1
88888888, P2 16 × 0x99."""
import metercert
from cmi1020_lib import bcd, elvaco, read_telegrams, record, records, snd_ud
from metercert.conformance import case, expect


def factory_reset(master, a=0):
    snd_ud(master, b"\xb0", a=a, ci=0x50)


@case("cmi1020/8.2/1", "After a factory reset RSP_UD shows the disconnector setting on, both push-buttons enabled (FD1A 010101xx).")
def test_disconnector_defaults(master):
    snd_ud(master, bytes([0x01, 0xFD, 0x1A, 0xA8]))  # off, both push-buttons disabled
    factory_reset(master)
    expect(f"{int(record(read_telegrams(master)[0], '01', 'FD1A')['value']) >> 2:06b}", "010101", "FD1A bits 7–2")


@case("cmi1020/8.2/2", "A factory reset forgets a manually set secondary address: the ID comes from the meter again.",
      needs=("simulator",))
def test_secondary_address_default(master, meter):
    snd_ud(master, bytes([0x0C, 0x79]) + bcd(11223344))
    factory_reset(master)
    master.snd_nke(0)
    values = {}
    for line in meter.readout.split(b"\r\n"):
        if line.startswith(b"C.1.0("):
            values["C.1.0"] = line[6:-1].decode()
    expect(metercert.decode(master.req_ud2(0))["header"]["id"], f"{int(values['C.1.0']):08d}", "header ID (meter's C.1.0)")


@case("cmi1020/8.2/3", "A factory reset selects every OBIS code again and the 2400 baud line rate.")
def test_selection_and_baud_defaults(master):
    full = len(records(read_telegrams(master)))
    elvaco(master, 0x05, bytes(10))
    factory_reset(master)
    expect(len(records(read_telegrams(master))), full, "records after the reset")


@case("cmi1020/8.2/4", "A factory reset restores P1 88888888, P2 16 × 0x99, all commands by P1 and rate disabled.",
      needs=("simulator",))
def test_secret_and_method_defaults(master, meter):
    elvaco(master, 0x01, b"13572468")
    elvaco(master, 0x02, bytes(16))
    elvaco(master, 0x06, b"\xff\x07")
    factory_reset(master)
    elvaco(master, 0x25, bytes([0, 1]))  # P1 by default, the meter's password is the factory one
    meter_p2 = meter.p2_key
    expect([(c["code"], c["method"]) for c in meter.executed], [(0xFF25, "p1")], "commands after the reset")
    expect(meter_p2, b"\x99" * 16, "the meter's own P2 key (model default, unchanged)")
    elvaco(master, 0x06, (1 << 6).to_bytes(2, "little"))
    elvaco(master, 0x25, bytes([0, 2]))  # now by P2: succeeds only with the factory 16 × 0x99
    expect([(c["code"], c["method"]) for c in meter.executed][-1], (0xFF25, "p2"), "P2 command with the factory key")
    expect(meter.rate, 0, "meter rate: never commanded (rate disabled)")
