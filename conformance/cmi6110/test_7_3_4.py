"""CMi6110 §7.3.4 data retransmission: unsent readouts are resent at later transmissions, FIFO or
LIFO (§7.5 "Auto-upload order", default Latest first), none older than "Auto-upload max. age", at
most "Max uploads per transmission" telegrams (ERRATA E-62, E-63), and the manual's two examples (a
five-day outage) on the built-in module."""
from datetime import datetime, timedelta, timezone

from metercert.conformance import Mismatch, case, expect, measure

from .lib import fmt_t, uplinks_of


@case("cmi6110/7.3.4/1", "Every readout is sent at most once.", needs=("cmi6110.uplinks",))
def test_sent_once(dut):
    seen = {}
    for u, r in uplinks_of(dut).all_readouts():
        if r.meter_time in seen:
            raise Mismatch(f"readout of {r.meter_time:%Y-%m-%d %H:%M} (meter time)", f"sent once (uplink {seen[r.meter_time]})",
                           f"again in uplink {u.index}")
        seen[r.meter_time] = u.index


@case("cmi6110/7.3.4/2", "The telegrams of a transmission follow the auto-upload order: LIFO (Latest first) the newest "
      "readouts first — the first telegram holds the newest readout sent so far — FIFO the oldest first.",
      needs=("cmi6110.uplinks",))
def test_upload_order(dut):
    up = uplinks_of(dut)
    lifo = up.config["order"] == "lifo"
    newest_so_far = None
    for tx in up.transmissions():
        newest = [max(r.time for r in u.readouts) for u in tx]
        want = sorted(newest, reverse=lifo)
        expect(newest, want, f"transmission at {fmt_t(tx[0].time)}: the telegrams' newest readouts ({up.config['order']})")
        top = max(newest)
        if lifo and newest[0] != top:
            raise Mismatch(f"transmission at {fmt_t(tx[0].time)}: first telegram's newest readout", fmt_t(top), fmt_t(newest[0]))
        if lifo and newest_so_far and top < newest_so_far:
            raise Mismatch(f"transmission at {fmt_t(tx[0].time)}: newest readout (LIFO)", f"after {fmt_t(newest_so_far)}", fmt_t(top))
        newest_so_far = max(top, newest_so_far or top)


@case("cmi6110/7.3.4/3", "No readout is older than the maximum age when it is sent (transmit time − readout time ≤ "
      "Auto-upload max. age; ERRATA E-62).", needs=("cmi6110.uplinks",))
def test_maximum_age(dut):
    up = uplinks_of(dut)
    limit = up.config["max_age"] + up.config.get("latency_s", 0) / 60
    for tx in up.transmissions():
        oldest = min(r.time for u in tx for r in u.readouts)
        age = (tx[0].time - oldest).total_seconds() / 60
        if not measure("age of the oldest readout sent", age, "min", 0, limit, series="age of the oldest readout sent",
                       basis="§7.5 Auto-upload max. age", transmission=fmt_t(tx[0].time)):
            raise Mismatch(f"transmission at {fmt_t(tx[0].time)}: age of its oldest readout ({fmt_t(oldest)})",
                           f"≤ {up.config['max_age']} min", round(age, 1))


@case("cmi6110/7.3.4/4", "A transmission sends at most \"Max uploads per transmission\" telegrams.", needs=("cmi6110.uplinks",))
def test_uploads_per_transmission(dut):
    up = uplinks_of(dut)
    for tx in up.transmissions():
        if len(tx) > up.config["max_uploads"]:
            raise Mismatch(f"telegrams of the transmission at {fmt_t(tx[0].time)}", f"≤ {up.config['max_uploads']}", len(tx))


START = datetime(2019, 11, 28, tzinfo=timezone.utc)
OUTAGE_END = START + timedelta(days=5)
EXAMPLE = {"start": "2019-11-28T00:00Z", "days": "7", "network_down": "2019-11-28T00:00Z..2019-12-03T00:00Z", "order": "fifo",
           "readout_interval": "60", "transmit_interval": "60", "transmit_offset": "15", "transmit_delay": "30",
           "max_uploads": "4", "max_age": "4320", "utc_offset": "0", "meter_errors": None, "max_payload_bytes": None}


def example(dut, encoding, per_telegram, catch_up_h):
    up = uplinks_of(dut, encoding, readouts_per_telegram=per_telegram, **EXAMPLE)
    txs = up.transmissions()
    first = txs[0]
    expect(len(first), 4, "telegrams of the first transmission after the outage")
    expect([len(u.readouts) for u in first], [int(per_telegram or 1)] * 4, "readouts per telegram")
    oldest = min(r.time for u in first for r in u.readouts)
    age_h = (first[0].time - oldest).total_seconds() / 3600
    if not measure("age of the oldest readout sent first", age_h, "h", 71, 72, basis="§7.3.4: \"3 days old\" at 72 h (E-62)"):
        raise Mismatch("age of the first readout sent after the outage (\"3 days old\")", "71–72 h", round(age_h, 2))
    times = sorted(r.time for u in first for r in u.readouts)
    expect([r.time for u in first for r in u.readouts], times, "readouts of the first transmission in FIFO order")
    # caught up: the first transmission that sends one readout, the newest
    for tx in txs:
        if sum(len(u.readouts) for u in tx) == 1:
            took = (tx[0].time - OUTAGE_END).total_seconds() / 3600
            if not measure("time to catch up", took, "h", catch_up_h[0], catch_up_h[1], basis="§7.3.4 example (E-62)"):
                raise Mismatch("hours until one readout per transmission", f"{catch_up_h[0]}–{catch_up_h[1]}", round(took, 2))
            return
    raise Mismatch("a transmission with one readout (caught up)", "within the run", "none")


@case("cmi6110/7.3.4/5", "§7.3.4 example 1 (M-Bus, FIFO, 60/60 min, offset 15, delay 30, 4 uploads, 72 h, five days "
      "offline): the module starts with 3-day-old data, sends 4 telegrams of one readout per transmission and catches up "
      "in about a day (20–28 h; ERRATA E-62).", needs=("sim.cmi6110",))
def test_example_1(dut):
    example(dut, "mbus", None, (20, 28))


@case("cmi6110/7.3.4/6", "§7.3.4 example 2 (SenML/CBOR, the same with 12 readouts per telegram): 4 × 12 = 48 readouts per "
      "transmission, caught up in about 2 hours (1–3 h; ERRATA E-62).", needs=("sim.cmi6110",))
def test_example_2(dut):
    example(dut, "senml", "12", (1, 3))
