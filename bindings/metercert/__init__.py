"""metercert — conformance suite for smart-meter communication modules.

The Python face of the C++ reference (``metercert._core``). Frames are ``bytes``; decoded frames
are plain ``dict`` objects in the canonical JSON shape documented in ``vectors/README.md``
(header fields, and per record ``dif``, ``vif``, ``function``, ``storage``, ``tariff``,
``subunit``, ``type``, ``quantity``, ``unit``, ``value`` as an exact decimal string, ``raw``).

Sources: EN 13757-2 (link layer), EN 13757-3 (application layer), the Elvaco manuals in
``shared/seeds``; ambiguities and their resolutions are in ``vectors/ERRATA.md``.
"""
from __future__ import annotations

import json as _json
from typing import Any, Union

from . import _core

__all__ = [
    "DecodeError", "decode", "encode", "decode_hex", "checksum", "build_short", "build_long",
    "manufacturer_code", "manufacturer_letters", "medium_name", "FrameReader",
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


def decode(frame: Frame) -> dict[str, Any]:
    """Decode one whole M-Bus frame into canonical JSON (a dict).

    ``frame`` must hold exactly one frame: 0xE5, a short frame ``10 C A CS 16``, a control frame
    or a long frame ``68 L L 68 C A CI data CS 16`` (EN 13757-2 §5). Raises :class:`DecodeError`
    with the error name and byte offset otherwise. Values are exact decimal strings in the SI
    unit of ``unit`` (e.g. ``{"quantity": "energy", "unit": "Wh", "value": "12345678000"}``).
    """
    return _json.loads(_wrap(_core.decode_json, bytes(frame)))


def decode_hex(text: str) -> dict[str, Any]:
    """:func:`decode` for hex text; spaces are allowed ("10 40 01 41 16")."""
    try:
        frame = bytes.fromhex(text)
    except ValueError as e:
        raise DecodeError("bad_hex", 0, str(e)) from None
    return decode(frame)


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


manufacturer_code = _core.manufacturer_code
manufacturer_letters = _core.manufacturer_letters
medium_name = _core.medium_name
FrameReader = _core.FrameReader
