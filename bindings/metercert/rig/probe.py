"""The optical probe: an IEC 62056-21 mode C data readout of the meter itself, through a serial
port on the meter's optical port (the rig file's ``probe`` role, README "Rigs", rigs/README.md
"The optical probe").

metercert opens the port itself with termios (the same way for a USB optical head and a
pseudo-terminal: Debian's libserialport refuses ptys), 7E1 (7 data bits, even parity, 1 stop
bit) with parity errors marked (``INPCK | PARMRK``), and runs mode C::

    probe → /?!<CR><LF>                       300 Bd    request (IEC 62056-21 request message)
    meter → /XXXZ<ident><CR><LF>              300 Bd    identification; Z the highest rate it offers
    probe → <ACK>0Z0<CR><LF>                  300 Bd    option select: V 0 normal, Z, Y 0 data readout
    meter → <STX>data<ETX><BCC>               at Z      data message; BCC = XOR after STX up to ETX

Timing (ERRATA E-113): the meter's reaction time tr is 200 ms … 1500 ms and no two characters of a
message lie more than 1500 ms apart; the probe waits tr = 200 ms after the identification before
its option select, switches its own rate once the option select has left the UART (``tcdrain``),
and gives the meter 1500 ms for the first character of each answer and between characters.

The data message is checked as it arrives (the BCC against the XOR of the bytes after STX up to
ETX), then parsed by the reference parser (``metercert._core.parse_readout``,
reference/include/metercert/obis/readout.hpp). Every failure is a :class:`ProbeError` with a
stable name and where it happened (message and byte offset).
"""
from __future__ import annotations

import datetime as _dt
import os
import select
import termios
import time
from dataclasses import dataclass, field

ACK, STX, ETX = 0x06, 0x02, 0x03
SIGN_ON = b"/?!\r\n"
TR_MIN_S = 0.200      # IEC 62056-21: reaction time tr ≥ 200 ms
TR_MAX_S = 1.500      # tr ≤ 1500 ms
TA_MAX_S = 1.500      # inter-character time ≤ 1500 ms
MAX_MESSAGE = 1 << 20  # reference kMaxReadoutBytes: a longer data message is no readout
BAUD_OF = {"0": 300, "1": 600, "2": 1200, "3": 2400, "4": 4800, "5": 9600, "6": 19200}  # mode C
_SPEED = {300: termios.B300, 600: termios.B600, 1200: termios.B1200, 2400: termios.B2400, 4800: termios.B4800,
          9600: termios.B9600, 19200: termios.B19200}


class ProbeError(Exception):
    """A readout that failed. ``name`` (stable): ``port`` (the port cannot be opened or set),
    ``no_identification`` (nothing within tr max after the request), ``identification_timeout``
    (the identification stopped before CR LF), ``parity_error`` (a character with a parity error
    or not 7-bit), ``bad_identification`` (not ``/XXXZ…`` with a mode C baud character),
    ``no_data_message`` (nothing within tr max after the option select), ``data_timeout`` (the data
    message stopped before ETX and BCC), ``bad_bcc``, ``bad_readout`` (the reference parser rejects
    the readout: its line and column). ``message`` is ``identification`` or ``data``; ``offset``
    the byte of that message (0-based) where it went wrong, or None."""

    def __init__(self, name: str, detail: str, message: str | None = None, offset: int | None = None):
        self.name, self.detail, self.message, self.offset = name, detail, message, offset
        where = f" ({message} message, byte {offset})" if message is not None and offset is not None else ""
        super().__init__(f"{name}: {detail}{where}")


@dataclass
class ProbeReadout:
    """One readout through the probe: ``bytes`` (identification line and data message as received,
    the wire form the reference parser takes), ``readout`` (``_core.parse_readout``: manufacturer,
    baud_char, identification, lines …), ``baud`` (the data message's rate), ``started`` and
    ``ended`` (UTC, ISO 8601), ``source`` (the port, or the simulator)."""
    bytes: bytes
    readout: dict
    baud: int
    started: str
    ended: str
    source: str = ""
    values: list = field(default_factory=list)  # (OBIS, value, unit) of each data line, as sent

    def value(self, code: str) -> tuple[str, str] | None:
        """(value, unit) of the first data line with this code, padding trimmed."""
        for line in self.readout["lines"]:
            if line["code"] == code and line["values"]:
                return line["values"][0]["value"], line["values"][0]["unit"]
        return None


