"""pytest plugin of the conformance run: ``python3 -m pytest -p metercert.pytest_plugin``.

Options: ``--dut URL`` (default ``sim:cmi1020``), ``--report DIR`` (record.json, report.html,
capture.pcap; junit.xml comes from pytest's ``--junitxml``), ``--pcap FILE`` (the capture elsewhere), ``--station``/``--operator`` (default: the
METERCERT_STATION/METERCERT_OPERATOR environment variables).

Fixtures: ``dut`` (a :class:`metercert.Connection`, opened fresh for each case so that cases do
not depend on each other; every byte is tapped), ``master`` (a :class:`metercert.Master` on it),
``meter`` (the E350 model behind simulated slave 0, :class:`metercert.E350`; the case is skipped
on a real DUT), ``reference`` (a :class:`metercert.Reference` CMi1020 whose meter answers the
same readout as the DUT's: the simulated meter's, or ``--meter-readout FILE`` for a real DUT,
default the real E350 capture), ``capture`` (the bursts the case exchanged so far), ``dut_url``.

Results are appended to ``DIR/record.jsonl`` as each case ends, and ``record.json`` /
``report.html`` are rewritten after every case, so an interrupted run keeps everything done so
far and says it was interrupted (``"complete": false``).
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import pathlib
import time

import pytest

import metercert
from metercert import conformance
from metercert.conformance import CaseInfo, Mismatch

_STATE: dict = {}


def pytest_addoption(parser):
    g = parser.getgroup("metercert")
    g.addoption("--dut", default="", help="device under test URL (sim:cmi1020?count=N, tcp://HOST:PORT, serial:///dev/X?baud=2400); "
                                           "default: each profile's built-in simulator (its conftest's default_dut)")
    g.addoption("--report", default="", help="directory for record.json, report.html and capture.pcap")
    g.addoption("--pcap", default="", help="capture file of every frame of the run (default: REPORT/capture.pcap)")
    g.addoption("--station", default=os.environ.get("METERCERT_STATION", ""), help="test station name")
    g.addoption("--operator", default=os.environ.get("METERCERT_OPERATOR", ""), help="operator name")
    g.addoption("--meter-readout", default="", help="IEC 62056-21 readout the DUT's meter answers with (for the reference fixture)")


def _info(item) -> CaseInfo | None:
    return getattr(getattr(item, "function", None), "metercert_case", None)


def pytest_configure(config):
    config.addinivalue_line("markers", "metercert: a conformance case")
    report = config.getoption("--report")
    _STATE.update(url=config.getoption("--dut"), report=pathlib.Path(report) if report else None, cases=[],
                  started=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), total=0, done=0,
                  station=config.getoption("--station"), operator=config.getoption("--operator"), identity={})
    _STATE["pcap"] = None
    if _STATE["report"]:
        _STATE["report"].mkdir(parents=True, exist_ok=True)
        (_STATE["report"] / "record.jsonl").write_text("")
    pcap = config.getoption("--pcap") or (str(_STATE["report"] / "capture.pcap") if _STATE["report"] else "")
    if pcap:
        _STATE["pcap"] = metercert._core.PcapWriter(pcap)


def pytest_collection_modifyitems(config, items):
    _STATE["total"] = len(items)


def _needs_skip(info: CaseInfo, url: str, simulated: bool) -> str | None:
    """Why the case cannot run against this DUT (None: it can)."""
    baud_control = url.startswith("sim:") or url.startswith("serial:")
    if "simulator" in info.needs and not simulated:
        return f"{info.id} needs the built-in simulator (meter model, fault injection or its statistics)"
    if "line_timing" in info.needs and not baud_control:
        return f"{info.id} measures M-Bus reply times, which a TCP gateway hides (use serial:// or sim:)"
    if "baud_control" in info.needs and not baud_control:
        return f"{info.id} needs a line whose rate the master sets (serial:// or sim:), not a gateway's"
    return None


class DutTarget:
    """Where a profile's cases find their DUT: a URL, and whether it is one of metercert's own
    simulators (in process for sim:, or a simulator process behind TCP), plus what a profile's
    conftest wants to hand its cases (``extra``: e.g. the statistics file of a simulated gateway).
    ``identify``: read the identity from the URL (False when it names no M-Bus device to read)."""

    def __init__(self, url: str, simulated: bool | None = None, identify: bool = True, **extra):
        self.url = url
        self.simulated = url.startswith("sim:") if simulated is None else simulated
        self.identify = identify
        self.extra = extra


@pytest.fixture
def dut_target(request) -> DutTarget:
    """The DUT of the running case: ``--dut`` when given, else the profile's ``default_dut``."""
    url = request.config.getoption("--dut")
    target = DutTarget(url) if url else request.getfixturevalue("default_dut")
    if isinstance(target, str):
        target = DutTarget(target)
    info = _info(request.node)
    if info is not None:
        reason = _needs_skip(info, target.url, target.simulated)
        if reason:
            pytest.skip(reason)
        key = info.profile if not url else "*"
        if key not in _STATE["identity"]:
            _STATE["identity"][key] = {"url": target.url, **(_identity(target.url) if target.identify else {})}
            _write(complete=False)
    return target


