"""CMi1020W manual "operation and function": "CMi1020W can be configured to either send encrypted
or unencrypted messages. Encrypted messages are protected by a 128bit AES key encryption." The
module uses OMS Vol. 2 §9.2.4 security mode 5 (AES-128-CBC, IV = M ‖ A ‖ access number × 8, the
first two decrypted bytes 0x2F 0x2F; ERRATA E-56). The configured key is the DUT URL's key=."""
import pytest

import metercert
from .lib import decode, link_fields, logical, meter_records, telegrams
from metercert.conformance import Mismatch, case, expect


def _needs_key(key):
    if key is None:
        pytest.skip("needs the module's key: the DUT URL's key= (a module configured without encryption has none)")


@case("cmi1020w/security/1", "The security mode is as configured: an AES-128 mode (5) when the module has a key, "
      "none (0) when it has not (manual \"operation and function\"; OMS Vol. 2 §9.2.4).", needs=("wmbus.receive",))
def test_security_mode_as_configured(dut, key):
    want = 5 if key is not None else 0
    for i, t in enumerate(telegrams(dut, 2)):
        expect(link_fields(logical(t)).get("security_mode"), want, f"telegram {i + 1}: security mode")


@case("cmi1020w/security/2", "The configuration field's encrypted block count covers all the application data "
      "(16-byte blocks) when encrypted, and is 0 when plain (ERRATA E-56).", level="implementation-defined",
      needs=("wmbus.receive",))
def test_encrypted_block_count(dut):
    link = link_fields(logical(telegrams(dut, 1)[0]))
    if "apl" not in link:
        raise Mismatch("transport layer", "CI 0x7A with its configuration field", f"CI {link['ci']}")
    want = len(link["apl"]) // 16 if link["security_mode"] else 0
    expect(link["encrypted_blocks"], want, f"encrypted blocks ({len(link['apl'])} application bytes, mode {link['security_mode']})")
    if link["security_mode"]:
        expect(len(link["apl"]) % 16, 0, "application bytes in whole AES blocks")


@case("cmi1020w/security/3", "Decrypted with the configured key, the data begin with the decryption check 0x2F 0x2F "
      "(OMS Vol. 2 §9.2.4, EN 13757-7).", needs=("wmbus.receive",))
def test_decryption_check(dut, key):
    _needs_key(key)
    t = telegrams(dut, 1)[0]
    link = link_fields(logical(t))
    expect(link.get("security_mode"), 5, "security mode (the data are encrypted)")
    doc = decode(t, key)
    expect("decryption_check" in doc["security"]["verified"], True, "2F2F decryption check passed")


@case("cmi1020w/security/4", "With a key configured, no data record can be read without it: nothing goes plain "
      "(manual \"operation and function\").", needs=("wmbus.receive",))
def test_no_plain_data_when_encrypted(dut, key):
    _needs_key(key)
    for i, t in enumerate(telegrams(dut, 2)):
        try:
            doc = metercert.decode_wmbus(logical(t), None, crc="none")
        except metercert.DecodeError as e:
            expect(e.name, "no_key", f"telegram {i + 1}: decoding without the key")
            continue
        raise Mismatch(f"telegram {i + 1}: records readable without the key", "none (encrypted)",
                       [f"{r['dif']} {r['vif']} = {r.get('value')}" for r in meter_records(doc)])


@case("cmi1020w/security/5", "The IV of every telegram holds its access number (OMS Vol. 2 §9.2.4: M ‖ A ‖ access "
      "number × 8): each of three telegrams in a row decrypts to the same records as the first (ERRATA E-56: the 2F2F "
      "check alone does not see a wrong IV).", needs=("wmbus.receive",))
def test_iv_holds_access_number(dut, key):
    _needs_key(key)
    layouts = []
    for t in telegrams(dut, 3):
        layouts.append([(r["dif"], r["vif"]) for r in meter_records(decode(t, key))])
    for i in (1, 2):
        expect(layouts[i], layouts[0], f"records (DIF, VIF) of telegram {i + 1} as of telegram 1")
