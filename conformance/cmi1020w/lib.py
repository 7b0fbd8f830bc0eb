"""Helpers of the cmi1020w profile: receiving telegrams (wmbus.receive), reading their link layer
and transport header straight from the bytes (EN 13757-4 §5, EN 13757-7; not through the
decoder under test), the records through :func:`metercert.decode_wmbus` with the URL's key, and
the meter's default fields under the CMi1020's Table 6 (metercert.table6: the transcription of the
CMi1020 manual the cmi1020 profile uses too; ERRATA E-52).

The CRCs are checked by one case (en13757-4/1); every other case reads the telegram's content
with its CRC bytes removed by position, so that a wrong CRC is named once."""
from __future__ import annotations

import urllib.parse

import metercert
from metercert.conformance import Mismatch

from metercert import table6  # the CMi1020 manual's Table 6 (ERRATA E-52: the CMi1020W codes its fields so)
from metercert.readout import readout_values

# The manual ("configuration"): the default fields, each with its short code.
DEFAULT_FIELDS = (("C.1.0", "C.1"), ("C.5.0", "C.5"), ("C.7.0", "C.7"), ("1.8.0", "1.8"), ("2.8.0", "2.8"),
                  ("15.8.0", "15.8"), ("16.7.0", "16.7"))
# Table 6's OBIS for each (its row 29 prints 16.7, the others the long form).
TABLE6_OBIS = {"C.1.0": "C.1.0", "C.5.0": "C.5.0", "C.7.0": "C.7.0", "1.8.0": "1.8.0", "2.8.0": "2.8.0",
               "15.8.0": "15.8.0", "16.7.0": "16.7"}

DEFAULT_INTERVAL_S = 900.0  # ERRATA E-54: the interval of a module whose own is not known
FIRST_TELEGRAM_S = 15.0     # manual "LED indications": the red LED ~15 s after power-up


def url_key(url: str) -> bytes | None:
    """The key= parameter of a DUT URL as 16 bytes (None without one). Never logged."""
    query = url.split("?", 1)[1] if "?" in url else ""
    values = urllib.parse.parse_qs(query, keep_blank_values=True).get("key")
    return bytes.fromhex(values[-1]) if values else None


def interval_s(dut) -> float:
    """The interval the module is configured with: the simulator's; on a receiver or a capture the
    lab's `interval=S` of the DUT URL (the module's configuration, which the air does not carry);
    else ERRATA E-54's default."""
    if "sim.cmi1020w" in dut.capabilities:
        return dut.cmi1020w_state()["interval_s"]
    given = urllib.parse.parse_qs(dut.url.partition("?")[2]).get("interval")
    return float(given[-1]) if given else DEFAULT_INTERVAL_S


def first_timeout_s(dut) -> float:
    """How long to wait for a first telegram: one interval and the 15 s after power-up, and a margin."""
    return interval_s(dut) + FIRST_TELEGRAM_S + 30


def telegrams(dut, n: int) -> list[dict]:
    """The next `n` telegrams the link receives (Connection.receive dicts); Mismatch when one does not
    come within an interval and a half of the one before (the first: first_timeout_s)."""
    out = []
    for i in range(n):
        t = dut.receive(first_timeout_s(dut) if i == 0 else 1.5 * interval_s(dut))
        if t is None:
            raise Mismatch(f"telegram {i + 1} of {n}", "a telegram within the interval", "none received")
        out.append(t)
    return out


def logical(t: dict) -> bytes:
    """The telegram without its data link layer CRCs, removed by position (EN 13757-4 §5.3: format A
    has a CRC after the first 10 bytes and after every 16 bytes; format B one after at most 126
    bytes and one at the end), unchecked: en13757-4/1 checks them."""
    f = t["frame"]
    if t["crc"] == "none":
        return f
    if t["crc"] == "B":
        return f[:126] + f[128:-2] if len(f) > 128 else f[:-2]
    out, pos, size = bytearray(), 0, 10
    while pos < len(f) - 2:
        end = min(pos + size, len(f) - 2)  # a block, then its 2 CRC bytes (the last block may be short)
        out += f[pos:end]
        pos, size = end + 2, 16
    return bytes(out)


def bcd_id(b: bytes) -> str:
    """4 bytes of packed BCD, least significant byte first (EN 13757-3 §5.5) as 8 digits."""
    return b[::-1].hex().upper()


def letters(code: int) -> str:
    """EN 13757-3 §5.5: three letters of 5 bits each (A = 1), the first in the high bits."""
    return "".join(chr(64 + ((code >> s) & 0x1F)) for s in (10, 5, 0))


