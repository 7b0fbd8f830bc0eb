"""CMi6110 §6.2 (the module "will connect to the DM server") — the registration's life (OMA LwM2M
TS 1.1 §6.2.2 Update, §6.2.3 De-register; ETS LightweightM2M-1.1-int-102, int-103): an Update
comes before the lifetime (lt of the Register) ends, and a module that stops De-registers. Times
are the DM server's (real time; the built-in module runs with lifetime_s=8)."""
from metercert.conformance import Mismatch, case

from .network import wait_until

# A real module's lifetime may be a day: the case waits for an Update only up to this long.
MAX_WAIT_S = 120


@case("cmi6110/6.2/int-102", "The module sends a Registration Update (POST /rd/<id>) before the lifetime of its "
      "registration ends (LwM2M TS 1.1 §6.2.2).", needs=("coap.server",))
def test_update_before_the_lifetime_ends(network):
    import pytest
    reg = network.registered()
    lt = reg["lifetime_s"]
    if lt > MAX_WAIT_S:
        pytest.skip(f"the registration's lifetime is {lt} s (> {MAX_WAIT_S} s): set a shorter one (1/x/1) to run this case")
    end_us = reg["registered_at_us"] + lt * 1_000_000
    cur = wait_until(lambda: (lambda r: r if r["updates_at_us"] else None)(network.current()), lt + 0.5)
    cur = cur or network.current()
    updates = [t for t in cur["updates_at_us"] if t <= end_us]
    if not updates:
        raise Mismatch(f"an Update within the lifetime ({lt} s) after the Register", "at least one",
                       f"none (first update {(cur['updates_at_us'][0] - reg['registered_at_us']) / 1e6:.1f} s after the Register)"
                       if cur["updates_at_us"] else "none")


@case("cmi6110/6.2/int-103", "A module that stops (the reference client told to end) sends De-register (DELETE /rd/<id>) "
      "and the DM server ends its registration (LwM2M TS 1.1 §6.2.3).", needs=("coap.server", "sim.cmi6110"))
def test_deregister(own_network):
    reg = own_network.registered()
    if not own_network.deregister():
        raise Mismatch("the reference client's exit after SIGTERM", "within 10 s", "still running")
    gone = wait_until(lambda: any(r["id"] == reg["id"] and r["deregistered"] for r in own_network.servers.registrations()), 3.0)
    if not gone:
        raise Mismatch(f"a De-register of {reg['location']}", "DELETE answered 2.02, the registration ended", "none")
