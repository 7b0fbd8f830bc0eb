"""CMe3000 §6.3 — the M-Bus transparent server: a TCP client's bytes reach the M-Bus unchanged and
the slaves' replies come back unchanged (so every EN 13757-2 frame, FCB multi-telegram reading and
a secondary search work through it), one client at a time (ERRATA E-22)."""
import metercert
from cme3000_lib import client, closed_within
from metercert.conformance import case, expect


@case("cme3000/6.3/1", "SND_NKE and REQ_UD2 through the gateway get the slave's ACK and a valid RSP_UD (checksum, L-field intact).")
def test_relays_request_and_reply(master):
    expect(master.snd_nke(254), True, "SND_NKE to 254 ACKed through the gateway")
    d = metercert.decode(master.req_ud2(254))  # decode checks start, L-fields, checksum and stop
    expect(d["c"], "08", "C-field of the relayed RSP_UD")


@case("cme3000/6.3/2", "A multi-telegram readout with FCB toggling and secondary addressing (selection, 253) work through the gateway.")
def test_multi_telegram_and_selection(master):
    master.snd_nke(254)
    frames, truncated = master.read(254)
    expect(truncated, False, "readout ended with DIF 0x0F")
    ident = metercert.decode(frames[0][0])["header"]["id"]
    expect(master.select(ident + "FFFFFFFF"), "ack", f"selection of {ident} through the gateway")
    expect(metercert.decode(master.req_ud2(253))["header"]["id"], ident, "ID read at address 253")
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
