"""CMi1020 manual Table 6 "OBIS Code to M-Bus interpretation table", transcribed row by row from
the CMi1020 Users Manual §6.6 (selection bit, OBIS as the readout prints it, DIF with DIFEs, VIF
pattern, type).
A VIF pattern is hex bytes; ``(83-86)`` is one byte in that range (the exponent the value needs);
"HEADER" (0.0) goes into the header's ID (Table 4). Independent of the reference interpreter: the
cases compare the DUT's records against this table and the readout's own text. Shared by the
profiles cmi1020 (§6.6) and cmi1020w (the CMi1020W codes its default fields so: ERRATA E-52)."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

ROWS = [
    (0, "1.8.0", "04", "(83-86)3B", "Uint32"),
    (1, "1.8.1", "8410", "(83-86)3B", "Uint32"),
    (2, "1.8.2", "8420", "(83-86)3B", "Uint32"),
    (3, "1.8.3", "8430", "(83-86)3B", "Uint32"),
    (4, "1.8.4", "848010", "(83-86)3B", "Uint32"),
    (5, "1.8.5", "849010", "(83-86)3B", "Uint32"),
    (6, "1.8.6", "84A010", "(83-86)3B", "Uint32"),
    (7, "2.8.0", "04", "(83-86)3C", "Uint32"),
    (8, "2.8.1", "8410", "(83-86)3C", "Uint32"),
    (9, "2.8.2", "8420", "(83-86)3C", "Uint32"),
    (10, "2.8.3", "8430", "(83-86)3C", "Uint32"),
    (11, "2.8.4", "848010", "(83-86)3C", "Uint32"),
    (12, "2.8.5", "849010", "(83-86)3C", "Uint32"),
    (13, "2.8.6", "84A010", "(83-86)3C", "Uint32"),
    (14, "3.8.0", "04", "FB82(F3-F6)3B", "Uint32"),
    (15, "3.8.1", "8410", "FB82(F3-F6)3B", "Uint32"),
    (16, "3.8.2", "8420", "FB82(F3-F6)3B", "Uint32"),
    (17, "3.8.3", "8430", "FB82(F3-F6)3B", "Uint32"),
    (18, "3.8.4", "848010", "FB82(F3-F6)3B", "Uint32"),
    (19, "3.8.5", "849010", "FB82(F3-F6)3B", "Uint32"),
    (20, "3.8.6", "84A010", "FB82(F3-F6)3B", "Uint32"),
    (21, "4.8.0", "04", "FB82(F3-F6)3C", "Uint32"),
    (22, "4.8.1", "8410", "FB82(F3-F6)3C", "Uint32"),
    (23, "4.8.2", "8420", "FB82(F3-F6)3C", "Uint32"),
    (24, "4.8.3", "8430", "FB82(F3-F6)3C", "Uint32"),
    (25, "4.8.4", "848010", "FB82(F3-F6)3C", "Uint32"),
    (26, "4.8.5", "849010", "FB82(F3-F6)3C", "Uint32"),
    (27, "4.8.6", "84A010", "FB82(F3-F6)3C", "Uint32"),
    (28, "15.8.0", "04", "(03-06)", "Uint32"),
    (29, "16.7", "03", "(2B-2E)", "Uint24"),
    (30, "36.7", "8340", "(2B-2E)", "Uint24"),
    (31, "56.7", "838040", "(2B-2E)", "Uint24"),
    (32, "76.7", "83C040", "(2B-2E)", "Uint24"),
    (33, "131.7", "03", "FB82A2(73-76)", "Uint24"),
    (34, "151.7", "8340", "FB82A2(73-76)", "Uint24"),
    (35, "171.7", "838040", "FB82A2(73-76)", "Uint24"),
    (36, "191.7", "83C040", "FB82A2(73-76)", "Uint24"),
    (37, "13.7", "02", "FC06696850736F43(73-76)", "Uint16"),
    (38, "33.7", "8240", "FC06696850736F43(73-76)", "Uint16"),
    (39, "53.7", "828040", "FC06696850736F43(73-76)", "Uint16"),
    (40, "73.7", "82C040", "FC06696850736F43(73-76)", "Uint16"),
    (41, "32.7", "8340", "FD(46-49)", "Uint24"),
    (42, "52.7", "838040", "FD(46-49)", "Uint24"),
    (43, "72.7", "83C040", "FD(46-49)", "Uint24"),
    (44, "31.7", "8340", "FD(59-5C)", "Uint24"),
    (45, "51.7", "838040", "FD(59-5C)", "Uint24"),
    (46, "71.7", "83C040", "FD(59-5C)", "Uint24"),
    (47, "C.7.0", "02", "FD75", "Uint24"),
    (48, "C.7.1", "8240", "FD75", "Uint24"),
    (49, "C.7.2", "828040", "FD75", "Uint24"),
    (50, "C.7.3", "82C040", "FD75", "Uint24"),
    (51, "14.7", "03", "FC027A48(73-76)", "Uint24"),
    (52, "C.5.0", "02", "7C024353", "Uint16"),
    (53, "F.F", "02", "FD17", "Uint16"),
    (54, "82.8.1", "02", "7C024354", "Uint16"),
    (55, "82.8.2", "02", "7C02434D", "Uint16"),
    (56, "C.1.0", "0C", "78", "BCD8"),
    (57, "C.1.1", "0D", "FD0A", "(01-08)(TEXT)"),
    (58, "0.0", "HEADER", "HEADER", "HEADER"),
    (59, "0.2.0", "0D", "FD0E", "(01-nn)(TEXT)"),
    (60, "0.2.1", "0D", "FD0B", "(01-nn)(TEXT)"),
    (61, "128.8.0", "848040", "(03-06)", "Uint32"),
    # rows 62 and 63 print FB82(F3-F6) with no VIFE after the extension bit: read as the last VIFE
    # (73-76), as EN 13757-3 §6.4 requires (ERRATA E-4)
    (62, "130.8.0", "04", "FB82(73-76)", "Uint32"),
    (63, "131.8.0", "8440", "FB82(73-76)", "Uint32"),
    (64, "132.8.0", "8440", "FB82(F3-F6)3B", "Uint32"),
    (65, "133.8.0", "8440", "FB82(F3-F6)3C", "Uint32"),
    (66, "16.8.0", "8440", "(03-06)", "Uint32"),
    (67, "9.8.0", "04", "FC046841566B(73-76)", "Uint32"),
]

BY_OBIS = {r[1]: r for r in ROWS}


def vif_matches(pattern: str, vif_hex: str) -> bool:
    """Whether a record's VIB (hex, as sent) fits a Table 6 VIF pattern."""
    tokens = re.findall(r"\(([0-9A-F]{2})-([0-9A-F]{2})\)|([0-9A-F]{2})", pattern)
    got = bytes.fromhex(vif_hex)
    if len(got) != len(tokens):
        return False
    for byte, (lo, hi, fixed) in zip(got, tokens):
        if fixed and byte != int(fixed, 16):
            return False
        if lo and not int(lo, 16) <= byte <= int(hi, 16):
            return False
    return True


