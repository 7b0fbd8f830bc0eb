"""pytest plugin of the conformance run: ``python3 -m pytest -p metercert.pytest_plugin -p no:terminal -p no:labgrid``.

Options: ``--dut URL`` (default: each profile's built-in simulator, its conftest's
``default_dut``), ``--report DIR`` (record.json, record.jsonl, junit.xml, report.html,
report.pdf, capture.pcap), ``--pcap FILE`` (the capture elsewhere), ``--station``/``--operator``
(default: the METERCERT_STATION/METERCERT_OPERATOR environment variables), ``--meter-readout
FILE`` (the IEC 62056-21 readout the DUT's meter gives: the meter reference of a real DUT),
``--rig FILE[#TARGET]`` (a rig file: :mod:`metercert.rig`).

A profile is a Python package ``conformance/<package>/`` (its modules import each other
explicitly, ``from .lib import …``; the package is the profile's name with ``_`` for ``-``:
``conformance/cme3100_master/`` is the profile ``cme3100-master``) whose ``conftest.py`` declares
``METERCERT_PROFILE = {"dut_kind": "…", "accepts": ("tcp://", …)}``: what kind of DUT it
certifies and the DUT URLs that can be such a DUT (any other ``--dut`` is a usage error before
anything runs). Its conftest also gives ``default_dut`` (the URL without ``--dut``), may override
``resolve_dut`` (URL → :class:`DutTarget`: e.g. a simulator process it starts and keeps for the
run) and implements the hooks of :mod:`metercert.hookspecs` (how the DUT's identity is read, the
measurements every case's evidence yields); device-specific fixtures are the profile's own.

Needs (labgrid's features): a case declares the capabilities it needs
(:func:`metercert.conformance.case`); the DUT link says which it offers (``metercert.dut_link``,
rigs/links/), the rig adds its own (``--rig FILE``: ``power``, ``rate_inputs``, ``button``, ``meter.probe``, ``led`` for the
roles its file names), and a simulated DUT may take the rig's calls itself (the profile's hook
``pytest_metercert_simulated_rig``); a case whose needs they do not cover is skipped with the
missing capabilities named in words. The plugin never looks into a URL for what a DUT can do, and
knows no product and no protocol: frames are described by :mod:`metercert.evidence` per link kind.

The rig (``--rig``): loaded and opened once the selection is known (a file labgrid cannot use, or
whose roles are wrong, is a usage error: nothing runs), then set to its operating state (supply
on, rate inputs off, button released). A case that uses it finds ``dut.power`` (``cycle()``,
``on()``, ``off()``), ``dut.rate_inputs`` (``set(a, b)``) and ``dut.button`` (``hold(seconds)``,
``press()``, ``release()``) and ``dut.led`` (``lit()``, read only; ``colour``: the LED watched);
after the case the rig is back in its operating state, or in its safe state when the case failed
or broke. When the run ends or is stopped every output goes to the safe state the file declares.
Every switch is appended to ``DIR/rig-log.jsonl`` as it happens; the record has the rig's section
(``rig``: file, target, roles, safe state, switches, ``safe_reached``) and each case the switches
made during it (``rig_switches``).

Fixtures: ``dut`` (a :class:`metercert.Connection`, opened fresh for each case so that cases do
not depend on each other; every byte is tapped, secrets redacted by the link before anything
records them; the URL is shown only as :func:`metercert.redact_url` gives it: no key), ``master`` (a :class:`metercert.Master` on its ``mbus.request``), ``capture`` (the
bursts the case exchanged so far), ``dut_url``, ``dut_target``.

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

import atexit
import json
import os
import pathlib
import signal
import sys
import time

import pytest

import metercert
from metercert import conformance, evidence, hookspecs, mbus_link, record as _record
from metercert.conformance import CaseInfo, Mismatch

VERSION = "0.1.0"
ROOT = pathlib.Path(__file__).resolve().parent
_STATE: dict = {}

# Exceptions that are the DUT's doing: the case failed. Anything else is an error of the suite.
DUT_FAULTS = (AssertionError, *metercert.DUT_ERRORS)

# The rig's capabilities (power, rate_inputs, button: what its file's roles drive); empty without
# --rig. A simulated DUT may add the same names itself (pytest_metercert_simulated_rig).
RIG_ROLES = ("power", "rate_inputs", "button", "meter.probe", "led")
# the Connection's attribute of each (meter.probe: dut.probe, an IEC 62056-21 optical probe: metercert.rig.probe)
_ROLE_ATTR = {"meter.probe": "probe"}


def pytest_addhooks(pluginmanager):
    pluginmanager.add_hookspecs(hookspecs)
USAGE_ERROR = 4  # pytest's ExitCode.USAGE_ERROR; `metercert run` turns it into its exit 2


def pytest_addoption(parser):
    g = parser.getgroup("metercert")
    g.addoption("--dut", default="", help="device under test URL (metercert.dut_link_schemes(): sim:cmi1020?count=N, sim:cme3000, "
                                           "sim:cme3100, tcp://HOST:PORT, serial:///dev/X?baud=2400, sim:cmi1020w?key=HEX, "
                                           "wmbus+hex:FILE?key=HEX; a key= is never shown); "
                                           "default: each profile's built-in simulator (its conftest's default_dut)")
    g.addoption("--report", default="", help="directory for the record, JUnit, HTML/PDF report and capture")
    g.addoption("--pcap", default="", help="capture file of every frame of the run (default: REPORT/capture.pcap)")
    g.addoption("--station", default=os.environ.get("METERCERT_STATION", ""), help="test station name")
    g.addoption("--operator", default=os.environ.get("METERCERT_OPERATOR", ""), help="operator name")
    g.addoption("--meter-readout", default="", help="IEC 62056-21 readout the DUT's meter answers with (meter reference)")
    g.addoption("--rig", default="", help="rig file (labgrid environment, FILE or FILE#TARGET): the relays of the DUT's "
                                          "supply, rate inputs and button (metercert.rig)")


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
                  profiles={}, pcap={}, pcap_path="", provenance=None, rig=None, rig_final=None)
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
    return f"{metercert.redact_url(url)} is {metercert.dut_link(url)['summary']}"


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
    if config.getoption("--rig"):  # a rig it cannot use is a usage error: nothing opened or written yet
        _load_rig(config.getoption("--rig"))
    url = _STATE["url"]
    if url:
        try:
            metercert.dut_link(url)
        except metercert.DutError as e:
            _usage_error(str(e))
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
    if _STATE["rig"] is not None:
        _open_rig()
    if _STATE["report"]:
        (_STATE["report"] / "record.jsonl").write_text("")
    pcap = config.getoption("--pcap") or (str(_STATE["report"] / "capture.pcap") if _STATE["report"] else "")
    _STATE["pcap_path"], _STATE["pcap"] = pcap, {}
    if pcap:
        _capture("mbus")  # the file exists from the start, as the record does
    argv = json.loads(os.environ.get("METERCERT_ARGV", "null")) or sys.argv
    _STATE["provenance"] = _record.provenance(ROOT_OF_SOURCES, [metercert.redact_url(a) for a in argv], VERSION)
    _STATE["started_writing"] = True
    _write(complete=False)
    _out(f"metercert run: {len(items)} case(s) of {', '.join(selected)}")


def _load_rig(path: str) -> None:
    """Loads the rig (a usage error when it cannot be used); without --dut, the DUT is the serial
    line the rig's target names (RawSerialPort), if any."""
    from metercert import rig as _rig
    log = _STATE["report"] / "rig-log.jsonl" if _STATE["report"] else None
    try:
        rig = _rig.load(path, log_path=log)
        if not _STATE["url"]:
            _STATE["url"] = rig.dut_url() or ""
    except _rig.RigError as e:
        _usage_error(f"--rig: {e}")
    _STATE["rig"] = rig


