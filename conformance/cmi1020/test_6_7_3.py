"""CMi1020 §6.7.3 — baud rate switch (SND_UD with CI 0xB8–0xBD, no data): the ACK goes out at the
old rate (EN 13757-2; NOTES "Timing"), then the slave talks at the new one."""
from metercert import build_long, build_short
from metercert.conformance import case, expect


@case("cmi1020/6.7.3/1", "A switch to 9600 baud (CI 0xBD) is ACKed at the old rate, 2400 baud.", needs=("baud_control",))
def test_baud_switch_acked_at_old_rate(master):
    ack = master.exchange(build_long(0x53, 0, 0xBD, b""))
    try:
        expect(ack["bytes"], b"\xe5", "reply to the switch to 9600, read at 2400")
    finally:
        master.set_port_baud(9600)
        master.exchange(build_long(0x53, 0, 0xBB, b""))  # back to 2400 (§8.2), ACKed at 9600
        master.set_port_baud(2400)


@case("cmi1020/6.7.3/2", "After a switch to 9600 baud the slave answers at 9600 and no longer at 2400.",
      needs=("baud_control",))
def test_slave_talks_at_the_new_rate(master):
    master.exchange(build_long(0x53, 0, 0xBD, b""))
    try:
        master.set_port_baud(9600)
        expect(master.exchange(build_short(0x40, 0))["bytes"], b"\xe5", "SND_NKE at 9600")
        master.set_port_baud(2400)
        expect(master.exchange(build_short(0x40, 0))["outcome"], "timeout", "SND_NKE at 2400 after the switch")
    finally:
        master.set_port_baud(9600)
        master.exchange(build_long(0x53, 0, 0xBB, b""))
        master.set_port_baud(2400)
