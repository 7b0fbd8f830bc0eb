"""Profile cmi1020: the Elvaco CMi1020 M-Bus slave (Elvaco's CMi1020 Users Manual), one file per
manual section. The DUT is one CMi1020 at its factory primary address 0 (§8.2) unless
the DUT URL says otherwise; cases that change settings put them back."""

import pathlib

import pytest

# What this profile certifies and which DUT URLs can be such a DUT (metercert.pytest_plugin).
METERCERT_PROFILE = {"dut_kind": "an M-Bus slave (CMi1020) on a line or behind a transparent gateway",
                     "accepts": ("sim:cmi1020", "serial://", "tcp://", "tcp-listen://"), "identity": "slave"}


@pytest.fixture
def default_dut():
    """Without --dut: one reference CMi1020 (factory settings, the real E350 readout) in process."""
    return "sim:cmi1020"


@pytest.fixture
def meter_readout(request, dut) -> bytes:
    """The meter reference (issue 11: whenever one exists, every value the DUT reports must equal
    it): the current readout of the simulated meter behind a sim: DUT, else the readout the lab
    names with --meter-readout FILE (with or without its IEC 62056-21 framing; lib.py parses
    both). Skipped when there is none."""
    if dut.simulated:
        return dut.meter(0).readout
    path = request.config.getoption("--meter-readout")
    if not path:
        pytest.skip("needs a meter reference: the readout of the DUT's meter (--meter-readout FILE)")
    return pathlib.Path(path).read_bytes()
