"""pytest plugin of the conformance run: ``python3 -m pytest -p metercert.pytest_plugin -p no:terminal``.

Options: ``--dut URL`` (default: each profile's built-in simulator, its conftest's
``default_dut``), ``--report DIR`` (record.json, record.jsonl, junit.xml, report.html,
report.pdf, capture.pcap), ``--pcap FILE`` (the capture elsewhere), ``--station``/``--operator``
(default: the METERCERT_STATION/METERCERT_OPERATOR environment variables), ``--meter-readout
FILE`` (the IEC 62056-21 readout the DUT's meter gives: the meter reference of a real DUT).

A profile is a Python package ``conformance/<package>/`` (its modules import each other
explicitly, ``from .lib import …``; the package is the profile's name with ``_`` for ``-``:
``conformance/cme3100_master/`` is the profile ``cme3100-master``) whose ``conftest.py`` declares
``METERCERT_PROFILE = {"dut_kind": "…", "accepts": ("tcp://", …), "identity": "slave"|"behind"|"none"}``:
what kind of DUT it certifies, the DUT URLs that can be such a DUT (any other ``--dut`` is a
usage error before anything runs) and how its identity is read (the M-Bus slave itself, the
slave behind a gateway, or nothing).

Fixtures: ``dut`` (a :class:`metercert.Connection`, opened fresh for each case so that cases do
not depend on each other; every byte is tapped, secrets redacted before anything records them),
``master`` (a :class:`metercert.Master` on it), ``meter`` (the E350 model behind simulated slave
0; skipped on a real DUT), ``capture`` (the bursts the case exchanged so far), ``dut_url``,
``dut_target``.

Outcomes, verdict and the record's shape: :mod:`metercert.record`. Each case's entry is
appended to ``DIR/record.jsonl`` as it ends (one JSON object per line, never rewritten), and
``record.json``, ``junit.xml`` and ``report.html`` are rewritten after every case, so an
interrupted run keeps everything done so far and says so (``"complete": false``). SIGINT or
SIGTERM stop the run: the case under way is abandoned, every process the run started is
stopped, the record is written with ``"interrupted_by"`` and the verdict INTERRUPTED. Nothing
is written when the selection is empty or a profile cannot take the DUT (a usage error, exit 4
of pytest, 2 of ``metercert run``).
"""
from __future__ import annotations

import json
import os
import pathlib
import signal
import sys
import time

import pytest

import metercert
from metercert import conformance, record as _record
from metercert.conformance import CaseInfo, Mismatch

VERSION = "0.1.0"
ROOT = pathlib.Path(__file__).resolve().parent
_STATE: dict = {}

# Exceptions that are the DUT's doing: the case failed. Anything else is an error of the suite.
DUT_FAULTS = (AssertionError, metercert.MasterError, metercert.PortError, metercert.DecodeError)
USAGE_ERROR = 4  # pytest's ExitCode.USAGE_ERROR; `metercert run` turns it into its exit 2


def pytest_addoption(parser):
    g = parser.getgroup("metercert")
    g.addoption("--dut", default="", help="device under test URL (sim:cmi1020?count=N, tcp://HOST:PORT, serial:///dev/X?baud=2400); "
                                           "default: each profile's built-in simulator (its conftest's default_dut)")
    g.addoption("--report", default="", help="directory for the record, JUnit, HTML/PDF report and capture")
    g.addoption("--pcap", default="", help="capture file of every frame of the run (default: REPORT/capture.pcap)")
    g.addoption("--station", default=os.environ.get("METERCERT_STATION", ""), help="test station name")
    g.addoption("--operator", default=os.environ.get("METERCERT_OPERATOR", ""), help="operator name")
    g.addoption("--meter-readout", default="", help="IEC 62056-21 readout the DUT's meter answers with (meter reference)")


def _info(item) -> CaseInfo | None:
    return getattr(getattr(item, "function", None), "metercert_case", None)


def _out(text: str, err: bool = False) -> None:
    """A line on the terminal, outside pytest's output capturing."""
    capman = _STATE.get("config") and _STATE["config"].pluginmanager.getplugin("capturemanager")
    stream = sys.stderr if err else sys.stdout
    if capman:
        with capman.global_and_fixture_disabled():
            print(text, file=stream, flush=True)
    else:
        print(text, file=stream, flush=True)