def _open_rig() -> None:
    """Opens the loaded rig (a usage error when a board cannot be opened) and sets its operating state."""
    from metercert import rig as _rig
    rig = _STATE["rig"]
    if rig._log_path:
        rig._log_path.write_text("")
    try:
        rig.open()
    except _rig.RigError as e:
        rig.close()
        _STATE["rig"] = None
        if rig._log_path:
            rig._log_path.unlink(missing_ok=True)
        _usage_error(f"--rig: {e}")
    path = rig.file.path
    atexit.register(_rig_safe, "exit of the run's process")  # a last resort: the normal end does it first
    try:
        rig.operating("operating state: start of the run")
    except Exception as e:
        _rig_safe("the operating state could not be set")
        _usage_error(f"--rig {path}: the operating state cannot be set: {type(e).__name__}: {e}")
    _out(f"metercert run: rig {rig.file.path} target {rig.target_name}: {', '.join(sorted(rig.capabilities)) or 'no role'}")


def _rig_safe(why: str) -> list[str] | None:
    """Every rig output to its safe state (once per run; later calls do nothing): the failures."""
    rig = _STATE.get("rig")
    if rig is None or _STATE.get("rig_final") is not None:
        return None
    errors = rig.safe(f"safe state: {why}")
    _STATE["rig_final"] = {"safe_reached": not errors, "safe_errors": errors, "why": why}
    if errors:
        _out(f"error: the rig's safe state was not reached: {'; '.join(errors)}", err=True)
    rig.close()
    return errors


