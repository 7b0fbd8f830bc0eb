"""The CMi6110's SenML/CBOR/M-Bus payload (manual §7.4.2.3) held against an independent CBOR
implementation, Python's cbor2 (Debian python3-cbor2): what our encoder writes, cbor2 reads as the
labels and values the manual specifies; what cbor2 writes (shortest integers, definite lengths),
our decoder reads back. The values of the first readout are the manual's own (§7.4.2.2/§7.4.2.3:
12345.678 MWh, 3456.7 m3, 5012 W, 212 l/h, 80.3 °C, 53.8 °C, error flags 0x4012)."""
import cbor2
import pytest
from hypothesis import given, settings, strategies as st

import metercert
from metercert import cmi6110

DIBS1 = bytes.fromhex("04064E61BC00041507870000022B9413023BD400025A2303025E1A0202FD171240")
DIBS2 = bytes.fromhex("0406F24FBC00")
MANUAL = bytes.fromhex("83" "A3 21 68 3132333435363738 22 1A 5DE02740 08 58 21".replace(" ", "") + DIBS1.hex()
                       + "A2006156" "0200" + "A206390E0F0846" + DIBS2.hex())


def test_cbor2_reads_the_encoders_payload_as_the_manual_specifies():
    b = cmi6110.encode_senml("12345678", [(1574971200, DIBS1), (1574971200 - 3600, DIBS2)])
    assert b == MANUAL
    assert cbor2.loads(b) == [{-2: "12345678", -3: 1574971200, 8: DIBS1}, {0: "V", 2: 0}, {6: -3600, 8: DIBS2}]


def test_the_first_readout_holds_the_manuals_values():
    p = cmi6110.decode_senml(MANUAL)
    assert p["meter_id"] == "12345678" and p["base_time"] == 1574971200 and p["encoder"] == 0
    d = metercert.decode(metercert.build_long(0x08, 0, 0x78, p["readouts"][0]["dibs"]))  # CI 78: records, no header
    got = {(r["quantity"], r["unit"]): r["value"] for r in d["records"]}
    assert got[("energy", "Wh")] == "12345678000"          # 12345.678 MWh
    assert got[("volume", "m3")] == "3456.7"
    assert got[("power", "W")] == "5012"
    assert got[("volume_flow", "m3/h")] == "0.212"         # 212 l/h
    assert got[("flow_temperature", "°C")] == "80.3"
    assert got[("return_temperature", "°C")] == "53.8"
    flags = [r for r in d["records"] if r["vif"].upper() == "FD17"]
    assert flags and flags[0]["raw"].upper().endswith("1240")  # error flags 0x4012, LSB first


readout = st.tuples(st.integers(min_value=0, max_value=2**40), st.sampled_from([DIBS1, DIBS2, bytes.fromhex("0413E8030000")]))


@settings(max_examples=200, deadline=None)
@given(meter=st.text(alphabet="0123456789", min_size=1, max_size=16), readouts=st.lists(readout, min_size=1, max_size=30),
       version=st.booleans())
def test_round_trips_through_cbor2_both_ways(meter, readouts, version):
    b = cmi6110.encode_senml(meter, readouts, version)
    items = cbor2.loads(b)
    base = readouts[0][0]
    assert items[0] == {-2: meter, -3: base, 8: readouts[0][1]}
    later = items[2:] if version else items[1:]
    assert [(base + r[6], r[8]) for r in later] == readouts[1:]
    # cbor2's canonical encoding (shortest forms, definite lengths, keys sorted) of the same pack
    back = cmi6110.decode_senml(cbor2.dumps(items, canonical=True))
    assert [(r["time"], r["dibs"]) for r in back["readouts"]] == readouts and back["meter_id"] == meter


def test_refusals_carry_name_and_offset():
    with pytest.raises(cmi6110.PayloadError) as e:
        cmi6110.decode_senml(MANUAL[:-1])
    assert e.value.name == "truncated" and e.value.offset == len(MANUAL) - 1
    # cbor2 writes an integer in a longer form only when asked for a float: 1.5 as the time
    with pytest.raises(cmi6110.PayloadError) as e:
        cmi6110.decode_senml(cbor2.dumps([{-2: "1", -3: 1574971200, 8: DIBS2}, {6: 1.5, 8: DIBS2}]))
    assert e.value.name == "time_not_integer"
    with pytest.raises(cmi6110.PayloadError) as e:
        cmi6110.decode_senml(cbor2.dumps([{-2: "1", -3: 0, 8: DIBS2}, {0: "V", 2: 0x0102}]))
    assert e.value.name == "unsupported_encoder"
    with pytest.raises(ValueError):
        cmi6110.encode_senml("1", [])
