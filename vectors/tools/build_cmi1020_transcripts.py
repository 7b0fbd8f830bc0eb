#!/usr/bin/env python3
"""Writes vectors/cmi1020/commands.json: request → expected reply transcripts for every command
of the CMi1020 manual §6.7, the requests built byte by byte from the manual's tables (this script
only adds the checksum), the expected replies written by hand. Each test starts from a slave in
factory state whose meter (the real E350 readout) has been read once (2 s after power-on), with
fabrication number 12345678, generation 1, software 1.2.0.

A reply is "E5", null (the slave must stay silent), or {"rsp_ud": {...}}: a subset of the
canonical JSON (vectors/README.md) the RSP_UD must match; "records" there is matched by count
(`record_count`) and by the listed `records_include` entries.
"""
import json
import os

CMI = "seeds/001_cbfacd942ca7c7e9.txt (CMi1020 Users Manual)"


def short(c, a):
    return bytes([0x10, c, a, (c + a) & 0xFF, 0x16]).hex().upper()


def long(c, a, ci, ud=b""):
    body = bytes([c, a, ci]) + ud
    return (bytes([0x68, len(body), len(body), 0x68]) + body + bytes([sum(body) & 0xFF, 0x16])).hex().upper()


def h(s):
    return bytes.fromhex(s.replace(" ", ""))


ACK = "E5"
HDR = {"id": "13647123", "manufacturer": "ELV", "version": 1, "medium": "02", "status": "00", "signature": "0000"}
E350_RECORDS = 5 + 20  # Table 5 static data + the E350's 20 interpretable lines (C.1.1 blank, 0.0 header)


def rsp(**kw):
    r = {"rsp_ud": {"c_name": "RSP_UD", "ci": "72"}}
    hdr = dict(HDR)
    hdr.update(kw.pop("header", {}))
    r["rsp_ud"]["header"] = hdr
    r["rsp_ud"].update(kw)
    return r


tests = []


def t(section, comment, steps, flags=()):
    tests.append({"tcId": len(tests) + 1, "section": section, "comment": comment, "source": f"{CMI} §{section}",
                  "flags": list(flags), "steps": [{"send": s, "reply": r} for s, r in steps]})


REQ = short(0x5B, 0)
t("6.7.1", "SND_NKE to the factory primary address 0 is acknowledged", [(short(0x40, 0), ACK)])
t("6.7.1", "SND_NKE to another primary address gets no reply", [(short(0x40, 5), None)])
for c in (0x4B, 0x5B, 0x6B, 0x7B):
    t("6.7.2", f"REQ_UD2 with C-field 0x{c:02X}: RSP_UD, CI 72, ELV, C.1.0 as ID (Table 4)",
      [(short(c, 0), rsp(record_count=E350_RECORDS, special="0F"))])
t("6.7.2", "RSP_UD starts with the Table 5 static data: disconnector 0x54 (EEPROM on, push-button on/off enabled, actual unknown)",
  [(REQ, rsp(records_include=[{"index": 0, "dif": "01", "vif": "FD1A", "value": "84"},
                              {"index": 1, "dif": "01", "vif": "FD1B", "value": "0"},
                              {"index": 2, "dif": "8340", "vif": "FD17", "value": "0"},
                              {"index": 3, "dif": "0D", "vif": "FD0F", "value": "1.2.0"},
                              {"index": 4, "dif": "8C40", "vif": "78", "value": "12345678"}]))])
t("6.7.2", "RSP_UD carries the E350 registers in readout order: F.F first, 1.8.1 = 42951721 Wh",
  [(REQ, rsp(records_include=[{"index": 5, "dif": "02", "vif": "FD17", "value": "0"},
                              {"index": 6, "dif": "0C", "vif": "78", "value": "13647123"},
                              {"index": 7, "dif": "8410", "vif": "833B", "value": "42951721"}]))])
t("6.7.3", "set baud rate 300 (CI B8) is acknowledged", [(long(0x53, 0, 0xB8), ACK)])
t("6.7.3", "baud rate codes BE and BF are acknowledged without a change",
  [(long(0x53, 0, 0xBE), ACK), (long(0x73, 0, 0xBF), ACK), (REQ, rsp())])
t("6.7.4", "application reset without sub-code is acknowledged", [(long(0x53, 0, 0x50), ACK)])
t("6.7.4", "application reset with sub-code B0 restores the factory primary address 0",
  [(long(0x53, 0, 0x51, h("01 7A 09")), ACK), (long(0x53, 9, 0x50, h("B0")), ACK), (REQ, rsp(a=0))])
t("6.7.5", "set primary address 5: the slave then answers on 5 and not on 0",
  [(long(0x53, 0, 0x51, h("01 7A 05")), ACK), (short(0x5B, 5), rsp(a=5)), (REQ, None)])
t("6.7.5", "primary address 0xFB is outside 0x00–0xFA: no reply", [(long(0x53, 0, 0x51, h("01 7A FB")), None)],
  flags=["ImplementationDefined"])
t("6.7.6", "set secondary address 12345678 (packed BCD, LSB first): the RSP_UD header ID follows",
  [(long(0x53, 0, 0x51, h("0C 79 78 56 34 12")), ACK), (REQ, rsp(header={"id": "12345678"}))])
t("6.7.7", "select by the full secondary address, then read on address 253",
  [(long(0x53, 253, 0x52, h("23 71 64 13")), ACK), (short(0x5B, 253), rsp())])
t("6.7.7", "select with BCD wildcards F in every digit, manufacturer ELV, generation wildcard, medium 00",
  [(long(0x53, 253, 0x52, h("FF FF FF FF 96 15 FF 00")), ACK), (short(0x5B, 253), rsp())])
