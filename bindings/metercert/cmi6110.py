"""The CMi6110's payloads (Elvaco CMi6110 manual §7.4.2): today SenML/CBOR/M-Bus (§7.4.2.3).

A SenML payload is a CBOR array of SenML records (RFC 8428 §6) in preferred serialization
(RFC 8949 §4.2.1: shortest integers and lengths, definite lengths): the first record holds the
meter ID as base name (−2), the base time (−3, UNIX s) and the first readout's M-Bus data records
as data value (8); an optional ``{0: "V", 2: type << 8 | version}`` record names the encoder (only
0/0, M-Bus, is defined); each further record is ``{6: t, 8: dibs}`` with its time relative to the
base time. The rules a decoder applies and their error names: metercert's
``reference/include/metercert/devices/cmi6110/senml_payload.hpp`` and ``senml/senml.hpp``.
"""
from __future__ import annotations

from typing import Iterable

from . import _core

__all__ = ["PayloadError", "decode_senml", "encode_senml"]


class PayloadError(ValueError):
    """A payload was refused.

    Attributes:
        name:   stable snake_case name: a SenML-CBOR rule (``truncated``, ``not_shortest``,
                ``indefinite_length``, ``wrong_type``, ``bad_label``, ``must_understand``, …) or a
                CMi6110 rule (``no_base_name``, ``unsupported_encoder``, ``unit_not_allowed``,
                ``bad_data_value``, …).
        offset: byte offset in the payload.
        detail: one line.
    """

    def __init__(self, name: str, offset: int, detail: str):
        super().__init__(f"{name} at byte {offset}: {detail}")
        self.name, self.offset, self.detail = name, offset, detail


def decode_senml(payload: bytes) -> dict:
    """One SenML/CBOR/M-Bus payload → ``{"meter_id": str, "base_time": int (UNIX s),
    "version_record": bool, "encoder": int, "readouts": [{"time": int (UNIX s, UTC), "dibs":
    bytes (M-Bus data records), "offset": int, "dibs_offset": int}], "ignored": [names]}``.
    Raises :class:`PayloadError`."""
    ok, value = _core.cmi6110_decode_senml(bytes(payload))
    if not ok:
        raise PayloadError(*value)
    return value


def encode_senml(meter_id: str, readouts: Iterable[tuple[int, bytes]], version_record: bool = True) -> bytes:
    """The payload the CMi6110 sends for ``readouts`` (``(unix_s, dibs)`` pairs, the first one the
    base): §7.4.2.3's layout, byte for byte as the manual's example. ValueError without readouts."""
    return _core.cmi6110_encode_senml(meter_id, [(int(t), bytes(d)) for t, d in readouts], version_record)