def _now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse(raw: bytes, source: str = "", baud: int = 0, started: str = "", ended: str = "") -> ProbeReadout:
    """A readout's wire form through the reference parser; ProbeError ``bad_readout`` (line,
    column) when it rejects it."""
    from metercert import _core
    try:
        parsed = _core.parse_readout(raw)
    except _core.ReadoutErrorBase as e:
        name, line, column, detail = e.args
        raise ProbeError("bad_readout", f"line {line}, column {column}: {name}: {detail}") from None
    values = [(l["code"], v["raw"], v["unit"]) for l in parsed["lines"] for v in l["values"][:1]]
    return ProbeReadout(raw, parsed, baud, started or _now_iso(), ended or _now_iso(), source, values)


class OpticalProbe:
    """A probe on the port ``port`` (a USB optical head's tty or a pseudo-terminal).
    ``max_baud``: the highest rate the probe selects (the identification's offer is used when it is
    lower; default: whatever the meter offers). :meth:`read` makes one mode C data readout."""

    def __init__(self, port: str, max_baud: int | None = None):
        self.port = str(port)
        self.max_baud = max_baud
        self.log: list[dict] = []  # each readout: time, rate, bytes, outcome

    # ------------------------------------------------------------------ the port (termios, 7E1)
    def _open(self) -> int:
        try:
            fd = os.open(self.port, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        except OSError as e:
            raise ProbeError("port", f"{self.port}: cannot open: {e.strerror}") from None
        try:
            self._set(fd, 300, termios.TCSANOW)
            termios.tcflush(fd, termios.TCIOFLUSH)
        except termios.error as e:
            os.close(fd)
            raise ProbeError("port", f"{self.port}: not a serial port (termios: {e.args[-1]})") from None
        return fd

    @staticmethod
    def _set(fd: int, baud: int, when: int) -> None:
        attr = termios.tcgetattr(fd)
        attr[0] = termios.INPCK | termios.PARMRK | termios.IGNBRK     # parity checked, errors marked FF 00 c
        attr[1] = 0                                                   # raw output
        attr[2] = termios.CS7 | termios.PARENB | termios.CREAD | termios.CLOCAL  # 7E1
        attr[3] = 0                                                   # no echo, no canonical mode, no signals
        attr[4] = attr[5] = _SPEED[baud]
        attr[6][termios.VMIN] = 0
        attr[6][termios.VTIME] = 0
        termios.tcsetattr(fd, when, attr)

    def _write(self, fd: int, data: bytes) -> None:
        view = memoryview(data)
        deadline = time.monotonic() + 5 + len(data) * 10 / 300
        while view:
            if time.monotonic() > deadline:
                raise ProbeError("port", f"{self.port}: the port does not take the bytes")
            select.select([], [fd], [], 0.5)
            try:
                n = os.write(fd, view)
            except BlockingIOError:
                continue
            view = view[n:]
        termios.tcdrain(fd)

    def _message(self, fd: int, which: str, first_s: float, done) -> bytes:
        """Bytes until ``done(buf)`` (PARMRK markers resolved): ProbeError when the first byte does
        not come within ``first_s``, or a later one not within ta max."""
        buf = bytearray()
        pending = bytearray()
        limit = time.monotonic() + first_s
        while True:
            wait = limit - time.monotonic()
            r = select.select([fd], [], [], max(0.0, wait))[0] if wait > 0 else []
            chunk = b""
            if r:
                try:
                    chunk = os.read(fd, 4096)
                except BlockingIOError:
                    chunk = b""
                except OSError as e:
                    raise ProbeError("port", f"{self.port}: read failed: {e.strerror}") from None
            if not chunk:
                if time.monotonic() < limit:
                    continue
                if not buf and not pending:
                    name = "no_identification" if which == "identification" else "no_data_message"
                    raise ProbeError(name, f"the meter sent nothing within {first_s * 1000:.0f} ms "
                                           f"(IEC 62056-21 reaction time tr ≤ 1500 ms)")
                name = "identification_timeout" if which == "identification" else "data_timeout"
                raise ProbeError(name, f"{len(buf)} byte(s), then nothing for {TA_MAX_S * 1000:.0f} ms "
                                       f"(IEC 62056-21 inter-character time ≤ 1500 ms)", which, len(buf))
            pending += chunk
            limit = time.monotonic() + TA_MAX_S
            while pending:
                b = pending[0]
                if b == 0xFF:  # PARMRK: FF FF = a byte 0xFF, FF 00 c = c with a parity/framing error
                    if len(pending) < 2 or (pending[1] == 0 and len(pending) < 3):
                        break
                    if pending[1] == 0xFF:
                        raise ProbeError("parity_error", "byte 0xFF: not a 7-bit character", which, len(buf))
                    raise ProbeError("parity_error", f"character 0x{pending[2]:02X} arrived with a parity or framing error",
                                     which, len(buf))
                if b >= 0x80:
                    raise ProbeError("parity_error", f"byte 0x{b:02X}: not a 7-bit character (7E1)", which, len(buf))
                buf.append(b)
                del pending[0]
                if done(buf):
                    if pending:
                        raise ProbeError("bad_readout", f"{len(pending)} byte(s) after the end of the {which} message",
                                         which, len(buf))
                    return bytes(buf)
                if len(buf) > MAX_MESSAGE:
                    raise ProbeError("bad_readout", f"more than {MAX_MESSAGE} bytes without an end", which, len(buf))

    # ------------------------------------------------------------------------------ the readout
    def read(self) -> ProbeReadout:
        """One mode C data readout (see the module's docstring); ProbeError on any failure."""
        started = _now_iso()
        fd = self._open()
        try:
            self._write(fd, SIGN_ON)
            ident = self._message(fd, "identification", TR_MAX_S, lambda b: b.endswith(b"\r\n"))
            if len(ident) < 7 or ident[0:1] != b"/" or not ident[1:4].isalpha():
                raise ProbeError("bad_identification", f"{ident!r}: expected /XXXZ<identification> CR LF", "identification", 0)
            z = chr(ident[4])
            if z not in BAUD_OF:
                raise ProbeError("bad_identification", f"baud character {z!r} is no mode C rate ('0'…'6')",
                                 "identification", 4)
            for i, c in enumerate(ident[:-2]):
                if c < 0x20 or c > 0x7E:
                    raise ProbeError("bad_identification", f"control character 0x{c:02X} in the identification",
                                     "identification", i)
            offer = BAUD_OF[z]
            if self.max_baud and offer > self.max_baud:
                z = max((k for k, v in BAUD_OF.items() if v <= self.max_baud), default="0")
            baud = BAUD_OF[z]
            time.sleep(TR_MIN_S)
            self._write(fd, bytes([ACK]) + b"0" + z.encode() + b"0\r\n")
            if baud != 300:
                self._set(fd, baud, termios.TCSADRAIN)
            state = {"etx": None}

            def complete(buf: bytearray) -> bool:
                if len(buf) == 1 and buf[0] != STX:
                    raise ProbeError("bad_readout", f"the data message starts with 0x{buf[0]:02X}, not STX", "data", 0)
                if state["etx"] is None and buf[-1] == ETX:
                    state["etx"] = len(buf) - 1
                return state["etx"] is not None and len(buf) == state["etx"] + 2

            data = self._message(fd, "data", TR_MAX_S, complete)
        finally:
            os.close(fd)
        want = 0
        for c in data[1:-1]:
            want ^= c
        if data[-1] != want:
            raise ProbeError("bad_bcc", f"BCC 0x{data[-1]:02X}, the XOR of the bytes after STX up to ETX is 0x{want:02X} "
                                        f"(IEC 62056-21)", "data", len(data) - 1)
        out = parse(ident + data, self.port, baud, started, _now_iso())
        self.log.append({"started": out.started, "ended": out.ended, "baud": baud, "bytes": len(ident) + len(data)})
        return out
