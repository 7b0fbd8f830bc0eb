"""CMi1020 §6.7.3 — baud rate switch (SND_UD with CI 0xB8–0xBD, no data): the ACK goes out at the
old rate (EN 13757-2; NOTES "Timing"), then the slave talks at the new one. §6.3 and §8.1 say the
product handles 300 and 2400 baud; §6.7.3 says rates above 2400 "do work" but are untested: a switch
to 300 is a must, one to 9600 a reading of the manual (ERRATA E-20)."""
from metercert import build_long, build_short
from metercert.conformance import case, expect

CI = {300: 0xB8, 2400: 0xBB, 9600: 0xBD}


def switch_acked_at_old_rate(master, rate: int):
    ack = master.exchange(build_long(0x53, 0, CI[rate], b""))
    try:
        expect(ack["bytes"], b"\xe5", f"reply to the switch to {rate}, read at 2400")
    finally:
        back_to_2400(master, rate)


def talks_at_new_rate(master, rate: int):
    master.exchange(build_long(0x53, 0, CI[rate], b""))
    try:
        master.set_port_baud(rate)
        expect(master.exchange(build_short(0x40, 0))["bytes"], b"\xe5", f"SND_NKE at {rate}")
        master.set_port_baud(2400)
        expect(master.exchange(build_short(0x40, 0))["outcome"], "timeout", "SND_NKE at 2400 after the switch")
    finally:
        back_to_2400(master, rate)


def back_to_2400(master, rate: int):
    master.set_port_baud(rate)
    master.exchange(build_long(0x53, 0, CI[2400], b""))  # back to 2400 (§8.2), ACKed at the rate switched to
    master.set_port_baud(2400)


@case("cmi1020/6.7.3/1", "A switch to 9600 baud (CI 0xBD) is ACKed at the old rate, 2400 baud (§6.7.3: rates above 2400 work; "
      "ERRATA E-20).", level="implementation-defined", needs=("mbus.line",))
def test_baud_switch_acked_at_old_rate(master):
    switch_acked_at_old_rate(master, 9600)


@case("cmi1020/6.7.3/2", "After a switch to 9600 baud the slave answers at 9600 and no longer at 2400 (ERRATA E-20).",
      level="implementation-defined", needs=("mbus.line",))
def test_slave_talks_at_the_new_rate(master):
    talks_at_new_rate(master, 9600)


@case("cmi1020/6.7.3/3", "A switch to 300 baud (CI 0xB8, §6.3) is ACKed at the old rate, 2400 baud (EN 13757-2).",
      needs=("mbus.line",))
def test_switch_to_300_acked_at_old_rate(master):
    switch_acked_at_old_rate(master, 300)


@case("cmi1020/6.7.3/4", "After a switch to 300 baud the slave answers at 300 and no longer at 2400 (§6.3, §6.7.3).",
      needs=("mbus.line",))
def test_slave_talks_at_300(master):
    talks_at_new_rate(master, 300)
