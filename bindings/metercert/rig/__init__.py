"""Rigs: the relays in front of a DUT, described by a labgrid environment file (Debian
``python3-labgrid`` 0.4.1), driven through labgrid's protocols (README "Rigs", rigs/README.md).

A rig file is a labgrid environment YAML with a target per DUT. The target's resources and
drivers are labgrid's (``NetworkPowerDriver``, ``TasmotaPowerDriver``, ``FileDigitalOutputDriver``,
``DigitalOutputPowerDriver``, …) or metercert's own (:mod:`metercert.rig.drivers`: LCUS serial
relay boards, Modbus coil boards; the file loads them with ``imports: [metercert.rig.drivers]``).
The target's ``options`` name the *roles* — which driver does what to the DUT — by the driver's
``name``:

=================  ======================  =============================================
option             labgrid protocol        what it drives (capability)
=================  ======================  =============================================
``power``          ``PowerProtocol``       the DUT's mains supply (``power``)
``power_safe``     —                       ``on`` or ``off``: the supply's safe state
``rate_input_a``   ``DigitalOutputProtocol``  the 230 VAC rate input A (``rate_inputs``)
``rate_input_b``   ``DigitalOutputProtocol``  rate input B (both or neither)
``button``         ``DigitalOutputProtocol``  a relay across the push button (``button``)
``led``            ``DigitalOutputProtocol``  read only (``get()``): an input watching a LED (``led``)
``led_colour``     —                       which LED the input watches: ``red`` or ``green`` (optional;
                                           a case that needs one colour skips on the other)
``probe``          a serial *resource*     an IEC 62056-21 optical probe on the meter's optical
                   (``RawSerialPort``,     port (``meter.probe``): named by the resource's ``name``;
                   ``USBSerialPort``)      metercert opens the port itself (:mod:`metercert.rig.probe`)
``probe_max_baud`` —                       optional: the highest rate the probe selects (300 … 19200)
``network``        a ``NetworkService``    the module's network service (a CMi6110's LwM2M): where the
                   *resource*              suite's servers listen for it (``address``, ``port``) and its
                                           endpoint name (``username``); named by the resource's ``name``
=================  ======================  =============================================

The DUT's own line may be in the target too, as labgrid's ``RawSerialPort`` (``port``, ``speed``):
``metercert run --rig`` without ``--dut`` then certifies ``serial://PORT?baud=SPEED``
(:meth:`Rig.dut_url`); or its network service (``network``): ``lwm2m://ADDRESS:PORT?endpoint=USERNAME``
(NoSec: a DTLS-PSK module's key is given with ``--dut``, never in a rig file).

A rate input or the button is *on* when its relay applies 230 VAC / closes the button. A relay
output is a ``DigitalOutputProtocol``; the supply is a ``PowerProtocol`` (a relay output becomes
one through labgrid's ``DigitalOutputPowerDriver``, whose ``delay`` is the off time of a cycle).
labgrid 0.4.1 has no digital input protocol: the LED role uses ``DigitalOutputProtocol.get()``.

States: the *operating* state (supply on, rate inputs off, button released) is set before a case
that uses the rig and again after it; the *safe* state (the supply as ``power_safe`` declares,
rate inputs off, button released) is set when the run ends, when it is stopped (SIGINT/SIGTERM)
and after a case that failed or broke. Every switch is logged (:attr:`Rig.log`, and appended to
``log_path`` as it happens: one JSON object per line) with its UTC time, role, driver, state and
why; the record carries the log as the rig's evidence.
"""
from __future__ import annotations

import datetime as _dt
import json
import pathlib
import threading
import time

# role option → (labgrid protocol name, capability, words)
ROLES = {
    "power": ("PowerProtocol", "power", "the DUT's supply"),
    "rate_input_a": ("DigitalOutputProtocol", "rate_inputs", "the 230 VAC rate input A"),
    "rate_input_b": ("DigitalOutputProtocol", "rate_inputs", "the 230 VAC rate input B"),
    "button": ("DigitalOutputProtocol", "button", "the push button"),
    "led": ("DigitalOutputProtocol", "led", "an input watching a LED (read only)"),
}
SAFE_OPTIONS = {"power_safe": ("on", "off")}
LED_COLOURS = ("red", "green")
# The probe role names a serial resource, not a driver: metercert opens the port itself (7E1, mode C)
PROBE = ("probe", "meter.probe", "an IEC 62056-21 optical probe on the meter's optical port")
PROBE_BAUDS = (300, 600, 1200, 2400, 4800, 9600, 19200)
EXAMPLES = {"PowerProtocol": "e.g. DigitalOutputPowerDriver bound to a relay, TasmotaPowerDriver, NetworkPowerDriver",
            "DigitalOutputProtocol": "e.g. LcusRelayDriver, ModbusRelayDriver, FileDigitalOutputDriver"}