# The source tree (profiles, vectors): $METERCERT_SOURCE_DIR from `metercert run`, else the tree
# this package was built from (build/python/metercert → two levels up is build/).
ROOT_OF_SOURCES = pathlib.Path(os.environ.get("METERCERT_SOURCE_DIR") or pathlib.Path(__file__).resolve().parents[3])


# ----------------------------------------------------------------------------------- the DUT


class DutTarget:
    """Where a profile's cases find their DUT: ``url``, the URL they talk to (a simulator process a
    profile started is reached as tcp://…); ``dut``, the DUT URL as given (``sim:cme3000``); the
    ``capabilities`` its link offers (by default the registry's for ``url``: metercert.dut_link);
    ``extra``, what a profile's conftest hands its cases (e.g. the statistics file of a simulated
    gateway)."""

    def __init__(self, url: str, capabilities=None, dut: str | None = None, **extra):
        self.url = url
        self.dut = dut or url
        self.capabilities = frozenset(metercert.dut_link(url)["capabilities"] if capabilities is None else capabilities)
        self.extra = extra

    @property
    def simulated(self) -> bool:
        """One of metercert's own simulators (a sim.* capability)."""
        return any(c.startswith("sim.") for c in self.capabilities)


def _rig_roles(node, target: DutTarget) -> dict:
    """Capability → the role's maker (called with the case's Connection): the roles a simulated DUT
    takes itself (the profile's pytest_metercert_simulated_rig: an in-process simulator is behind
    no relay), else the rig's (``--rig``). A maker of the rig has ``from_rig`` set."""
    roles = {}
    rig = _STATE.get("rig")
    if rig is not None:
        for cap in RIG_ROLES:
            if cap in rig.capabilities:
                maker = (lambda _dut, obj=getattr(rig, _ROLE_ATTR.get(cap, cap)): obj)
                maker.from_rig = True
                roles[cap] = maker
    roles.update(node.ihook.pytest_metercert_simulated_rig(target=target) or {})
    return roles


def _missing(info: CaseInfo, target: DutTarget, roles=()) -> str | None:
    """Why the case cannot run against this DUT (None: it can): the needs neither the DUT link nor
    the rig offers, each said in words. The reason names what is missing, never the case, so that
    the summary can group the cases by it."""
    missing = [n for n in info.needs if n not in target.capabilities and n not in roles]
    if not missing:
        return None
    known = metercert.capabilities()
    return "; ".join(f"needs {n}: {known[n]['words']}" for n in missing)


@pytest.fixture(scope="session")
def resolve_dut():
    """URL → :class:`DutTarget`. A profile overrides it in its conftest to start what a URL names
    and keep it for the run (a simulator process: sim:cme3000)."""
    return DutTarget


