"""metercert — conformance suite for smart-meter communication modules.

The Python face of the C++ reference (``metercert._core``). Frames are ``bytes``; decoded frames
are plain ``dict`` objects in the canonical JSON shape documented in ``vectors/README.md``
(header fields, and per record ``dif``, ``vif``, ``function``, ``storage``, ``tariff``,
``subunit``, ``type``, ``quantity``, ``unit``, ``value`` as an exact decimal string, ``raw``).

Sources: EN 13757-2 (link layer), EN 13757-3 (application layer), Elvaco's product manuals (named
with their sections where used; they are not part of the repository); ambiguities and their
resolutions are in ``vectors/ERRATA.md``.
"""
from __future__ import annotations

import json as _json
import os as _os
import pathlib as _pathlib
from typing import Any, Union

from . import _core

__all__ = [
    "DecodeError", "decode", "encode", "decode_hex", "checksum", "build_short", "build_long",
    "manufacturer_code", "manufacturer_letters", "medium_name", "FrameReader",
    "MasterError", "PortError", "DutError", "DUT_ERRORS", "Connection", "Master", "connect", "search_secondary",
    "scan_primary", "read_pcap", "Reference", "E350", "dut_link", "dut_link_schemes", "capabilities", "Simulator",
    "executable", "decode_wmbus", "redact_url",
]


class DecodeError(ValueError):
    """A frame or model was rejected.

    Attributes:
        name:   stable snake_case error name, e.g. ``"bad_checksum"`` (the names of
                ``metercert::mbus::ErrorCode``; the same strings as vectors' ``error.name``).
        offset: byte offset from the first byte of the frame where the problem was found.
        detail: one human-readable line.
    """

    def __init__(self, name: str, offset: int, detail: str):
        super().__init__(f"{name} at byte {offset}: {detail}")
        self.name, self.offset, self.detail = name, offset, detail


def _wrap(fn, *args):
    try:
        return fn(*args)
    except _core.DecodeErrorBase as e:  # (name, offset, detail)
        raise DecodeError(*e.args) from None


Frame = Union[bytes, bytearray, memoryview]


def decode(frame: Frame, strict: bool = False) -> dict[str, Any]:
    """Decode one whole M-Bus frame into canonical JSON (a dict).

    ``frame`` must hold exactly one frame: 0xE5, a short frame ``10 C A CS 16``, a control frame
    or a long frame ``68 L L 68 C A CI data CS 16`` (EN 13757-2 §5). Raises :class:`DecodeError`
    with the error name and byte offset otherwise. Values are exact decimal strings in the SI
    unit of ``unit`` (e.g. ``{"quantity": "energy", "unit": "Wh", "value": "12345678000"}``).
    Recoverable deviations (a non-BCD identification number, …) are listed under
    ``"violations"``; with ``strict=True`` the first of them raises :class:`DecodeError` instead.
    """
    return _json.loads(_wrap(_core.decode_json, bytes(frame), strict))


def decode_hex(text: str, strict: bool = False) -> dict[str, Any]:
    """:func:`decode` for hex text; spaces are allowed ("10 40 01 41 16")."""
    try:
        frame = bytes.fromhex(text)
    except ValueError as e:
        raise DecodeError("bad_hex", 0, str(e)) from None
    return decode(frame, strict)


def encode(model: Union[dict, str]) -> bytes:
    """Build the frame a canonical-JSON model describes (the inverse of :func:`decode`).

    Records need ``dif`` (DIF+DIFEs, hex), ``vif`` (the VIB as sent, hex), ``type`` and
    ``value``; the value is scaled back to the register exactly (``"3456.7"`` m3 with VIF 0x15
    → register 34567). ``encode(decode(b)) == b`` for every valid frame. Raises
    :class:`DecodeError` (``bad_model``, ``value_out_of_range``, ``bad_bcd``).
    """
    text = model if isinstance(model, str) else _json.dumps(model)
    return _wrap(_core.encode_json, text)


def checksum(data: Frame) -> int:
    """Arithmetic sum of ``data`` modulo 256 (EN 13757-2 §5.4)."""
    return _core.checksum(bytes(data))


