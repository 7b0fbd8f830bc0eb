"""Issue 14 slice 3: `metercert simulate cmi6110` runs the CMi6110 (UH50 meter, schedule, backlog)
in simulated time and writes every uplink as a JSON line. The SenML uplinks are decoded here with
cbor2 (independently of metercert's decoder) and their times checked against CMi6110 manual
§7.3.1 (UTC offset), §7.3.2 (grid), §7.3.3 (transmit window) and §7.3.4 (unsent data resent)."""
import json
import os
import subprocess
from datetime import datetime, timedelta, timezone

import cbor2

from conftest import BIN

START = datetime(2019, 11, 28, tzinfo=timezone.utc)


def simulate(*args):
    p = subprocess.run([BIN, "simulate", "cmi6110", "--start", "2019-11-28T00:00Z", *args],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    lines = [json.loads(line) for line in p.stdout.splitlines()]
    assert list(lines[0]) == ["config"]  # the uplinks file: the module's configuration first
    return lines[1:]


def utc(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def type_f(b):
    """EN 13757-3 type F date/time (4 bytes, LSB first)."""
    minute, hour, day, month = b[0] & 0x3F, b[1] & 0x1F, b[2] & 0x1F, b[3] & 0x0F
    year = 2000 + (((b[2] & 0xE0) >> 5) | ((b[3] & 0xF0) >> 1))
    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)


def readouts(uplink):
    """(UTC time, meter date/time) of each readout of a SenML pack (bn −2, bt −3, t 6, vd 8)."""
    pack = cbor2.loads(bytes.fromhex(uplink["payload"]))
    first = pack[0]
    assert first[-2] == "12345678"
    out = []
    for rec in pack:
        if rec.get(0) == "V":  # the encoder-version record (§7.4.2.3)
            continue
        vd = rec[8]
        assert vd[:2] == b"\x04\x6d"  # DIB 1 of Table 6: the meter's date/time
        out.append((datetime.fromtimestamp(first[-3] + rec.get(6, 0), timezone.utc), type_f(vd[2:6])))
    return out


def test_daily_packs_on_the_grid_within_the_window():
    ups = simulate("--days", "3")
    assert [u["encoding"] for u in ups] == ["senml"] * len(ups)
    # one transmission a day; the readouts since the last one may need a second pack of 24
    # (Ttransmit / Treadout, §7.4.2.3) when the random delay moved it later (ERRATA E-62)
    assert sorted({u["planned"] for u in ups}) == [f"2019-11-{d}T00:00:00Z" for d in (28, 29, 30)]
    assert all(u["readouts"] <= 24 for u in ups)
    for u in ups:
        planned, sent = utc(u["planned"]), utc(u["time"])
        # §7.5 defaults: transmit 1440 min, offset 30, delay 240: planned at 00:00, sent within
        assert planned.hour == planned.minute == 0
        assert planned + timedelta(minutes=30) <= sent <= planned + timedelta(minutes=270)
        rs = readouts(u)
        assert len(rs) == u["readouts"]
        for t, meter in rs:
            assert t.minute == t.second == 0  # readout interval 60: on top of the hour (§7.3.2)
            assert meter == t  # UTC offset 0: the meter time as-is (§7.3.1)
            assert t <= sent


def test_utc_offset_is_subtracted_from_the_meter_time():
    # §7.3.1: Sweden, +60: meter 12.00 is sent as 11.00
    for u in simulate("--days", "2", "--utc-offset", "60"):
        for t, meter in readouts(u):
            assert meter - t == timedelta(hours=1)


def test_unsent_readouts_are_sent_when_the_network_is_back():
    ups = simulate("--days", "5", "--network-down", "2019-11-29T00:00Z..2019-12-01T00:00Z")
    days = sorted({utc(u["time"]).date() for u in ups})
    assert str(days[0]) == "2019-11-28" and "2019-11-29" not in map(str, days) and "2019-11-30" not in map(str, days)
    times = sorted(t for u in ups for t, _ in readouts(u))
    # every hourly readout from the start to the last one, each sent exactly once
    assert times == [START + timedelta(hours=k) for k in range(len(times))]
    back = [u for u in ups if utc(u["time"]).date() == datetime(2019, 12, 1).date()]
    assert 2 <= len(back) <= 4  # the backlog goes out as several packs (max uploads 4)


def test_mbus_uplinks_carry_one_readout_each():
    ups = simulate("--days", "1", "--encoding", "mbus", "--transmit-interval", "60", "--transmit-offset", "15",
                   "--transmit-delay", "30")
    assert len(ups) == 24
    for u in ups:
        planned, sent = utc(u["planned"]), utc(u["time"])
        assert planned + timedelta(minutes=15) <= sent <= planned + timedelta(minutes=45)  # §7.3.4 example 1
        p = bytes.fromhex(u["payload"])
        assert p[:2] == b"\x04\x6d" and type_f(p[2:6]) == planned


def test_the_first_line_is_the_configuration_the_module_had():
    p = subprocess.run([BIN, "simulate", "cmi6110", "--utc-offset", "-300", "--encoding", "json", "--order", "fifo"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    config = json.loads(p.stdout.splitlines()[0])["config"]
    # §7.5 Table 11 defaults, but for the options given (minutes; ERRATA E-60, E-62)
    assert config == {"meter_id": "12345678", "encoding": "json", "format": "standard", "readout_interval": 60,
                      "transmit_interval": 1440, "transmit_offset": 30, "transmit_delay": 240, "utc_offset": -300,
                      "max_age": 10080, "max_uploads": 4, "order": "fifo", "readouts_per_telegram": 24,
                      "max_payload_bytes": 0, "latency_s": 0.0}
    # JSON payloads are written as their text (§7.4.2.2)
    up = json.loads(p.stdout.splitlines()[1])
    assert json.loads(up["payload"])["ID"] == 12345678


def test_a_fault_changes_the_uplinks_and_says_so():
    ups = simulate("--days", "1", "--fault", "base_time_label_minus1")
    first = cbor2.loads(bytes.fromhex(ups[0]["payload"]))[0]
    assert -3 not in first and -1 in first  # the base time under bver's label (ERRATA E-46)
    # a network fault of the LwM2M client changes nothing in the uplink simulation: refused there
    p = subprocess.run([BIN, "simulate", "cmi6110", "--fault", "wrong_content_format"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "--fault wrong_content_format is a network fault of the LwM2M client: it needs --server" in p.stderr
    p = subprocess.run([BIN, "simulate", "cmi6110", "--fault", "bogus"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "--fault 'bogus': unknown (none, base_time_label_minus1" in p.stderr


def test_config_file_sets_the_settings_and_the_command_line_wins(tmp_path):
    """--config FILE (issue 14: `simulate cmi6110 --config FILE`): the §7.5 settings from a
    {"config": {…}} document; an option given on the command line replaces the file's; a value out of
    §7.5's range or broken JSON is named with its line and key."""
    cfg = tmp_path / "module.json"
    cfg.write_text('{"config": {\n  "readout_interval": 15,\n  "encoding": "json",\n  "max_uploads": 6\n}}\n')

    def first_line(*args):
        p = subprocess.run([os.path.abspath(BIN), "simulate", "cmi6110", "--config", str(cfg), "--days", "1", *args],
                    capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout.splitlines()[0])["config"], p.stdout.splitlines()[1:]

    c, uplinks = first_line()
    assert (c["readout_interval"], c["encoding"], c["max_uploads"], c["transmit_interval"]) == (15, "json", 6, 1440)
    assert uplinks and all(json.loads(u)["encoding"] == "json" for u in uplinks)
    c, _ = first_line("--encoding", "mbus", "--readout-interval", "30")
    assert (c["readout_interval"], c["encoding"], c["max_uploads"]) == (30, "mbus", 6)
    cfg.write_text('{"config": {\n  "readout_interval": 3\n}}\n')
    p = subprocess.run([os.path.abspath(BIN), "simulate", "cmi6110", "--config", str(cfg)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and p.stderr == f'error: --config {cfg}: line 1, key "readout_interval": 3 is outside 5..1440 (§7.5)\n'
    cfg.write_text('{"config": {\n  "readout_interval": 30,\n}}\n')
    p = subprocess.run([os.path.abspath(BIN), "simulate", "cmi6110", "--config", str(cfg)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and p.stderr.startswith(f"error: --config {cfg}: line 3: not JSON")


# §5.3.5-§5.3.6, §7.5 power mode (ERRATA E-111, E-112): the supply, the mode and the push button

def test_a_passive_module_sends_nothing_until_a_long_press_activates_it():
    assert simulate("--power-mode", "passive", "--days", "1") == []
    assert simulate("--power-mode", "passive", "--press", "2019-11-28T08:00:00Z+3", "--days", "1") == []
    up = simulate("--power-mode", "passive", "--press", "2019-11-28T08:00:00Z+6", "--days", "1")
    assert up, "a 6 s press activates (§5.3.5: at least 5 seconds)"
    release = START + timedelta(hours=8, seconds=6)
    first = utc(up[0]["time"])
    assert release <= first <= release + timedelta(minutes=10)  # attach, then a readout at once (E-112)
    assert max(t for t, _ in readouts(up[0])) >= release - timedelta(seconds=59)


def test_a_switch_off_hold_stops_the_uplinks_and_a_reboot_hold_sends_one_at_once():
    off = simulate("--press", "2019-11-28T08:00:00Z+17", "--days", "2")
    assert all(utc(u["time"]) < START + timedelta(hours=8) for u in off)  # §5.3.6 15-20 s
    reboot = simulate("--press", "2019-11-28T08:00:00Z+10", "--days", "1")
    assert [u for u in reboot if START + timedelta(hours=8) < utc(u["time"]) < START + timedelta(hours=8, minutes=10)]


def test_nothing_while_the_supply_is_off():
    up = simulate("--power-off", "2019-11-28T00:10:00Z..2019-11-28T06:00:00Z", "--days", "1")
    assert not [u for u in up if START + timedelta(minutes=10) <= utc(u["time"]) < START + timedelta(hours=6)]
    assert [u for u in up if START + timedelta(hours=6) <= utc(u["time"]) <= START + timedelta(hours=6, minutes=10)]


def test_bad_power_and_button_options_are_named():
    for args, what in ((["--press", "2019-11-28T08:00Z"], "--press"), (["--power-off", "2019-11-28T08:00Z"], "--power-off"),
                       (["--power-mode", "asleep"], "--power-mode"), (["--attach-s", "9999"], "--attach-s"),
                       (["--power", "/nonexistent/board.json:1", "--watch", "0.1"], "--power")):
        p = subprocess.run([BIN, "simulate", "cmi6110", *args], capture_output=True, text=True, timeout=60)
        assert p.returncode == 2 and what in p.stderr, (args, p.stderr)


def test_the_rigs_wires_are_watched_in_real_time(tmp_path):
    """A board state file (rigs/wire.hpp) whose button output closes for 6 s of the watch: the
    passive module is activated, at --start + the time the press ended."""
    import time
    board = tmp_path / "lcus.json"

    def put(on, changes):
        tmp = tmp_path / "tmp.json"
        tmp.write_text(json.dumps({"board": "lcus", "outputs": {"1": {"on": on, "changes": changes}}}))
        os.replace(tmp, board)

    put(False, 0)
    p = subprocess.Popen([BIN, "simulate", "cmi6110", "--start", "2019-11-28T00:00Z", "--days", "1", "--power-mode", "passive",
                          "--button", f"{board}:1", "--watch", "8"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        put(True, 1)
        time.sleep(6)
        put(False, 2)
        out, err = p.communicate(timeout=60)
    finally:
        p.kill()
    assert p.returncode == 0, err
    assert "button pressed" in err and "button released" in err
    up = [json.loads(line) for line in out.splitlines()][1:]
    assert up, err
    assert START + timedelta(seconds=6) <= utc(up[0]["time"]) <= START + timedelta(seconds=6.5 + 8 + 30 + 1)
