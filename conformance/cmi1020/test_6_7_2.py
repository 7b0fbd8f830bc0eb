"""CMi1020 §6.7.2 — REQ_UD2 and the RSP_UD of §6.7.2.2 (Table 5), FCB handling (EN 13757-2 §5.5)
and the reply window (EN 13757-2: 11 bit times … 330 bit times + 50 ms)."""
import metercert
from metercert import build_short
from .lib import rsp_ud
from metercert.conformance import Mismatch, case, expect, expect_between


def rsp(master, c=0x7B, a=0):
    ex = master.exchange(build_short(c, a))
    expect(ex["outcome"], "frame", f"reply to REQ_UD2 C={c:02X}")
    return ex


def rsp_ud_bytes(master) -> bytes:
    """An RSP_UD with the long header of §6.7.2.2 (bytes 7–18), whose bytes the cases index."""
    b = rsp(master)["bytes"]
    if len(b) < 21 or b[0] != 0x68 or b[6] != 0x72:
        raise Mismatch("reply to REQ_UD2", "RSP_UD with CI 0x72 and its 12-byte header (§6.7.2.2)", b.hex(" ").upper())
    return b


@case("cmi1020/6.7.2/1", "REQ_UD2 is answered with RSP_UD (C 0x08) carrying a long header (CI 0x72).")
def test_rsp_ud_long_header(master):
    master.snd_nke(0)
    d = metercert.decode(rsp(master)["bytes"])
    expect(d.get("c"), "08", "C-field of the reply")
    expect(d.get("ci"), "72", "CI-field of the reply")


@case("cmi1020/6.7.2/2", "The RSP_UD header names the manufacturer ELV and version/generation 01–09 (§6.1).")
def test_header_identity(master):
    master.snd_nke(0)
    h = rsp_ud(rsp(master)["bytes"])["header"]
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
    a1 = rsp_ud(rsp(master, 0x7B)["bytes"])["header"]["access_number"]
    a2 = rsp_ud(rsp(master, 0x5B)["bytes"])["header"]["access_number"]
    expect((a1 + 1) % 256, a2, "access number after a toggled FCB")


@case("cmi1020/6.7.2/5", "The RSP_UD starts between 11 bit times and 330 bit times + 50 ms after REQ_UD2 (EN 13757-2, a 'shall').",
      needs=("mbus.line",))
def test_reply_window(master):
    master.snd_nke(0)
    gap = rsp(master)["reply_gap_ms"]
    expect_between(gap, 11 * 1000 / 2400, 330 * 1000 / 2400 + 50, "reply gap at 2400 baud", "ms")


# The header's medium byte (§6.7.2.2 byte 14): the byte table prints 0x00, its description and §6.1
# say electricity (0x02, EN 13757-3 Table 3). Either is a reading of the manual; nothing else is.
MEDIUM_READINGS = ["00", "02"]


@case("cmi1020/6.7.2/6", "The medium byte of the header is 0x02 (electricity); §6.7.2.2 prints 0x00 (ERRATA E-1).",
      level="implementation-defined")
def test_medium_is_electricity(master):
    master.snd_nke(0)
    expect(rsp_ud(rsp(master)["bytes"])["header"]["medium"], "02", "medium")


@case("cmi1020/6.7.2/7", "The medium byte of the header (byte 14) is 0x00 or 0x02, the two readings of §6.7.2.2 and §6.1 (ERRATA E-1).")
def test_medium_is_a_reading_of_the_manual(master):
    master.snd_nke(0)
    medium = f"{rsp_ud_bytes(master)[14]:02X}"
    if medium not in MEDIUM_READINGS:
        raise Mismatch("medium byte (RSP_UD byte 14)", MEDIUM_READINGS, medium)
