"""CMi6110 §7.4.2.2 JSON (Table 7 and its example): one object per readout with Table 7's keys
(Tariff 3's unit key "U3": ERRATA E-51), values as numbers and units as strings; the unit choices
are ERRATA E-50's. Read with Python's json. A capture in another encoding skips these cases; the
built-in module is run again in JSON."""
import json
import re

from metercert.conformance import Mismatch, case, expect

from .lib import JSON_KEYS_EXTENDED, JSON_KEYS_STANDARD, uplinks_of


@case("cmi6110/7.4.2.2/1", "Every JSON payload is one object with exactly Table 7's keys of the message format, the values "
      "numbers (ID, E, V, P, F, FT, RT, T1–T3, MT), TS \"YYYY-MM-DDTHH:MMZ\", EF a hex string and the units strings.",
      needs=("cmi6110.uplinks",))
def test_table7_keys_and_types(dut):
    for fmt in ("standard", "extended"):
        up = uplinks_of(dut, "json", format=fmt) if "sim.cmi6110" in dut.capabilities else uplinks_of(dut, "json")
        keys = JSON_KEYS_EXTENDED if up.config["format"] == "extended" else JSON_KEYS_STANDARD
        for u in up.uplinks:
            obj = json.loads(u.payload)
            expect(sorted(obj), sorted(keys), f"uplink {u.index} ({up.config['format']}): keys")
            for k, v in obj.items():
                want = str if k in ("TS", "EF") or k in ("U", "VU", "PU", "FU", "TU", "RU", "U1", "U2", "U3", "MU") else (int, float)
                if not isinstance(v, want) or isinstance(v, bool):
                    raise Mismatch(f"uplink {u.index}: type of {k}", getattr(want, "__name__", "a number"), v)
            if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\dZ", obj["TS"]):
                raise Mismatch(f"uplink {u.index}: TS", "YYYY-MM-DDTHH:MMZ", obj["TS"])
            if not re.fullmatch(r"0x[0-9A-Fa-f]{4}", obj["EF"]):
                raise Mismatch(f"uplink {u.index}: EF", "0x + 4 hex digits", obj["EF"])
        if "sim.cmi6110" not in dut.capabilities:
            break


@case("cmi6110/7.4.2.2/2", "Units as the manual's example writes them: energy in MWh (or GJ), volume in m3, power in W, flow "
      "in l/h, temperatures in C, error flags as \"0x\" and 4 upper-case hex digits (ERRATA E-50).",
      level="implementation-defined", needs=("cmi6110.uplinks",))
def test_units(dut):
    for u in uplinks_of(dut, "json").uplinks:
        obj = json.loads(u.payload)
        got = {k: obj[k] for k in ("U", "VU", "PU", "FU", "TU", "RU")}
        if got["U"] not in ("MWh", "GJ"):
            raise Mismatch(f"uplink {u.index}: U", "MWh or GJ", got["U"])
        expect({k: v for k, v in got.items() if k != "U"}, {"VU": "m3", "PU": "W", "FU": "l/h", "TU": "C", "RU": "C"},
               f"uplink {u.index}: units")
        if not re.fullmatch(r"0x[0-9A-F]{4}", obj["EF"]):
            raise Mismatch(f"uplink {u.index}: EF", "0x + 4 upper-case hex digits", obj["EF"])