# Rows whose readout value is a hex bit field (Table 6: "Error code bits as E350 manual", "Status
# flags … As in E350 manual"; the E350 sends F.F(00) and C.5.0(0401)).
HEX_FIELDS = {"F.F", "C.5.0"}


def expected_value(obis: str, value: str, unit: str, decoded_unit: str, type_: str) -> str | Decimal | None:
    """What the record's value must be for a readout value: text as sent for TEXT rows, hex fields
    (F.F, C.5.0) as their number, otherwise the decimal in the record's unit — the readout's unit or
    its SI base when the record drops the 'k' (kWh → Wh ×1000; CMi1020 §6.6, EN 13757-3 VIF tables).
    None when the readout value is no value of the row's kind (then no record can be right)."""
    if "TEXT" in type_:
        return value.strip()
    try:
        if type_ == "BCD8":
            return Decimal(int(value.strip(), 10)) if value.strip().isdigit() else None
        if obis in HEX_FIELDS:
            return Decimal(int(value.strip(), 16))
        number = Decimal(value.strip())
    except (ValueError, InvalidOperation):
        return None
    if not number.is_finite():
        return None
    if unit and decoded_unit != unit and unit.lower().startswith("k") and decoded_unit.lower() == unit[1:].lower():
        number *= 1000
    return number.normalize()


# Data bits of a DIF's data field (EN 13757-3 Table 4: 1, 2, 3, 4, 6, 8 bytes; 0x0C = 8-digit BCD).
_DATA_BITS = {0x1: 8, 0x2: 16, 0x3: 24, 0x4: 32, 0x6: 48, 0x7: 64}


def representable(row: tuple, value: str) -> bool:
    """Whether a readout value can be sent exactly as its Table 6 row's record: the manual's printed
    type, data field and VIF range (ERRATA E-16: a value that cannot is left out, never rounded).

    Every ranged VIF of Table 6 spans four exponents, the finest standing for 10^-3 of the readout's
    unit and the coarsest for 10^0 (kWh ↔ 0x83–0x86 = Wh·10^0…10^3; V ↔ FD 46–49; NOTES "Scaling
    to M-Bus": n = offset − d); a fixed VIF (C.7.0's FD75, the 7C counters) carries integers. Integer
    fields are signed (ERRATA E-11), hex bit fields unsigned. Blank values have nothing to send."""
    _bit, obis, dif, vif_pattern, type_ = row
    text = value.strip()
    if not text or dif == "HEADER":
        return False
    if "TEXT" in type_:
        m = re.match(r"\((\d+)-(\d+|nn)\)", type_)
        return m is None or m.group(2) == "nn" or len(text) <= int(m.group(2))
    if type_ == "BCD8":
        return text.isdigit() and len(text) <= 8
    bits = _DATA_BITS.get(int(dif[:2], 16) & 0x0F)
    if bits is None:
        return False
    if obis in HEX_FIELDS:
        try:
            return 0 <= int(text, 16) < 1 << bits
        except ValueError:
            return False
    try:
        number = Decimal(text)
    except InvalidOperation:
        return False
    if not number.is_finite():
        return False
    exponents = (0, -1, -2, -3) if "(" in vif_pattern else (0,)
    for e in exponents:  # the coarsest exponent that carries the value exactly holds the smallest register
        register = number.scaleb(-e)
        if register == register.to_integral_value():
            return -(1 << (bits - 1)) <= register < 1 << (bits - 1)
    return False
