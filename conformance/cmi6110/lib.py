"""What the cmi6110 cases share: the uplinks of the DUT (cmi6110.uplinks) decoded independently of
metercert's own decoders — SenML/CBOR with Python's cbor2, the M-Bus records of Table 6 with the
small EN 13757-3 reader below, JSON with Python's json — into readouts with physical values, and
the schedule arithmetic of CMi6110 manual §7.3 (grid, transmit windows) written from the manual.

A readout's ``time`` is its meter date/time (DIB 1, 04 6D, or JSON "TS": the meter's local standard
time, §7.3.1) minus the configured UTC offset; ``utc`` is the time the SenML record carries (bt + t,
None for M-Bus and JSON, or for a pack without a base time). Values are exact (fractions.Fraction)
in Wh, litres, W, l/h, °C and hours."""
from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction

import cbor2
import pytest

from metercert.conformance import Mismatch

# The §7.5 defaults (Table 11; minutes; ERRATA E-60 for the offset, E-62 for age and uploads)
DEFAULTS = {"encoding": "senml", "format": "standard", "readout_interval": 60, "transmit_interval": 1440,
            "transmit_offset": 30, "transmit_delay": 240, "utc_offset": 0, "max_age": 10080, "max_uploads": 4,
            "order": "lifo"}

# Table 3 (§6.3.1): the UH50's error bits, bit n = row n (ERRATA E-58)
UH50_ERRORS = ["F0", "F1", "F2", "F3", "F41", "F5", "F6", "F7", "F8", "F9", "F0V", "F7V2"]

# ----------------------------------------------------------------------- EN 13757-3 data records

# data field (DIF bits 0–3) → (length, BCD)
_DATA = {0x0: (0, False), 0x1: (1, False), 0x2: (2, False), 0x3: (3, False), 0x4: (4, False), 0x6: (6, False),
         0x7: (8, False), 0x9: (1, True), 0xA: (2, True), 0xB: (3, True), 0xC: (4, True), 0xE: (6, True)}


@dataclass
class Record:
    dif: int
    difes: bytes
    vib: bytes
    data: bytes

    @property
    def value(self) -> int:
        _, bcd = _DATA[self.dif & 0x0F]
        if bcd:
            return int(self.data[::-1].hex())
        return int.from_bytes(self.data, "little", signed=True)


def parse_records(b: bytes) -> list[Record]:
    """M-Bus data records (DIF, DIFEs, VIF, VIFEs, data LSB first); ValueError naming the byte."""
    out, i = [], 0
    while i < len(b):
        start = i
        dif = b[i]
        i += 1
        if dif & 0x0F not in _DATA:
            raise ValueError(f"byte {start}: DIF {dif:02X} has a data field Table 6 does not use")
        difes = bytearray()
        ext = dif
        while ext & 0x80:
            if i >= len(b):
                raise ValueError(f"byte {i}: the DIFE chain is cut off")
            ext = b[i]
            difes.append(ext)
            i += 1
        vib = bytearray()
        while True:
            if i >= len(b):
                raise ValueError(f"byte {i}: the VIB is cut off")
            vib.append(b[i])
            i += 1
            if not vib[-1] & 0x80:
                break
        n = _DATA[dif & 0x0F][0]
        if i + n > len(b):
            raise ValueError(f"byte {start}: the record needs {n} data bytes, {len(b) - i} left")
        out.append(Record(dif, bytes(difes), bytes(vib), b[i:i + n]))
        i += n
    return out


def type_f(b: bytes) -> datetime:
    """EN 13757-3 type F date/time (minute resolution)."""
    minute, hour, day, month = b[0] & 0x3F, b[1] & 0x1F, b[2] & 0x1F, b[3] & 0x0F
    year = 2000 + (((b[2] & 0xE0) >> 5) | ((b[3] & 0xF0) >> 1))
    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)


