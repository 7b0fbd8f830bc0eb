"""Secrets never leave a simulator (issue 11, section 2): every `--pcap` of `simulate cmi1020`,
`cme3000` and `cme3100` goes through the redaction stage (rigs::RedactingTap), so the P1 password
and the P2 key of the CMi1020's commands are in no capture and no log — whole frames, frames
split over TCP segments, and frames the slave rejects (wrong checksum).

Frames written out from the CMi1020 manual: §6.7.9.1 set P1 `68 0D 0D 68 53 00 51 0F 01 <8 ASCII
digits> CS 16`; §6.7.10 set P2 `68 15 15 68 53 00 51 0F 02 <16 key bytes> CS 16` (ERRATA E-20)."""
import json
import os
import pathlib
import socket
import struct
import termios
import time
import tty

import pytest

from conftest import Server, long_frame

P1 = b"73195062"                                         # 8 ASCII digits
P2 = bytes.fromhex("A7C35E19D24B86F03E91B5C8270D4F6A")   # 16 key bytes
SET_P1 = bytes([0x53, 0x00, 0x51, 0x0F, 0x01]) + P1
SET_P2 = bytes([0x53, 0x00, 0x51, 0x0F, 0x02]) + P2
HEADER_P1 = bytes.fromhex("680D0D6853005 10F01".replace(" ", ""))
HEADER_P2 = bytes.fromhex("6815156853005 10F02".replace(" ", ""))


def sends():
    """(label, list of byte pieces) the test sends: each frame whole, split inside its header and
    its secret, and with a wrong checksum (the slave rejects it; it must not be in clear either)."""
    out = []
    for name, body in (("P1", SET_P1), ("P2", SET_P2)):
        good, bad = long_frame(body), long_frame(body, cs_delta=1)
        out.append((f"{name} whole", [good]))
        out.append((f"{name} split", [good[:3], good[3:11], good[11:14], good[14:]]))
        out.append((f"{name} bad checksum", [bad]))
    return out


def needles():
    """Every form a secret could take in a file or a log: bytes, hex in both cases, spaced hex."""
    forms = []
    for s in (P1, P2):
        forms += [s, s.hex().encode(), s.hex().upper().encode(), s.hex(" ").encode(), s.hex(" ").upper().encode()]
    forms.append(P1.decode().encode("utf-16-le"))
    return forms


def assert_no_secret(blob: bytes, where: str):
    for n in needles():
        assert n not in blob, f"{where} holds a secret ({n[:12]!r}…)"


def pcap_streams(path: pathlib.Path) -> tuple[dict, list]:
    """{(channel, direction): concatenated bytes} and every record's flags, of a link type 147 file."""
    data = path.read_bytes()
    magic, _, _, _, _, _, linktype = struct.unpack("<IHHiIII", data[:24])
    assert magic == 0xA1B2C3D4 and linktype == 147
    streams, flags, off = {}, [], 24
    while off < len(data):
        _, _, caplen, _ = struct.unpack("<IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        _version, direction, channel, f = pkt[0], pkt[1], pkt[2], pkt[3]
        streams[(channel, direction)] = streams.get((channel, direction), b"") + pkt[8:]
        flags.append(f)
    return streams, flags


def send_tcp(port: int):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _label, pieces in sends():
            for piece in pieces:
                s.sendall(piece)
                time.sleep(0.05)  # separate TCP segments, well inside the 500 ms partial-frame limit
            time.sleep(0.3)       # the slave's ACK (or silence) before the next frame


def check_capture(cap: pathlib.Path, channel: int, err: str):
    blob = cap.read_bytes()
    assert_no_secret(blob, str(cap))
    assert_no_secret(err.encode(), "stderr")
    streams, flags = pcap_streams(cap)
    sent = streams.get((channel, 0), b"")
    # not vacuous: the frames are in the capture, their secrets replaced by '*' (0x2A) up to the checksum
    assert HEADER_P1 + b"*" * 9 + b"\x16" in sent, sent.hex()
    assert HEADER_P2 + b"*" * 17 + b"\x16" in sent, sent.hex()
    assert any(f & 0x04 for f in flags), "no record carries the redacted flag (bit 2)"


def test_cmi1020_over_tcp(tmp_path):
    cap = tmp_path / "sim.pcap"
    sim = Server("cmi1020", "--listen", "tcp://127.0.0.1:0", "--pcap", str(cap))
    try:
        send_tcp(sim.port)
    finally:
        rc, err = sim.stop()
    assert rc == 0, err
    check_capture(cap, 0, "".join(sim.lines) + json.dumps(sim.ready) + err)


def test_cmi1020_over_a_pty(tmp_path):
    cap, pty = tmp_path / "sim.pcap", tmp_path / "mbus"
    sim = Server("cmi1020", "--pty", str(pty), "--pcap", str(cap))
    fd = os.open(pty, os.O_RDWR | os.O_NOCTTY)
    try:
        tty.setraw(fd)
        termios.tcflush(fd, termios.TCIOFLUSH)
        for _label, pieces in sends():
            for piece in pieces:
                os.write(fd, piece)
                time.sleep(0.005)  # inside the line's 20 ms partial-frame limit
            time.sleep(0.2)
    finally:
        os.close(fd)
        rc, err = sim.stop()
    assert rc == 0, err
    check_capture(cap, 0, "".join(sim.lines) + json.dumps(sim.ready) + err)


def test_cme3000_in_front_of_a_simulated_bus(tmp_path):
    cap = tmp_path / "gw.pcap"
    gw = Server("cme3000", "--listen", "tcp://127.0.0.1:0", "--bus", "sim:cmi1020", "--pcap", str(cap))
    try:
        send_tcp(gw.port)
    finally:
        rc, err = gw.stop()
    assert rc == 0, err
    check_capture(cap, 0, "".join(gw.lines) + json.dumps(gw.ready) + err)


def test_cme3000_in_front_of_a_serial_line(tmp_path):
    # the gateway relays to a CMi1020 simulator's pty: both captures stay clean
    slave_cap, gw_cap, pty = tmp_path / "slave.pcap", tmp_path / "gw.pcap", tmp_path / "mbus"
    slave = Server("cmi1020", "--pty", str(pty), "--pcap", str(slave_cap))
    gw = Server("cme3000", "--listen", "tcp://127.0.0.1:0", "--serial", str(pty), "--pcap", str(gw_cap))
    try:
        send_tcp(gw.port)
    finally:
        rc, err = gw.stop()
        src, serr = slave.stop()
    assert rc == 0 and src == 0, (err, serr)
    check_capture(gw_cap, 0, "".join(gw.lines) + json.dumps(gw.ready) + err)
    check_capture(slave_cap, 0, "".join(slave.lines) + json.dumps(slave.ready) + serr)


def test_cme3100_virtual_mbus_port(tmp_path):
    # the frames go to the Virtual M-Bus port, which the capture holds on channel 1
    ml = tmp_path / "meters.csv"
    ml.write_text("Position,SecondaryAddress,BaudRate,AddressingMode,PrimaryAddress,EnhancedAddress\n"
                  "Cafeteria,13647123,2400,secondary,,\n")
    cap = tmp_path / "gw.pcap"
    gw = Server("cme3100", "--listen", "tcp://127.0.0.1:0", "--bus", "sim:cmi1020", "--meter-list", str(ml),
                "--pcap", str(cap))
    try:
        send_tcp(gw.port)
    finally:
        rc, err = gw.stop()
    assert rc == 0, err
    check_capture(cap, 1, "".join(gw.lines) + json.dumps(gw.ready) + err)