def _identity(url: str) -> dict:
    """The DUT's identity as read from the device: the header of its first RSP_UD (address 0, or
    the first slave a selection finds)."""
    conn = None
    try:
        conn = metercert.connect(url)
        m = metercert.Master(conn, init_idle_ms=0)
        try:  # one DUT on the line: address 254 (broadcast with reply, EN 13757-2) is the quickest
            m.snd_nke(254)
            frame = m.req_ud2(254)
        except metercert.MasterError:
            r = metercert.search_secondary(m)
            if not r["found"]:
                return {"error": "no slave answered REQ_UD2 to 254 or a secondary search"}
            frame = r["found"][0]["frame"]
        d = metercert.decode(frame)
        h = d["header"]
        ident = {"manufacturer": h["manufacturer"], "id": h["id"], "version": h["version"], "medium": h["medium"]}
        for rec in d.get("records", []):
            if rec.get("quantity") == "software_version" or rec.get("vif", "").upper() == "FD0F":
                ident["firmware"] = rec.get("value") or rec.get("text") or rec.get("raw")
        return ident
    except Exception as e:  # identity is evidence, not a verdict: record why it is missing
        return {"error": f"{type(e).__name__}: {e}"}
    finally:
        if conn is not None:
            conn.close()
            if url.startswith("tcp"):
                time.sleep(TCP_RELEASE_S)


def pytest_sessionstart(session):
    _write(complete=False)


@pytest.fixture(autouse=True)
def _metercert_needs(request):
    """Every case, whatever fixtures it uses, is checked against what it needs (skip with a reason)."""
    if _info(request.node) is not None:
        request.getfixturevalue("dut_target")


@pytest.fixture
def dut_url(dut_target):
    return dut_target.url


@pytest.fixture
def dut(request, dut_target):
    conn = metercert.connect(dut_target.url)
    request.node.metercert_connection = conn
    yield conn
    conn.close()  # a gateway serves one client at a time: free it for the next case
    if dut_target.url.startswith("tcp"):
        time.sleep(TCP_RELEASE_S)


# After closing a TCP connection, the time a gateway gets to see it go before the next case
# connects (a CMe3000 serves one client at a time and drops a second one).
TCP_RELEASE_S = 0.3


# The cases' master waits twice EN 13757-2's latest reply start (330 bit times + 50 ms at 2400
# baud) + 100 ms: a late reply is then measured and judged by the timing case, not lost as silence.
CASE_TIMEOUT_MS = 2 * (330 * 1000 / 2400 + 50) + 100


@pytest.fixture
def master(dut):
    return metercert.Master(dut, response_timeout_ms=CASE_TIMEOUT_MS)


@pytest.fixture
def meter(dut):
    """The E350 model behind simulated slave 0 (sim: only; skipped on a real DUT)."""
    if not dut.simulated:
        pytest.skip("needs the meter model of the built-in simulator")
    return dut.meter(0)


@pytest.fixture
def reference(request, dut):
    """A reference CMi1020 fed with the readout the DUT's meter answers with, past its first readout;
    skipped on a real DUT unless --meter-readout names that readout."""
    path = request.config.getoption("--meter-readout")
    if not path and not dut.simulated:
        pytest.skip("needs the readout the DUT's meter gives: --meter-readout FILE")
    readout = pathlib.Path(path).read_bytes() if path else dut.meter(0).readout
    ref = metercert.Reference(readout)
    ref.advance_to(3000)
    return ref


@pytest.fixture
def capture(dut):
    """A callable: capture() -> the bursts the case exchanged so far (Connection.records())."""
    return dut.records


def pytest_runtest_setup(item):
    conformance.MEASUREMENTS.clear()