class RigError(Exception):
    """A rig file that cannot be used: the file and the YAML path of what is wrong, or a board that
    does not switch."""


def _labgrid():
    try:
        import labgrid
        from metercert.rig import drivers  # noqa: F401  (registers metercert's drivers)
    except ImportError as e:  # pragma: no cover - Debian's python3-labgrid is a dependency
        raise RigError(f"labgrid is not available ({e}): install Debian's python3-labgrid") from e
    return labgrid


def _protocol(name):
    import labgrid.protocol as p
    return getattr(p, name)


def _now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class RigFile:
    """A rig file loaded by labgrid (``labgrid.Environment(path)``), not yet switched: ``targets``
    (their names), :meth:`check` (every problem of a target, each with its YAML path) and
    :meth:`roles` (a target's role → driver). Raises RigError when labgrid cannot load it."""

    def __init__(self, path):
        labgrid = _labgrid()
        self.path = str(path)
        if not pathlib.Path(self.path).is_file():
            raise RigError(f"{self.path}: no such rig file")
        try:
            self.env = labgrid.Environment(self.path)
        except Exception as e:  # labgrid's NoConfigFoundError, InvalidConfigError, a YAML error, an import
            raise RigError(f"{self.path}: labgrid cannot load it: {type(e).__name__}: {e}") from e
        data = self.env.config.data
        if not isinstance(data, dict) or not isinstance(data.get("targets"), dict) or not data["targets"]:
            raise RigError(f"{self.path}: targets: missing or empty (a rig file has a target per DUT)")
        self.targets = list(data["targets"])

    def _options(self, name) -> dict:
        t = self.env.config.data["targets"][name] or {}
        opts = t.get("options") or {}
        return opts if isinstance(opts, dict) else {}

    def target(self, name):
        """The labgrid Target ``name`` (made on first use). RigError naming ``targets.<name>``."""
        if name not in self.targets:
            raise RigError(f"{self.path}: no target '{name}' (targets: {', '.join(self.targets)})")
        try:
            return self.env.get_target(name)
        except Exception as e:
            raise RigError(f"{self.path}: targets.{name}: labgrid cannot make it: {type(e).__name__}: {e}") from e

    def check(self, name) -> list[str]:
        """Every problem of target ``name``'s roles, one line each, starting with its YAML path;
        [] when the roles are usable."""
        try:
            target = self.target(name)
        except RigError as e:
            return [str(e).removeprefix(f"{self.path}: ")]
        opts = self._options(name)
        at = f"targets.{name}.options"
        problems = []
        named = {d.name: d for d in target.drivers if d.name}
        used = {}
        given = [r for r in ROLES if r in opts]
        if not given and PROBE[0] not in opts:
            problems.append(f"{at}: names no role ({', '.join([*ROLES, PROBE[0]])}): the rig drives nothing of this DUT")
        problems += self._check_probe(target, opts, at)
        for role in given:
            proto_name, _cap, words = ROLES[role]
            value = opts[role]
            if not isinstance(value, str) or not value:
                problems.append(f"{at}.{role}: expected the name of a driver, got {value!r}")
                continue
            driver = named.get(value)
            if driver is None:
                problems.append(f"{at}.{role}: no driver named '{value}' in targets.{name}.drivers "
                                f"(named drivers: {', '.join(sorted(named)) or 'none'}); {role} is {words}")
                continue
            if not isinstance(driver, _protocol(proto_name)):
                protos = [p for p in ("PowerProtocol", "DigitalOutputProtocol", "ResetProtocol") if isinstance(driver, _protocol(p))]
                problems.append(f"{at}.{role}: driver '{value}' is a {type(driver).__name__}"
                                f"{' (' + ', '.join(protos) + ')' if protos else ''}, not a {proto_name}: {role} ({words}) "
                                f"needs a {proto_name} ({EXAMPLES[proto_name]})")
                continue
            if value in used:
                problems.append(f"{at}.{role}: driver '{value}' is also {used[value]}: each role needs its own output")
            used[value] = role
        if ("rate_input_a" in opts) != ("rate_input_b" in opts):
            problems.append(f"{at}: rate_input_a and rate_input_b come together (the rate_inputs capability drives both)")
        problems += self._check_network(target, opts, at)
        if "led_colour" in opts:
            if "led" not in opts:
                problems.append(f"{at}.led_colour: without a led role")
            elif opts["led_colour"] not in LED_COLOURS:
                problems.append(f"{at}.led_colour: {opts['led_colour']!r}: expected {' or '.join(LED_COLOURS)} (the LED the input watches)")
        if "power" in opts:
            safe = opts.get("power_safe")
            if safe is None:
                problems.append(f"{at}.power_safe: missing: the state the supply takes when the run ends or breaks (on or off)")
            elif str(safe).lower() not in ("on", "off") and safe not in (True, False):
                problems.append(f"{at}.power_safe: {safe!r}: expected on or off")
        return problems

    def _check_probe(self, target, opts, at) -> list[str]:
        if PROBE[0] not in opts:
            return ["{at}.probe_max_baud: without a probe role".format(at=at)] if "probe_max_baud" in opts else []
        from labgrid.resource import NetworkSerialPort
        from labgrid.resource.base import SerialPort
        value = opts[PROBE[0]]
        serial = {r.name: r for r in target.resources if isinstance(r, SerialPort) and r.name}
        problems = []
        r = next((r for r in target.resources if r.name == value), None) if isinstance(value, str) else None
        if not isinstance(value, str) or not value:
            problems.append(f"{at}.probe: expected the name of a serial resource, got {value!r}")
        elif r is None:
            problems.append(f"{at}.probe: no resource named '{value}' in targets.{target.name}.resources (named serial "
                            f"resources: {', '.join(sorted(serial)) or 'none'}); probe is {PROBE[2]}, a labgrid "
                            f"RawSerialPort or USBSerialPort with name: {value}")
        elif not isinstance(r, SerialPort) or isinstance(r, NetworkSerialPort):
            problems.append(f"{at}.probe: resource '{value}' is a {type(r).__name__}, not a local serial port: probe "
                            f"({PROBE[2]}) needs a RawSerialPort or USBSerialPort (metercert opens the port itself, 7E1)")
        if "probe_max_baud" in opts and opts["probe_max_baud"] not in PROBE_BAUDS:
            problems.append(f"{at}.probe_max_baud: {opts['probe_max_baud']!r}: expected a mode C rate "
                            f"({', '.join(map(str, PROBE_BAUDS))})")
        return problems

    def _check_network(self, target, opts, at) -> list[str]:
        if "network" not in opts:
            return []
        from labgrid.resource import NetworkService
        value = opts["network"]
        r = next((r for r in target.resources if r.name == value), None) if isinstance(value, str) and value else None
        if r is None:
            named = sorted(r.name for r in target.resources if isinstance(r, NetworkService) and r.name)
            return [f"{at}.network: no resource named {value!r} in targets.{target.name}.resources (named NetworkService "
                    f"resources: {', '.join(named) or 'none'}); network is the module's network service, a labgrid "
                    f"NetworkService with name: {value}"]
        if not isinstance(r, NetworkService):
            return [f"{at}.network: resource '{value}' is a {type(r).__name__}, not a NetworkService (address, port, "
                    f"username: the module's endpoint name)"]
        return []

    def network_resource(self, name):
        """The labgrid NetworkService of target ``name``'s network option, or None without one."""
        value = self._options(name).get("network")
        if value is None:
            return None
        return next((r for r in self.target(name).resources if r.name == value), None)

    def probe_resource(self, name):
        """The labgrid serial resource of target ``name``'s probe role, or None without one."""
        value = self._options(name).get(PROBE[0])
        if value is None:
            return None
        return next((r for r in self.target(name).resources if r.name == value), None)

    def roles(self, name) -> dict:
        """Role → labgrid driver of target ``name``; RigError with every problem when it has any."""
        problems = self.check(name)
        if problems:
            raise RigError(f"{self.path}: " + f"\n{self.path}: ".join(problems))
        opts = self._options(name)
        named = {d.name: d for d in self.target(name).drivers if d.name}
        return {role: named[opts[role]] for role in ROLES if role in opts}

    def power_safe(self, name) -> bool:
        v = self._options(name).get("power_safe")
        return v is True or str(v).lower() == "on"

    def cleanup(self):
        try:
            self.env.cleanup()
        except Exception:
            pass


