"""CMi1020 §6.7.11 / §6.7.12, §4.2.1 Table 2 — meter rate: set by command (0x03: 0 none, 1–6, 0xFF
rate inputs), and the mapping of inputs A/B to rates (0x00, four rates: B/A = 00, 01, 10, 11)."""
import metercert
from .lib import elvaco, read_telegrams, record_int
from metercert.conformance import case, expect


@case("cmi1020/6.7.11/1", "Set meter rate 3 makes the meter execute 0xFF05 with rate 3.", needs=("sim.cmi1020",))
def test_set_rate(master, meter):
    elvaco(master, 0x03, b"\x03")
    expect(meter.rate, 3, "meter rate after command 03 03")
    expect(meter.executed[-1]["code"], 0xFF05, "meter command")


@case("cmi1020/6.7.11/2", "Rate 0xFF follows the inputs with Table 2's default mapping (A active → rate 2); FD1B shows A.",
      needs=("rate_inputs", "sim.cmi1020"))
def test_rate_inputs_default_map(dut, master, meter):
    elvaco(master, 0x03, b"\xff")
    dut.rate_inputs.set(True, False)
    expect(meter.rate, 2, "meter rate with input A active, B inactive")
    expect(record_int(read_telegrams(master)[0], "01", "FD1B"), 0b10, "FD1B (bit 1 = A, bit 0 = B)")


@case("cmi1020/6.7.11/3", "A rate outside 0, 1–6 and 0xFF gets no ACK, like an unknown command (ERRATA E-20).",
      level="implementation-defined", needs=("sim.cmi1020",))
def test_rate_out_of_range_not_acked(master):
    ex = master.exchange(metercert.build_long(0x53, 0, 0x51, bytes([0x0F, 0x03, 0x07])))
    expect(ex["outcome"], "timeout", "reply to rate 7")


@case("cmi1020/6.7.11/4", "A rate outside 0, 1–6 and 0xFF (§6.7.11.1) is not applied: the meter gets no rate command.",
      needs=("sim.cmi1020",))
def test_rate_out_of_range_not_applied(master, meter):
    master.exchange(metercert.build_long(0x53, 0, 0x51, bytes([0x0F, 0x03, 0x07])))  # whether it is ACKed: 6.7.11/3
    expect([(c["code"], c["fields"].hex()) for c in meter.executed], [], "meter commands executed after rate 7")


@case("cmi1020/6.7.12/1", "A new mapping table decides the rate for each input combination.",
      needs=("rate_inputs", "sim.cmi1020"))
def test_rate_mapping(dut, master, meter):
    elvaco(master, 0x03, b"\xff")
    elvaco(master, 0x00, bytes([5, 6, 3, 4]))  # B/A = 00 → 5, 01 → 6, 10 → 3, 11 → 4
    got = []
    for a, b in ((True, False), (False, True), (True, True), (False, False)):
        dut.rate_inputs.set(a, b)
        got.append(meter.rate)
    expect(got, [6, 3, 4, 5], "meter rate for A only, B only, both, none")
