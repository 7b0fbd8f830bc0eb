"""CMi6110 §6.2 (the module "will connect to the DM server") — a registration the DM server no longer
has (OMA LwM2M TS 1.1 §6.2.2 Update: an Update to a location the server does not know is answered
4.04 Not Found, and the client then Registers again; OMA ETS LightweightM2M-1.1-int-105 "Discarded
Register Update"). The suite's DM server discards the module's registration
(``Lwm2mServers.discard``; once the trigger has been seen to work on the live registration), the
Registration Update Trigger 1/1/8 (Table 1, ERRATA E-130) makes the
module send an Update, which is answered 4.04; a new Register with the same endpoint name and the same
objects must follow, and the new registration must work (a Read of the Device object's Manufacturer
3/0/0). The built-in module gets its own servers and reference client (its registration ends
here); a module on lwm2m:// uses the shared servers, whose registration is the new one afterwards.
Times are the DM server's (real time)."""
import time

from metercert import lwm2m_reader as rd
from metercert.conformance import Mismatch, case

TEXT = 0
UPDATE_TRIGGER = "/1/1/8"   # Table 1 (ERRATA E-130)
MANUFACTURER = "/3/0/0"     # Table 1 3/0/0 Manufacturer, "Elvaco" (§6.3)
TIMEOUT_MS = 5000.0
UPDATE_WAIT_S = 2.0         # the Update after Execute 1/1/8 (int-104 allows 1 s)
REGISTER_WAIT_S = 5.0       # the new Register after the 4.04 (a module may first close its DTLS session)


def _objects(links_text: str) -> set[str]:
    """The object (instance) targets of a Register payload, read independently (RFC 6690)."""
    try:
        links = rd.read_links(links_text)
    except rd.ReaderError as e:
        raise Mismatch("the Register's payload (CoRE Link Format, RFC 6690)", "link format", str(e))
    out = set()
    for target, _ in links:
        parts = [p for p in target.split("/") if p]
        if parts and parts[0].isdigit():
            out.add("/" + "/".join(parts))
    return out


def _wait(pred, timeout_s):
    deadline = time.monotonic() + timeout_s
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(0.02)


@case("cmi6110/6.2/int-105", "Discarded Register Update: when the DM server no longer has the module's registration, the "
      "module's Update (here triggered by Execute 1/1/8) is answered 4.04 Not Found, and the module Registers again with "
      "the same endpoint name and objects; the new registration answers a Read of 3/0/0 (LwM2M TS 1.1 §6.2.2; OMA ETS "
      "LightweightM2M-1.1-int-105).", needs=("coap.server",))
def test_register_again_after_discarded_update(dut):
    from .network import Network, shared
    if dut.lwm2m_listen()["reference_client"]:
        net = Network(dut)
        try:
            _discarded_update(net)
        finally:
            net.close()
    else:
        net = shared(dut)
        try:
            _discarded_update(net)
        finally:
            # the shared registration is the live one now (a module that did not Register again has none)
            net.registration = None
            net.no_register = None


def _discarded_update(net):
    servers, ep = net.servers, net.endpoint
    first = net.registered()
    old_objects = _objects(first["links"])

    def old():
        return next(x for x in servers.registrations() if x["id"] == first["id"])
    # the trigger first on the live registration (answered 2.04, its Update 2.04): a module without
    # it is not left with a discarded registration (the shared one serves the later cases)
    seen = len(old()["updates_at_us"])
    r = servers.execute(ep, UPDATE_TRIGGER, timeout_ms=TIMEOUT_MS)
    if r["code"] != "2.04":
        raise Mismatch(f"the answer to Execute {UPDATE_TRIGGER} (Table 1 E)", "2.04 Changed", r["code"] or r["status"])
    if not _wait(lambda: len(old()["updates_at_us"]) > seen, UPDATE_WAIT_S):
        raise Mismatch(f"an Update of {first['location']} within {UPDATE_WAIT_S:g} s of Execute {UPDATE_TRIGGER} "
                       "(LwM2M TS 1.1 §5.4.5, §6.2.2)", "an Update", "none")
    if not servers.discard(ep):
        raise Mismatch(f"the registration of '{ep}' to discard", "live", "none")
    r = servers.execute(ep, UPDATE_TRIGGER, timeout_ms=TIMEOUT_MS)
    if r["code"] != "2.04":
        raise Mismatch(f"the answer to Execute {UPDATE_TRIGGER} after the discard (Table 1 E)", "2.04 Changed",
                       r["code"] or r["status"])
    if not _wait(lambda: old()["refused_updates_at_us"], UPDATE_WAIT_S):
        raise Mismatch(f"an Update of {first['location']} within {UPDATE_WAIT_S:g} s of Execute {UPDATE_TRIGGER} "
                       "(answered 4.04 Not Found: the registration was discarded)", "an Update", "none")
    refused_at = old()["refused_updates_at_us"][0]
    refused = [x for x in servers.exchanges() if x["operation"] == "update" and x["path"] == first["location"]
               and x["at_us"] == refused_at]
    if not refused or refused[0]["code"] != "4.04":
        raise Mismatch("the DM server's answer to the Update of the discarded registration", "4.04",
                       refused[0]["code"] if refused else "none recorded")

    def new_reg():
        return next((x for x in servers.registrations() if x["endpoint"] == ep and x["registered_at_us"] > refused_at), None)
    again = _wait(new_reg, REGISTER_WAIT_S)
    if again is None:
        later = len(old()["refused_updates_at_us"]) - 1
        raise Mismatch(f"a Register (POST /rd, ep={ep}) within {REGISTER_WAIT_S:g} s of the 4.04 to its Update "
                       "(LwM2M TS 1.1 §6.2.2)", "a new registration",
                       "none" + (f"; {later} more Update(s) to the discarded location" if later else ""))
    new_objects = _objects(again["links"])
    if new_objects != old_objects:
        raise Mismatch("the objects of the new Register", sorted(old_objects),
                       f"{sorted(new_objects)} (missing {sorted(old_objects - new_objects)}, extra {sorted(new_objects - old_objects)})")
    rd_ = servers.read(ep, MANUFACTURER, accept=TEXT, timeout_ms=TIMEOUT_MS)
    if rd_["code"] != "2.05":
        raise Mismatch(f"Read {MANUFACTURER} on the new registration {again['location']}", "2.05 Content", rd_["code"] or rd_["status"])
    got = bytes(rd_["payload"]).decode(errors="replace")
    if got != "Elvaco":
        raise Mismatch(f"{MANUFACTURER} Manufacturer read on the new registration (§6.3 Table 1)", "Elvaco", got)
