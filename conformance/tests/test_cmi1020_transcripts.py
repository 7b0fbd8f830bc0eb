"""vectors/cmi1020/commands.json (hand-built request → reply transcripts for every command of the
CMi1020 manual §6.7; schema cmi1020_transcripts_v2 in vectors/cmi1020/README.md) against
`metercert simulate cmi1020` over TCP — one fresh simulator per transcript, as a master on a CMe3000
would see it. reference/devices/transcripts_test.cpp runs the same file against the reference
slave in process (and checks that the transcripts fail on faulty slaves).

Environment:
  METERCERT_TRANSCRIPT_DUT    another DUT URL, opened afresh for each transcript, e.g.
                              sim:cmi1020?fault=medium_zero (the in-process bus with a fault;
                              conformance/cmi1020/faults.json lists them). A real device must be
                              brought to the setup's state between transcripts by other means.
  METERCERT_TRANSCRIPT_SETUP  JSON merged into the file's setup, e.g. '{"fabrication_number":
                              "70000001"}' for the label of the DUT (sim: URLs default to it).
  METERCERT_TRANSCRIPTS_SKIP  comma-separated flags whose transcripts are skipped, e.g.
                              ImplementationDefined (only what every reading of the manual
                              requires) or E-1,E-17. `-k "not ImplementationDefined"` does the same:
                              the test ids carry the flags.
"""
import json
import os
import pathlib
import time

import pytest

import metercert
from conftest import Sim

VECTORS = pathlib.Path(__file__).resolve().parents[2] / "vectors"
DOC = json.loads((VECTORS / "cmi1020" / "commands.json").read_text())
DUT = os.environ.get("METERCERT_TRANSCRIPT_DUT", "")
SETUP_OVERRIDE = json.loads(os.environ.get("METERCERT_TRANSCRIPT_SETUP", "{}"))
if DUT.startswith("sim:") and "fabrication_number" not in SETUP_OVERRIDE:
    SETUP_OVERRIDE["fabrication_number"] = "70000001"  # the sim: bus's first label number (devices/bus.hpp)
SKIP_FLAGS = {f.strip() for f in os.environ.get("METERCERT_TRANSCRIPTS_SKIP", "").split(",") if f.strip()}
MATCHER_KEYS = ("one_of", "same_as_step", "differs_from_step", "has_bits", "lacks_bits", "setup")


def setup_of(tc):
    setup = dict(DOC["setup"])
    setup.update(tc.get("setup", {}))
    setup.update(SETUP_OVERRIDE)
    return setup


# ------------------------------------------------------------------------------------ matching


class Checker:
    """The expectations of one transcript against the replies so far (same rules as the C++ runner)."""

    def __init__(self, setup):
        self.setup = setup
        self.replies = []  # bytes per finished step (b"" = silence)
        self.decoded = {}  # step → canonical JSON of its RSP_UD

    def reply(self, want, got, i):
        """'' when `got` (bytes, b"" = silence) is what `want` allows, else why not."""
        if want is None:
            return f"expected silence, got {got.hex().upper()}" if got else ""
        if isinstance(want, str):
            return "" if got == bytes.fromhex(want) else f"expected {want}, got {got.hex().upper() or '(silence)'}"
        if "one_of" in want:
            misses = [self.reply(alt, got, i) for alt in want["one_of"]]
            return "" if "" in misses else "none of the allowed replies: " + "; ".join(misses)
        if "same_as_step" in want:
            k = want["same_as_step"]
            if got == self.replies[k]:
                if k in self.decoded:
                    self.decoded[i] = self.decoded[k]
                return ""
            return f"expected a byte-for-byte repeat of step {k} ({self.replies[k].hex().upper()}), got {got.hex().upper()}"
        if not got:
            return "expected an RSP_UD, got silence"
        try:
            decoded = metercert.decode(got)
        except metercert.DecodeError as e:
            return f"expected an RSP_UD, got {got.hex().upper()} ({e})"
        self.decoded[i] = decoded
        return self.rsp(want["rsp_ud"], decoded)

    def match(self, want, got, path):
        if isinstance(want, dict) and any(k in want for k in MATCHER_KEYS):
            if "one_of" in want:
                return "" if any(self.match(a, got, path) == "" for a in want["one_of"]) else \
                    f"{path}: expected one of {want['one_of']!r}, got {got!r}"
            if "setup" in want:
                return self.match(self.setup[want["setup"]], got, path)
            if "has_bits" in want or "lacks_bits" in want:
                try:
                    v = int(got)
                except (TypeError, ValueError):
                    return f"{path}: expected an integer, got {got!r}"
                has, lacks = want.get("has_bits", 0), want.get("lacks_bits", 0)
                ok = v & has == has and v & lacks == 0
                return "" if ok else f"{path}: expected bits {has} set and {lacks} clear, got {got!r}"
            same = "same_as_step" in want
            k = want["same_as_step" if same else "differs_from_step"]
            other = self.decoded.get(k)
            if other is None:
                return f"{path}: step {k} has no decoded reply"
            if path == "#record_count":
                ref = len(other["records"])
            else:
                ref = other
                for part in path.strip("/").split("/"):
                    ref = ref[int(part)] if isinstance(ref, list) else ref.get(part)
            if same:
                ref = ref + want.get("plus", 0) if "plus" in want else ref
                return "" if got == ref else f"{path}: expected {ref!r} (step {k}), got {got!r}"
            return "" if got != ref else f"{path}: expected a value other than step {k}'s {ref!r}"
        if isinstance(want, dict):
            if not isinstance(got, dict):
                return f"{path}: expected an object, got {got!r}"
            for k, v in want.items():
                if k in ("optional", "errata"):
                    continue
                if k not in got:
                    return f"{path}/{k} missing"
                m = self.match(v, got[k], f"{path}/{k}")
                if m:
                    return m
            return ""
        return "" if want == got else f"{path}: expected {want!r}, got {got!r}"

    def rsp(self, want, got):
        special = ("record_count", "records_include", "records_exclude", "records")
        m = self.match({k: v for k, v in want.items() if k not in special}, got, "")
        if m:
            return m
        recs = got["records"]
        if "record_count" in want:
            m = self.match(want["record_count"], len(recs), "#record_count")
            if m:
                return m
        for r in want.get("records_include", []):
            entry = {k: v for k, v in r.items() if k != "index"}
            if "index" in r:
                if r["index"] >= len(recs):
                    return f"record {r['index']} missing"
                m = self.match(entry, recs[r["index"]], f"/records/{r['index']}")
                if m:
                    return m
            elif not any(self.match(entry, rec, "") == "" for rec in recs):
                return f"no record matches {entry!r}"
        for r in want.get("records_exclude", []):
            for j, rec in enumerate(recs):
                if self.match(r, rec, "") == "":
                    return f"record {j} must not be there: {rec!r}"
        if "records" in want:  # every record, in order; `optional` entries may be absent
            j = 0
            for entry in want["records"]:
                if j < len(recs) and self.match(entry, recs[j], f"/records/{j}") == "":
                    j += 1
                    continue
                if entry.get("optional"):
                    continue
                if j >= len(recs):
                    return f"records: expected {entry!r} at {j}, the telegram ends"
                return self.match(entry, recs[j], f"/records/{j}")
            if j < len(recs):
                return f"records: unexpected record {j}: {recs[j]!r}"
        return ""


