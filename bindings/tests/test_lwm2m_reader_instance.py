"""metercert.lwm2m_reader.tlv_values on a Read of one Object Instance (GET /3/0, TLV, LwM2M TS 1.1
§7.4.3): the resources alone (the TS's example, as the reference client answers) and the same
resources inside an Object Instance TLV of that instance (what coap-node 0.2.5, a third-party
LwM2M client from npm, answered to the suite: the bytes below are its answer as captured; ERRATA
E-142) flatten to the same /3/0/… paths."""
from metercert import lwm2m_reader as rd

# coap-node 0.2.5's answer to GET /3/0 Accept 11542 with its default Device object (captured)
COAP_NODE_3_0 = bytes.fromhex(
    "080039" "c600" + b"sivann".hex() + "c80108" + b"cnode-01".hex() + "c602" + b"c-0000".hex() + "c303" + b"1.0".hex()
    + "c711" + b"generic".hex() + "c312" + b"1.0".hex() + "c313" + b"1.0".hex() + "c10600" "c10764")


def test_an_instance_read_inside_its_object_instance_tlv():
    v = rd.tlv_values(COAP_NODE_3_0, "/3/0")
    assert rd.tlv_string(v["/3/0/0"]) == "sivann" and rd.tlv_string(v["/3/0/1"]) == "cnode-01"
    assert rd.tlv_string(v["/3/0/17"]) == "generic" and rd.tlv_int(v["/3/0/7"]) == 100
    assert not any(p.startswith("/3/0/0/") for p in v)


def test_the_same_resources_without_the_wrapper():
    bare = COAP_NODE_3_0[3:]  # the Object Instance TLV's header is 3 bytes: 08 (type 00, 8-bit id, 8-bit length), id 0, 0x39
    assert len(bare) == 0x39
    assert rd.tlv_values(bare, "/3/0") == rd.tlv_values(COAP_NODE_3_0, "/3/0")


def test_a_wrapper_of_another_instance_keeps_its_own_path():
    other = bytes([0x08, 0x01, 0x39]) + COAP_NODE_3_0[3:]  # instance 1 in a read of /3/0: not unwrapped
    assert "/3/0/1/0" in rd.tlv_values(other, "/3/0")


def test_an_object_read_keeps_the_instance_level():
    assert rd.tlv_string(rd.tlv_values(COAP_NODE_3_0, "/3")["/3/0/0"]) == "sivann"
