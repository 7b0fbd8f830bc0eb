"""CMi1020 §6.7.5 — set primary address: SND_UD CI 0x51, data 01 7A <address>."""
from metercert import build_long, build_short
from metercert.conformance import case, expect


@case("cmi1020/6.7.5/1", "After 'set primary address 7' is ACKed the slave answers at 7 and no longer at 0.")
def test_set_primary_address(master):
    ack = master.exchange(build_long(0x53, 0, 0x51, bytes.fromhex("017A07")))
    try:
        expect(ack["bytes"], b"\xe5", "reply to set primary address 7")
        expect(master.exchange(build_short(0x40, 7))["bytes"], b"\xe5", "reply to SND_NKE at the new address 7")
        expect(master.exchange(build_short(0x40, 0))["outcome"], "timeout", "reply to SND_NKE at the old address 0")
    finally:  # put the factory address back (§8.2)
        master.exchange(build_long(0x53, 7, 0x51, bytes.fromhex("017A00")))


@case("cmi1020/6.7.5/2", "A primary address above 250 (0xFA, §6.7.5.1) is not taken: the slave still answers at its address 0.")
def test_reserved_primary_address_not_taken(master):
    master.exchange(build_long(0x53, 0, 0x51, bytes.fromhex("017AFB")))  # whether it is ACKed: case 6.7.5/3
    try:
        expect(master.exchange(build_short(0x40, 0))["bytes"], b"\xe5", "SND_NKE at address 0 after 'set primary address 251'")
    finally:  # a DUT that took 251 goes back to 0
        master.exchange(build_long(0x53, 0xFB, 0x51, bytes.fromhex("017A00")))


@case("cmi1020/6.7.5/3", "A primary address above 250 gets no ACK, like an unknown command (ERRATA E-20).",
      level="implementation-defined")
def test_reserved_primary_address_not_acked(master):
    expect(master.exchange(build_long(0x53, 0, 0x51, bytes.fromhex("017AFB")))["outcome"], "timeout",
           "reply to set primary address 251")
