"""CMi6110 §6.4 "Changing APN via the DM system" (ETS LightweightM2M-1.1-int-1250): "write the APN to
the resource /10/1/1 and set APN mode to manual in /10/1/2 … stage the changes by executing
/33906/0/15. When executed, the device will reset and try to use the new APN. If the device manages
a successful bootstrapping, the new APN will be saved as the default. If a successful bootstrapping
has not happened for some time, the device will roll back to the old APN and reset again."

The suite's DM server writes the staging profile — 11/1/1 and 11/1/2 (ERRATA E-86: Table 1 has no
10/x/1; the manual's literal /10/1/x is tried when 11/1/1 is not found) — and executes 33906/0/15;
the module must reset (de-register, bootstrap, register again: a new registration). First a change
the Bootstrap-Server lets through: the APN in use (4/0/7/0) and the profile in use (11/0/1) are the
new one. Then a change after which the Bootstrap-Server refuses every Bootstrap-Request for longer
than the module's rollback time — the suite's stand-in for an APN that gives no network (ERRATA
E-128): once it answers again the module must be back on the first APN. Values are read as
text/plain (Content-Format 0, TS 1.1 §7.4.1). The reference client's rollback time is set short
(its --apn-rollback-s); a real module's "some time" is unknown, so the case needs sim.cmi6110."""
import pytest

from metercert.conformance import Mismatch, case

from .network import Network, wait_until

GOOD_APN, BAD_APN = "metercert.apn.good", "metercert.apn.unreachable"
ROLLBACK_S = 0.8       # the reference client's rollback time (--apn-rollback-s): it retries every quarter of it
REFUSED_BOOTSTRAPS = 6  # > 1 + ROLLBACK_S / (ROLLBACK_S / 4): the refusals outlast the rollback time
TEXT, TIMEOUT_MS = 0, 5000.0


def _text(n, path):
    r = n.servers.read(n.endpoint, path, accept=TEXT, timeout_ms=TIMEOUT_MS)
    if r["code"] != "2.05":
        return None
    return bytes(r["payload"]).decode("utf-8", errors="replace")


def _stage_and_apply(n, apn, reg) -> dict:
    """Writes the staging profile, executes 33906/0/15, waits for the module's new registration."""
    for profile in ("/11/1", "/10/1"):  # ERRATA E-86; the manual's literal path second
        w = n.servers.write(n.endpoint, f"{profile}/1", apn.encode(), content_format=TEXT, replace=True, timeout_ms=TIMEOUT_MS)
        if w["code"] != "4.04":
            break
    if w["code"] != "2.04":
        raise Mismatch(f"the answer to the Write of the APN to {profile}/1", "2.04 Changed", w["code"] or w["status"])
    w = n.servers.write(n.endpoint, f"{profile}/2", b"0", content_format=TEXT, replace=True, timeout_ms=TIMEOUT_MS)
    if w["code"] != "2.04":
        raise Mismatch(f"the answer to the Write of APN mode manual (false) to {profile}/2", "2.04 Changed", w["code"] or w["status"])
    x = n.servers.execute(n.endpoint, "/33906/0/15", timeout_ms=TIMEOUT_MS)
    if x["code"] != "2.04":
        raise Mismatch("the answer to Execute 33906/0/15 (apply the APN staging profile)", "2.04 Changed", x["code"] or x["status"])

    def new_registration():
        r = n.servers.wait_registration(n.endpoint, timeout_ms=100.0)
        return r if r is not None and r["id"] != reg["id"] else None
    after = wait_until(new_registration, 15.0)
    if after is None:
        raise Mismatch(f"a new registration after Execute 33906/0/15 with APN '{apn}' (the module resets, §6.4)",
                       "a Register", "none within 15 s")
    return after


@case("cmi6110/6.4/int-1250", "APN change through the DM server with rollback: after the APN is written to the staging "
      "profile (11/1/1, APN mode manual 11/1/2) and 33906/0/15 executed, the module resets and registers again; when a "
      "bootstrap succeeds the new APN is the one in use (4/0/7/0) and the default (11/0/1); when none succeeds for longer "
      "than its rollback time it returns to the old APN (§6.4; ERRATA E-86, E-128).", needs=("coap.server", "sim.cmi6110"))
def test_apn_change_and_rollback(dut):
    n = Network(dut, apn_rollback_s=ROLLBACK_S)
    try:
        if n.bootstrap_servers is None:
            pytest.skip("the link's HOST:PORT is the DM server (bootstrap=0): §6.4's rollback follows a failed bootstrap")
        reg = _stage_and_apply(n, GOOD_APN, n.registered())
        for path in ("/4/0/7/0", "/11/0/1"):
            if _text(n, path) != GOOD_APN:
                raise Mismatch(f"{path} after a change the bootstrap let through (\"saved as the default\")", GOOD_APN, _text(n, path))
        start = len(n.bootstrap_servers.exchanges())
        n.bootstrap_servers.refuse_bootstraps(REFUSED_BOOTSTRAPS)
        _stage_and_apply(n, BAD_APN, reg)
        refused = [e for e in n.bootstrap_servers.exchanges()[start:] if e["direction"] == "from_client" and e["code"] == "4.03"]
        if len(refused) < REFUSED_BOOTSTRAPS:
            raise Mismatch("Bootstrap-Requests refused while the new APN was staged", REFUSED_BOOTSTRAPS, len(refused))
        got = _text(n, "/4/0/7/0")
        if got != GOOD_APN:
            raise Mismatch("the APN in use (4/0/7/0) after no bootstrap succeeded with the new one (\"roll back to the old APN\")",
                           GOOD_APN, got)
    finally:
        n.close()
