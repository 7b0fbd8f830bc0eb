"""vectors/cmi6110/schedule.json — the CMi6110 manual's statements on its schedule and backlog
(§7.3.1–§7.3.4, §7.4.2.3), typed from the text — held against `metercert simulate cmi6110`. Each
uplink is read here with cbor2 and the EN 13757-3 type F date/time of DIB 1, not with metercert."""
import json
import subprocess
from datetime import datetime, timedelta, timezone

import cbor2
import pytest

from conftest import BIN, ROOT

VECTORS = json.loads((ROOT / "vectors" / "cmi6110" / "schedule.json").read_text())
START = datetime(2019, 11, 28, tzinfo=timezone.utc)


def type_f(b):
    year = 2000 + (((b[2] & 0xE0) >> 5) | ((b[3] & 0xF0) >> 1))
    return datetime(year, b[3] & 0x0F, b[2] & 0x1F, b[1] & 0x1F, b[0] & 0x3F, tzinfo=timezone.utc)


def utc(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def simulate(**settings):
    args = []
    for k, v in settings.items():
        args += [f"--{k.replace('_', '-')}", str(v)]
    p = subprocess.run([BIN, "simulate", "cmi6110", "--start", "2019-11-28T00:00Z", *args], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    return [json.loads(line) for line in p.stdout.splitlines()[1:]]


def readouts(u):
    """[(UTC time or None, meter time)] of an uplink: SenML records (bt + t) or one M-Bus readout."""
    p = bytes.fromhex(u["payload"])
    if u["encoding"] == "mbus":
        return [(None, type_f(p[2:6]))]
    pack = cbor2.loads(p)
    bt = pack[0][-3]
    return [(datetime.fromtimestamp(bt + r.get(6, 0), timezone.utc), type_f(r[8][2:6])) for r in pack if 8 in r]


@pytest.mark.parametrize("v", VECTORS["utc_offset"], ids=lambda v: str(v["utc_offset"]))
def test_utc_offset(v):
    for u in simulate(days=2, utc_offset=v["utc_offset"]):
        for t, meter in readouts(u):
            if meter.strftime("%H:%M") == v["meter_time"]:
                assert t.strftime("%H:%M") == v["timestamp_utc"]


@pytest.mark.parametrize("v", VECTORS["readout_grid"], ids=lambda v: str(v["readout_interval"]))
def test_readout_grid(v):
    times = sorted({m for u in simulate(days=2, readout_interval=v["readout_interval"]) for _, m in readouts(u)})
    hhmm = {t.strftime("%H:%M") for t in times}
    assert set(v["meter_times"]) <= hhmm
    interval = v["readout_interval"]
    grid = {f"{k * interval // 60:02}:{k * interval % 60:02}" for k in range(-(-1440 // interval))}
    assert hhmm <= grid  # no readout off the grid (restarting at midnight)


@pytest.mark.parametrize("v", VECTORS["transmit_window"], ids=lambda v: f"{v['transmit_interval']}-{v['transmit_offset']}-{v['transmit_delay']}")
def test_transmit_window(v):
    ups = simulate(days=1, transmit_interval=v["transmit_interval"], transmit_offset=v["transmit_offset"],
                   transmit_delay=v["transmit_delay"])
    low, high = v["window"]
    assert ups
    for u in ups:
        after = (utc(u["time"]) - utc(u["planned"])).total_seconds() / 60
        assert low <= after <= high, (u["planned"], u["time"])


@pytest.mark.parametrize("v", VECTORS["readouts_per_pack"], ids=lambda v: f"{v['readout_interval']}-{v['transmit_interval']}")
def test_readouts_per_pack(v):
    # a pack holds the readouts of one transmit interval; the random delay moves a transmission by up
    # to Tdelay, so one may carry a readout or two more, in a second pack (ERRATA E-62, E-77)
    ups = simulate(days=4, readout_interval=v["readout_interval"], transmit_interval=v["transmit_interval"])
    sizes = [len(readouts(u)) for u in ups]
    assert max(sizes) == v["readouts"] and all(n <= v["readouts"] for n in sizes), sizes


@pytest.mark.parametrize("v", VECTORS["backlog"], ids=lambda v: v["encoding"])
def test_backlog_examples(v):
    end = START + timedelta(days=v["offline_days"])
    settings = {k: v[k] for k in ("encoding", "order", "readout_interval", "transmit_interval", "transmit_offset",
                                  "transmit_delay", "max_uploads", "max_age")}
    if "device_max_payload_readouts" in v:
        settings["readouts_per_telegram"] = v["device_max_payload_readouts"]
    ups = simulate(days=v["offline_days"] + 2, network_down=f"2019-11-28T00:00Z..{end:%Y-%m-%dT%H:%MZ}", **settings)
    by_time = {}
    for u in ups:
        by_time.setdefault(u["time"], []).append(u)
    first = by_time[min(by_time)]
    assert len(first) == v["telegrams_per_transmission"]
    assert all(len(readouts(u)) == v["readouts_per_telegram"] for u in first)
    oldest = min(m for u in first for _, m in readouts(u))  # UTC offset 0: meter time is UTC
    age = (utc(first[0]["time"]) - oldest).total_seconds() / 3600
    assert v["first_age_hours"][0] <= age <= v["first_age_hours"][1]
    caught_up = min(t for t, us in by_time.items() if sum(len(readouts(u)) for u in us) == 1)
    hours = (utc(caught_up) - end).total_seconds() / 3600
    assert v["catch_up_hours"][0] <= hours <= v["catch_up_hours"][1], hours
