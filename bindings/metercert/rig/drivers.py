"""metercert's own labgrid resources and drivers, for relay boards labgrid 0.4.1 (Debian
``python3-labgrid``) lacks or cannot run here. A rig file loads them with ``imports:
[metercert.rig.drivers]`` (labgrid imports the module, whose classes register themselves with
``labgrid.target_factory``).

- ``LcusRelayPort`` (resource: ``port``, the board's serial device; ``channels``) and
  ``LcusRelayDriver`` (``channel`` 1…channels, ``invert``; labgrid's ``DigitalOutputProtocol``):
  the CH340 "LCUS" USB relay boards, 9600 baud 8N1, one 4-byte command per switch: ``A0 ch state
  sum`` with state 01 on / 00 off and sum = (0xA0 + ch + state) mod 256 (``A0 01 01 A2`` relay 1
  on, ``A0 01 00 A1`` off; the boards' public protocol sheet, metercert NOTES "Relay boards"). The
  boards answer nothing: ``get()`` is the state last set.
- ``ModbusCoilBoard`` (resource: ``host`` and ``port`` (default 502) for Modbus TCP, or
  ``device`` and ``baudrate`` for Modbus RTU; ``unit``, the slave id) and ``ModbusRelayDriver``
  (``coil``, 0-based address; ``invert``; ``DigitalOutputProtocol``): relay boards whose relays
  are Modbus coils — function 05 (write single coil) to switch, 01 (read coils) to read back
  (Modbus Application Protocol v1.1b3 §6.1, §6.5) — through Debian's ``python3-pymodbus`` (labgrid's
  own ModbusCoilDriver needs pyModbusTCP, which Debian does not ship).

A relay's output is *on* when its contact closes (the supply or the 230 VAC reaches the device);
``invert: true`` is for a normally closed contact (on when the coil is released). ``settle`` (s,
default 0.05) is the time ``set()`` waits after a switch: a relay's operate and bounce time.
"""
from __future__ import annotations

import threading
import time

import attr
from labgrid.driver.common import Driver
from labgrid.factory import target_factory
from labgrid.protocol import DigitalOutputProtocol
from labgrid.resource.common import Resource
from labgrid.step import step

LCUS_BAUD = 9600


def lcus_command(channel: int, on: bool) -> bytes:
    """The 4 bytes that switch LCUS relay ``channel`` (1…255): A0 ch state sum."""
    if not 1 <= channel <= 255:
        raise ValueError(f"LCUS channel {channel}: expected 1…255")
    state = 1 if on else 0
    return bytes([0xA0, channel, state, (0xA0 + channel + state) & 0xFF])


def _positive_int(name):
    def check(_inst, _attr, value):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name}: expected a non-negative integer, got {value!r}")
    return check


def _int(value):
    """An integer as YAML gives it, or as a string (a !template value): "502" → 502."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


@target_factory.reg_resource
@attr.s(eq=False)
class LcusRelayPort(Resource):
    """A CH340 "LCUS" relay board on a serial device (``port``: /dev/ttyUSB0, a pty) with
    ``channels`` relays (1, 2, 4 or 8 on the boards sold; any 1…255 accepted)."""
    port = attr.ib(validator=attr.validators.instance_of(str))
    channels = attr.ib(default=4, converter=_int, validator=_positive_int("channels"))


class _SharedSerial:
    """One open serial device per path, shared by the drivers of its relays (refcounted)."""
    _lock = threading.Lock()
    _open: dict[str, list] = {}

    @classmethod
    def acquire(cls, path: str):
        import serial  # python3-serial
        with cls._lock:
            entry = cls._open.get(path)
            if entry is None:
                entry = cls._open[path] = [serial.Serial(path, LCUS_BAUD, bytesize=8, parity="N", stopbits=1, timeout=0.2), 0]
            entry[1] += 1
            return entry[0]

    @classmethod
    def release(cls, path: str):
        with cls._lock:
            entry = cls._open.get(path)
            if entry is None:
                return
            entry[1] -= 1
            if entry[1] <= 0:
                entry[0].close()
                del cls._open[path]


@target_factory.reg_driver
@attr.s(eq=False)
class LcusRelayDriver(Driver, DigitalOutputProtocol):
    """One relay of an LCUS board (``channel`` 1…channels) as labgrid's DigitalOutputProtocol."""
    bindings = {"board": "LcusRelayPort"}
    channel = attr.ib(default=1, converter=_int, validator=_positive_int("channel"))
    invert = attr.ib(default=False, validator=attr.validators.instance_of(bool))
    settle = attr.ib(default=0.05, validator=attr.validators.instance_of(float))

    def __attrs_post_init__(self):
        super().__attrs_post_init__()
        self._serial = None
        self._state = None

    def on_activate(self):
        if not 1 <= self.channel <= self.board.channels:
            raise ValueError(f"LcusRelayDriver {self.name}: channel {self.channel} is not one of the board's 1…{self.board.channels}")
        self._serial = _SharedSerial.acquire(self.board.port)

    def on_deactivate(self):
        if self._serial is not None:
            _SharedSerial.release(self.board.port)
            self._serial = None

    @Driver.check_active
    @step(args=["status"])
    def set(self, status):
        self._serial.write(lcus_command(self.channel, bool(status) != self.invert))
        self._serial.flush()
        time.sleep(self.settle)
        self._state = bool(status)

    @Driver.check_active
    @step(result=True)
    def get(self):
        """The state last set (the boards answer nothing); False before the first set()."""
        return bool(self._state)


