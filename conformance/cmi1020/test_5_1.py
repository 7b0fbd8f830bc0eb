"""CMi1020 §5.1 — "All configuration and parameterization are stored in EEPROM": settings survive
a power cycle (dut.power: a rig's relay, --rig FILE, or the simulator's own power cycle)."""
from metercert import build_long, build_short
from metercert.conformance import case, expect


@case("cmi1020/5.1/1", "A primary address set by command survives a power cycle.", needs=("power",))
def test_primary_address_survives_power_cycle(dut, master):
    expect(master.exchange(build_long(0x53, 0, 0x51, bytes.fromhex("017A2A")))["bytes"], b"\xe5", "set primary address 42")
    try:
        dut.power.cycle()
        dut.idle(2500)  # the first meter readout after power-on (§5.2.2)
        expect(master.exchange(build_short(0x40, 42))["bytes"], b"\xe5", "SND_NKE at 42 after the power cycle")
    finally:  # the DUT of a rig keeps its EEPROM across cases: back to the factory address 0
        master.exchange(build_long(0x53, 42, 0x51, bytes.fromhex("017A00")))
