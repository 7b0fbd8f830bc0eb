"""The generic LwM2M half of the network cases (section "lwm2m": OMA LwM2M TS 1.1 and the ETS ids,
nothing of the CMi6110 manual): what any LwM2M 1.0/1.1 client must do with the suite's DM server,
whatever objects and values it has. A client that is not a CMi6110 passes these (and 6.2/int-102
Update, 6.3/1 Write to the read-only Serial Number 3/0/2, which are generic too) and fails the
CMi6110-specific 6.3 cases (int-101 the Elvaco objects of Tables 1-2, int-201/203/204 the values
"Elvaco"/"CMi6110") with the objects and values it lacks named (README "Certifying a generic LwM2M
client").

- int-101: the Register names the endpoint and lists its objects in CoRE Link Format (RFC 6690),
  the Device object 3 among them, never the Security object 0 (TS 1.1 §6.2.1, §5.3.1).
- int-201: Read of 3/0/0 Manufacturer and 3/0/1 Model Number with Accept text/plain (0) answers
  2.05 in text/plain with a non-empty UTF-8 string (TS 1.1 §5.4.1, §7.3; OMA object 3).
- int-203: Read of 3/0 with Accept TLV (11542) answers 2.05 in TLV holding 3/0/0 and 3/0/1 as
  non-empty strings (TS 1.1 §7.4.3), decoded here by metercert.lwm2m_reader."""
from metercert import lwm2m_reader as rd
from metercert.conformance import Mismatch, case

TEXT, TLV = 0, 11542
DEVICE_STRINGS = {"/3/0/0": "Manufacturer", "/3/0/1": "Model Number"}  # OMA object 3, both R, String



def _nonempty_utf8(what, raw):
    try:
        s = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Mismatch(what, "a UTF-8 string (TS 1.1 §7.3 String)", f"{raw[:32].hex()}… ({e})")
    if not s:
        raise Mismatch(what, "a non-empty string", "''")
    return s


@case("cmi6110/lwm2m/int-101", "Register (POST /rd?ep=…) carries the client's endpoint name and its objects in CoRE Link "
      "Format, the Device object 3 among them and never the Security object 0 (LwM2M TS 1.1 §6.2.1, §5.3.1).",
      needs=("coap.server",))
def test_registration_shape(network):
    objects = network.registered_objects()
    reg = network.registered()
    if 3 not in objects:
        raise Mismatch("the Device object in the Register's object list", "</3/0> (or </3>)", reg["links"])
    if 0 in objects:
        raise Mismatch("the Security object in the Register's object list (TS 1.1 §6.2.1: never listed)", "absent", reg["links"])


@case("cmi6110/lwm2m/int-201", "Read of 3/0/0 Manufacturer and 3/0/1 Model Number with Accept text/plain (0) answers 2.05 "
      "in text/plain with a non-empty UTF-8 string (LwM2M TS 1.1 §5.4.1, §7.3).", needs=("coap.server",))
def test_device_strings_as_text(network):
    for path, name in DEVICE_STRINGS.items():
        _nonempty_utf8(f"{path} {name} read as text", network.read_content(path, TEXT))


@case("cmi6110/lwm2m/int-203", "Read of the Device object instance 3/0 with Accept TLV (11542) answers 2.05 in TLV holding "
      "3/0/0 Manufacturer and 3/0/1 Model Number as non-empty strings (LwM2M TS 1.1 §7.4.3).", needs=("coap.server",))
def test_device_strings_as_tlv(network):
    payload = network.read_content("/3/0", TLV)
    try:
        values = rd.tlv_values(payload, "/3/0")
    except rd.ReaderError as e:
        raise Mismatch("the TLV of /3/0", "TLV (TS 1.1 §7.4.3)", str(e))
    for path, name in DEVICE_STRINGS.items():
        if path not in values:
            raise Mismatch(f"{path} {name} in the TLV of /3/0", "present", f"absent (resources: {sorted(values)})")
        _nonempty_utf8(f"{path} {name} in the TLV of /3/0", values[path])
