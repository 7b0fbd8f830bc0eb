"""CMi1020 §6.7.2 — REQ_UD2 and the RSP_UD of §6.7.2.2 (Table 5), FCB handling (EN 13757-2 §5.5)
and the reply window (EN 13757-2: 11 bit times … 330 bit times + 50 ms)."""
import metercert
from metercert import build_short
from metercert.conformance import case, expect, expect_between


def rsp(master, c=0x7B, a=0):
    ex = master.exchange(build_short(c, a))
    expect(ex["outcome"], "frame", f"reply to REQ_UD2 C={c:02X}")
    return ex


@case("cmi1020/6.7.2/1", "REQ_UD2 is answered with RSP_UD (C 0x08) carrying a long header (CI 0x72).")
def test_rsp_ud_long_header(master):
    master.snd_nke(0)
    d = metercert.decode(rsp(master)["bytes"])
    expect(d["c"], "08", "C-field of the reply")
    expect(d["ci"], "72", "CI-field of the reply")


@case("cmi1020/6.7.2/2", "The RSP_UD header names the manufacturer ELV and version/generation 01–09 (§6.1).")
def test_header_identity(master):
    master.snd_nke(0)
    h = metercert.decode(rsp(master)["bytes"])["header"]
    expect(h["manufacturer"], "ELV", "manufacturer")
    expect(1 <= int(h["version"]) <= 9, True, f"generation {h['version']} in 01–09")


@case("cmi1020/6.7.2/3", "A REQ_UD2 repeated with the same FCB gets the previous telegram again, byte for byte.")
def test_untoggled_fcb_repeats(master):
    master.snd_nke(0)
    first = rsp(master, 0x7B)["bytes"]
    again = rsp(master, 0x7B)["bytes"]
    expect(again.hex(), first.hex(), "reply to the repeated REQ_UD2 (same FCB)")


@case("cmi1020/6.7.2/4", "A REQ_UD2 with the FCB toggled gets a new telegram (the access number advances).")
def test_toggled_fcb_advances(master):
    master.snd_nke(0)
    a1 = metercert.decode(rsp(master, 0x7B)["bytes"])["header"]["access_number"]
    a2 = metercert.decode(rsp(master, 0x5B)["bytes"])["header"]["access_number"]
    expect((a1 + 1) % 256, a2, "access number after a toggled FCB")


@case("cmi1020/6.7.2/5", "The RSP_UD starts between 11 bit times and 330 bit times + 50 ms after REQ_UD2 (EN 13757-2).",
      level="should", needs=("line_timing",))
def test_reply_window(master):
    master.snd_nke(0)
    gap = rsp(master)["reply_gap_ms"]
    expect_between(gap, 11 * 1000 / 2400, 330 * 1000 / 2400 + 50, "reply gap at 2400 baud", "ms")


@case("cmi1020/6.7.2/6", "The medium byte of the header is 0x02 (electricity); §6.7.2.2 prints 0x00 (ERRATA E-1).",
      level="implementation-defined")
def test_medium_is_electricity(master):
    master.snd_nke(0)
    expect(metercert.decode(rsp(master)["bytes"])["header"]["medium"], "02", "medium")