def _on_stop_signal(signum, _frame):
    """SIGINT/SIGTERM: abandon the case under way (KeyboardInterrupt); later signals are ignored so
    that the record is written and the started processes are stopped."""
    _STATE["interrupted_by"] = signal.Signals(signum).name
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def pytest_configure(config):
    config.addinivalue_line("markers", "metercert: a conformance case")
    report = config.getoption("--report")
    _STATE.clear()
    _STATE.update(config=config, url=config.getoption("--dut"), report=pathlib.Path(report) if report else None, cases=[],
                  started=_record.now_iso(), total=0, done=0, started_writing=False, interrupted_by=None,
                  station=config.getoption("--station"), operator=config.getoption("--operator"), identity={},
                  profiles={}, pcap=None, provenance=None)
    signal.signal(signal.SIGINT, _on_stop_signal)
    signal.signal(signal.SIGTERM, _on_stop_signal)


def pytest_collectreport(report):
    if report.failed:  # a case file that does not import: the suite is broken, say where
        _out(f"error: cannot collect {report.nodeid or 'the cases'}:\n{report.longreprtext}", err=True)


def _profiles(config) -> dict[str, dict]:
    """METERCERT_PROFILE of every profile conftest, by profile name (the package's, ``_`` → ``-``)."""
    out = {}
    for plugin in config.pluginmanager.get_plugins():
        decl = getattr(plugin, "METERCERT_PROFILE", None)
        path = getattr(plugin, "__file__", None)
        if isinstance(decl, dict) and path:
            out[pathlib.Path(path).parent.name.replace("_", "-")] = decl
    return out


def _describe_url(url: str) -> str:
    scheme = url.split(":", 1)[0]
    if scheme == "sim":
        return f"{url} is an in-process simulated {url[4:].split('?', 1)[0]}"
    if scheme == "serial":
        return f"{url} is a serial M-Bus line"
    return f"{url} is a {scheme} connection"


def _usage_error(message: str) -> None:
    _out(f"error: {message}", err=True)
    pytest.exit(message, returncode=USAGE_ERROR)


def pytest_collection_finish(session):
    """The selection is known: refuse an empty one or a DUT a profile cannot take (usage errors,
    nothing written), then open the report."""
    config = session.config
    items = [i for i in session.items if _info(i) is not None]
    if not items:
        k = config.getoption("keyword", "")
        _usage_error("the selection runs no case" + (f" (-k {k!r} matches none)" if k else ""))
    decls = _profiles(config)
    _STATE["profiles"] = decls
    selected = sorted({_info(i).profile for i in items})
    url = _STATE["url"]
    for p in selected:
        decl = decls.get(p)
        if decl is None:
            _usage_error(f"profile {p}: its conftest.py declares no METERCERT_PROFILE")
        if url and not any(url.startswith(a) for a in decl["accepts"]):
            _usage_error(f"profile {p} needs {decl['dut_kind']} ({', '.join(a + '…' for a in decl['accepts'])}): "
                         f"{_describe_url(url)}")
    _STATE["total"] = len(items)
    _STATE["selected_profiles"] = selected
    if _STATE["report"]:
        _STATE["report"].mkdir(parents=True, exist_ok=True)
        (_STATE["report"] / "record.jsonl").write_text("")
    pcap = config.getoption("--pcap") or (str(_STATE["report"] / "capture.pcap") if _STATE["report"] else "")
    if pcap:
        _STATE["pcap"] = metercert._core.PcapWriter(pcap)
    argv = json.loads(os.environ.get("METERCERT_ARGV", "null")) or sys.argv
    _STATE["provenance"] = _record.provenance(ROOT_OF_SOURCES, argv, VERSION)
    _STATE["started_writing"] = True
    _write(complete=False)
    _out(f"metercert run: {len(items)} case(s) of {', '.join(selected)}")


# The source tree (profiles, vectors): $METERCERT_SOURCE_DIR from `metercert run`, else the tree
# this package was built from (build/python/metercert → two levels up is build/).
ROOT_OF_SOURCES = pathlib.Path(os.environ.get("METERCERT_SOURCE_DIR") or pathlib.Path(__file__).resolve().parents[3])


# ----------------------------------------------------------------------------------- the DUT


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


def _is_pty(url: str) -> bool:
    if not url.startswith("serial://"):
        return False
    path = url[len("serial://"):].split("?", 1)[0]
    return os.path.realpath(path).startswith("/dev/pts/")


