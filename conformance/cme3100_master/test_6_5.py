"""CMe3100 §6.5 — installing meters: by secondary address search (§6.5.3) and from a Meter List
(§6.5.1, Figure 5), with every faulty row named and the others imported."""
import metercert
from metercert.conformance import Mismatch, case, expect


@case("cme3100-master/6.5.3/1", "A search installs every slave of the bus, each under its identification number, and reads it.",
      needs=("sim.cme3100",))
def test_search_installs_every_slave(start_gateway):
    g = start_gateway("sim:cmi1020?count=7&secondary=31415920", "--search")
    rows = g.commission()
    expect(sorted(r.get("SecondaryAddress") for r in rows), [f"{31415920 + i}" for i in range(7)], "installed secondary addresses")
    expect({(r.get("Manufacturer"), r.get("Medium"), r.get("Status")) for r in rows}, {("ELV", "0x02", "1")},
           "manufacturer, medium and read status of every meter")


@case("cme3100-master/6.5.1/1", "A Meter List row with an 7-digit secondary address is refused by its row number; the rest install.",
      needs=("sim.cme3100",))
def test_meter_list_row_errors(tmp_path, start_gateway):
    ml = tmp_path / "meters.csv"
    ml.write_text("Position,SecondaryAddress,BaudRate,AddressingMode,PrimaryAddress,EnhancedAddress\n"
                  "Kitchen,13647123,2400,Secondary,,\n"
                  "Attic,1364712,2400,Secondary,,\n")
    g = start_gateway("sim:cmi1020", "--meter-list", str(ml))
    expect(any("row 3" in m and "bad_secondary_address" in m for m in g.messages), True,
           f"a message naming row 3 and bad_secondary_address in {g.messages}")
    expect([(r.get("Position"), r.get("Status")) for r in g.commission()], [("Kitchen", "1")], "installed and read meters")


@case("cme3100-master/6.15/1", "A key of 31 hex digits is refused by its row; no key byte appears in any message (§6.15, E-24).",
      needs=("sim.cme3100",))
def test_key_file_errors_hide_keys(tmp_path, start_gateway):
    good, short = "00112233445566778899AABBCCDDEEFF", "0123456789ABCDEF0123456789ABCDE"
    kf = tmp_path / "keys.csv"
    kf.write_text(f"Address,Key,Manufacturer,DeviceType,Version\n13647123,{good},ELV,-1,-1\n-1,{short},*,-1,-1\n")
    g = start_gateway("sim:cmi1020", "--search", "--keys", str(kf))
    text = "\n".join(g.messages)
    expect("row 3" in text and "bad_key_length" in text, True, f"row 3 bad_key_length named in {g.messages}")
    expect(any(k in text.upper() for k in (good, short, good[:16], short[:16])), False, "key bytes in the gateway's messages")
    expect(any("1 encryption key(s) imported" in m for m in g.messages), True, "the valid key imported")


@case("cme3100-master/6.25/1", "A listed meter that never answers is reported as not read after the retries; the others are read.",
      needs=("sim.cme3100",))
def test_silent_meter_reported(tmp_path, start_gateway):
    ml = tmp_path / "meters.csv"
    ml.write_text("Position,SecondaryAddress,BaudRate,AddressingMode,PrimaryAddress,EnhancedAddress\n"
                  "Present,13647123,2400,Secondary,,\nMissing,99999999,2400,Secondary,,\n")
    g = start_gateway("sim:cmi1020", "--meter-list", str(ml))
    status = {r.get("Position"): (r.get("Status"), r.get("Error")) for r in g.commission()}
    expect(status.get("Present"), ("1", ""), "the present meter's status and error (§6.31 Meter Status List: 1 = read)")
    expect(status.get("Missing", (None, None))[0], "3", "the missing meter's status (§6.31: 3 = the last readout failed)")
    expect(bool(status.get("Missing", (None, None))[1]), True, "the missing meter's error is named")
    expect(any("1/2 meter(s) read" in m for m in g.messages), True, f"readout summary in {g.messages}")


def selections_of_missing_meter(tmp_path, start_gateway) -> int:
    """The selections of a listed meter that never answers (99999999), counted on the gateway's M-Bus capture."""
    ml = tmp_path / "meters.csv"
    ml.write_text("Position,SecondaryAddress,BaudRate,AddressingMode,PrimaryAddress,EnhancedAddress\n"
                  "Missing,99999999,2400,Secondary,,\n")
    pcap = tmp_path / "bus.pcap"
    start_gateway("sim:cmi1020", "--meter-list", str(ml), "--pcap", str(pcap))
    return len([r for r in metercert.read_pcap(str(pcap))
                if r["direction"] == "from_dut" and r["bytes"][6:7] == b"\x52" and r["bytes"][7:11] == b"\x99" * 4])


# The reference's "Selection retries" (Table 7 gives no default; the reference's is 2, ERRATA E-28).
SELECTION_RETRIES = 2


@case("cme3100-master/6.25.2/1", "A meter that does not answer its selection is addressed 1 + 'Selection retries' (2) times (E-28).",
      level="implementation-defined", needs=("sim.cme3100",))
def test_selection_retries(tmp_path, start_gateway):
    expect(selections_of_missing_meter(tmp_path, start_gateway), 1 + SELECTION_RETRIES, "selections of 99999999 on the M-Bus")


@case("cme3100-master/6.25.2/2", "A meter that does not answer its selection is addressed 'Selection retries' (2) times in all, or once "
      "and then that many times again: Table 7's two readings (ERRATA E-28); never once only, never without end.",
      needs=("sim.cme3100",))
def test_selection_retries_readings(tmp_path, start_gateway):
    allowed = [SELECTION_RETRIES, 1 + SELECTION_RETRIES]
    got = selections_of_missing_meter(tmp_path, start_gateway)
    if got not in allowed:
        raise Mismatch("selections of 99999999 on the M-Bus", allowed, got)