t("6.7.7", "a mismatching selection is not answered and deselects",
  [(long(0x53, 253, 0x52, h("23 71 64 13")), ACK), (long(0x53, 253, 0x52, h("24 71 64 13")), None),
   (short(0x5B, 253), None)])
t("6.7.7", "a manufacturer mask other than ELV (here LUG, A7 32) does not select",
  [(long(0x53, 253, 0x52, h("FF FF FF FF A7 32")), None)])
t("6.7.7", "a selection mask of 5 bytes is invalid (manufacturer needs 16 bits)",
  [(long(0x53, 253, 0x52, h("FF FF FF FF 96")), None)])
t("6.7.8", "disconnector control 0x80 (EEPROM off, push-buttons unchanged) is acknowledged and reported",
  [(long(0x53, 0, 0x51, h("01 FD 1A 80")), ACK), (REQ, rsp(records_include=[{"index": 0, "value": "148"}]))])
t("6.7.9", "set P1 password 12345678 (8 ASCII digits)", [(long(0x53, 0, 0x51, h("0F 01") + b"12345678"), ACK)])
t("6.7.10", "set P2 key (16 bytes, L = 0x15)", [(long(0x53, 0, 0x51, h("0F 02") + bytes(range(16))), ACK)])
t("6.7.11", "set meter rate 2", [(long(0x53, 0, 0x51, h("0F 03 02")), ACK)])
t("6.7.11", "use rate inputs A and B (0xFF)", [(long(0x53, 0, 0x51, h("0F 03 FF")), ACK)])
t("6.7.11", "rate 0x07 is not defined: no reply", [(long(0x53, 0, 0x51, h("0F 03 07")), None)], flags=["ImplementationDefined"])
t("6.7.12", "rate mapping table 4 3 2 1 (L = 0x09, see ERRATA)", [(long(0x53, 0, 0x51, h("0F 00 04 03 02 01")), ACK)],
  flags=["ImplementationDefined"])
t("6.7.13", "clear meter communication error flags", [(long(0x53, 0, 0x51, h("0F 04")), ACK)])
t("6.7.14", "OBIS selection list without bit 1 (1.8.1): one record fewer",
  [(long(0x53, 0, 0x51, h("0F 05 FD FF FF FF FF FF FF FF FF FF")), ACK), (REQ, rsp(record_count=E350_RECORDS - 1))])
t("6.7.15", "P1/P2 sign-on method list: bit 2 (disconnector) uses P2", [(long(0x53, 0, 0x51, h("0F 06 04 00")), ACK)],
  flags=["ImplementationDefined"])
t("6.7.16", "write 'Value' to the LCD: index 1, mantissa 0x12345678, format 3",
  [(long(0x53, 0, 0x51, h("0F 22 01 78 56 34 12 03")), ACK)])
t("6.7.17", "write 'Unit' to the LCD", [(long(0x53, 0, 0x51, h("0F 23 01 1E")), ACK)])
t("6.7.18", "write 'OBIS code' 1.0.1.8.0 to the LCD", [(long(0x53, 0, 0x51, h("0F 24 01 01 00 01 08 00")), ACK)])
t("6.7.19", "write 'Rate indicator' 2 to the LCD", [(long(0x53, 0, 0x51, h("0F 25 01 02")), ACK)])
t("6.7.20", "write 'Electricity status' 0x0102 (LSByte first) to the LCD", [(long(0x53, 0, 0x51, h("0F 26 01 02 01")), ACK)])
t("6.7.21", "write 'Generic status' to the LCD", [(long(0x53, 0, 0x51, h("0F 27 01 81")), ACK)])
t("6.7.22", "write 'Text message' HELLO<CR> with index 2, timeout 10 (text from byte 11, ERRATA)",
  [(long(0x53, 0, 0x51, h("0F 28 02 0A") + b"HELLO\r"), ACK)], flags=["ImplementationDefined"])
t("6.7.23", "write 'Value+OBIS+Unit' to the LCD (L = 0x11)",
  [(long(0x53, 0, 0x51, h("0F 29 01 78 56 34 12 03 1E 01 00 01 08 00")), ACK)])
t("6.7", "an unknown Elvaco command byte gets no reply", [(long(0x53, 0, 0x51, h("0F 77")), None)])
t("6.7", "a frame with a wrong checksum gets no reply", [("1040004116", None)])
t("6.7", "a frame with different L-fields gets no reply", [("6803046853 00B8 0B16".replace(" ", ""), None)])
t("6.5", "multi-telegram: an untoggled FCB repeats the RSP_UD byte for byte, SND_NKE restarts",
  [(short(0x7B, 0), rsp(header={"access_number": 1})), (short(0x7B, 0), rsp(header={"access_number": 1})),
   (short(0x40, 0), ACK), (short(0x7B, 0), rsp(header={"access_number": 2}))], flags=["ImplementationDefined"])

doc = {"schema": "cmi1020_transcripts_v1 (vectors/cmi1020/README.md)", "source": CMI,
       "generator": "vectors/tools/build_cmi1020_transcripts.py",
       "setup": {"readout": "obis/lgz-zmf100ac-m26.readout", "fabrication_number": "12345678", "generation": 1,
                 "software_version": "1.2.0", "medium": "02", "first_readout_ms": 2000},
       "numberOfTests": len(tests), "tests": tests}
out = os.path.join(os.path.dirname(__file__), "..", "cmi1020", "commands.json")
with open(out, "w", encoding="utf-8") as f:
    json.dump(doc, f, indent=1, ensure_ascii=False)
    f.write("\n")
print(f"wrote {len(tests)} transcripts to {os.path.normpath(out)}")
