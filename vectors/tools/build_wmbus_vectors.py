#!/usr/bin/env python3
"""Writes vectors/wmbus/*.json (schema wmbus_vectors_v1, vectors/README.md) from the tables below.

Every frame is a published telegram (OMS Vol. 2 Annex N, EN 13757-3:2003 Table P.1, real meters
in public decoders' test suites with their published keys) or one of them with one named change;
every expected value is read from the source by hand (the arithmetic is in the comments). Nothing
here runs metercert. Run: /usr/bin/python3 vectors/tools/build_wmbus_vectors.py
"""
import json
import pathlib

OUT = pathlib.Path(__file__).resolve().parent.parent / "wmbus"
FILL = {"dif": "2F", "special": "idle_filler"}

# EN 13757-3:2003 Table P.1 (the plain data of OMS Vol. 2 Annex N's profile A/B examples):
# 2F2F | 0C 14 27048502 (BCD8, VIF 14 = 0.01 m3: 02850427 -> 28504.27 m3) | 04 6D 32371F15 (type F:
# min 0x32&3F=50, hour 0x37&1F=23, hundred-year (0x37>>5)&3=1, day 0x1F&1F=31, month 0x15&0F=5,
# year ((0x1F>>5)|(0x15&F0)>>1)=8 -> 1900+100+8=2008) | 02 FD17 0000 (error flags 0) | 13 x 2F
P1_RECORDS = [FILL, FILL,
              {"dif": "0C", "vif": "14", "type": "bcd8", "quantity": "volume", "unit": "m3", "value": "28504.27", "raw": "0C1427048502"},
              {"dif": "04", "vif": "6D", "type": "datetime_f", "value": "2008-05-31T23:50", "invalid": False, "summer_time": False,
               "hundred_year": 1, "raw": "046D32371F15"},
              {"dif": "02", "vif": "FD17", "type": "int16", "quantity": "error_flags", "value": "0", "raw": "02FD170000"}] + [FILL] * 13
ELS_GAS = {"manufacturer": "ELS", "manufacturer_code": "1593", "id": "12345678", "version": 51, "medium": "03", "medium_name": "gas"}

ANNEX_N = "OMS Specification Vol. 2 (Primary communication) Annex N, examples N.2.x; telegrams and keys as published (public copies: ISFH/ioBroker.wmbus test 'OMS Examples', exmbus README 'N.2.1')"

files = {}