@pytest.fixture
def dut_target(request) -> DutTarget:
    """The DUT of the running case: ``--dut`` when given, else the profile's ``default_dut``,
    resolved by the profile's ``resolve_dut``."""
    url = _STATE["url"] or request.getfixturevalue("default_dut")
    target = url if isinstance(url, DutTarget) else request.getfixturevalue("resolve_dut")(url)
    info = _info(request.node)
    if info is not None:
        reason = _missing(info, target, _rig_roles(request.node, target))
        if reason:
            pytest.skip(reason)
        if info.profile not in _STATE["identity"]:
            decl = _STATE["profiles"].get(info.profile, {})
            ident = {"url": metercert.redact_url(target.dut), "kind": decl.get("dut_kind", ""), "simulated": target.simulated}
            if target.url != target.dut:  # a simulator process the profile started: where the cases reach it
                ident["reached_at"] = metercert.redact_url(target.url)
            read = request.node.ihook.pytest_metercert_identity(target=target)  # the profile's own hook, if any
            if read:
                ident.update(read)
            _STATE["identity"][info.profile] = ident
            _write(complete=False)
    return target


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
    """The case's Connection; with the roles of the rig (or of a simulated DUT) as ``power``,
    ``rate_inputs``, ``button`` when the case needs them."""
    conn = metercert.connect(dut_target.url)
    request.node.metercert_connection = conn
    info = _info(request.node)
    rig = _STATE.get("rig")
    uses_rig = False
    if info is not None:
        roles = _rig_roles(request.node, dut_target)
        for cap in RIG_ROLES:
            if cap in roles:
                setattr(conn, _ROLE_ATTR.get(cap, cap), roles[cap](conn))
        uses_rig = any(getattr(roles.get(n), "from_rig", False) for n in info.needs)
    if uses_rig:
        request.node.metercert_rig_from = len(rig.log)
        rig.operating(f"operating state: before {info.id}")
        rig.why(info.id)
    yield conn
    if uses_rig and _STATE.get("rig_final") is None and not _STATE["interrupted_by"]:
        reports = request.node.__dict__.get("metercert_reports", [])
        bad = [r.when for r, _ in reports if r.failed]
        if bad:
            rig.safe(f"safe state: {info.id} {'failed' if bad == ['call'] else 'broke'} in {bad[0]}")
        else:
            rig.operating(f"operating state: after {info.id}")
        rig.why("")
    release = conn.release_s  # a gateway serves one client at a time: it must see this one go
    conn.close()
    time.sleep(release)


@pytest.fixture
def master(dut):
    """The M-Bus master of the case over the link's mbus.request."""
    if "mbus.request" not in dut.capabilities:
        pytest.skip(f"needs mbus.request: {metercert.capabilities()['mbus.request']['words']}")
    return mbus_link.case_master(dut)


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
    rig_from = getattr(item, "metercert_rig_from", None)
    if rig_from is not None and _STATE.get("rig") is not None:
        entry["rig_switches"] = _STATE["rig"].log[rig_from:]
    conn = getattr(item, "metercert_connection", None)
    frames = _frames(conn, with_records=entry["outcome"] in ("failed", "error"))
    entry["evidence"] = {"frames": frames}
    for derived in item.ihook.pytest_metercert_measurements(info=info, frames=frames):  # the profile's hook, if any
        entry["measurements"].extend(derived or [])
    return entry


def _frames(conn, with_records: bool) -> list[dict]:
    """The case's records (already redacted by the link's tap chain), each into the capture of its
    link kind and, described by metercert.evidence, into the record; decoded content only for
    failed or broken cases (the evidence a reader opens)."""
    if conn is None:
        return []
    records = conn.records()
    for r in records:
        _capture(r.get("link", "mbus")).record(r)
    return evidence.frames(records, with_records)


class _NoCapture:
    def record(self, r):
        pass


def _capture(kind: str):
    """The capture file of a link kind: capture.pcap (or --pcap) for the wired M-Bus, as always;
    capture-<kind>.pcap beside it for another kind (each kind has its own pcap link type)."""
    writers = _STATE["pcap"]
    if kind not in writers:
        base = _STATE.get("pcap_path")
        if not base:
            writers[kind] = _NoCapture()
        else:
            path = pathlib.Path(base)
            writers[kind] = metercert._core.PcapWriter(str(path if kind == "mbus" else path.with_name(f"{path.stem}-{kind}{path.suffix}")), kind)
    return writers[kind]


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
    dut = {"url": metercert.redact_url(_STATE["url"]) if _STATE["url"] else "each profile's built-in simulator"}
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
    if _STATE.get("rig") is not None:
        rec["rig"] = _STATE["rig"].describe()
        if _STATE.get("rig_final") is not None:
            rec["rig"].update(_STATE["rig_final"])
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
    _rig_safe(f"the run was stopped by {_STATE['interrupted_by']}" if interrupted else "end of the run")
    _stop_children()
    _write(complete=not interrupted)