# Table 6 rows: name, DIF, DIFEs, the VIFs the row lists → (unit scale of the value in the base unit)
_ENERGY = {0x03: Fraction(1), 0x04: Fraction(10), 0x05: Fraction(100), 0x06: Fraction(1000), 0x07: Fraction(10000),
           0x0E: Fraction(10**6, 3600), 0x0F: Fraction(10**7, 3600)}  # Wh (MJ → Wh)
_VOLUME = {0x13: Fraction(1), 0x14: Fraction(10), 0x15: Fraction(100), 0x16: Fraction(1000)}  # litres
_POWER = {0x2B: Fraction(1), 0x2C: Fraction(10), 0x2D: Fraction(100), 0x2E: Fraction(1000)}  # W
_FLOW = {0x3B: Fraction(1), 0x3C: Fraction(10), 0x3D: Fraction(100), 0x3E: Fraction(1000)}  # l/h
_FWD = {0x5A: Fraction(1, 10), 0x5B: Fraction(1)}  # °C
_RET = {0x5E: Fraction(1, 10), 0x5F: Fraction(1)}
_MISSING = {0x22: Fraction(1), 0x23: Fraction(24)}  # hours
TABLE6_STANDARD = [("time", 0x04, b"", {0x6D: None}), ("meter_id", 0x0C, b"", {0x78: None}),
                   ("energy", 0x04, b"", _ENERGY), ("volume", 0x04, b"", _VOLUME), ("power", 0x02, b"", _POWER),
                   ("flow", 0x02, b"", _FLOW), ("forward", 0x02, b"", _FWD), ("return", 0x02, b"", _RET),
                   ("errors", 0x02, b"", {(0xFD, 0x17): None})]
TABLE6_EXTENDED = TABLE6_STANDARD + [("tariff1", 0x84, b"\x10", _ENERGY), ("tariff2", 0x84, b"\x20", _ENERGY),
                                     ("tariff3", 0x84, b"\x30", _ENERGY), ("missing", 0x3C, b"", _MISSING)]


@dataclass
class Readout:
    meter_time: datetime          # DIB 1 / TS: the meter's local standard time
    time: datetime                # meter_time − UTC offset (§7.3.1)
    values: dict                  # meter_id, energy (Wh), volume (l), power, flow, forward, return, errors, …
    utc: datetime | None = None   # SenML only: bt + t
    raw: dict = field(default_factory=dict)  # name → (vif, register) as sent (M-Bus, SenML)


def readout_from_records(dibs: bytes, fmt: str, utc_offset: int) -> Readout:
    """The readout of a Table 6 DIB list (§7.4.2.1) of message format `fmt`; ValueError otherwise."""
    rows = TABLE6_EXTENDED if fmt == "extended" else TABLE6_STANDARD
    recs = parse_records(dibs)
    if len(recs) != len(rows):
        raise ValueError(f"{len(recs)} records where Table 6 has {len(rows)} rows for {fmt}")
    values, raw, meter_time = {}, {}, None
    for (name, dif, difes, vifs), r in zip(rows, recs):
        vif = r.vib[0] if len(r.vib) == 1 else tuple(r.vib)
        if r.dif != dif or r.difes != difes or vif not in vifs:
            raise ValueError(f"record {name}: DIF {r.dif:02X} DIFE {r.difes.hex()} VIB {r.vib.hex()} is not Table 6's row")
        if name == "time":
            if r.data[0] & 0x80:
                raise ValueError("the meter date/time is marked invalid")
            meter_time = type_f(r.data)
        elif name in ("meter_id", "errors"):
            values[name] = r.value if name == "meter_id" else int.from_bytes(r.data, "little")
        else:
            raw[name] = (vif, r.value)
            values[name] = r.value * vifs[vif]
    return Readout(meter_time, meter_time - timedelta(minutes=utc_offset), values, raw=raw)


