"""CMi1020 §6.7.1 — SND_NKE (10 40 A CS 16): link reset, answered with a single character ACK."""
from metercert import build_short
from metercert.conformance import case, expect


@case("cmi1020/6.7.1/1", "The CMi1020 answers SND_NKE to its primary address with ACK (E5).")
def test_snd_nke_to_own_address_is_acked(master):
    ex = master.exchange(build_short(0x40, 0))
    expect(ex["outcome"], "frame", "reply to SND_NKE 10 40 00 40 16")
    expect(ex["bytes"], b"\xe5", "reply bytes")


@case("cmi1020/6.7.1/2", "The CMi1020 stays silent to SND_NKE for another primary address.")
def test_snd_nke_to_other_address_is_silent(master):
    expect(master.exchange(build_short(0x40, 17))["outcome"], "timeout", "reply to SND_NKE for address 17")


@case("cmi1020/6.7.1/3", "The CMi1020 ignores a SND_NKE with a wrong checksum (EN 13757-2 §5.4).")
def test_snd_nke_with_bad_checksum_is_ignored(master):
    expect(master.exchange(bytes.fromhex("1040004116"))["outcome"], "timeout", "reply to 10 40 00 41 16")