def build_short(c: int, a: int) -> bytes:
    """Short frame ``10 C A CS 16``, e.g. SND_NKE to address 1: ``build_short(0x40, 1)``."""
    return _core.build_short(c, a)


def build_long(c: int, a: int, ci: int, user_data: bytes = b"") -> bytes:
    """Control frame (no user data) or long frame; raises DecodeError above 252 user-data bytes."""
    return _wrap(_core.build_long, c, a, ci, bytes(user_data))


def decode_wmbus(frame: Frame, key: bytes | None = None, crc: str = "auto") -> dict[str, Any]:
    """Decode one wireless M-Bus telegram into canonical JSON (a dict): the same object as
    ``metercert decode --wmbus --json`` prints (vectors/README.md "Wireless M-Bus": ``link``,
    ``ell``, ``afl``, ``tpl``, ``security``, ``records``).

    ``frame`` starts at the L-field; ``crc`` is its frame format (EN 13757-4 §5.3: ``"A"``, ``"B"``,
    ``"none"`` when a receiver stripped the CRCs, ``"auto"``: ERRATA E-47); ``key`` the AES-128 key
    (16 bytes) for security modes 5 and 7 (OMS Vol. 2 §9.2.4), never shown in any message. Raises
    :class:`DecodeError` (``crc_mismatch``, ``no_key``, ``decryption_check_failed``, … with the wire
    offset) and ValueError for a key that is not 16 bytes or an unknown ``crc``."""
    try:
        return _json.loads(_core.decode_wmbus_json(bytes(frame), None if key is None else bytes(key), crc))
    except _core.WmbusDecodeErrorBase as e:  # (name, offset, detail)
        raise DecodeError(*e.args) from None


def redact_url(url: str) -> str:
    """A DUT URL as it may be shown: every secret parameter's value (``key``, ``password``,
    ``psk``) replaced by ``<redacted>`` (rigs/include/metercert/rigs/dut_link.hpp)."""
    return _core.redact_url(url)


manufacturer_code = _core.manufacturer_code
manufacturer_letters = _core.manufacturer_letters
medium_name = _core.medium_name
FrameReader = _core.FrameReader


# --------------------------------------------------------------------------- master, transports


class MasterError(RuntimeError):
    """An M-Bus operation failed (reference/master/master.hpp).

    Attributes:
        name: ``timeout`` (no reply within the response timeout), ``collision`` (several slaves
              answered a selection), ``bad_reply`` (garbled, or not the expected frame) or
              ``nack`` (a reply other than ACK).
    """

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name


class PortError(OSError):
    """The transport failed: ``connect_failed``, ``connection_closed``, ``port_lost``, ``io_error``."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name = name


class DutError(ValueError):
    """A DUT URL that cannot be used (unknown scheme, bad parameter; ``name`` ``bad_url``), or an
    operation asked of a DUT link that does not offer its capability (``name`` ``no_capability``);
    the message names the part."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name


