"""CMi6110 §7.4.2.3 SenML/CBOR: the pack (RFC 8428 records in CBOR, RFC 8949), its first record
with base name −2 (the meter ID) and base time −3 (ERRATA E-46), the "V" encoder-version record,
one record per readout whose data value 8 holds Table 6's M-Bus records; deterministic encoding
(ERRATA E-45); readouts per pack Ttransmit / Treadout and splitting (ERRATA E-62, E-63, E-77). Every pack
is read with Python's cbor2, not with metercert's decoder."""
import cbor2

from metercert.conformance import Mismatch, case, expect, measure

from .lib import per_pack, readout_from_records, senml_pack, uplinks_of

MEASUREMENT_KEYS = {6, 8}  # t, vd
FIRST_KEYS = {-2, -3, 8}   # bn, bt, vd


@case("cmi6110/7.4.2.3/1", "Every SenML payload is deterministically encoded CBOR (RFC 8949 §4.2.1 as the manual's example "
      "writes it: integers, lengths and counts in their shortest form, definite lengths; ERRATA E-45): re-encoding the "
      "decoded items gives the same bytes.", needs=("cmi6110.uplinks",))
def test_deterministic_cbor(dut):
    for u in uplinks_of(dut, "senml").uplinks:
        if u.payload[0] == 0x9F or u.payload[0] >> 5 != 4:
            raise Mismatch(f"uplink {u.index}: the pack's first byte", "a definite-length array (80…9B)", f"{u.payload[0]:02X}")
        again = cbor2.dumps(cbor2.loads(u.payload))
        if again != u.payload:
            at = next((i for i, (a, b) in enumerate(zip(again, u.payload)) if a != b), min(len(again), len(u.payload)))
            raise Mismatch(f"uplink {u.index}: byte {at} of the pack (not the shortest/definite form)",
                           again[at:at + 9].hex(), u.payload[at:at + 9].hex())


@case("cmi6110/7.4.2.3/2", "The first record of every pack holds the meter ID as base name (−2, a text string) and the base "
      "time (−3, UNIX s); base time is label −3 as the manual's bytes and RFC 8428 say, not −1 as its text says (ERRATA "
      "E-46); no later record names another meter.", needs=("cmi6110.uplinks",))
def test_base_name_and_base_time(dut):
    up = uplinks_of(dut, "senml")
    for u in up.uplinks:
        pack = senml_pack(u.payload)
        first = pack[0]
        expect(first.get(-2), up.config["meter_id"], f"uplink {u.index}: base name (−2) of the first record")
        if not isinstance(first.get(-3), int):
            raise Mismatch(f"uplink {u.index}: base time (−3) of the first record", "an integer (UNIX s)",
                           {k: v for k, v in first.items() if k != 8})
        for i, rec in enumerate(pack[1:], 2):
            if -2 in rec and rec[-2] != first[-2]:
                raise Mismatch(f"uplink {u.index}: record {i}'s base name", first[-2], rec[-2])


@case("cmi6110/7.4.2.3/3", "The encoder-version record, when present, is {0: \"V\", 2: type << 8 | version} with no time, "
      "at most 8 bytes (ERRATA E-46), once per pack, naming type 0 version 0 (M-Bus, the manual's only row); any other "
      "named record has a name with a character outside [A-Fa-f0-9].", needs=("cmi6110.uplinks",))
def test_encoder_version_record(dut):
    for u in uplinks_of(dut, "senml").uplinks:
        named = [r for r in senml_pack(u.payload) if 0 in r]
        versions = [r for r in named if r[0] == "V"]
        if len(versions) > 1:
            raise Mismatch(f"uplink {u.index}: encoder-version records", "at most one", len(versions))
        for r in versions:
            expect(sorted(r), [0, 2], f"uplink {u.index}: the keys of the \"V\" record")
            expect(r[2], 0x0000, f"uplink {u.index}: encoder type/version (0/0: M-Bus)")
            size = len(cbor2.dumps(r))
            if size > 8:
                raise Mismatch(f"uplink {u.index}: size of the \"V\" record", "≤ 8 bytes", size)
        for r in named:
            if not isinstance(r[0], str) or not r[0] or all(c in "0123456789abcdefABCDEF" for c in r[0]):
                raise Mismatch(f"uplink {u.index}: a record name", "a text with a non-hex character", r[0])


@case("cmi6110/7.4.2.3/4", "Every other record is one readout: its data value (8) holds Table 6's M-Bus records of the "
      "configured message format, its time (6) is an integer, and no record carries a unit (1) or base unit (−4): \"(Base) "
      "Unit is not used\".", needs=("cmi6110.uplinks",))