files["oms_annex_n.json"] = {
    "title": "OMS Vol. 2 Annex N example telegrams: security profile A (mode 5), profile B (mode 7, ELL, AFL) integrated and via radio adapter, partial encryption, frame format B",
    "groups": [
        {"source": ANNEX_N + " N.2.1 (profile A)", "key": "0102030405060708090A0B0C0D0E0F11", "crc": "A", "tests": [
            {"comment": "N.2.1 wM-Bus meter with security profile A: mode 5, 2 blocks, short TPL header, format A",
             "frame": "2E44931578563412330333637A2A0020255923C95AAA26D1B2E7493BC2AD013EC4A6F6D3529B520EDFF0EA6DEFC955B29D6D69EBF3EC8A",
             "result": "valid",
             # CF bytes 20 25 -> 0x2520: mode (bits 8-12) 5, blocks (4-7) 2, synchronous (13)
             "expected": {"link": {"crc": "A", "l": 46, "c": "44", "c_name": "SND_NR", **ELS_GAS},
                          "tpl": {"ci": "7A", "header": {"access_number": 42, "status": "00"}, "config": "2520", "security_mode": 5,
                                  "encrypted_blocks": 2, "synchronous": True, "bidirectional": False, "accessibility": False},
                          "security": {"mode": 5, "encrypted_bytes": 32, "verified": ["crc", "decryption_check"]},
                          "records": P1_RECORDS}}]},
        {"source": ANNEX_N + " N.2.1, as receivers deliver it with the CRCs removed (exmbus README, a TypeScript parser's tests)",
         "key": "0102030405060708090A0B0C0D0E0F11", "crc": "none", "tests": [
            {"comment": "N.2.1 without CRCs", "frame": "2E4493157856341233037A2A0020255923C95AAA26D1B2E7493B013EC4A6F6D3529B520EDFF0EA6DEFC99D6D69EBF3",
             "result": "valid",
             "expected": {"link": {"crc": "none", "l": 46, **ELS_GAS}, "security": {"mode": 5, "verified": ["decryption_check"]}, "records": P1_RECORDS}}]},
        {"source": ANNEX_N + " (profile B, meter with integrated radio)", "key": "000102030405060708090A0B0C0D0E0F", "crc": "A", "tests": [
            {"comment": "profile B: ELL 8C (CC 20, ACC 75), AFL (FCL 2C00: MCL, MCR, MAC; MCL 25: AES-CMAC 8 bytes, counter present; MCR B30A0000 = 2739), "
                        "TPL 7A with CF 0720 (mode 7, 2 blocks) and extension 10 (KDF 1, key id 0); Kenc/Kmac from the counter and ID 12345678",
             "frame": "434493157856341233037AC98C2075900F002C25B30A000021924D4FBA372FB66E017A75002007109058475F4BC9D1281DF878B80A1B0F98B629024AAC7279429398BFC549233C0140829B93BAA1",
             "result": "valid",
             "expected": {"link": {"crc": "A", "l": 67, "c": "44", **ELS_GAS},
                          "ell": {"ci": "8C", "cc": "20", "cc_flags": ["synchronized"], "acc": 117},
                          "afl": {"afll": 15, "fcl": "2C00", "fragment_id": 0, "more_fragments": False, "mcl": "25", "auth_type": 5,
                                  "message_counter": 2739, "mac": "21924D4F2FB66E01"},
                          "tpl": {"ci": "7A", "header": {"access_number": 117, "status": "00"}, "config": "0720", "security_mode": 7,
                                  "encrypted_blocks": 2, "config_ext": "10", "kdf": 1, "key_id": 0},
                          "security": {"mode": 7, "encrypted_bytes": 32, "verified": ["crc", "mac", "decryption_check"]},
                          "records": P1_RECORDS}},
            {"comment": "profile B via a radio adapter: C 08 (RSP_UD), link address RAD 11223344 v3 type 37, ELL 8E (CC 80, ACC 75, M2 XYZ, A2 33445566 v10 type 31), "
                        "AFL as above with its own MAC, long TPL header ELS 12345678 v51 gas: the key derivation and the MAC use the TPL's identity",
             "frame": "53082448443322110337D0468E80753A63665544330A31900F002C25E00AB30A0000AF5D74DF73A600D972785634C027129315330375002007109058475F4BC955CF1DF878B80A1B0F98B629024AAC7279429398BFC549233C0140829B93BAA1",
             "result": "valid",
             "expected": {"link": {"crc": "A", "l": 83, "c": "08", "c_name": "RSP_UD", "manufacturer": "RAD", "manufacturer_code": "4824",
                                   "id": "11223344", "version": 3, "medium": "37"},
                          "ell": {"ci": "8E", "cc": "80", "cc_flags": ["bidirectional"], "acc": 117, "manufacturer": "XYZ",
                                  "manufacturer_code": "633A", "id": "33445566", "version": 10, "medium": "31"},
                          "afl": {"message_counter": 2739, "mac": "AF5D74DF73A600D9"},
                          "tpl": {"ci": "72", "header": {**ELS_GAS, "access_number": 117, "status": "00"}, "config": "0720", "security_mode": 7},
                          "security": {"mode": 7, "verified": ["crc", "mac", "decryption_check"]},
                          "records": P1_RECORDS}},
            {"comment": "partial encryption: long TPL header QDS 55667788 v85 HCA (08), status 04, CF 0510 (mode 5, 1 block); "
                        "the block holds 2F2F 0B6E 341200 (1234 HCA units) 426C FE04 (2007-04-30, storage 1) 4B6E 563402 (23456, storage 1); "
                        "0CFD10 78563412 (customer location 12345678) follows in plain text",
             "frame": "2D44934444332211553769EF7288776655934455080004100500DFE227F9A782146D1513581CD2F83F39040CFD1040C4785634128134",
             "result": "valid",
             "expected": {"link": {"crc": "A", "l": 45, "manufacturer": "QDS", "id": "11223344", "version": 85, "medium": "37"},
                          "tpl": {"ci": "72", "header": {"manufacturer": "QDS", "id": "55667788", "version": 85, "medium": "08",
                                                         "access_number": 0, "status": "04", "status_flags": ["power_low"]},
                                  "config": "0510", "security_mode": 5, "encrypted_blocks": 1},
                          "security": {"mode": 5, "encrypted_bytes": 16, "verified": ["crc", "decryption_check"]},
                          "records": [FILL, FILL,
                                      {"dif": "0B", "vif": "6E", "type": "bcd6", "quantity": "hca_units", "value": "1234", "raw": "0B6E341200"},
                                      {"dif": "42", "vif": "6C", "storage": 1, "type": "date_g", "value": "2007-04-30", "raw": "426CFE04"},
                                      {"dif": "4B", "vif": "6E", "storage": 1, "type": "bcd6", "value": "23456", "raw": "4B6E563402"},
                                      {"dif": "0C", "vif": "FD10", "type": "bcd8", "value": "12345678", "raw": "0CFD1078563412"}]}}]},
        {"source": "frame format B example of the OMS examples set (ISFH/ioBroker.wmbus test 'Frame type B')", "key": None, "crc": "B", "tests": [
            {"comment": "format B: L 14 counts the CRC 7AC5; ELL 8C (CC 20, ACC 27), TPL 78, 0B13 436587 = 876543 l = 876.543 m3",
             "frame": "1444AE0C7856341201078C2027780B134365877AC5",
             "result": "valid",
             "expected": {"link": {"crc": "B", "l": 20, "c": "44", "manufacturer": "CEN", "id": "12345678", "version": 1, "medium": "07"},
                          "ell": {"ci": "8C", "cc": "20", "acc": 39},
                          "tpl": {"ci": "78", "ci_name": "rsp_ud_no_header"},
                          "security": {"mode": 0, "encrypted_bytes": 0, "verified": ["crc"], "decrypted": []},
                          "records": [{"dif": "0B", "vif": "13", "type": "bcd6", "quantity": "volume", "unit": "m3", "value": "876.543",
                                       "raw": "0B13436587"}]}}]},
    ]}

