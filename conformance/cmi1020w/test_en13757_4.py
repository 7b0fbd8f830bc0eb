"""EN 13757-4 data link layer of the CMi1020W's telegrams (§5: frame format, L-field, CRCs,
C-field, M and A fields) and EN 13757-3 §5.5 (manufacturer, identification, version, device type).
The manual gives none of them: ERRATA E-53 records the reading (C = SND_NR, M = ELV, version 1,
device type electricity, A = the meter's C.1.0). Read from the bytes, not through the decoder."""
from .lib import crc_problems, letters, link_fields, logical, telegrams
from metercert.conformance import Mismatch, case, expect


@case("cmi1020w/en13757-4/1", "Every telegram's length fits its L-field and every CRC-16 of its frame format holds "
      "(EN 13757-4 §5.3: format A a CRC after the first 10 bytes and after every 16; B one over ≤ 126 bytes and one "
      "over the rest; a receiver that stripped them checked them).", needs=("wmbus.receive",))
def test_l_field_and_crcs(dut):
    problems = [f"telegram {i + 1}: {p}" for i, t in enumerate(telegrams(dut, 2)) for p in crc_problems(t)]
    if problems:
        raise Mismatch("the data link layer's length and CRCs", "L and every CRC right", "; ".join(problems))


@case("cmi1020w/en13757-4/2", "The C-field is SND_NR (0x44): the module sends without expecting a reply "
      "(EN 13757-4 Table 10; ERRATA E-53).", level="implementation-defined", needs=("wmbus.receive",))
def test_c_field(dut):
    for t in telegrams(dut, 2):
        expect(f"{link_fields(logical(t))['c']:02X}", "44", "C-field")


@case("cmi1020w/en13757-4/3", "The M-field is Elvaco's manufacturer code ELV (0x1596: E, L, V in 5 bits each, "
      "EN 13757-3 §5.5; ERRATA E-53).", level="implementation-defined", needs=("wmbus.receive",))
def test_manufacturer(dut):
    elv = (ord("E") - 64) << 10 | (ord("L") - 64) << 5 | (ord("V") - 64)
    link = link_fields(logical(telegrams(dut, 1)[0]))
    expect((link["manufacturer_code"], letters(link["manufacturer_code"])), (elv, "ELV"), "M-field")


@case("cmi1020w/en13757-4/4", "The device type in the A-field is electricity (0x02, EN 13757-3 Table 3): the module "
      "speaks for an E350 electricity meter (ERRATA E-53).", needs=("wmbus.receive",))
def test_device_type(dut):
    for t in telegrams(dut, 2):
        expect(f"{link_fields(logical(t))['device_type']:02X}", "02", "A-field device type")


@case("cmi1020w/en13757-4/5", "The version in the A-field is 0x01 (ERRATA E-53).", level="implementation-defined",
      needs=("wmbus.receive",))
def test_version(dut):
    expect(link_fields(logical(telegrams(dut, 1)[0]))["version"], 1, "A-field version")


@case("cmi1020w/en13757-4/6", "The A-field identification is the meter's C.1.0 (or C.1) as 8 BCD digits, fewer "
      "digits padded with zeros (manual \"LED indications\": the module identifies the meter by it; the meter "
      "reference: the simulated meter, or --meter-readout FILE).", needs=("wmbus.receive",))
def test_identification_is_c10(dut, meter_readout):
    from metercert.readout import readout_values
    ids = [v.strip() for obis, v, _u in readout_values(meter_readout) if obis in ("C.1.0", "C.1")]
    if not ids:
        raise Mismatch("the meter reference", "a readout with C.1.0 or C.1", "neither")
    want = ids[0].rjust(8, "0")
    for t in telegrams(dut, 2):
        expect(link_fields(logical(t))["id"], want, "A-field identification (BCD)")