def pytest_runtest_logstart(nodeid, location):
    _STATE["done"] += 1
    if _STATE["report"]:
        print(f"\n[{_STATE['done']}/{_STATE['total']}] {nodeid}", end="", flush=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    info = _info(item)
    if info is None:
        return
    for k, v in (("case_id", info.id), ("requirement", info.requirement), ("level", info.level)):
        rep.user_properties.append((k, v))
    if rep.when == "call" or (rep.when == "setup" and rep.outcome != "passed"):
        conn = getattr(item, "metercert_connection", None)
        frames = []
        if conn is not None:
            for r in conn.records():
                secret = _secret_span(r["bytes"])
                if secret is not None:  # P1/P2 never reach a report or a capture (metercert DESIGN)
                    r = dict(r, bytes=_redact(r["bytes"], secret), flags=r["flags"] | REDACTED)
                if _STATE["pcap"] is not None:
                    _STATE["pcap"].record(r)
                frames.append({"direction": r["direction"], "wall_us": r["wall_us"], "hex": r["bytes"].hex().upper(),
                               "flags": r["flags"], "baud": r["baud"],
                               "decoded": _SECRET_NAMES[r["bytes"][8]] if secret else _decoded(r["bytes"])})
        entry = {"id": info.id, "requirement": info.requirement, "level": info.level, "profile": info.profile,
                 "section": info.section, "test": item.nodeid, "outcome": rep.outcome,
                 "duration_s": round(rep.duration, 4), "measurements": list(conformance.MEASUREMENTS),
                 "evidence": {"frames": frames}}
        if rep.skipped:
            entry["reason"] = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        if rep.failed:
            exc = call.excinfo.value if call.excinfo else None
            if isinstance(exc, Mismatch):
                entry["expected"], entry["actual"], entry["what"] = repr(exc.expected), repr(exc.actual), exc.what
            entry["message"] = str(exc) if exc is not None else str(rep.longrepr)[-2000:]
        _STATE["cases"].append(entry)
        if _STATE["report"]:
            with open(_STATE["report"] / "record.jsonl", "a") as f:
                f.write(json.dumps(entry) + "\n")
            _write(complete=False)


REDACTED = metercert._core.TAP_REDACTED  # tap/pcap flag: secret bytes replaced by 0x2A (rigs/.../tap.hpp)
_SECRET_NAMES = {0x01: "SND_UD CI=51 Elvaco 01 set P1 password (redacted)", 0x02: "SND_UD CI=51 Elvaco 02 set P2 key (redacted)"}


def _secret_span(b: bytes):
    """(first, end) of the secret in a CMi1020 set-P1 (§6.7.9) / set-P2 (§6.7.10) frame, the checksum
    included (it would leak the secret's sum); None for any other frame."""
    if len(b) >= 11 and b[0] == 0x68 and b[3] == 0x68 and b[6] == 0x51 and b[7] == 0x0F and b[8] in _SECRET_NAMES:
        return 9, len(b) - 1
    return None


def _redact(b: bytes, span) -> bytes:
    first, end = span
    return b[:first] + b"*" * (end - first) + b[end:]


def _decoded(b: bytes) -> str:
    try:
        d = metercert.decode(b)
    except metercert.DecodeError as e:
        return f"invalid: {e}"
    if d.get("frame") == "ack":
        return "ACK"
    parts = [d.get("c_name", ""), f"A={d.get('a')}"]
    if "ci" in d:
        parts.append(f"CI={d['ci']}")
    if "header" in d and d["header"].get("id"):
        parts.append(f"ID={d['header']['id']}")
    if d.get("records"):
        parts.append(f"{len(d['records'])} records")
    return " ".join(p for p in parts if p)


def _write(complete: bool):
    if not _STATE["report"]:
        return
    from metercert import report as _report
    ids = _STATE["identity"]
    if len(ids) == 1:  # one DUT for the whole run (--dut, or a single profile)
        dut = next(iter(ids.values()))
    else:  # none read yet, or each profile against its own built-in simulator
        dut = {"url": _STATE["url"] or "each profile's built-in simulator", **({"profiles": ids} if ids else {})}
    record = {
        "tool": "metercert", "version": "0.1.0", "dut": dut,
        "station": _STATE["station"], "operator": _STATE["operator"], "started": _STATE["started"],
        "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds") if complete else None,
        "complete": complete, "cases": _STATE["cases"],
    }
    record["verdict"] = _report.verdict(record)
    tmp = _STATE["report"] / "record.json.tmp"
    tmp.write_text(json.dumps(record, indent=1))
    tmp.replace(_STATE["report"] / "record.json")
    _report.write_html(record, _STATE["report"] / "report.html")


def pytest_sessionfinish(session, exitstatus):
    interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
    _write(complete=not interrupted)