files["real.json"] = {
    "title": "Real telegrams with published keys: ELL AES-CTR (Kamstrup), mode 5 with long and short TPL headers",
    "groups": [
        {"source": "Kamstrup water meter, JMBus test 'Decryption Test - Good Key' (as in ISFH/ioBroker.wmbus test/); the receiver's RSSI byte 89 after the frame is dropped (L 24 = 36 bytes after L)",
         "key": "4E5508544202058100DFEFA06B0934A5", "crc": "none", "tests": [
            {"comment": "ELL 8D: CC 30, ACC 50, SN 21D69C20 (bits 29-31 = 1: AES-128-CTR); the decrypted payload CRC 2B13 (sent LSB first) holds; "
                        "TPL 78; 02FF20 0000 manufacturer specific; 0413 803C0700 = 474240 l = 474.24 m3 (the test's expectation); 4413 9F380700 = 473.247 m3, storage 1",
             "flags": ["ImplementationDefined"],
             "frame": "24442D2C692845631B168D3050209CD621B006B1140AEF4953AE5B86FAFC0B00E70705B846",
             "result": "valid",
             "expected": {"link": {"crc": "none", "manufacturer": "KAM", "id": "63452869", "version": 27, "medium": "16"},
                          "ell": {"ci": "8D", "cc": "30", "acc": 80, "sn": "21D69C20", "encryption": "aes_128_ctr", "payload_crc": "2B13"},
                          "tpl": {"ci": "78"},
                          "security": {"mode": 0, "verified": ["ell_payload_crc"], "decrypted": ["ell_aes_128_ctr"]},
                          "records": [{"dif": "02", "vif": "FF20", "raw": "02FF200000"},
                                      {"dif": "04", "vif": "13", "type": "int32", "quantity": "volume", "unit": "m3", "value": "474.24", "raw": "0413803C0700"},
                                      {"dif": "44", "vif": "13", "storage": 1, "type": "int32", "value": "473.247", "raw": "44139F380700"}]}}]},
        {"source": "AMBER (AMB) radio module, long TPL header, mode 5: a TypeScript wM-Bus parser's test 'Long Header - Encrypted Mode 5' (key CAFEBABE…)",
         "key": "CAFEBABE123456789ABCDEF0CAFEBABE", "crc": "none", "tests": [
            {"comment": "TPL 72 AMB 57000044 v12 type 37, access number A3 = 163, CF 0530: mode 5, 3 blocks, no other bit; the 2F2F check holds",
             "frame": "4644a205440000570c377244000057a2050c37a3003005d898c64fd0c9bd2634365084e4df946736c71a2103e45a190caa1a49b602e46c9f45fcee79afbe34f0c167fd857f659e",
             "result": "valid",
             "expected": {"tpl": {"ci": "72", "header": {"manufacturer": "AMB", "id": "57000044", "version": 12, "medium": "37", "access_number": 163},
                                  "config": "0530", "security_mode": 5, "encrypted_blocks": 3, "synchronous": False},
                          "security": {"mode": 5, "encrypted_bytes": 48, "verified": ["decryption_check"]}}}]},
        {"source": "JMBus 'WMBus Demo Message Test' #3 (ISFH/ioBroker.wmbus test/), key A1 x 16; the byte the receiver appended after L + 1 (71) is dropped (#2, MAD, is left out: its L 4D leaves 63 bytes for the 4 blocks its CF announces)", "key": "A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1A1", "crc": "none", "tests": [
            {"comment": "ZRI water meter 49705932 v1 behind link address 44000228, long TPL header, CF 2520: mode 5, 2 blocks, synchronous",
             "frame": "3644496A0228004401377232597049496A01073500202518AC74B56F3119F53981507265B808AF7D423C429550112536BDD6F25BBB63D9",
             "result": "valid",
             "expected": {"tpl": {"ci": "72", "header": {"manufacturer": "ZRI", "id": "49705932", "version": 1, "medium": "07", "access_number": 53},
                                  "config": "2520", "security_mode": 5, "encrypted_blocks": 2, "synchronous": True},
                          "security": {"mode": 5, "verified": ["decryption_check"]}}}]},
    ]}

