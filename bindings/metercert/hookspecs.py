"""Hooks (named pytest_… so that pytest registers a conftest's functions as their implementations) a profile's ``conftest.py`` may implement (metercert.pytest_plugin adds these specs).

Each is called through the hook proxy of the case's own node, so a profile's implementation
applies to that profile's cases only. The generic plugin knows no product: whatever is
device-specific — how the DUT's identity is read, which measurements every exchange yields — is a
profile's hook.
"""
import pytest


@pytest.hookspec(firstresult=True)
def pytest_metercert_identity(target):
    """The DUT's identity as the profile reads it, merged into the record's ``dut`` for the
    profile: e.g. ``{"manufacturer", "id", "version", "medium", "firmware"}`` of an M-Bus slave,
    ``{"slave": {…}}`` for the slave behind a gateway, ``{"model": …}`` for a simulator. Errors are
    evidence, not a verdict: ``{"error": "…"}``. None: nothing to read. ``target`` is the
    :class:`metercert.pytest_plugin.DutTarget` of the profile's first case."""


@pytest.hookspec
def pytest_metercert_measurements(info, frames):
    """Measurements the profile derives from a case's evidence (a list of
    :func:`metercert.conformance.measurement` dicts, appended to the case's own): e.g. every M-Bus
    reply's gap with the EN 13757-2 window at its baud, as a plotted series. ``info`` is the
    case's :class:`metercert.conformance.CaseInfo`, ``frames`` its evidence frames (record.json's
    shape: direction ``to_dut``/``from_dut``, wall_us, hex, baud, …)."""


@pytest.hookspec(firstresult=True)
def pytest_metercert_simulated_rig(target):
    """The rig calls a simulated DUT takes itself, so that the cases that need a rig also run
    against the simulator: ``{capability: maker}`` with capability ``power``, ``rate_inputs`` or
    ``button`` and maker(dut) → the role object of the case's Connection (``power.cycle()``,
    ``rate_inputs.set(a, b)``, ``button.hold(seconds)``: metercert.rig's interface). None: the
    DUT takes none (a real DUT needs ``--rig``). A ``--rig`` file's roles take precedence."""