_JSON_UNITS = {"E": ("energy", "U", {"MWh": Fraction(10**6), "GJ": Fraction(10**9, 3600)}),
               "V": ("volume", "VU", {"m3": Fraction(1000)}), "P": ("power", "PU", {"W": Fraction(1), "kW": Fraction(1000)}),
               "F": ("flow", "FU", {"l/h": Fraction(1), "m3/h": Fraction(1000)}),
               "FT": ("forward", "TU", {"C": Fraction(1)}), "RT": ("return", "RU", {"C": Fraction(1)}),
               "T1": ("tariff1", "U1", {"MWh": Fraction(10**6), "GJ": Fraction(10**9, 3600)}),
               "T2": ("tariff2", "U2", {"MWh": Fraction(10**6), "GJ": Fraction(10**9, 3600)}),
               "T3": ("tariff3", "U3", {"MWh": Fraction(10**6), "GJ": Fraction(10**9, 3600)}),
               "MT": ("missing", "MU", {"h": Fraction(1), "d": Fraction(24)})}
JSON_KEYS_STANDARD = ["TS", "ID", "E", "U", "V", "VU", "P", "PU", "F", "FU", "FT", "TU", "RT", "RU", "EF"]
# Table 7 prints Tariff 3's unit key "U2" again: U3 (ERRATA E-51)
JSON_KEYS_EXTENDED = JSON_KEYS_STANDARD + ["T1", "U1", "T2", "U2", "T3", "U3", "MT", "MU"]


def readout_from_json(text: bytes, fmt: str, utc_offset: int) -> Readout:
    """The readout of a §7.4.2.2 payload (Table 7 keys); ValueError otherwise."""
    obj = json.loads(text.decode("utf-8"), parse_float=Decimal)
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    keys = JSON_KEYS_EXTENDED if fmt == "extended" else JSON_KEYS_STANDARD
    if sorted(obj) != sorted(keys):
        raise ValueError(f"keys {sorted(obj)} are not Table 7's {sorted(keys)}")
    meter_time = datetime.strptime(obj["TS"], "%Y-%m-%dT%H:%MZ").replace(tzinfo=timezone.utc)
    values = {"meter_id": int(obj["ID"]), "errors": int(obj["EF"], 16)}
    for key, (name, unit_key, units) in _JSON_UNITS.items():
        if key not in obj:
            continue
        if obj[unit_key] not in units:
            raise ValueError(f"{unit_key}: unit {obj[unit_key]!r} is not one of {sorted(units)}")
        values[name] = Fraction(obj[key]) * units[obj[unit_key]]
    return Readout(meter_time, meter_time - timedelta(minutes=utc_offset), values)


def senml_pack(payload: bytes) -> list[dict]:
    """The records of a SenML pack (cbor2); ValueError for anything but a non-empty array of maps."""
    pack = cbor2.loads(payload)
    if not isinstance(pack, list) or not pack or not all(isinstance(r, dict) for r in pack):
        raise ValueError("not a non-empty CBOR array of maps")
    return pack


def readouts_from_senml(payload: bytes, fmt: str, utc_offset: int) -> list[Readout]:
    """Every measurement record (one with a data value, 8) of a §7.4.2.3 pack. Tolerant of the
    base time's label: ``utc`` is None without bt (−3); the structure cases judge the pack."""
    pack = senml_pack(payload)
    bt = pack[0].get(-3) if pack else None
    out = []
    for rec in pack:
        if 8 not in rec:
            continue
        r = readout_from_records(bytes(rec[8]), fmt, utc_offset)
        if isinstance(bt, int):
            r.utc = datetime.fromtimestamp(bt + rec.get(6, 0), timezone.utc)
        out.append(r)
    return out


# ----------------------------------------------------------------------------------- the uplinks

@dataclass
class Uplink:
    index: int
    time: datetime            # transmit (or receive) time UTC
    encoding: str
    payload: bytes
    readouts: list[Readout]
    planned: datetime | None = None  # T1 (UTC) when the uplink says it (the simulator does)


