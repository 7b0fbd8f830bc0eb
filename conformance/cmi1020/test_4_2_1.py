"""CMi1020 §4.2.1 / Table 2 — the two 230 VAC rate inputs A and B, and Table 5's FD1B record (the
rate input state: bit 1 = A, bit 0 = B) that shows them. Driven through dut.rate_inputs: a rig's
relays (--rig FILE) or the simulator's own inputs."""
from .lib import read_telegrams, record_int
from metercert.conformance import case, expect


@case("cmi1020/4.2.1/1", "FD1B shows the rate inputs as they are: each of the four combinations of A and B (Table 2, Table 5).",
      needs=("rate_inputs",))
def test_rate_inputs_in_fd1b(dut, master):
    got = []
    try:
        for a, b in ((True, False), (False, True), (True, True), (False, False)):
            dut.rate_inputs.set(a, b)
            got.append(record_int(read_telegrams(master)[0], "01", "FD1B"))
    finally:
        dut.rate_inputs.set(False, False)
    expect(got, [0b10, 0b01, 0b11, 0b00], "FD1B with A only, B only, both, none")