class Rig:
    """The rig of one DUT (target ``target`` of the rig file; default: its only target, or
    ``main``), switched through labgrid. ``capabilities``: what it offers (``power``,
    ``rate_inputs``, ``button``); ``power``, ``rate_inputs``, ``button``, ``led``: the role objects
    (None without the role). :meth:`operating` and :meth:`safe` set those states; ``log`` is the
    switch log. Raises RigError (the file, a YAML path) for a file that cannot be used."""

    def __init__(self, path, target: str | None = None, log_path=None):
        self.file = RigFile(path)
        if target is None:
            if len(self.file.targets) == 1:
                target = self.file.targets[0]
            elif "main" in self.file.targets:
                target = "main"
            else:
                raise RigError(f"{path}: {len(self.file.targets)} targets ({', '.join(self.file.targets)}): "
                               f"name the DUT's (FILE#TARGET)")
        self.target_name = target
        self.drivers = self.file.roles(target)
        self.safe_power = self.file.power_safe(target)
        self.probe_resource = self.file.probe_resource(target)
        self.capabilities = frozenset([*(ROLES[r][1] for r in self.drivers if ROLES[r][1]),
                                       *([PROBE[1]] if self.probe_resource is not None else [])])
        self.log: list[dict] = []
        self._log_path = pathlib.Path(log_path) if log_path else None
        self._lock = threading.RLock()
        self._state: dict[str, bool | None] = {r: None for r in self.drivers if r != "led"}
        self._why = ""
        self._active = False
        self.power = _Power(self) if "power" in self.drivers else None
        self.rate_inputs = _RateInputs(self) if "rate_input_a" in self.drivers else None
        self.button = _Button(self) if "button" in self.drivers else None
        self.led = _Led(self, self.file._options(target).get("led_colour")) if "led" in self.drivers else None
        self.probe = None
        if self.probe_resource is not None:
            from metercert.rig.probe import OpticalProbe
            self.probe = OpticalProbe(self.probe_resource.port or "", self.file._options(target).get("probe_max_baud"))

    # ---------------------------------------------------------------- switching, logged
    def open(self):
        """Activates the role drivers (opens the boards; labgrid's target.activate)."""
        target = self.file.target(self.target_name)
        for role, d in self.drivers.items():
            try:
                target.activate(d)
            except Exception as e:
                raise RigError(f"{self.file.path}: targets.{self.target_name}.options.{role}: driver '{d.name}' "
                               f"({type(d).__name__}) cannot be activated: {type(e).__name__}: {e}") from e
        self._active = True
        return self

    def close(self):
        self._active = False
        self.file.cleanup()

    def why(self, text: str):
        """What the next switches are for (a case id, "safe state: SIGTERM"): the log's ``why``."""
        self._why = text

    def _switch(self, role: str, on: bool, why: str | None = None):
        d = self.drivers[role]
        with self._lock:
            self._state[role] = None  # unknown until the driver returns: an interrupted switch is redone by safe()
            if role == "power":
                d.on() if on else d.off()
            else:
                d.set(on)
            self._state[role] = on
            event = {"t": _now_iso(), "role": role, "driver": d.name, "class": type(d).__name__,
                     "state": ("on" if on else "off") if role == "power" else on, "why": why or self._why}
            self.log.append(event)
            if self._log_path:
                with open(self._log_path, "a") as f:
                    f.write(json.dumps(event) + "\n")

    def _set_all(self, wanted: dict, why: str, errors: list | None = None):
        for role, on in wanted.items():
            if role in self._state and self._state[role] != on:
                try:
                    self._switch(role, on, why)
                except Exception as e:
                    if errors is None:
                        raise
                    errors.append(f"{role} ({self.drivers[role].name}): {type(e).__name__}: {e}")

    def operating_state(self) -> dict:
        return {"power": True, "rate_input_a": False, "rate_input_b": False, "button": False}

    def safe_state(self) -> dict:
        return {"power": self.safe_power, "rate_input_a": False, "rate_input_b": False, "button": False}

    def operating(self, why: str = "operating state"):
        """Supply on, rate inputs off, button released (only the outputs not there already switch)."""
        self._set_all(self.operating_state(), why)

    def safe(self, why: str = "safe state") -> list[str]:
        """Every output to its safe state, each tried even when another fails: the failures (empty
        when every output is safe)."""
        errors: list[str] = []
        if self._active:
            with self._lock:
                for role in self._state:  # unknown states are switched too
                    if self._state[role] is None:
                        self._state[role] = not self.safe_state()[role]
                self._set_all(self.safe_state(), why, errors)
        return errors

    def dut_url(self) -> str | None:
        """The DUT's URL from the target's labgrid ``RawSerialPort`` resource (``port``, ``speed``:
        the M-Bus line through a level converter; metercert opens the port itself, 8E1 with
        timestamps: labgrid's serial resources carry only port and speed) as
        ``serial://PORT?baud=SPEED``; else from its ``network`` NetworkService: ``lwm2m://ADDRESS:PORT?
        endpoint=USERNAME`` (NoSec); None without either. RigError when the target has several ports."""
        from labgrid.resource import RawSerialPort
        ports = [r for r in self.file.target(self.target_name).resources
                 if isinstance(r, RawSerialPort) and r is not self.probe_resource]  # the probe's port is not the DUT's
        if len(ports) > 1:
            raise RigError(f"{self.file.path}: targets.{self.target_name}.resources: {len(ports)} RawSerialPort resources: "
                           f"which is the DUT's? (give --dut)")
        if ports:
            return f"serial://{ports[0].port}?baud={ports[0].speed}"
        net = self.file.network_resource(self.target_name)
        if net is not None:
            from urllib.parse import quote
            return f"lwm2m://{net.address}:{net.port}?endpoint={quote(net.username, safe=':')}"
        return None

    def describe(self) -> dict:
        """The rig section of the record: file, target, roles (role → driver and class), safe
        state, the switch log."""
        return {"file": self.file.path, "target": self.target_name,
                "roles": {**{r: {"driver": d.name, "class": type(d).__name__} for r, d in self.drivers.items()},
                          **({"probe": {"driver": self.probe_resource.name, "class": type(self.probe_resource).__name__,
                                        "port": self.probe.port}} if self.probe else {})},
                "safe": {"power": "on" if self.safe_power else "off", "rate_inputs": "off", "button": "released"},
                "switches": list(self.log),
                **({"probe_readouts": list(self.probe.log)} if self.probe else {})}