def _needs_skip(info: CaseInfo, url: str, simulated: bool) -> str | None:
    """Why the case cannot run against this DUT (None: it can). The reason names what is missing,
    never the case, so that the summary can group the cases by it."""
    line = url.startswith("sim:") or (url.startswith("serial:") and not _is_pty(url))
    if "simulator" in info.needs and not simulated:
        return "needs the built-in simulator (meter model, power cycles, fault injection or its statistics)"
    if "line_timing" in info.needs and not line:
        return ("measures M-Bus reply times on the line, which a TCP gateway or a pseudo-terminal hides "
                "(use a serial:// UART or sim:)")
    if "baud_control" in info.needs and not line:
        return "needs a line whose rate the master sets (a serial:// UART or sim:), not a gateway or a pseudo-terminal"
    return None


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
        if info.profile not in _STATE["identity"]:
            decl = _STATE["profiles"].get(info.profile, {})
            ident = {"url": target.url, "kind": decl.get("dut_kind", ""), "simulated": target.simulated}
            if target.extra.get("model"):  # what a simulated DUT is (a real gateway's own identity is not readable over M-Bus)
                ident["model"] = target.extra["model"]
            how = decl.get("identity", "slave")
            if target.identify and how == "slave":
                ident.update(_identity(target.url))
            elif target.identify and how == "behind":
                ident["slave"] = _identity(target.url)
            _STATE["identity"][info.profile] = ident
            _write(complete=False)
    return target


def _identity(url: str) -> dict:
    """The identity of the M-Bus slave at the URL as read from it: the header of its first RSP_UD
    (address 254, or the first slave a secondary search finds) and its firmware record."""
    conn = None
    try:
        conn = metercert.connect(url)
        m = metercert.Master(conn, init_idle_ms=0, response_timeout_ms=CASE_TIMEOUT_MS)  # a late slave is still named
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
    except (metercert.MasterError, metercert.PortError, metercert.DecodeError, metercert.DutError) as e:
        return {"error": f"{type(e).__name__}: {e}"}  # identity is evidence, not a verdict
    finally:
        if conn is not None:
            conn.close()
            if url.startswith("tcp"):
                time.sleep(TCP_RELEASE_S)


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
def capture(dut):
    """A callable: capture() -> the bursts the case exchanged so far (Connection.records())."""
    return dut.records


# ----------------------------------------------------------------------------- the record


def pytest_runtest_setup(item):
    conformance.MEASUREMENTS.clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if _info(item) is not None:
        item.__dict__.setdefault("metercert_reports", []).append((rep, call.excinfo))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    yield
    info = _info(item)
    if info is None or not _STATE["started_writing"]:
        return
    reports = item.__dict__.get("metercert_reports", [])
    if not reports or (_STATE["interrupted_by"] and not any(r.when == "call" for r, _ in reports)):
        return  # interrupted before the case ran: it is not recorded as anything
    entry = _entry(item, info, reports)
    _STATE["cases"].append(entry)
    _STATE["done"] += 1
    _progress(entry)
    if _STATE["report"]:
        with open(_STATE["report"] / "record.jsonl", "a") as f:
            f.write(json.dumps(entry) + "\n")
        _write(complete=False)


def _entry(item, info: CaseInfo, reports) -> dict:
    entry = {"id": info.id, "requirement": info.requirement, "level": info.level, "profile": info.profile,
             "section": info.section, "test": item.nodeid, "outcome": "passed",
             "duration_s": round(sum(r.duration for r, _ in reports), 4), "measurements": list(conformance.MEASUREMENTS)}
    for rep, excinfo in reports:
        if rep.skipped and entry["outcome"] == "passed":
            entry["outcome"] = "skipped"
            entry["reason"] = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
            entry["reason"] = entry["reason"].removeprefix("Skipped: ")
        elif rep.failed and entry["outcome"] in ("passed", "skipped"):
            exc = excinfo.value if excinfo else None
            dut_fault = isinstance(exc, DUT_FAULTS) and rep.when != "teardown"
            entry["outcome"] = "failed" if dut_fault else "error"
            entry["phase"] = rep.when
            if isinstance(exc, Mismatch):
                entry["expected"], entry["actual"], entry["what"] = repr(exc.expected), repr(exc.actual), exc.what
                if isinstance(exc.expected, (bytes, bytearray)) and isinstance(exc.actual, (bytes, bytearray)):
                    entry["expected_hex"], entry["actual_hex"] = bytes(exc.expected).hex().upper(), bytes(exc.actual).hex().upper()
            if isinstance(exc, AssertionError) and dut_fault:
                entry["message"] = str(exc)
            elif exc is not None:
                entry["message"] = f"{type(exc).__name__}: {exc}"
            else:
                entry["message"] = str(rep.longrepr)[-2000:]
            if not dut_fault:
                first = str(exc).strip().splitlines()[0][:160] if exc is not None and str(exc).strip() else ""
                entry["reason"] = f"{type(exc).__name__ if exc else 'error'} in {rep.when}" + (f": {first}" if first else "")
                entry["traceback"] = str(rep.longrepr)[-4000:]
    conn = getattr(item, "metercert_connection", None)
    entry["evidence"] = {"frames": _frames(conn, with_records=entry["outcome"] in ("failed", "error"))}
    return entry


