"""An independent reader of LwM2M TLV and CoRE Link Format, for checking raw payloads.

Written from the documents, not from metercert's C++ codec (reference/lwm2m), so that a case can
check what a client sent against a second implementation:

- TLV: OMA LwM2M TS 1.1 Core §7.4.3 (Content-Format 11542). Type byte: bits 7-6 the kind
  (00 Object Instance, 01 Resource Instance, 10 Multiple Resource, 11 Resource with Value),
  bit 5 identifier length (0: 8 bits, 1: 16 bits), bits 4-3 length-field size (0-3 bytes; 0: the
  length is bits 2-0), then Identifier and Length big-endian, then the value (or nested TLVs for
  Object Instance and Multiple Resource). Value helpers per TS 1.1 Appendix C (TLV column).
- Link Format: RFC 6690 §2 (``<target>;param=value;param="quoted",<…>``).

Errors raise :class:`ReaderError` (a ValueError) naming what and the byte/character offset.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

KINDS = ("object_instance", "resource_instance", "multiple_resource", "resource_value")


class ReaderError(ValueError):
    """A payload that does not parse: ``what`` and ``offset`` (bytes for TLV, characters for links)."""

    def __init__(self, what: str, offset: int):
        super().__init__(f"{what} at offset {offset}")
        self.what = what
        self.offset = offset


@dataclass
class TlvItem:
    kind: str                      # one of KINDS
    id: int
    value: bytes = b""             # resource_value, resource_instance
    children: list["TlvItem"] = field(default_factory=list)  # object_instance, multiple_resource
    offset: int = 0                # of the type byte


def read_tlv(data: bytes, _base: int = 0) -> list[TlvItem]:
    """The top-level TLV items of ``data`` (nested items in ``children``)."""
    items: list[TlvItem] = []
    i = 0
    n = len(data)
    while i < n:
        start = i
        t = data[i]
        i += 1
        kind = KINDS[t >> 6]
        id_len = 2 if t & 0x20 else 1
        len_len = (t >> 3) & 0x03
        if i + id_len + len_len > n:
            raise ReaderError("TLV header truncated", _base + start)
        ident = int.from_bytes(data[i:i + id_len], "big")
        i += id_len
        if len_len:
            length = int.from_bytes(data[i:i + len_len], "big")
            i += len_len
        else:
            length = t & 0x07
        if i + length > n:
            raise ReaderError(f"TLV value of {length} bytes truncated", _base + start)
        body = bytes(data[i:i + length])
        item = TlvItem(kind, ident, offset=_base + start)
        if kind in ("object_instance", "multiple_resource"):
            item.children = read_tlv(body, _base + i)
            for c in item.children:
                if kind == "multiple_resource" and c.kind != "resource_instance":
                    raise ReaderError("a Multiple Resource holds only Resource Instances", c.offset)
                if kind == "object_instance" and c.kind not in ("resource_value", "multiple_resource"):
                    raise ReaderError("an Object Instance holds only Resources", c.offset)
        else:
            item.value = body
        items.append(item)
        i += length
    return items


def tlv_values(data: bytes, base: str) -> dict[str, bytes]:
    """Flattens a TLV payload read at ``base`` ("/3/0", "/3") to {"/3/0/0": value bytes, "/3/0/6/0": …}.
    A Read of an instance answered inside that instance's Object Instance TLV flattens the same."""
    out: dict[str, bytes] = {}
    base = base.rstrip("/")

    def walk(items: list[TlvItem], prefix: str) -> None:
        for it in items:
            p = f"{prefix}/{it.id}"
            if it.children or it.kind in ("object_instance", "multiple_resource"):
                walk(it.children, p)
            else:
                out[p] = it.value

    items = read_tlv(data)
    depth = len([s for s in base.split("/") if s])
    # a resource read (depth 3) of a single resource: the item's id is the resource's own
    if depth == 3 and len(items) == 1 and items[0].kind in ("resource_value", "multiple_resource"):
        base = base.rsplit("/", 1)[0]
    # an instance read (depth 2) answered with its resources inside one Object Instance TLV of that
    # instance's id (TS 1.1 §7.4.3's example has no wrapper, no sentence forbids it; coap-node
    # sends it: ERRATA E-142): the wrapper's id is the instance's own
    if depth == 2 and len(items) == 1 and items[0].kind == "object_instance" and str(items[0].id) == base.rsplit("/", 1)[1]:
        base = base.rsplit("/", 1)[0]
    walk(items, base)
    return out


