"""vectors/cmi1020/commands.json (hand-built request → reply transcripts for every command of the
CMi1020 manual §6.7) against `metercert simulate cmi1020` over TCP — one fresh simulator per
transcript, as a master on a CMe3000 would see it."""
import json
import pathlib

import pytest

import metercert
from conftest import Sim

DOC = json.loads((pathlib.Path(__file__).resolve().parents[2] / "vectors" / "cmi1020" / "commands.json").read_text())


def subset(want, got, path=""):
    if isinstance(want, dict):
        for k, v in want.items():
            if k not in got:
                return f"{path}/{k} missing"
            m = subset(v, got[k], f"{path}/{k}")
            if m:
                return m
        return ""
    return "" if want == got else f"{path}: expected {want!r}, got {got!r}"


def check_rsp(want, reply):
    got = metercert.decode(reply)
    plain = {k: v for k, v in want.items() if k not in ("record_count", "records_include")}
    m = subset(plain, got)
    if m:
        return m
    if "record_count" in want and len(got["records"]) != want["record_count"]:
        return f"record count {len(got['records'])}"
    for entry in want.get("records_include", []):
        e = dict(entry)
        idx = e.pop("index")
        m = subset(e, got["records"][idx], f"/records/{idx}")
        if m:
            return m
    return ""


@pytest.mark.parametrize("tc", DOC["tests"], ids=lambda tc: f"{tc['tcId']}-{tc['section']}")
def test_transcript(tc):
    setup = DOC["setup"]
    sim = Sim("--listen", "tcp://127.0.0.1:0", "--fabrication", setup["fabrication_number"],
              "--first-readout-ms", "0").connect()
    try:
        for step in tc["steps"]:
            want = step["reply"]
            reply = sim.exchange(bytes.fromhex(step["send"]), wait=0.3 if want is None else 2.0)
            if want is None:
                assert reply == b"", f"{tc['comment']}: sent {step['send']}, expected silence, got {reply.hex()}"
            elif isinstance(want, str):
                assert reply == bytes.fromhex(want), f"{tc['comment']}: sent {step['send']}"
            else:
                assert check_rsp(want["rsp_ud"], reply) == "", f"{tc['comment']}: sent {step['send']}"
    finally:
        sim.stop()