class _Power:
    """``cycle()`` (off, the driver's ``delay`` seconds — labgrid's own cycle time, 1 s when it has
    none — then on), ``on()``, ``off()``: labgrid's PowerProtocol, each edge logged."""

    def __init__(self, rig):
        self._rig = rig

    def on(self):
        self._rig._switch("power", True)

    def off(self):
        self._rig._switch("power", False)

    def cycle(self, off_s: float | None = None):
        d = self._rig.drivers["power"]
        self.off()
        time.sleep(float(getattr(d, "delay", 1.0)) if off_s is None else off_s)
        self.on()


class _RateInputs:
    """``set(a, b)``: the 230 VAC rate inputs A and B (True: 230 VAC applied)."""

    def __init__(self, rig):
        self._rig = rig

    def set(self, a: bool, b: bool):
        self._rig._switch("rate_input_a", bool(a))
        self._rig._switch("rate_input_b", bool(b))


class _Button:
    """``hold(seconds)``: the button closed for that long, then released; ``press()``/``release()``."""

    def __init__(self, rig):
        self._rig = rig

    def press(self):
        self._rig._switch("button", True)

    def release(self):
        self._rig._switch("button", False)

    def hold(self, seconds: float):
        self.press()
        try:
            time.sleep(seconds)
        finally:
            self.release()


class _Led:
    """``lit()``: whether the input watching the LED reads on (read only: nothing is switched or
    logged); ``colour``: the LED it watches (the target's ``led_colour`` option: ``red``, ``green``,
    or None when the file does not say)."""

    def __init__(self, rig, colour=None):
        self._rig = rig
        self.colour = colour

    def lit(self) -> bool:
        return bool(self._rig.drivers["led"].get())


def load(path, target: str | None = None, log_path=None) -> Rig:
    """``path`` as ``FILE`` or ``FILE#TARGET``: the :class:`Rig` of that target (not opened)."""
    path = str(path)
    if "#" in path and target is None:
        path, target = path.rsplit("#", 1)
    return Rig(path, target, log_path)
