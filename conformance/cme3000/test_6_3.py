"""CMe3000 §6.3 — the M-Bus transparent server: a TCP client's bytes reach the M-Bus unchanged and
the slaves' replies come back unchanged (so every EN 13757-2 frame, FCB multi-telegram reading and
a secondary search work through it), one client at a time (ERRATA E-22)."""
import time

import metercert
from .lib import client, closed_within, received
from metercert.conformance import Mismatch, case, expect


@case("cme3000/6.3/1", "SND_NKE and REQ_UD2 through the gateway get the slave's ACK and a valid RSP_UD (checksum, L-field intact).")
def test_relays_request_and_reply(master):
    expect(master.snd_nke(254), True, "SND_NKE to 254 ACKed through the gateway")
    d = metercert.decode(master.req_ud2(254))  # decode checks start, L-fields, checksum and stop
    expect(d.get("c"), "08", "C-field of the relayed RSP_UD")


@case("cme3000/6.3/2", "A multi-telegram readout with FCB toggling and secondary addressing (selection, 253) work through the gateway.")
def test_multi_telegram_and_selection(master):
    master.snd_nke(254)
    frames, truncated = master.read(254)
    expect(truncated, False, "readout ended with DIF 0x0F")
    ident = metercert.decode(frames[0][0]).get("header", {}).get("id")
    expect(ident is not None, True, "the first telegram has a header with an ID")
    expect(master.select(ident + "FFFFFFFF"), "ack", f"selection of {ident} through the gateway")
    expect(metercert.decode(master.req_ud2(253)).get("header", {}).get("id"), ident, "ID read at address 253")
    master.exchange(bytes.fromhex("1040FD3D16"))  # end the selection


@case("cme3000/6.3/3", "Bytes that are no frame are relayed too: a frame split over several TCP segments is answered.")
def test_split_frame(dut_url):
    c = client(dut_url)
    try:
        for part in (b"\x10\x40", b"\xfe", b"\x3e\x16"):  # SND_NKE to 254, three segments
            c.sendall(part)
        c.settimeout(2.0)
        expect(c.recv(16), b"\xe5", "ACK to a SND_NKE sent in three TCP segments")
    finally:
        c.close()


@case("cme3000/6.3/4", "While a client is connected a second connection is closed at once and the first keeps working (E-22).",
      level="implementation-defined")
def test_one_client_at_a_time(master, dut_url):
    master.snd_nke(254)
    second = client(dut_url)
    try:
        expect(closed_within(second, 2.0) is not None, True, "second connection closed by the gateway within 2 s")
    finally:
        second.close()
    expect(master.snd_nke(254), True, "SND_NKE on the first connection afterwards")


@case("cme3000/6.3/5", "With a second connection opened while a client is connected, a reply reaches only the client that asked: "
      "either the first keeps being served and the second gets none of its bytes, or the first is closed and the second is "
      "served (the readings of 'Dropped Accepts', ERRATA E-22).")
def test_no_cross_talk(master, dut_url):
    master.snd_nke(254)
    second = client(dut_url)
    try:
        time.sleep(0.3)  # the gateway has seen the second connection
        try:
            first_served = master.snd_nke(254)
        except (metercert.MasterError, metercert.PortError):
            first_served = False
        leaked = received(second, 0.5)
        if first_served:
            outcome = "first served, second silent" if not leaked else f"first served, second got {leaked.hex(' ').upper()}"
        else:
            try:
                second.sendall(bytes.fromhex("1040FE3E16"))
                answer = received(second, 1.0)
            except OSError:
                answer = b""
            outcome = "first closed, second served" if answer[:1] == b"\xe5" else "neither connection served"
    finally:
        second.close()
    allowed = ["first served, second silent", "first closed, second served"]
    if outcome not in allowed:
        raise Mismatch("the two connections after SND_NKE 254 on the first", allowed, outcome)
