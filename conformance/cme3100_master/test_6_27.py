"""CMe3100 §6.27 — Virtual M-Bus: the meters the gateway read are served on its TCP port as M-Bus
slaves selected by secondary address, with the values the meters gave (the E350 readout's 1.8.0
of 061561.289 kWh arrives as 61561289 Wh; CMi1020 Table 6), multi-telegram as read (§6.25.3)."""
import pytest

import metercert
from metercert.conformance import case, expect


@pytest.fixture
def gateway(start_gateway):
    return start_gateway("sim:cmi1020?count=3&secondary=27182810", "--search")


@case("cme3100-master/6.27/1", "Each installed meter answers through Virtual M-Bus by selection with its ID and its meter's values.",
      needs=("sim.cme3100",))
def test_virtual_meters_serve_values(gateway):
    m = metercert.Master(metercert.connect(gateway.url), response_timeout_ms=1000)
    for i in range(3):
        ident = f"{27182810 + i}"
        expect(m.select(ident + "FFFFFFFF"), "ack", f"selection of {ident} on the Virtual M-Bus")
        d = metercert.decode(m.req_ud2(253))
        expect(d.get("header", {}).get("id"), ident, "header ID of the virtual meter")
        energy = [r.get("value") for r in d.get("records", []) if r.get("dif") == "04" and r.get("vif") == "833B"]
        expect(energy, ["61561289"], "1.8.0 import energy, Wh (E350 readout 061561.289 kWh)")


@case("cme3100-master/6.27/2", "A selection of an ID the gateway did not install gets no answer on the Virtual M-Bus.",
      needs=("sim.cme3100",))
def test_unknown_meter_silent(gateway):
    m = metercert.Master(metercert.connect(gateway.url), response_timeout_ms=500)
    expect(m.select("11111111FFFFFFFF"), "none", "selection of an ID not installed")
