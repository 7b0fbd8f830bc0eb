"""CMi1020 §6.7.4 — application reset (SND_UD CI 0x50): plain, and with sub-code 0xB0 the factory
defaults of §8.2 (primary address 0)."""
from metercert import build_long, build_short
from metercert.conformance import case, expect


@case("cmi1020/6.7.4/1", "An application reset (CI 0x50, no data) is ACKed.")
def test_application_reset_acked(master):
    expect(master.exchange(build_long(0x53, 0, 0x50, b""))["bytes"], b"\xe5", "reply to application reset")


@case("cmi1020/6.7.4/2", "Application reset with sub-code 0xB0 restores the factory primary address 0 (§8.2).")
def test_factory_reset_restores_address(master):
    expect(master.exchange(build_long(0x53, 0, 0x51, bytes.fromhex("017A07")))["bytes"], b"\xe5", "set primary address 7")
    try:
        expect(master.exchange(build_long(0x53, 7, 0x50, b"\xb0"))["bytes"], b"\xe5", "reply to factory reset (50 B0)")
        expect(master.exchange(build_short(0x40, 0))["bytes"], b"\xe5", "SND_NKE at the factory address 0")
    finally:
        master.exchange(build_long(0x53, 7, 0x51, bytes.fromhex("017A00")))