@target_factory.reg_resource
@attr.s(eq=False)
class ModbusCoilBoard(Resource):
    """A relay board whose relays are Modbus coils: Modbus TCP at ``host``:``port``, or Modbus RTU
    on the serial ``device`` at ``baudrate`` (8N1); ``unit`` is its slave id (1…247)."""
    host = attr.ib(default="", validator=attr.validators.instance_of(str))
    port = attr.ib(default=502, converter=_int, validator=_positive_int("port"))
    device = attr.ib(default="", validator=attr.validators.instance_of(str))
    baudrate = attr.ib(default=9600, converter=_int, validator=_positive_int("baudrate"))
    unit = attr.ib(default=1, converter=_int, validator=_positive_int("unit"))

    def __attrs_post_init__(self):
        super().__attrs_post_init__()
        if bool(self.host) == bool(self.device):
            raise ValueError("ModbusCoilBoard: give host (Modbus TCP) or device (Modbus RTU), not both or neither")


class ModbusRelayError(Exception):
    """A coil board that does not answer or refuses a request (the Modbus exception code, if any)."""


@target_factory.reg_driver
@attr.s(eq=False)
class ModbusRelayDriver(Driver, DigitalOutputProtocol):
    """One coil (0-based ``coil`` address) of a ModbusCoilBoard as labgrid's DigitalOutputProtocol:
    set() writes it (function 05) and reads it back (function 01); get() reads it."""
    bindings = {"board": "ModbusCoilBoard"}
    coil = attr.ib(default=0, converter=_int, validator=_positive_int("coil"))
    invert = attr.ib(default=False, validator=attr.validators.instance_of(bool))
    settle = attr.ib(default=0.05, validator=attr.validators.instance_of(float))

    def __attrs_post_init__(self):
        super().__attrs_post_init__()
        self._client = None

    def on_activate(self):
        if self.board.host:
            from pymodbus.client import ModbusTcpClient
            self._client = ModbusTcpClient(self.board.host, port=self.board.port, timeout=2)
        else:
            from pymodbus.client import ModbusSerialClient
            self._client = ModbusSerialClient(port=self.board.device, baudrate=self.board.baudrate, timeout=2)
        if not self._client.connect():
            where = f"{self.board.host}:{self.board.port}" if self.board.host else self.board.device
            raise ModbusRelayError(f"ModbusRelayDriver {self.name}: cannot connect to the coil board at {where}")

    def on_deactivate(self):
        if self._client is not None:
            self._client.close()
            self._client = None

    def _check(self, response, what):
        if response is None or response.isError():
            raise ModbusRelayError(f"ModbusRelayDriver {self.name}: {what} coil {self.coil}: {response}")
        return response

    @Driver.check_active
    @step(args=["status"])
    def set(self, status):
        self._check(self._client.write_coil(self.coil, bool(status) != self.invert, slave=self.board.unit), "write")
        time.sleep(self.settle)

    @Driver.check_active
    @step(result=True)
    def get(self):
        r = self._check(self._client.read_coils(self.coil, 1, slave=self.board.unit), "read")
        return bool(r.bits[0]) != self.invert