def tlv_int(b: bytes) -> int:
    """Integer / Time: signed big-endian of 1, 2, 4 or 8 bytes (TS 1.1 Appendix C)."""
    if len(b) not in (1, 2, 4, 8):
        raise ReaderError(f"Integer of {len(b)} bytes (1, 2, 4 or 8)", 0)
    return int.from_bytes(b, "big", signed=True)


def tlv_unsigned(b: bytes) -> int:
    if len(b) not in (1, 2, 4, 8):
        raise ReaderError(f"Unsigned Integer of {len(b)} bytes (1, 2, 4 or 8)", 0)
    return int.from_bytes(b, "big", signed=False)


def tlv_float(b: bytes) -> float:
    """Float: IEEE 754 binary32 or binary64, big-endian."""
    if len(b) == 4:
        return struct.unpack(">f", b)[0]
    if len(b) == 8:
        return struct.unpack(">d", b)[0]
    raise ReaderError(f"Float of {len(b)} bytes (4 or 8)", 0)


def tlv_bool(b: bytes) -> bool:
    if len(b) != 1 or b[0] > 1:
        raise ReaderError("Boolean is one byte 0 or 1", 0)
    return b[0] == 1


def tlv_string(b: bytes) -> str:
    return b.decode("utf-8")


def tlv_objlnk(b: bytes) -> tuple[int, int]:
    if len(b) != 4:
        raise ReaderError("Objlnk is 4 bytes", 0)
    return int.from_bytes(b[:2], "big"), int.from_bytes(b[2:], "big")


_PTOKEN_EXTRA = set("!#$%&'()*+-./:<=>?@[]^_`{|}~")


def read_links(text: str) -> list[tuple[str, dict[str, str | None]]]:
    """RFC 6690 §2 links: [(target, {param: value or None for a bare name})]; an empty text is []."""
    out: list[tuple[str, dict[str, str | None]]] = []
    i, n = 0, len(text)
    if n == 0:
        return out
    while True:
        if i >= n or text[i] != "<":
            raise ReaderError("expected '<'", i)
        end = text.find(">", i + 1)
        if end < 0:
            raise ReaderError("unterminated '<'", i)
        target = text[i + 1:end]
        i = end + 1
        params: dict[str, str | None] = {}
        while i < n and text[i] == ";":
            i += 1
            j = i
            while j < n and (text[j].isalnum() or text[j] in "!#$&+-.^_`|~"):
                j += 1
            if j == i:
                raise ReaderError("empty parameter name", i)
            name = text[i:j]
            i = j
            value: str | None = None
            if i < n and text[i] == "=":
                i += 1
                if i < n and text[i] == '"':
                    i += 1
                    buf = []
                    while True:
                        if i >= n:
                            raise ReaderError("unterminated quoted-string", i)
                        c = text[i]
                        if c == "\\":
                            if i + 1 >= n:
                                raise ReaderError("backslash at the end", i)
                            buf.append(text[i + 1])
                            i += 2
                            continue
                        if c == '"':
                            i += 1
                            break
                        buf.append(c)
                        i += 1
                    value = "".join(buf)
                else:
                    j = i
                    while j < n and (text[j].isalnum() or text[j] in _PTOKEN_EXTRA) and text[j] not in ",;":
                        j += 1
                    value = text[i:j]
                    i = j
            params[name] = value
        out.append((target, params))
        if i == n:
            return out
        if text[i] != ",":
            raise ReaderError("expected ',' or ';'", i)
        i += 1