@dataclass
class Uplinks:
    config: dict
    uplinks: list[Uplink]
    sim: dict | None = None   # sim.cmi6110: the run (meter, start, …)

    def transmissions(self) -> list[list[Uplink]]:
        """Uplinks grouped by transmission: those sent within latency_s + 1 s of the first of the
        group (one transmission's telegrams; the simulator gives them one time)."""
        groups: list[list[Uplink]] = []
        slack = timedelta(seconds=self.config.get("latency_s", 0) + 1)
        for u in self.uplinks:
            if groups and u.time - groups[-1][0].time <= slack:
                groups[-1].append(u)
            else:
                groups.append([u])
        return groups

    def all_readouts(self) -> list[tuple[Uplink, Readout]]:
        return [(u, r) for u in self.uplinks for r in u.readouts]


def decode(config: dict, raw: list[dict], sim: dict | None = None) -> Uplinks:
    fmt, off = config["format"], config["utc_offset"]
    out = []
    for i, u in enumerate(raw):
        p = bytes(u["payload"])
        try:
            if u["encoding"] == "senml":
                rs = readouts_from_senml(p, fmt, off)
            elif u["encoding"] == "mbus":
                rs = [readout_from_records(p, fmt, off)]
            else:
                rs = [readout_from_json(p, fmt, off)]
        except (ValueError, KeyError, TypeError) as e:  # the DUT's payload, not the suite, is at fault
            raise Mismatch(f"uplink {i + 1}: its {u['encoding']} payload", f"a readable {fmt} readout", f"{type(e).__name__}: {e}")
        planned = datetime.fromtimestamp(u["planned"], timezone.utc) if u.get("planned") is not None else None
        out.append(Uplink(i + 1, datetime.fromtimestamp(u["time"], timezone.utc), u["encoding"], p, rs, planned))
    return Uplinks(config, out, sim)


def uplinks_of(dut, encoding: str | None = None, **params) -> Uplinks:
    """The DUT's uplinks, decoded. With ``encoding`` or ``params``: a capture in another encoding
    than `encoding` skips the case; the built-in module (sim.cmi6110) is run again with them."""
    if "sim.cmi6110" in dut.capabilities:
        if encoding:
            params["encoding"] = encoding
        sim = dut.cmi6110_sim(params or None)
        return decode(sim["config"], sim["uplinks"], sim)
    if params:
        pytest.skip("needs sim.cmi6110: a run of the built-in module with other settings")
    d = dut.cmi6110_uplinks()
    if encoding and d["config"]["encoding"] != encoding:
        pytest.skip(f"the uplinks are {d['config']['encoding']}, the case checks {encoding}")
    return decode(d["config"], d["uplinks"])


# ---------------------------------------------------------------------------- §7.3 arithmetic

def on_grid(t: datetime, interval_min: int) -> bool:
    """00:00 + k·interval of the meter day (§7.3.2, §7.4; the grid restarts at midnight: E-59)."""
    into = t.hour * 60 + t.minute
    return t.second == 0 and into % interval_min == 0


def window(config: dict) -> tuple[int, int, bool]:
    """(Toffset, Tdelay, clamped) in minutes after §7.3.3's clamp: Toffset + Tdelay > Ttransmit →
    Toffset 0, Tdelay Ttransmit."""
    off, delay, tx = config["transmit_offset"], config["transmit_delay"], config["transmit_interval"]
    if off + delay > tx:
        return 0, tx, True
    return off, delay, False


