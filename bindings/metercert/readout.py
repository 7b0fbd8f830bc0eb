"""IEC 62056-21 readouts as the conformance cases need them (the meter reference): the data lines
of a readout as sent, and a framed mode C readout made from lines (the CMi1020's and the
CMi1020W's E350 meter; shared by their profiles)."""
from __future__ import annotations

import functools
import re


def make_readout(lines: list[str], ident: str = "/LGZ4ZMF100AC.M26") -> bytes:
    """An IEC 62056-21 mode C readout: identification, STX, data lines, '!', ETX, BCC (XOR of every
    byte after STX up to and including ETX)."""
    payload = "".join(f"{ln}\r\n" for ln in lines).encode() + b"!\r\n\x03"
    return f"{ident}\r\n".encode() + b"\x02" + payload + bytes([functools.reduce(lambda x, y: x ^ y, payload, 0)])


_LINE = re.compile(rb"^([0-9A-Z.:*\-]+)\((.*)\)\r?$")


def readout_values(readout: bytes) -> list[tuple[str, str, str]]:
    """(OBIS, value, unit) of each data line of a readout, as sent (padding kept). The readout may
    come with its IEC 62056-21 framing (identification line, STX … '!' ETX BCC) or as the bare data
    lines a lab saves (CRLF or LF): the data block is what lies after STX, if there is one, up to '!'."""
    body = readout.split(b"\x02", 1)[1] if b"\x02" in readout else readout
    body = body.split(b"\r\n!", 1)[0].split(b"\n!", 1)[0]
    if body.startswith(b"!"):
        body = b""
    out = []
    for line in body.split(b"\n"):
        m = _LINE.match(line.strip(b"\n"))
        if not m:
            continue  # the identification line (/LGZ…), a blank line, ETX/BCC
        value, _, unit = m.group(2).decode("latin-1").partition("*")
        out.append((m.group(1).decode(), value, unit))
    return out