REDACTED = metercert._core.TAP_REDACTED  # tap/pcap flag: secret bytes replaced by 0x2A (rigs/.../tap.hpp)


def _frames(conn, with_records: bool) -> list[dict]:
    """The case's bursts (already redacted by the transport's tap chain), each into the capture and
    the record; decoded records only for failed or broken cases (the evidence a reader opens)."""
    if conn is None:
        return []
    frames = []
    for r in conn.records():
        if _STATE["pcap"] is not None:
            _STATE["pcap"].record(r)
        b = r["bytes"]
        f = {"direction": r["direction"], "wall_us": r["wall_us"], "hex": b.hex().upper(), "flags": r["flags"], "baud": r["baud"]}
        secret = metercert._core.secret_name(b) if r["flags"] & REDACTED else None
        if secret:
            f["decoded"] = f"SND_UD CI=51 set {secret} (redacted)"
        else:
            f["decoded"], records = _decoded(b)
            if with_records and records:
                f["records"] = records
        frames.append(f)
    return frames


def _decoded(b: bytes) -> tuple[str, list]:
    try:
        d = metercert.decode(b)
    except metercert.DecodeError as e:
        return f"invalid: {e}", []
    if d.get("frame") == "ack":
        return "ACK", []
    parts = [d.get("c_name", ""), f"A={d.get('a')}"]
    if "ci" in d:
        parts.append(f"CI={d['ci']}")
    if "header" in d and d["header"].get("id"):
        parts.append(f"ID={d['header']['id']}")
    if d.get("records"):
        parts.append(f"{len(d['records'])} records")
    return " ".join(p for p in parts if p), d.get("records", [])


_MARK = {"passed": "pass", "failed": "FAIL", "skipped": "skip", "error": "ERROR"}


def _progress(entry: dict) -> None:
    n, total = _STATE["done"], _STATE["total"]
    w = len(str(total))
    line = f"[{n:>{w}}/{total}] {_MARK[entry['outcome']]:<5} {entry['id']:<24} {entry['level']}"
    if entry["outcome"] in ("failed", "error"):
        line += f"\n{' ' * (2 * w + 4)}{(entry.get('message') or '').splitlines()[0][:160] if entry.get('message') else ''}"
    _out(line)


def _dut_section() -> dict:
    ids = _STATE["identity"]
    if len(ids) == 1:  # one profile (or one DUT read so far)
        return next(iter(ids.values()))
    dut = {"url": _STATE["url"] or "each profile's built-in simulator"}
    if ids:
        dut["profiles"] = ids
    return dut


def _write(complete: bool):
    if not _STATE["report"] or not _STATE["started_writing"]:
        return
    from metercert import report as _report
    rec = {
        "schema": _record.SCHEMA, "tool": "metercert", "version": VERSION, "provenance": _STATE["provenance"],
        "dut": _dut_section(), "station": _STATE["station"], "operator": _STATE["operator"], "started": _STATE["started"],
        "finished": _record.now_iso() if complete or _STATE["interrupted_by"] else None,
        "complete": complete, "interrupted_by": _STATE["interrupted_by"], "cases": _STATE["cases"],
    }
    _record.finalize(rec)
    d = _STATE["report"]
    tmp = d / "record.json.tmp"
    tmp.write_text(json.dumps(rec, indent=1))
    tmp.replace(d / "record.json")
    _record.write_junit(rec, d / "junit.xml")
    _report.write_html(rec, d / "report.html")
    if complete or _STATE["interrupted_by"]:
        writer = getattr(_report, "write_pdf", None)
        if writer is not None:
            try:
                writer(rec, d / "report.pdf")
            except Exception as e:  # the PDF is a rendering of the same record: say so, keep the run's verdict
                _out(f"warning: report.pdf not written: {type(e).__name__}: {e}", err=True)


def _stop_children() -> None:
    """Stops every process this run started that is still there (simulators, gateways)."""
    me = os.getpid()
    kids = []
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == me:
            kids.append(int(stat.parent.name))
    for pid in kids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 5
    for pid in kids:
        while time.monotonic() < deadline:
            try:
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    break
            except ChildProcessError:
                break
            time.sleep(0.05)
        else:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass


def pytest_sessionfinish(session, exitstatus):
    interrupted = bool(_STATE["interrupted_by"]) or exitstatus == pytest.ExitCode.INTERRUPTED
    if interrupted and not _STATE["interrupted_by"]:
        _STATE["interrupted_by"] = "SIGINT"
    _stop_children()
    _write(complete=not interrupted)
