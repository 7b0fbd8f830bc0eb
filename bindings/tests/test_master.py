"""The master and transports from Python: searches find the populations configured, reads return
the manual's bytes, failures arrive as named exceptions, every byte is tapped."""
import pytest

import metercert


def test_search_finds_the_configured_slaves():
    m = metercert.Master(metercert.connect("sim:cmi1020?count=7&secondary=40000095"))
    r = metercert.search_secondary(m)
    assert [f["id"] for f in r["found"]] == [str(40000095 + i) for i in range(7)]
    assert r["cost"]["timeouts"] > 0 and r["problems"] == []
    assert metercert.decode(r["found"][0]["frame"])["header"]["manufacturer"] == "ELV"


def test_read_sends_the_manuals_bytes_and_taps_them(tmp_path):
    cap = tmp_path / "c.pcap"
    c = metercert.connect("sim:cmi1020", pcap=str(cap))
    m = metercert.Master(c, init_idle_ms=0)
    assert m.snd_nke(0) is True
    telegrams, truncated = m.read(0)
    assert not truncated and len(telegrams) == 1
    frame, gap = telegrams[0]
    assert metercert.decode(frame)["header"]["id"] == "13647123"  # the E350's C.1.0 (Table 4)
    assert 11 / 2.4 <= gap <= 330 / 2.4 + 50                      # EN 13757-2 reply window
    recs = c.records()
    assert recs[0]["bytes"] == bytes.fromhex("1040004016") and recs[0]["direction"] == "to_dut"
    assert recs[2]["bytes"] == bytes.fromhex("107B007B16")
    assert [r["bytes"] for r in metercert.read_pcap(str(cap))] == [r["bytes"] for r in recs]
    assert m.counters["telegrams"] == 2


def test_failures_are_named():
    m = metercert.Master(metercert.connect("sim:cmi1020"), readout_retries=1)
    with pytest.raises(metercert.MasterError) as e:
        m.read(42)
    assert e.value.name == "timeout"
    assert m.counters["timeouts"] == 2  # the try and one retry
    with pytest.raises(metercert.DutError):
        metercert.connect("sim:cmi1020?count=0")
    with pytest.raises(metercert.PortError) as e:
        metercert.connect("tcp://127.0.0.1:1")
    assert e.value.name == "connect_failed"


def test_exchange_shows_what_the_wire_did():
    m = metercert.Master(metercert.connect("sim:cmi1020?count=3"))
    # a selection that matches all three: their ACKs overlap on the line
    ex = m.exchange(metercert.build_long(0x53, 253, 0x52, bytes.fromhex("FFFFFFFFFFFFFFFF")))
    assert ex["outcome"] in ("garbled", "frame") and ex["bytes"] != b"\xe5"
    assert m.exchange(bytes.fromhex("1040054516"))["outcome"] == "timeout"  # nobody at 5
    assert m.select("13647124") == "ack"


def test_simulated_power_cycle_keeps_eeprom_settings():
    c = metercert.connect("sim:cmi1020")
    m = metercert.Master(c)
    m.snd_ud(0, 0x51, bytes.fromhex("017A07"))  # §6.7.5: primary address 7
    c.power_cycle(0)
    c.idle(2500)  # first readout after power-on
    assert m.snd_nke(7) is True
    assert '"primary_address":7' in c.slave_state(0).replace(" ", "")


def test_times_keep_float_ms_and_refuse_what_the_clock_cannot_hold():
    # Python sees the one clock (metercert/time.hpp, µs) as float ms; a value that is not finite or
    # beyond 1e12 ms is a ValueError, never an overflowed clock.
    c = metercert.connect("sim:cmi1020")
    t0 = c.now_ms()
    c.idle(30000.5)
    assert c.now_ms() - t0 == 30000.5
    m = metercert.Master(c)
    assert m.response_timeout_ms == 187.5  # EN 13757-2 at 2400 baud: 330 bit times + 50 ms
    for bad in (float("nan"), float("inf"), 1e13):
        with pytest.raises(ValueError):
            c.idle(bad)
        with pytest.raises(ValueError):
            metercert.Master(c, response_timeout_ms=bad)
    with pytest.raises(ValueError):
        metercert.Reference().advance_to(10**13)