def test_measurement_records(dut):
    up = uplinks_of(dut, "senml")
    for u in up.uplinks:
        pack = senml_pack(u.payload)
        readouts = 0
        for i, rec in enumerate(pack, 1):
            if 1 in rec or -4 in rec:
                raise Mismatch(f"uplink {u.index}: record {i}", "no unit", {k: v for k, v in rec.items() if k in (1, -4)})
            if 0 in rec:
                continue
            if 8 not in rec or not isinstance(rec[8], bytes):
                raise Mismatch(f"uplink {u.index}: record {i}'s data value (8)", "a byte string", rec.get(8))
            if 6 in rec and not isinstance(rec[6], int):
                raise Mismatch(f"uplink {u.index}: record {i}'s time (6)", "an integer", rec[6])
            try:
                readout_from_records(rec[8], up.config["format"], up.config["utc_offset"])
            except ValueError as e:
                raise Mismatch(f"uplink {u.index}: record {i}'s M-Bus records", f"Table 6, {up.config['format']}", str(e))
            readouts += 1
        if readouts == 0:
            raise Mismatch(f"uplink {u.index}: readouts in the pack", "at least one", 0)


@case("cmi6110/7.4.2.3/5", "Keys in the manual's order (bn, bt, vd; n, v; t, vd), the \"V\" record second, and the readouts "
      "of a pack in time order (t ≥ 0, increasing; ERRATA E-45, E-63).", level="implementation-defined",
      needs=("cmi6110.uplinks",))
def test_manual_layout(dut):
    for u in uplinks_of(dut, "senml").uplinks:
        pack = senml_pack(u.payload)
        expect(list(pack[0]), [-2, -3, 8], f"uplink {u.index}: keys of the first record")
        if len(pack) > 1 and 0 in pack[1]:
            expect(list(pack[1]), [0, 2], f"uplink {u.index}: keys of the \"V\" record")
        rest = [r for r in pack[1:] if 0 not in r]
        for r in rest:
            expect(list(r), [6, 8], f"uplink {u.index}: keys of a further record")
        ts = [0] + [r[6] for r in rest]
        expect(ts, sorted(ts), f"uplink {u.index}: record times in order")


@case("cmi6110/7.4.2.3/6", "A pack holds at most Ttransmit / Treadout readouts (§7.4.2.3: 1440/120 gives 12; the configured "
      "readouts per telegram when set, ERRATA E-62), and in a transmission every pack but the last is full.",
      needs=("cmi6110.uplinks",))
def test_readouts_per_pack(dut):
    up = uplinks_of(dut, "senml")
    n = per_pack(up.config)
    for tx in up.transmissions():
        sizes = [len(u.readouts) for u in tx]
        measure("readouts in the transmission's first pack", sizes[0], "", 1, n, series="readouts per pack")
        if any(s > n for s in sizes):
            raise Mismatch(f"uplinks {tx[0].index}…: readouts per pack", f"at most {n}", sizes)
        if not up.config.get("max_payload_bytes") and any(s != n for s in sizes[:-1]):
            raise Mismatch(f"uplinks {tx[0].index}…: readouts per pack (every pack but the last full)", n, sizes)


@case("cmi6110/7.4.2.3/7", "A pack that does not fit the payload limit is split into several packs, each fully "
      "self-described (meter ID and base time) and within the limit, together holding the same readouts (\"the device "
      "shall fill up as many telegrams as required\"; ERRATA E-63).", needs=("sim.cmi6110",))
def test_split_packs(dut):
    plain = {"transmit_interval": None, "network_down": None, "max_age": None}
    whole = uplinks_of(dut, "senml", **plain)
    split = uplinks_of(dut, "senml", max_payload_bytes="400", **plain)
    by_time = lambda up: {tx[0].time: sorted(r.meter_time for u in tx for r in u.readouts) for tx in up.transmissions()}
    expect(by_time(split), by_time(whole), "readouts of each transmission with and without the 400-byte limit")
    for u in split.uplinks:
        first = senml_pack(u.payload)[0]
        expect((first.get(-2), isinstance(first.get(-3), int)), (split.config["meter_id"], True),
               f"uplink {u.index}: meter ID and base time in the first record")
        if len(u.readouts) > 1 and len(u.payload) > 400:
            raise Mismatch(f"uplink {u.index}: size of a pack of {len(u.readouts)} readouts", "≤ 400 bytes", len(u.payload))
    if len(split.uplinks) <= len(whole.uplinks):
        raise Mismatch("packs with the limit", f"more than {len(whole.uplinks)}", len(split.uplinks))
