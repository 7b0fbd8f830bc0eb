"""CMe3000 §6.3 Figure 6 and §6.4 Figure 9 — statistics: completed and dropped accepts, octets
forwarded each way, serial receiver/transmitter bytes. Read from the reference gateway's
statistics file (a real CMe3000 shows them only on its web page)."""
from .lib import client, closed_within, fresh_client, statistics
from metercert.conformance import case, expect


@case("cme3000/figure6/1", "A connection counts one Completed Accept; its request bytes count as octets from the network.",
      needs=("sim.cme3000",))
def test_accept_and_network_octets(dut_target, dut):
    before = statistics(dut_target)
    c = fresh_client(dut, dut_target.url)
    try:
        c.sendall(bytes.fromhex("1040FE3E16"))
        c.settimeout(2.0)
        c.recv(16)
    finally:
        c.close()
    after = statistics(dut_target)
    expect(after["completed_accepts"] - before["completed_accepts"], 1, "Completed Accepts")
    expect(after["octets_forwarded_from_network"] - before["octets_forwarded_from_network"], 5, "Octets forwarded from Network")
    expect(after["octets_forwarded_from_serial"] - before["octets_forwarded_from_serial"], 1, "Octets forwarded from Serial (E5)")
    expect(after["serial"]["tx_bytes"] - before["serial"]["tx_bytes"], 5, "Transmitter Bytes (Figure 9)")
    expect(after["serial"]["rx_bytes"] - before["serial"]["rx_bytes"], 1, "Receiver Bytes (Figure 9)")


@case("cme3000/figure6/2", "A connection refused while another is open counts one Dropped Accept, not a Completed one.",
      needs=("sim.cme3000",))
def test_dropped_accept(dut_target, master):
    master.snd_nke(254)
    before = statistics(dut_target)
    second = client(dut_target.url)
    try:
        closed_within(second, 2.0)
    finally:
        second.close()
    after = statistics(dut_target)
    expect(after["dropped_accepts"] - before["dropped_accepts"], 1, "Dropped Accepts")
    expect(after["completed_accepts"] - before["completed_accepts"], 0, "Completed Accepts")