def _translate(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except _core.MasterErrorBase as e:
        raise MasterError(*e.args) from None
    except _core.PortErrorBase as e:
        raise PortError(*e.args) from None
    except _core.DutErrorBase as e:
        raise DutError(*e.args) from None


class _Translating:
    """Forwards to a _core object; its C++ errors arrive as MasterError/PortError/DutError."""

    def __init__(self, inner):
        object.__setattr__(self, "_inner", inner)

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if callable(attr):
            return lambda *a, **k: _translate(attr, *a, **k)
        return attr


# The DUT's own errors (a case that raises one failed; anything else is an error of the suite).
DUT_ERRORS = (MasterError, PortError, DecodeError)


def executable() -> str:
    """The ``metercert`` executable that runs simulator processes: $METERCERT_EXE (set by
    ``metercert run``), $METERCERT_BIN, else the one of the build tree this package is in
    (build/python/metercert → build/metercert)."""
    return (_os.environ.get("METERCERT_EXE") or _os.environ.get("METERCERT_BIN")
            or str(_pathlib.Path(__file__).resolve().parents[2] / "metercert"))


class Connection(_Translating):
    """A DUT link by URL; see ``_core.Connection``: ``capabilities`` (a frozenset of names such as
    ``mbus.request``, ``mbus.line``, ``sim.cmi1020``, ``wmbus.receive``), ``url`` (secrets
    redacted), records(), idle(), and the interfaces of its capabilities (power_cycle(), meter(), …
    for sim.cmi1020; receive(timeout_s) for wmbus.receive; cmi1020w_meter(), cmi1020w_power_cycle(),
    cmi1020w_state(), … for sim.cmi1020w)."""

    def __init__(self, url: str, pcap: str = ""):
        super().__init__(_translate(_core.Connection, url, pcap, executable()))


def dut_link(url: str) -> dict:
    """What the link at ``url`` is and would offer, without opening it: ``name`` (``sim:cmi1020``,
    ``tcp``, …), ``form``, ``summary``, ``params`` (documented), ``offers``, ``capabilities`` (this
    URL's), ``target``, ``query`` (its parameters), ``simulator_process``. Raises DutError."""
    return _translate(_core.dut_link, url)


def dut_link_schemes() -> list:
    """Every registered DUT URL scheme (rigs/links/): name, form, summary, params, offers."""
    return _core.dut_link_schemes()


def capabilities() -> dict:
    """Every capability a case may need: ``{name: {words, source ('link'|'rig'), reserved, offered_by}}``."""
    return _core.capabilities()


class Simulator(_Translating):
    """A simulator process for a process-simulator URL (``sim:cme3000``, ``sim:cme3100?fault=…``):
    ``metercert simulate DEVICE --listen tcp://127.0.0.1:0`` with the URL's parameters as options
    and ``options`` added (a caller's ``--bus``/``--meter-list`` replace the URL's defaults). Ready
    when constructed: ``url`` (tcp://127.0.0.1:PORT, from its readiness line), ``ready`` (that line:
    ``device``, ``listen``, ``identity``; see :func:`ready_line`), ``messages`` (its stderr lines),
    ``pid``; stop() ends it. Raises DutError for a bad URL, RuntimeError when it does not start."""

    def __init__(self, url: str, *options: str):
        super().__init__(_translate(_core.SimulatorProcess, url, list(options), executable()))

    @property
    def ready(self) -> dict:
        return _json.loads(self._inner.ready_json)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def ready_line(line) -> dict | None:
    """A simulator's readiness line (the first line of ``metercert simulate``'s stdout, one JSON
    object; rigs/include/metercert/rigs/sim_host.hpp) as a dict — ``event`` ("ready"), ``schema``,
    ``device``, ``listen`` (``[{"kind": "tcp", "url": …} | {"kind": "pty", "path": …, "pts": …}]``),
    ``identity`` — or None when ``line`` is not one."""
    try:
        d = _json.loads(line)
    except (ValueError, TypeError):
        return None
    if not isinstance(d, dict) or d.get("event") != "ready" or not isinstance(d.get("listen"), list):
        return None
    return d


class Master(_Translating):
    """The M-Bus master over a :class:`Connection`; see ``_core.Master`` for settings and methods.

    >>> m = Master(connect("sim:cmi1020?count=3"))
    >>> m.snd_nke(0)
    True
    """

    def __init__(self, connection: Connection, **settings):
        super().__init__(_translate(_core.Master, connection._inner, **settings))


def connect(url: str, pcap: str = "") -> Connection:
    """Open a DUT URL: ``sim:cmi1020?count=N``, ``tcp://HOST:PORT``, ``serial:///dev/ttyUSB0?baud=2400``,
    ``sim:cmi1020w?key=HEX``, ``wmbus+hex:FILE``."""
    return Connection(url, pcap)


def search_secondary(master: Master, algorithm: str = "adaptive", start: str = "FFFFFFFF") -> dict:
    """Secondary address search; returns found slaves, problems and cost (telegrams, timeouts, bus_ms)."""
    return _translate(_core.search_secondary, master._inner, algorithm, start)


def scan_primary(master: Master, first: int = 0, last: int = 250) -> dict:
    """Primary scan first..last (SND_NKE then REQ_UD2); returns found slaves, problems and cost."""
    return _translate(_core.scan_primary, master._inner, first, last)


def read_pcap(path: str, tcp_port: int = 10001) -> list:
    """Bursts of a capture (our link type 147, or TCP on ``tcp_port``) as dicts with bytes and time."""
    return _core.read_pcap(path, tcp_port)


Reference = _core.Reference
E350 = _core.E350