M5 = "2E44931578563412330333637A2A0020255923C95AAA26D1B2E7493BC2AD013EC4A6F6D3529B520EDFF0EA6DEFC955B29D6D69EBF3EC8A"
M5_FLIP = M5[:40] + "%02X" % (int(M5[40:42], 16) ^ 1) + M5[42:]
files["invalid.json"] = {
    "title": "Telegrams every decoder must reject, with the named error and the wire byte offset",
    "groups": [
        {"source": ANNEX_N + " N.2.1, without its key / with another key / with one changed byte", "key": None, "crc": "auto", "tests": [
            {"comment": "mode 5 and no key: the first encrypted byte is logical 15, wire 17 (after block 1's CRC)", "frame": M5, "result": "invalid",
             "error": {"name": "no_key", "offset": 17}},
            {"comment": "byte 20 changed (bit 0): block 2's CRC (wire 28 = 12 + 16) no longer holds", "frame": M5_FLIP, "result": "invalid",
             "error": {"name": "crc_mismatch", "offset": 28}},
            {"comment": "the last byte missing: L 2E in format A needs 47 + 4 CRCs = 55 bytes", "frame": M5[:-2], "result": "invalid",
             "error": {"name": "truncated_frame", "offset": 54}}]},
        {"source": ANNEX_N + " N.2.1 with the key's last byte 11 → 12", "key": "0102030405060708090A0B0C0D0E0F12", "crc": "auto", "tests": [
            {"comment": "wrong key: the decrypted data do not start with 2F2F", "frame": M5, "result": "invalid",
             "error": {"name": "decryption_check_failed", "offset": 17}}]},
        {"source": ANNEX_N + " profile B without CRCs, one MAC bit changed (2F → 3F), as a TypeScript parser's test 'MAC does not match'",
         "key": "000102030405060708090A0B0C0D0E0F", "crc": "none", "tests": [
            {"comment": "AFL MAC (logical 22..29) differs from AES-CMAC with Kmac", "frame":
                "434493157856341233038C2075900F002C25B30A000021924D4F3FB66E017A75002007109058475F4BC91DF878B80A1B0F98B629024AAC727942BFC549233C0140829B93",
             "result": "invalid", "error": {"name": "mac_mismatch", "offset": 22}}]},
        {"source": "Kamstrup, JMBus 'Decryption Test - Wrong Key' (key's last byte A5 → AF)", "key": "4E5508544202058100DFEFA06B0934AF", "crc": "none", "tests": [
            {"comment": "ELL AES-CTR with the wrong key: the payload CRC (logical 17) does not hold", "frame":
                "24442D2C692845631B168D3050209CD621B006B1140AEF4953AE5B86FAFC0B00E70705B846",
             "result": "invalid", "error": {"name": "ell_payload_crc", "offset": 17}},
            {"comment": "with the receiver's RSSI byte still after the frame: L 24 ends the frame after 37 bytes", "frame":
                "24442D2C692845631B168D3050209CD621B006B1140AEF4953AE5B86FAFC0B00E70705B84689",
             "result": "invalid", "error": {"name": "trailing_bytes", "offset": 37}}]},
        {"source": "a TypeScript wM-Bus parser's error tests ('without a link layer', 'without a configuration word', 'too short for the extended link layer', "
                   "'too short for a data record'), L-fields set to the bytes given", "key": None, "crc": "none", "tests": [
            {"comment": "L 08: C, M and A need 9 bytes", "frame": "0844931578563412", "result": "invalid", "error": {"name": "l_field_too_small", "offset": 0}},
            {"comment": "CI 7A with access number and status only: the short header needs 4 bytes", "frame": "0C4493157856341233037A2A00",
             "result": "invalid", "error": {"name": "truncated_header", "offset": 13}},
            {"comment": "ELL 8D with CC, ACC and one SN byte: it needs 9 bytes", "frame": "0D4493157856341233038D305020",
             "result": "invalid", "error": {"name": "truncated_header", "offset": 14}},
            {"comment": "TPL 78, record 04 13 with 3 of its 4 data bytes: the data field (byte 13) runs past the frame (metercert/mbus offset rule)",
             "frame": "0F449315785634123303780413010203", "result": "invalid", "error": {"name": "truncated_record", "offset": 13}}]},
        {"source": "the format B example (ioBroker.wmbus 'Frame type B') with its CRC's last byte C5 → C6", "key": None, "crc": "B", "tests": [
            {"comment": "format B CRC (wire 19) does not hold", "frame": "1444AE0C7856341201078C2027780B134365877AC6", "result": "invalid",
             "error": {"name": "crc_mismatch", "offset": 19}}]},
    ]}

for name, f in files.items():
    tc = 0
    groups = []
    for g in f["groups"]:
        tests = []
        for t in g["tests"]:
            tc += 1
            tests.append({"tcId": tc, "comment": t["comment"], "flags": t.get("flags", []), "frame": t["frame"].upper(), "result": t["result"],
                          **({"expected": t["expected"]} if "expected" in t else {}), **({"error": t["error"]} if "error" in t else {})})
        groups.append({"source": g["source"], "key": g["key"], "crc": g["crc"], "tests": tests})
    doc = {"algorithm": "wireless M-Bus (EN 13757-4 link layer, EN 13757-7 / OMS Vol. 2 ELL, AFL, TPL and security modes 5 and 7)",
           "schema": "wmbus_vectors_v1 (vectors/README.md)", "title": f["title"], "numberOfTests": tc,
           "notes": {"ImplementationDefined": "the expectation follows an ERRATA decision (E-48: the ELL AES-CTR IV and payload CRC byte order)"},
           "testGroups": groups}
    (OUT / name).write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(name, tc)
