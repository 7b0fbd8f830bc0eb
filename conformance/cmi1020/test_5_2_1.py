"""CMi1020 §5.2.1 — power on: "When powered on (connected to the M-Bus master), the product will
try to readout the meter. The disconnector and rate state is also unknown after power on, which
will force the product to set both disconnector and rate state" (and Table 5 / §6.7.8: the actual
disconnector state is reported unknown until it has been pulsed to the EEPROM state, which waits
for the drive capacitor, ~10 s). Driven through dut.power (a rig's relay, --rig FILE, or the
simulator's own power cycle)."""
from .lib import read_telegrams, record_int, records, elvaco, snd_ud
from metercert.conformance import Mismatch, case, expect

CHARGED_MS = 15_000  # "approximately 10 seconds" (§5.3, §7.3) and a margin


def fd1a_actual(master) -> str:
    return f"{record_int(read_telegrams(master)[0], '01', 'FD1A') & 0x03:02b}"


@case("cmi1020/5.2.1/1", "After power-on the module reads its meter: within 5 s the telegrams carry the meter's records again, "
      "beyond Table 5's static data.", needs=("power",))
def test_first_readout_after_power_on(dut, master):
    static = 5  # Table 5: FD1A, FD1B, FD17, FD0F, 78
    before = len(records(read_telegrams(master)))
    if before <= static:
        raise Mismatch("records before the power cycle (the module has read its meter)", f"more than {static}", before)
    dut.power.cycle()
    dut.idle(5000)
    expect(len(records(read_telegrams(master))), before, "records 5 s after power-on")


@case("cmi1020/5.2.1/2", "After power-on the disconnector state is unknown (FD1A bits 1–0 00 or 11) until the module has set "
      "it: with the EEPROM setting off, FD1A bits 1–0 read 10 (off) once the capacitor has charged.", needs=("power",))
def test_disconnector_set_after_power_on(dut, master):
    try:
        snd_ud(master, bytes([0x01, 0xFD, 0x1A, 0x80]))  # EEPROM setting off (§6.7.8)
        dut.idle(CHARGED_MS)
        expect(fd1a_actual(master), "10", "FD1A bits 1–0 before the power cycle (a meter with disconnector)")
        dut.power.cycle()
        dut.idle(3000)
        early = fd1a_actual(master)
        if early not in ("00", "11"):
            raise Mismatch("FD1A bits 1–0 3 s after power-on (Table 5: unknown until pulsed)", ["00", "11"], early)
        dut.idle(CHARGED_MS)
        expect(fd1a_actual(master), "10", "FD1A bits 1–0 15 s later (set to the EEPROM state)")
    finally:
        snd_ud(master, bytes([0x01, 0xFD, 0x1A, 0x54]))


@case("cmi1020/5.2.1/3", "After power-on the module sets the meter's rate: with rate 3 fixed (§6.7.11) the meter receives "
      "0xFF05 with rate 3 again after a power cycle.", needs=("power", "sim.cmi1020"))
def test_rate_set_after_power_on(dut, master, meter):
    elvaco(master, 0x03, b"\x03")
    done = len(meter.executed)
    dut.power.cycle()
    dut.idle(5000)
    expect([(c["code"], bytes(c["fields"])) for c in meter.executed[done:] if c["code"] == 0xFF05], [(0xFF05, b"\x03")],
           "rate commands the meter received within 5 s of power-on")
