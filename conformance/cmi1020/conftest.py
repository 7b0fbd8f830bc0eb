"""Profile cmi1020: the Elvaco CMi1020 M-Bus slave (Elvaco's CMi1020 Users Manual), one file per
manual section. The DUT is one CMi1020 at its factory primary address 0 (§8.2) unless
the DUT URL says otherwise; cases that change settings put them back.

What is the CMi1020's own, here rather than in the generic plugin: its identity (an M-Bus slave
says it in its RSP_UD), the meter model and the meter reference of the built-in simulator
(sim.cmi1020), and the EN 13757-2 reply window every reply is measured against."""

import pathlib

import pytest

from metercert import mbus_link
from metercert.conformance import measurement

# What this profile certifies and which DUT URLs can be such a DUT (metercert.pytest_plugin).
METERCERT_PROFILE = {"dut_kind": "an M-Bus slave (CMi1020) on a line or behind a transparent gateway",
                     "accepts": ("sim:cmi1020", "serial://", "tcp://", "tcp-listen://")}


@pytest.fixture
def default_dut():
    """Without --dut: one reference CMi1020 (factory settings, the real E350 readout) in process."""
    return "sim:cmi1020"


def pytest_metercert_identity(target):
    """The CMi1020 is the M-Bus slave at the DUT URL: its identity is what it answers."""
    return mbus_link.slave_identity(target.url)


# EN 13757-2: a slave starts its reply no earlier than 11 bit times and no later than 330 bit
# times + 50 ms after the end of the request's last character; a character is 11 bits (start,
# 8 data, even parity, stop). At 2400 baud: 4.583 … 187.5 ms.
REPLY_WINDOW_BASIS = "EN 13757-2: 11 bit times … 330 bit times + 50 ms after the request"


def reply_window_ms(baud: int) -> tuple[float, float]:
    bit_ms = 1000.0 / baud
    return 11 * bit_ms, 330 * bit_ms + 50


def pytest_metercert_measurements(info, frames):
    """Every reply on a line with its rate (a request to the DUT directly followed by the DUT's
    reply, both with a baud: the simulated bus or a UART, not TCP), as one point of the series
    'M-Bus reply gap at B baud' with the EN 13757-2 window at B: the report plots each reply
    against both limits per baud. gap = reply start − request start − the request's time on the
    line."""
    out = []
    for i in range(1, len(frames)):
        req, rsp = frames[i - 1], frames[i]
        baud = req.get("baud") or 0
        if req.get("direction") != "to_dut" or rsp.get("direction") != "from_dut" or baud <= 0 or not rsp.get("baud"):
            continue
        gap = (rsp["wall_us"] - req["wall_us"]) / 1000.0 - len(bytes.fromhex(req["hex"])) * 11 * 1000.0 / baud
        low, high = reply_window_ms(baud)
        out.append(measurement("reply gap", gap, "ms", low, high, series=f"M-Bus reply gap at {baud} baud", frame=i + 1,
                               basis=REPLY_WINDOW_BASIS))
    return out


class _SimPower:
    """The built-in simulator's supply (sim.cmi1020): cycle() is slave 0's power cycle (RAM lost,
    EEPROM kept; §5.1) — what a rig's power.cycle() does to a real module."""

    def __init__(self, dut):
        self._dut = dut

    def cycle(self):
        self._dut.power_cycle(0)


class _SimRateInputs:
    """The built-in simulator's 230 VAC rate inputs A/B of slave 0 (§4.2.1)."""

    def __init__(self, dut):
        self._dut = dut

    def set(self, a: bool, b: bool):
        self._dut.set_rate_inputs(0, bool(a), bool(b))


class _SimButton:
    """The built-in simulator's push button of slave 0 (§5.3, §5.4), on the simulated clock:
    ``hold(seconds)`` is press, ``dut.idle`` for that long (the slave lives through it), release."""

    def __init__(self, dut):
        self._dut = dut

    def press(self):
        self._dut.set_button(0, True)

    def release(self):
        self._dut.set_button(0, False)

    def hold(self, seconds: float):
        self.press()
        try:
            self._dut.idle(seconds * 1000.0)
        finally:
            self.release()


class _SimProbe:
    """The built-in simulator's meter read as an optical probe reads it (meter.probe): slave 0's E350
    model's readout at this moment of the bus's simulated clock, through the reference parser
    (metercert.rig.probe.parse) — what a rig's probe (metercert.rig.probe.OpticalProbe) returns."""

    def __init__(self, dut):
        self._dut = dut

    def read(self):
        from metercert.rig.probe import parse
        meter = self._dut.meter(0)
        meter.advance_to(self._dut.now_ms())  # the meter as it is now (its load's energy: sim:cmi1020?load=W)
        return parse(meter.readout, "sim:cmi1020 meter 0")


def pytest_metercert_simulated_rig(target):
    """The in-process simulator (sim.cmi1020) takes the rig's power cycle, rate inputs, push button
    and meter probe itself, so those cases also run in the default run, on the simulated clock; a
    real module (or `simulate cmi1020` on a line) needs --rig (its --power/--rate-inputs/--button
    wires, its --probe-pty)."""
    if "sim.cmi1020" in target.capabilities:
        return {"power": _SimPower, "rate_inputs": _SimRateInputs, "button": _SimButton, "meter.probe": _SimProbe}
    return None


@pytest.fixture
def meter(dut):
    """The E350 model behind simulated slave 0 (sim.cmi1020: the built-in simulator only)."""
    if "sim.cmi1020" not in dut.capabilities:
        pytest.skip("needs sim.cmi1020: the meter model of the built-in CMi1020 simulator")
    return dut.meter(0)


@pytest.fixture
def meter_readout(request, dut) -> bytes:
    """The meter reference (issue 11: whenever one exists, every value the DUT reports must equal
    it): the current readout of the simulated meter behind a sim.cmi1020 DUT, else the readout the
    lab names with --meter-readout FILE (with or without its IEC 62056-21 framing; lib.py parses
    both). Skipped when there is none."""
    if "sim.cmi1020" in dut.capabilities:
        return dut.meter(0).readout
    path = request.config.getoption("--meter-readout")
    if not path:
        pytest.skip("needs a meter reference: the readout of the DUT's meter (--meter-readout FILE)")
    return pathlib.Path(path).read_bytes()