def planned_t1(local: datetime, config: dict) -> datetime:
    """T1 of a transmission at meter time `local`: the latest grid point of Ttransmit (meter day,
    restarting at midnight) at or before local − Toffset."""
    off, _, _ = window(config)
    t = local - timedelta(minutes=off)
    midnight = t.replace(hour=0, minute=0, second=0, microsecond=0)
    into = (t - midnight).total_seconds() // 60
    k = int(into // config["transmit_interval"])
    return midnight + timedelta(minutes=k * config["transmit_interval"])


def local_time(t: datetime, config: dict) -> datetime:
    """The meter's local standard time of a UTC instant (§7.3.1)."""
    return t + timedelta(minutes=config["utc_offset"])


def per_pack(config: dict) -> int:
    """Readouts per SenML pack: the configured number, else Ttransmit / Treadout (§7.4.2.3; E-62)."""
    return config.get("readouts_per_telegram") or max(1, config["transmit_interval"] // config["readout_interval"])


def fmt_t(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------- §5.3.5-§5.3.6 the rig on the simulated clock

class SimRig:
    """The supply and push button of the built-in module (sim.cmi6110) on the simulated clock. The
    module runs in batch, so each act of ``dut.power`` / ``dut.button`` is recorded at the rig's
    clock ``at`` (UTC, from the run's start) and :meth:`params` gives them to a rerun as the URL's
    ``power_off`` (FROM..TO) and ``button`` (AT+SECONDS) (rigs/links/sim_cmi6110.cpp)."""

    def __init__(self, start: datetime):
        self.at = start
        self.power_off: list[tuple[datetime, datetime]] = []
        self.presses: list[tuple[datetime, float]] = []
        self._off_since: datetime | None = None
        self._pressed_at: datetime | None = None

    def wait(self, seconds: float):
        self.at += timedelta(seconds=seconds)

    # dut.power
    def off(self):
        if self._off_since is None:
            self._off_since = self.at

    def on(self):
        if self._off_since is not None:
            self.power_off.append((self._off_since, self.at))
            self._off_since = None

    # dut.button
    def press(self):
        self._pressed_at = self.at

    def release(self):
        if self._pressed_at is not None:
            self.presses.append((self._pressed_at, (self.at - self._pressed_at).total_seconds()))
            self._pressed_at = None

    def params(self) -> dict:
        t = lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
        return {"power_off": ",".join(f"{t(a)}..{t(b)}" for a, b in self.power_off) or None,
                "button": ",".join(f"{t(a)}+{s:g}" for a, s in self.presses) or None}


def sim_rig(dut) -> SimRig:
    """The case's rig clock of the built-in module (one per Connection). A real module's uplinks
    after a rig's act would need a live capture, which the uplink half does not have yet: skipped."""
    if "sim.cmi6110" not in dut.capabilities:
        pytest.skip("needs sim.cmi6110: the uplinks after a power cycle or a press (a real module's need a live capture)")
    rig = getattr(dut, "cmi6110_rig", None)
    if rig is None:
        start = datetime.fromtimestamp(dut.cmi6110_sim()["start"], timezone.utc)
        w = wiring(dut.url)
        rig = WiredRig(start, dut.cmi6110_sim()["fault"], **w) if w else SimRig(start)
        dut.cmi6110_rig = rig
    return rig


def uplinks_after(dut, rig: SimRig, **params) -> Uplinks:
    """The built-in module run again with the rig's acts (and `params`)."""
    return uplinks_of(dut, **rig.params(), **params)


# ------------------------------------------------ §5.3.5-§5.3.6 the module behind a rig's relays

def wiring(url: str) -> dict:
    """The rig in front of the built-in module, from its URL (``sim:cmi6110?power_wire=PATH:OUT&
    button_wire=PATH:OUT&led_file=FILE``: rigs/links/sim_cmi6110.cpp): ``{power_wire, button_wire,
    led_file}`` as given, {} without a wire."""
    from urllib.parse import parse_qs
    q = parse_qs(url.partition("?")[2])
    w = {k: q[k][-1] for k in ("power_wire", "button_wire", "led_file") if k in q}
    return w if "power_wire" in w or "button_wire" in w else {}


def read_wire(spec: str) -> tuple[bool, int]:
    """(on, changes) of wire ``PATH:OUTPUT`` (rigs/README.md "Wires": the board's state file);
    ValueError naming the file and the output."""
    path, _, out = spec.rpartition(":")
    try:
        outputs = json.loads(pathlib.Path(path).read_text())["outputs"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ValueError(f"wire {spec}: cannot read {path}: {e}") from e
    if out not in outputs:
        raise ValueError(f"wire {spec}: no output '{out}' in {path} (outputs: {', '.join(outputs)})")
    return bool(outputs[out]["on"]), int(outputs[out].get("changes", 0))


class WiredRig(SimRig):
    """The built-in module behind a rig (rigs/examples/cmi6110-lcus.yaml): the case acts through
    ``--rig`` (labgrid drives the relays; dut.power and dut.button are the rig's) and a thread
    watches the wires every 20 ms, as ``simulate cmi6110 --power/--button`` does: each change is
    recorded at the rig clock ``at`` — the case's start plus the real time since, plus the jumps of
    :meth:`wait`. A wait between acts passes at once (the module's idle time, as on the simulated
    clock); a wait while the button is held passes in real time, since the module measures the hold.
    :meth:`params` gives what the wires did (the supply still off: to the end of any run) to the
    rerun. While the button is held the module's green LED (the model's, ``_core.cmi6110_hold_leds``
    with the URL's fault; ERRATA E-143) is written to ``led_file`` ("1"/"0", a GPIO value file the
    rig's led input reads through labgrid). :meth:`close` stops the watch (after each case)."""

    def __init__(self, start: datetime, fault: str = "none", power_wire: str | None = None, button_wire: str | None = None,
                 led_file: str | None = None):
        import threading
        import time
        super().__init__(start)
        self._start, self._fault = start, fault
        self._time = time
        self._mono0, self._jumped = time.monotonic(), 0.0
        self._wires = {k: v for k, v in (("power", power_wire), ("button", button_wire)) if v}
        self._led_file = pathlib.Path(led_file) if led_file else None
        self._led = None
        self._lock = threading.RLock()
        self._seen = {role: read_wire(spec) for role, spec in self._wires.items()}  # ValueError: a wrong URL
        if "power" in self._seen and not self._seen["power"][0]:
            self._off_since = start  # unpowered as the case starts
        if "button" in self._seen and self._seen["button"][0]:
            self._pressed_at = start
        self._write_led()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="cmi6110-wires", daemon=True)
        self._thread.start()

    @property
    def at(self) -> datetime:
        return self._start + timedelta(seconds=self._jumped + self._time.monotonic() - self._mono0)

    @at.setter
    def at(self, _value):  # SimRig.__init__ sets it; the wired clock is real time plus the jumps
        pass

    def _watch(self):
        while not self._stop.wait(0.02):
            self.poll()

    def poll(self):
        """Reads the wires once and records what changed (also called by the watch thread)."""
        with self._lock:
            for role, spec in self._wires.items():
                try:
                    on, changes = read_wire(spec)
                except ValueError:
                    continue  # the board is replacing its file: the next poll reads it
                was_on, was_changes = self._seen[role]
                if on == was_on and changes == was_changes:
                    continue
                self._seen[role] = (on, changes)
                if role == "power":
                    if on == was_on and changes > was_changes:  # a cut and return between two polls
                        self.power_off.append((self.at, self.at))
                    elif on:
                        self.on()
                    else:
                        self.off()
                elif on != was_on:
                    self.press() if on else self.release()
            self._write_led()

    def _write_led(self):
        if self._led_file is None:
            return
        lit = False
        if self._pressed_at is not None and self._off_since is None:
            from metercert import _core
            held = min(3600.0, (self.at - self._pressed_at).total_seconds())
            lit = bool(_core.cmi6110_hold_leds(held, self._fault)["green"])
        if lit != self._led:
            tmp = self._led_file.with_name(f".{self._led_file.name}.tmp")
            tmp.write_text("1\n" if lit else "0\n")
            tmp.replace(self._led_file)
            self._led = lit

    def wait(self, seconds: float):
        if self._pressed_at is not None:  # the module measures the hold: real time
            self._time.sleep(seconds)
            return
        self._time.sleep(0.15)  # the last switch has reached the board's wire
        with self._lock:
            self.poll()
            self._jumped += seconds

    def params(self) -> dict:
        with self._lock:
            self.poll()
            p = super().params()
            if self._off_since is not None:  # still off: to well past the end of any run of a case
                t = lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
                p["power_off"] = ",".join(filter(None, [p["power_off"], f"{t(self._off_since)}..{t(self._start + timedelta(days=30))}"]))
            return p

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self._pressed_at = None
        self._write_led()