# ------------------------------------------------------------------------------------ DUTs


class TcpSimulator:
    """`metercert simulate cmi1020` on a free TCP port: the byte stream has no line rate."""

    line_rate = False

    def __init__(self, setup):
        self.sim = Sim("--listen", "tcp://127.0.0.1:0", "--fabrication", setup["fabrication_number"],
                       "--first-readout-ms", "0", "--readout", str(VECTORS / setup["readout"]),
                       "--meter-fault", setup["meter_fault"]).connect()

    def exchange(self, frame, baud, silence_expected):
        return self.sim.exchange(frame, wait=0.3 if silence_expected else 2.0)

    def wait(self, ms):
        time.sleep(ms / 1000)

    def close(self):
        self.sim.stop()


class UrlDut:
    """Any DUT URL through the reference master's exchange (sim: buses run on a simulated clock)."""

    line_rate = True

    def __init__(self, setup):
        url = DUT
        if url.startswith("sim:"):
            if setup["meter_fault"] != "none":
                pytest.skip("a sim: URL cannot be given a meter fault")
            url += ("&" if "?" in url else "?") + "readout=" + str(VECTORS / setup["readout"])
        self.conn = metercert.connect(url)
        self.master = metercert.Master(self.conn)
        self.baud = setup["baud"]

    def exchange(self, frame, baud, silence_expected):
        if baud != self.baud:
            self.master.set_port_baud(baud)
            self.baud = baud
        ex = self.master.exchange(frame)
        return b"" if ex["outcome"] == "timeout" else ex["bytes"]

    def wait(self, ms):
        if self.conn.simulated:
            self.conn.idle(ms)
        else:
            time.sleep(ms / 1000)

    def close(self):
        self.conn.close()


def tc_id(tc):
    return "-".join([str(tc["tcId"]), tc["section"], *tc["flags"]]).replace(":", "-")


@pytest.mark.parametrize("tc", DOC["tests"], ids=tc_id)
def test_transcript(tc):
    skipped = SKIP_FLAGS.intersection(tc["flags"])
    if skipped:
        pytest.skip(f"flags {sorted(skipped)} excluded by METERCERT_TRANSCRIPTS_SKIP")
    setup = setup_of(tc)
    dut_class = UrlDut if DUT else TcpSimulator
    if not dut_class.line_rate and any(s.get("baud", setup["baud"]) != setup["baud"] for s in tc["steps"]):
        pytest.skip("needs line-rate control; the simulator's TCP stream has none (the C++ runner and "
                    "METERCERT_TRANSCRIPT_DUT=sim:cmi1020 run it)")
    dut = dut_class(setup)
    check = Checker(setup)
    try:
        for i, step in enumerate(tc["steps"]):
            want = step["reply"]
            if step.get("wait_ms"):
                dut.wait(step["wait_ms"])
            frame = bytes.fromhex(step["send"])
            deadline = time.monotonic() + step.get("within_ms", 0) / 1000
            waited = 0
            while True:
                got = dut.exchange(frame, step.get("baud", setup["baud"]), want is None)
                miss = check.reply(want, got, i)
                if not miss or waited >= step.get("within_ms", 0) or time.monotonic() > deadline:
                    break
                dut.wait(250)  # within_ms: REQ_UD2 with FCV = 0 again, until the slave has acted
                waited += 250
            check.replies.append(got)
            assert not miss, f"tcId {tc['tcId']} §{tc['section']}: {tc['comment']}\n  step {i}: sent {step['send']}: {miss}"
    finally:
        dut.close()
