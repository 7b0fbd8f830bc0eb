"""EN 13757-7 transport layer of the CMi1020W's telegrams: the short header (CI 0x7A: access
number, status, configuration field) and the access number, which goes up by one with every
telegram (ERRATA E-53, E-55). Read from the bytes."""
from .lib import link_fields, logical, telegrams
from metercert.conformance import Mismatch, case, expect


@case("cmi1020w/en13757-7/1", "The access number goes up by 1 (mod 256) from each telegram to the next "
      "(EN 13757-7; ERRATA E-55).", needs=("wmbus.receive",))
def test_access_number_increments(dut):
    acc = []
    for t in telegrams(dut, 3):
        link = link_fields(logical(t))
        if "access_number" not in link:
            raise Mismatch("transport layer", "CI 0x7A with its short header", f"CI {link['ci']}")
        acc.append(link["access_number"])
    expect(acc, [acc[0], (acc[0] + 1) % 256, (acc[0] + 2) % 256], "access numbers of three telegrams in a row")


@case("cmi1020w/en13757-7/2", "The transport layer is CI 0x7A with the short header: the link layer's M and A are "
      "the meter's own (ERRATA E-53).", level="implementation-defined", needs=("wmbus.receive",))
def test_short_header(dut):
    link = link_fields(logical(telegrams(dut, 1)[0]))
    expect(f"{link['ci']:02X}" if link["ci"] is not None else None, "7A", "CI-field")
