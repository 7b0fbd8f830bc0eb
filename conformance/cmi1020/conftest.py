"""Profile cmi1020: the Elvaco CMi1020 M-Bus slave (CMi1020 Users Manual, shared/seeds/001_…), one
file per manual section. The DUT is one CMi1020 at its factory primary address 0 (§8.2) unless
the DUT URL says otherwise; cases that change settings put them back."""

import pytest


@pytest.fixture
def default_dut():
    """Without --dut: one reference CMi1020 (factory settings, the real E350 readout) in process."""
    return "sim:cmi1020"
