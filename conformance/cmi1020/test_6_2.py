"""CMi1020 §6.2 / Table 4 — where the secondary address comes from: the serial number from the
factory, the meter's 0.0 (customer number) when its last 8 characters are BCD digits, else the
meter's C.1.0, and a manually set address above both."""
from .lib import header_id, feed_meter, make_readout, read_telegrams, readout_values, record, snd_ud, bcd
from metercert.conformance import Mismatch, case, expect


@case("cmi1020/6.2/1", "0.0 whose last 8 characters are BCD digits becomes the header ID (Table 4 row 2, Table 6 row 58).",
      needs=("sim.cmi1020",))
def test_customer_number_is_id(dut, master, meter):
    feed_meter(dut, meter, make_readout(["0.0(0000098765432)", "C.1.0(13647123)", "1.8.0(000001.000*kWh)"]))
    expect(header_id(master), "98765432", "header ID from 0.0(0000098765432)")


@case("cmi1020/6.2/2", "0.0 that is not 8 BCD digits falls back to C.1.0 as the header ID (Table 4 row 2).",
      needs=("sim.cmi1020",))
def test_meter_number_fallback(dut, master, meter):
    feed_meter(dut, meter, make_readout(["0.0(12AB5678)", "C.1.0(24681357)", "1.8.0(000001.000*kWh)"]))
    expect(header_id(master), "24681357", "header ID from C.1.0 when 0.0 is not BCD")


def padded_id_readings(readout: bytes) -> tuple[str, str]:
    """The header IDs Table 4 allows for a readout whose 0.0 is padded (the real E350 sends
    `0.0(          120858)`): (E-17: the last 8 characters as sent are no 8 digits, so C.1.0;
    the other reading: the padding dropped and the digits zero-filled to 8, as a lenient cast does)."""
    values = {obis: v for obis, v, _ in readout_values(readout)}
    customer, meter_id = values.get("0.0", ""), values.get("C.1.0", "").strip()
    fallback = f"{int(meter_id):08d}" if meter_id.isdigit() and len(meter_id) <= 8 else None
    last8 = customer[-8:]
    as_sent = last8 if len(last8) == 8 and last8.isdigit() else fallback
    trimmed = customer.strip()
    lenient = trimmed.zfill(8) if trimmed.isdigit() and len(trimmed) <= 8 else as_sent
    return as_sent, lenient


@case("cmi1020/6.2/3", "The real E350's space-padded 0.0 is not 8 digits as sent, so its C.1.0 is the header ID (ERRATA E-17).",
      level="implementation-defined")
def test_padded_customer_number(master, meter_readout):
    as_sent, _lenient = padded_id_readings(meter_readout)
    expect(header_id(master), as_sent, "header ID with the padded 0.0")


@case("cmi1020/6.2/6", "With the real E350's space-padded 0.0 the header ID is one of Table 4's two readings: C.1.0, or 0.0's digits "
      "zero-filled to 8 (ERRATA E-17).")
def test_padded_customer_number_readings(master, meter_readout):
    allowed = sorted(set(padded_id_readings(meter_readout)))
    got = header_id(master)
    if got not in allowed:
        raise Mismatch("header ID with the padded 0.0", allowed, got)


@case("cmi1020/6.2/4", "Without meter communication the header ID is the CMi1020's serial number (Table 4 row 1).",
      needs=("power", "sim.cmi1020"))
def test_factory_id_without_meter(dut, master, meter):
    meter.fault = "no_meter"
    dut.power.cycle()
    dut.idle(3000)
    first = read_telegrams(master)[0]
    expect(first["header"]["id"], record(first, "8C40", "78")["value"], "header ID = fabrication number (8C40 78)")


@case("cmi1020/6.2/5", "A manually set secondary address is used whatever the meter sends (Table 4 row 3).", needs=("sim.cmi1020",))
def test_manual_address_wins(dut, master, meter):
    snd_ud(master, bytes([0x0C, 0x79]) + bcd(55443322))
    feed_meter(dut, meter, make_readout(["0.0(11112222)", "C.1.0(33334444)"]))
    expect(header_id(master), "55443322", "header ID after 0C 79 55443322 and a new meter readout")