def link_fields(b: bytes) -> dict:
    """The data link layer (EN 13757-4 §5.4: L C M A, A = ID (4 BCD bytes) version device type) and,
    for CI 0x7A, the short header (EN 13757-7: access number, status, configuration field), raw."""
    if len(b) < 10:
        raise Mismatch("telegram length", "at least L, C, M and A (10 bytes)", len(b))
    d = {"l": b[0], "c": b[1], "manufacturer_code": b[2] | b[3] << 8, "manufacturer": letters(b[2] | b[3] << 8),
         "id": bcd_id(b[4:8]), "version": b[8], "device_type": b[9], "ci": b[10] if len(b) > 10 else None}
    if d["ci"] == 0x7A and len(b) >= 15:
        config = b[13] | b[14] << 8
        d.update(access_number=b[11], status=b[12], config=config, security_mode=(config >> 8) & 0x1F,
                 encrypted_blocks=(config >> 4) & 0x0F, apl=b[15:])
    return d


def decode(t: dict, key: bytes | None) -> dict:
    """The canonical JSON of a telegram's content (metercert.decode_wmbus, CRCs removed by position)
    with the configured key; a decode error (no_key, decryption_check_failed, …) is the DUT's."""
    try:
        return metercert.decode_wmbus(logical(t), key, crc="none")
    except metercert.DecodeError as e:
        raise Mismatch("the telegram's content (decoded with the configured key)", "a valid telegram", str(e)) from None


def meter_records(doc: dict) -> list[dict]:
    """The data records of a decoded telegram, without the 2F idle fillers."""
    return [r for r in doc.get("records", []) if r.get("dif") != "2F" and "vif" in r]


def default_lines(readout: bytes) -> list[tuple[str, str, str, tuple]]:
    """The default fields the meter's readout gives, in the readout's (the meter's) order:
    (OBIS as the readout prints it, value, unit, Table 6 row). The first of a field's long and
    short code counts."""
    out, seen = [], set()
    for obis, value, unit in readout_values(readout):
        for long_code, short in DEFAULT_FIELDS:
            if obis in (long_code, short) and long_code not in seen:
                seen.add(long_code)
                out.append((obis, value, unit, table6.BY_OBIS[TABLE6_OBIS[long_code]]))
    return out


def row_of(rec: dict, rows: list[tuple]) -> tuple | None:
    """The one of `rows` (Table 6 rows) whose DIF and VIF pattern the record fits."""
    for row in rows:
        if row[2] == rec.get("dif") and table6.vif_matches(row[3], rec.get("vif", "")):
            return row
    return None


def value_problem(obis: str, value: str, unit: str, row: tuple, rec: dict) -> str | None:
    """Why a record does not carry its readout line's value exactly (None: it does), by Table 6."""
    from decimal import Decimal, InvalidOperation
    want = table6.expected_value(row[1], value, unit, rec.get("unit", ""), row[4])
    got = rec.get("value")
    shown = f"{obis}({value}*{unit}): record {rec.get('dif')} {rec.get('vif')} = {got} {rec.get('unit', '')}".rstrip()
    if want is None:
        return f"{shown}, but the readout value is no value of this row (Table 6 type {row[4]})"
    if isinstance(want, str):
        return None if isinstance(got, str) and got.strip() == want else f"{shown}, expected {want!r}"
    try:
        number = Decimal(str(got)).normalize()
    except (InvalidOperation, ValueError):
        return f"{shown}, expected the number {want}"
    return None if number == want else f"{shown}, expected {want}"


def crc16(data: bytes) -> int:
    """EN 13757-4 §5.2.1 CRC-16: polynomial x^16+x^13+x^12+x^11+x^10+x^8+x^6+x^5+x^2+1 (0x3D65),
    initial value 0, MSB first, the result complemented (check value of b"123456789": 0xC2B7)."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x3D65 if crc & 0x8000 else crc << 1) & 0xFFFF
    return crc ^ 0xFFFF


def crc_problems(t: dict) -> list[str]:
    """What is wrong with a received telegram's length and CRCs under EN 13757-4 §5.3 (format A:
    L excludes the CRCs, a CRC after the first 10 bytes and after every 16; format B: L counts the
    CRC bytes, one CRC over the first ≤ 126 bytes, a second over the rest); 'none' (a receiver that
    checked and stripped them): the length only."""
    f, problems = t["frame"], []
    if not f:
        return ["no byte"]
    l = f[0]
    if t["crc"] == "none":
        return [] if len(f) == l + 1 else [f"L = {l}: {l + 1} bytes expected, got {len(f)}"]
    if t["crc"] == "B":
        if len(f) != l + 1:
            return [f"L = {l} (format B): {l + 1} bytes expected, got {len(f)}"]
        blocks = [(0, min(126, len(f) - 2))] + ([(128, len(f) - 2)] if len(f) > 128 else [])
    else:
        want = l + 1 + 2 * (1 + (max(l, 9) - 9 + 15) // 16)
        if len(f) != want:
            return [f"L = {l} (format A): {want} bytes expected, got {len(f)}"]
        blocks, pos, size = [], 0, 10
        while pos < len(f) - 2:
            end = min(pos + size, len(f) - 2)
            blocks.append((pos, end))
            pos, size = end + 2, 16
    for n, (a, b) in enumerate(blocks, 1):
        got, want = f[b] << 8 | f[b + 1], crc16(f[a:b])
        if got != want:
            problems.append(f"block {n} (bytes {a}…{b - 1}): CRC {got:04X}, computed {want:04X}")
    return problems
