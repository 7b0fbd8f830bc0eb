"""Helpers of the cmi1020 profile: reading every telegram, Table 5's static records, Elvaco
commands (CMi1020 manual §6.7.9–§6.7.23: SND_UD CI 0x51, DIF 0x0F, command byte, fields) and
IEC 62056-21 readouts for the meter model. Expectations never come from the reference code: they
are the manual's bytes and tables, transcribed here and in metercert.table6 (the CMi1020 manual's
Table 6, shared with the cmi1020w profile)."""
from __future__ import annotations

import pathlib
import re

import metercert
from metercert import build_long
from metercert.conformance import Mismatch, expect
from metercert.readout import make_readout, readout_values  # noqa: F401 (the cases import them from here)

# Table 5 "First M-Bus telegram static data": (DIF, VIF) as printed, in hex.
TABLE5 = (("01", "FD1A"), ("01", "FD1B"), ("8340", "FD17"), ("0D", "FD0F"), ("8C40", "78"))

# The CMi1020 reads its meter 2 s after power-on and then every 30 s (§5, ERRATA E-18): a case
# that changes the meter waits one period and a margin for the change to reach the telegrams.
READOUT_PERIOD_MS = 30_000 + 1_000


def rsp_ud(frame: bytes) -> dict:
    """A reply decoded as the RSP_UD of §6.7.2.2 (C 0x08, CI 0x72 with its long header); Mismatch
    when it is another frame, so that cases index its header and records safely."""
    d = metercert.decode(frame)
    if "header" not in d or not isinstance(d.get("records"), list):
        raise Mismatch("reply to REQ_UD2", "RSP_UD with the long header of §6.7.2.2 (CI 0x72)",
                       " ".join(str(d.get(k, "")) for k in ("c_name", "ci")).strip() or frame.hex(" ").upper())
    return d


def read_telegrams(master, a: int = 0) -> list[dict]:
    """SND_NKE, then REQ_UD2 with FCB toggling until DIF 0x0F (§6.5): the decoded telegrams."""
    expect(master.snd_nke(a), True, f"SND_NKE to {a} ACKed")
    frames, truncated = master.read(a)
    expect(truncated, False, "readout ended with DIF 0x0F within the multi-telegram limit")
    return [rsp_ud(f) for f, _gap in frames]


def header_id(master, a: int = 0) -> str:
    """The ID of the RSP_UD header (every telegram has it: SND_NKE and one REQ_UD2 are enough)."""
    master.snd_nke(a)
    return rsp_ud(master.req_ud2(a))["header"]["id"]


def records(telegrams: list[dict]) -> list[dict]:
    return [r for t in telegrams for r in t.get("records", [])]


def record(telegram: dict, dif: str, vif: str) -> dict:
    """The one record of `telegram` with this DIF(+DIFEs) and VIB; Mismatch when absent."""
    found = [r for r in telegram.get("records", []) if r["dif"] == dif and r["vif"] == vif]
    if len(found) != 1:
        raise Mismatch(f"records {dif} {vif} in the telegram", 1, len(found))
    return found[0]


def record_int(telegram: dict, dif: str, vif: str) -> int:
    """The integer value of the one record of `telegram` with this DIF and VIB; Mismatch when absent or no integer."""
    value = record(telegram, dif, vif).get("value")
    if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value):
        raise Mismatch(f"value of record {dif} {vif}", "an integer", value)
    return int(value)


def error_flags(master, a: int = 0) -> int:
    """The CMi1020 communication error flags (Table 5: DIF 8340, VIF FD17, 24 bits)."""
    return record_int(read_telegrams(master, a)[0], "8340", "FD17")


def elvaco(master, command: int, fields: bytes = b"", a: int = 0, c: int = 0x53) -> None:
    """An Elvaco command (§6.7.9 ff.: CI 0x51, DIF 0x0F, command byte, fields); ACK expected."""
    ex = master.exchange(build_long(c, a, 0x51, bytes([0x0F, command]) + fields))
    expect(ex["bytes"], b"\xe5", f"ACK to Elvaco command 0x{command:02X}")


def snd_ud(master, data: bytes, a: int = 0, ci: int = 0x51) -> None:
    """A standard SND_UD (§6.7.5, §6.7.6, §6.7.8); ACK expected."""
    ex = master.exchange(build_long(0x53, a, ci, data))
    expect(ex["bytes"], b"\xe5", f"ACK to SND_UD CI {ci:02X} {data.hex().upper()}")


def bcd(number: int) -> bytes:
    """8 decimal digits as 4 bytes of packed BCD, LSByte first (§6.7.6)."""
    return bytes.fromhex(f"{number:08d}")[::-1]


# vectors/obis/table6-all-rows.readout: one value for every row of Table 6 (the first registers
# from the real capture): more data than one telegram holds (§6.5).
ALL_ROWS_READOUT = (pathlib.Path(__file__).resolve().parents[2] / "vectors" / "obis" / "table6-all-rows.readout").read_bytes()


def feed_meter(dut, meter, readout: bytes) -> None:
    """Give the simulated meter a new readout and wait until the CMi1020 has read it."""
    meter.readout = readout
    before = meter.reads
    dut.idle(READOUT_PERIOD_MS)
    expect(meter.reads > before, True, "the CMi1020 read its meter within 31 s")
