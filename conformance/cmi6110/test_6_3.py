"""CMi6110 §6.3 "Status and configuration parameters" over the network (OMA LwM2M TS 1.1; ETS ids
LightweightM2M-1.1-int-…): the module registers with the suite's DM server listing every object of
Tables 1 and 2 (int-101); the Device object's Manufacturer 3/0/0 "Elvaco" and Model Number 3/0/1
"CMi6110" (Table 1) read as plain text (int-201), TLV (int-203) and SenML-JSON (int-204), each
payload decoded here independently (metercert.lwm2m_reader for TLV, Python's json for SenML:
RFC 8428 §4-§5, the Content-Format numbers of TS 1.1 §7.1: 0 text, 11542 TLV, 110 SenML-JSON);
a Write to a resource of operation R is refused 4.05 Method Not Allowed (TS 1.1 §5.4.3) and
leaves the value."""
import json

from metercert import lwm2m_reader as rd
from metercert.conformance import Mismatch, case

# Tables 1 and 2: the objects a Register lists (Security, object 0, never: TS 1.1 §5.3.1 / §6.2.1)
TABLE_OBJECTS = [1, 3, 4, 5, 10, 11, 33905, 33906, 33907, 33908, 33909, 33910, 33911]
DEVICE = {"/3/0/0": "Elvaco", "/3/0/1": "CMi6110"}  # Table 1
TEXT, TLV, SENML_JSON = 0, 11542, 110
TIMEOUT_MS = 5000.0



@case("cmi6110/6.3/int-101", "Register (POST /rd?ep=…) carries the module's endpoint name and lists every object of §6.3 "
      "Tables 1 and 2: 1, 3, 4, 5, 10, 11 and the Elvaco objects 33905-33911 (LwM2M TS 1.1 §6.2.1).", needs=("coap.server",))
def test_registration_lists_the_tables_objects(network):
    listed = network.registered_objects()
    missing = [o for o in TABLE_OBJECTS if o not in listed]
    if missing:
        raise Mismatch("objects of Tables 1 and 2 in the Register's object list", TABLE_OBJECTS,
                       f"{sorted(listed)}: missing {missing}")


@case("cmi6110/6.3/int-201", "Read of 3/0/0 and 3/0/1 with Accept text/plain (0) answers 2.05 in text/plain: \"Elvaco\" and "
      "\"CMi6110\" (Table 1; LwM2M TS 1.1 §7.3).", needs=("coap.server",))
def test_device_values_as_text(network):
    for path, want in DEVICE.items():
        got = network.read_content(path, TEXT).decode("utf-8", errors="replace")
        if got != want:
            raise Mismatch(f"{path} read as text", want, got)


@case("cmi6110/6.3/int-203", "Read of the Device object instance 3/0 with Accept TLV (11542) answers 2.05 in TLV with "
      "Manufacturer \"Elvaco\" and Model Number \"CMi6110\" (Table 1; LwM2M TS 1.1 §7.4.3).", needs=("coap.server",))
def test_device_values_as_tlv(network):
    payload = network.read_content("/3/0", TLV)
    try:
        values = rd.tlv_values(payload, "/3/0")
    except rd.ReaderError as e:
        raise Mismatch("the TLV of /3/0", "TLV (TS 1.1 §7.4.3)", str(e))
    for path, want in DEVICE.items():
        got = rd.tlv_string(values[path]) if path in values else None
        if got != want:
            raise Mismatch(f"{path} in the TLV of /3/0", want, got)


@case("cmi6110/6.3/int-204", "Read of the Device object instance 3/0 with Accept SenML-JSON (110) answers 2.05 in SenML-JSON "
      "with Manufacturer \"Elvaco\" and Model Number \"CMi6110\" (Table 1; LwM2M TS 1.1 §7.4.5, RFC 8428).",
      needs=("coap.server",))
def test_device_values_as_senml_json(network):
    payload = network.read_content("/3/0", SENML_JSON)
    try:
        pack = json.loads(payload.decode("utf-8"))
        if not isinstance(pack, list) or not all(isinstance(r, dict) for r in pack):
            raise ValueError("not an array of records (RFC 8428 §4)")
    except ValueError as e:
        raise Mismatch("the SenML-JSON of /3/0", "a JSON array of SenML records", f"{e} (payload {payload[:32].hex()}…)")
    values, bn = {}, ""
    for r in pack:  # RFC 8428 §4.5.1: the name is the base name so far plus n
        bn = r.get("bn", bn)
        values[bn + r.get("n", "")] = r.get("vs")
    for path, want in DEVICE.items():
        if values.get(path) != want:
            raise Mismatch(f"{path} (\"vs\") in the SenML-JSON of /3/0", want, values.get(path))


@case("cmi6110/6.3/1", "A Write (PUT) to 3/0/2 Serial Number, operation R in Table 1, is refused 4.05 Method Not Allowed "
      "(LwM2M TS 1.1 §5.4.3) and the value read afterwards is unchanged.", needs=("coap.server",))
def test_write_to_read_only_is_refused(network):
    before = network.read_content("/3/0/2", TEXT)
    w = network.servers.write(network.endpoint, "/3/0/2", b"metercert-was-here", content_format=TEXT, replace=True,
                              timeout_ms=TIMEOUT_MS)
    after = network.read_content("/3/0/2", TEXT)
    if w["code"] != "4.05":
        raise Mismatch("the answer to a Write of read-only 3/0/2", "4.05 Method Not Allowed", w["code"] or w["status"])
    if after != before:
        raise Mismatch("3/0/2 after the refused Write", before.decode(errors="replace"), after.decode(errors="replace"))
