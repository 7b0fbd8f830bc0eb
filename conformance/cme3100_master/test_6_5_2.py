"""CMe3100 §6.5.2 / §6.15 — wireless meters: a Meter List row with AddressingMode ``esecondary``
installs a wireless meter; the gateway hears it through a Wireless M-Bus Receiver (here the
simulated CMi1020W, ``--wmbus sim:cmi1020w?key=…``), decrypts its telegrams with the key the
encryption key file matches to it (address, manufacturer, device type, version: Table 6) and
serves its values on the Virtual M-Bus like a wired meter's (§6.27).

Expectations come from the manuals and the meter, not from the gateway: the CMi1020W sends the
meter's C.1.0 (13647123, the real E350 readout) as its identification with manufacturer ELV and
device type electricity (02); the readout's 1.8.0 is 061561.289 kWh (61561289 Wh); Table 8 /
§6.31 status 1 is a good last readout, 3 a failed one."""
import metercert
from metercert.conformance import case, expect

METER_ID = "13647123"  # C.1.0 of the real E350 readout (vectors/obis/lgz-zmf100ac-m26.readout)
KEY = "5AD1F6B4C2E3A7980B1C2D3E4F506172"  # the test key the simulated CMi1020W encrypts with
OTHER_KEY = "0F1E2D3C4B5A69788796A5B4C3D2E1F0"
LIST_HEADER = "Position,SecondaryAddress,BaudRate,AddressingMode,PrimaryAddress,EnhancedAddress\n"
KEYS_HEADER = "Address,Key,Manufacturer,DeviceType,Version\n"


def wireless_gateway(tmp_path, start_gateway, keys: str, listed: str = f"Substation,{METER_ID},2400,esecondary,,\n"):
    ml, kf = tmp_path / "meters.csv", tmp_path / "keys.csv"
    ml.write_text(LIST_HEADER + listed)
    kf.write_text(KEYS_HEADER + keys)
    # one readout at start: the gateway listens 20 s of the simulated receiver's clock (the
    # CMi1020W's first telegram comes 15 s after power-up)
    return start_gateway(None, "--meter-list", str(ml), "--keys", str(kf), "--wmbus", f"sim:cmi1020w?key={KEY}",
                         "--wmbus-listen", "20")


def no_key_in(g, *keys: str) -> None:
    text = "\n".join(g.messages) + (g.report.read_text() if g.report.exists() else "")
    expect([k for k in keys if k in text.upper().replace(" ", "")], [], "key digits in the gateway's messages and report")


@case("cme3100-master/6.5.2/1", "A wireless meter installed from the Meter List (esecondary) with its key in the key file is read "
      "through the receiver, decrypted and served on the Virtual M-Bus with its meter's values.",
      needs=("sim.cme3100",))
def test_wireless_meter_read_decrypted_and_served(tmp_path, start_gateway):
    g = wireless_gateway(tmp_path, start_gateway, f"{METER_ID},{KEY},ELV,2,-1\n")
    rows = {r.get("Position"): r for r in g.commission()}
    row = rows.get("Substation", {})
    expect((row.get("SecondaryAddress"), row.get("AddressingMode"), row.get("Status"), row.get("Error")),
           (METER_ID, "esecondary", "1", ""), "the wireless meter's commission report row (§6.31 status 1: read)")
    expect((row.get("Manufacturer"), row.get("Medium")), ("ELV", "0x02"), "manufacturer and device type heard from the CMi1020W")
    m = metercert.Master(metercert.connect(g.url), response_timeout_ms=1000)
    expect(m.select(METER_ID + "FFFFFFFF"), "ack", f"selection of {METER_ID} on the Virtual M-Bus")
    d = metercert.decode(m.req_ud2(253))
    expect(d.get("header", {}).get("id"), METER_ID, "header ID of the virtual wireless meter")
    energy = [r.get("value") for r in d.get("records", []) if r.get("quantity") == "energy"]
    expect(energy[:1], ["61561289"], "1.8.0 import energy, Wh (E350 readout 061561.289 kWh), the first energy record")
    no_key_in(g, KEY)


@case("cme3100-master/6.15/2", "A wireless meter no key of the key file matches (Table 6 criteria) is not decrypted: its readout "
      "fails with the reason named, and no key is shown.",
      needs=("sim.cme3100",))
def test_wireless_meter_without_matching_key(tmp_path, start_gateway):
    # the right key, but for another address; a key for another manufacturer
    g = wireless_gateway(tmp_path, start_gateway, f"13647124,{KEY},*,-1,-1\n-1,{KEY},KAM,-1,-1\n")
    row = {r.get("Position"): r for r in g.commission()}.get("Substation", {})
    expect(row.get("Status"), "3", "status of the wireless meter (§6.31: 3 = the last readout failed)")
    expect(row.get("Error", "").startswith("no_key"), True, f"the error names no_key: {row.get('Error')!r}")
    expect(any("Substation" in m and METER_ID in m and "no_key" in m for m in g.messages), True,
           f"a message naming the meter and no_key in {g.messages}")
    no_key_in(g, KEY)


@case("cme3100-master/6.15/3", "A wireless meter whose matched key is wrong fails its readout with the decryption check named "
      "(the 2F2F check); no value is stored and no key is shown.",
      needs=("sim.cme3100",))
def test_wireless_meter_with_wrong_key(tmp_path, start_gateway):
    g = wireless_gateway(tmp_path, start_gateway, f"{METER_ID},{OTHER_KEY},ELV,-1,-1\n")
    row = {r.get("Position"): r for r in g.commission()}.get("Substation", {})
    expect((row.get("Status"), row.get("Records")), ("3", "0"), "status and records of the wireless meter")
    expect(row.get("Error", "").startswith("decryption_check_failed"), True, f"the error names the 2F2F check: {row.get('Error')!r}")
    no_key_in(g, KEY, OTHER_KEY)


@case("cme3100-master/6.5.2/2", "A wireless meter the gateway hears but the Meter List does not hold is not installed or read.",
      needs=("sim.cme3100",))
def test_unlisted_wireless_meter_ignored(tmp_path, start_gateway):
    g = wireless_gateway(tmp_path, start_gateway, f"-1,{KEY},*,-1,-1\n", listed="Elsewhere,87654321,2400,esecondary,,\n")
    expect(sorted(r.get("SecondaryAddress") for r in g.commission()), ["87654321"], "meters in the commission report")
    expect(any("1 from meters not installed" in m for m in g.messages), True, f"the unlisted meter's telegram counted in {g.messages}")
    m = metercert.Master(metercert.connect(g.url), response_timeout_ms=500)
    expect(m.select(METER_ID + "FFFFFFFF"), "none", f"selection of the unlisted {METER_ID} on the Virtual M-Bus")
