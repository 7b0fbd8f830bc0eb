"""CMi6110 §6.2 "Upon activation, the device will attempt to connect to its configured bootstrap
server … the module will receive connection credentials … will thereafter connect to the DM server
and perform a DTLS handshake" — the bootstrap half of the network profile (OMA LwM2M TS 1.1 §5.2.7
Bootstrap interface, §6.1 client-initiated bootstrap, §6.2.1 registration; ETS ids
LightweightM2M-1.1-int-0, -1, -4, -6, -7, -401), and §6.3 Table 1's R(W) / (W) resources "Writable
by Bootstrap server".

The link's HOST:PORT is the suite's Bootstrap-Server (``bootstrap=1``; network.py): its sequence is
Bootstrap-Delete "/", Bootstrap-Write of /0/1 (the DM server's URI, Security Mode, a Secret Key drawn
for the run) and Bootstrap-Finish (ERRATA E-127); the module then registers with the DM server
under its DevEUI, the identity it presented to the Bootstrap-Server (Table 1 0/0/3 = 0/1/3, ERRATA
E-125). Every check reads what the suite's servers saw (their exchanges, times and UDP datagrams);
a case that needs a sequence of its own (int-4, int-7) runs its own servers and reference client
(sim.cmi6110). Without bootstrap=1 the cases are skipped with the reason."""
import pytest

from metercert.conformance import Mismatch, case

from .network import DM_SECURITY, Network, wait_until

# How long a module without a DM server account is watched for a Register that must not come (s)
NO_REGISTER_WATCH_S = 2.0
TIMEOUT_MS = 5000.0


def _bootstrapping(network):
    if network.bootstrap_servers is None:
        pytest.skip("the link's HOST:PORT is the DM server (bootstrap=0): the module does not start at the suite's "
                    "Bootstrap-Server")


def _psk(network):
    if network.listen["psk_id"] is None:
        pytest.skip("the link has no psk_id/psk: the module talks NoSec (Table 1 allows both)")


def _steps(network) -> list[dict]:
    """The Bootstrap-Server's requests to the module, in order."""
    return [e for e in network.bootstrap_exchanges() if e["direction"] == "to_client"]


def _requests(network) -> list[dict]:
    """The module's Bootstrap-Requests, in order."""
    return [e for e in network.bootstrap_servers.exchanges() if e["direction"] == "from_client"]


def _registers(network) -> list[dict]:
    """The module's Register requests at the DM server (answered 2.01 or refused), in order."""
    return [e for e in network.servers.exchanges() if e["direction"] == "from_client" and e["operation"] == "register"
            and e["endpoint"] == network.endpoint]


@case("cmi6110/6.2/int-0", "Client-initiated bootstrap: the module's first request to the Bootstrap-Server it was given is "
      "Bootstrap-Request, POST /bs with Uri-Query ep=<its Endpoint Client Name> (§6.2; LwM2M TS 1.1 §5.2.7, §6.1).",
      needs=("coap.server",))
def test_client_initiated_bootstrap(network):
    _bootstrapping(network)
    reqs = wait_until(lambda: _requests(network), 15.0 if network.proc is not None else 120.0)
    if not reqs:
        raise Mismatch("a request from the module at the Bootstrap-Server", "Bootstrap-Request (POST /bs?ep=…)", "none")
    first = reqs[0]
    if (first["method"], first["path"]) != ("POST", "/bs"):
        raise Mismatch("the module's first request to the Bootstrap-Server", "POST /bs", f"{first['method']} {first['path']}")
    eps = [q[3:] for q in first["query"] if q.startswith("ep=")]
    if eps != [network.endpoint]:
        raise Mismatch("the Bootstrap-Request's ep (Uri-Query)", [network.endpoint], eps)


@case("cmi6110/6.2/int-1", "Bootstrap with PSK: the module bootstraps over DTLS-PSK with its identity (0/0/3, the DevEUI), "
      "accepts the Bootstrap-Write of the DM server's Security instance 0/1 (URI, Security Mode 0 PSK, Secret Key) and "
      "then registers with that DM server over DTLS with the written key under its DevEUI (§6.2 'receive connection "
      "credentials'; Table 1 0/1/3; LwM2M TS 1.1 §6.1, Appendix E.1; ERRATA E-125).", needs=("coap.server",))
def test_bootstrap_with_psk(network):
    _bootstrapping(network)
    _psk(network)
    psk_id = network.listen["psk_id"]
    network.registered()
    reqs = _requests(network)
    if not reqs or reqs[0]["psk_identity"] != psk_id:
        raise Mismatch("the DTLS-PSK identity of the Bootstrap-Request", psk_id, reqs[0]["psk_identity"] if reqs else None)
    writes = [e for e in _steps(network) if e["operation"] == "bootstrap-write" and e["path"] == DM_SECURITY]
    if not writes or writes[0]["code"] != "2.04":
        raise Mismatch(f"the answer to the Bootstrap-Write of {DM_SECURITY}", "2.04 Changed",
                       (writes[0]["code"] or writes[0]["status"]) if writes else "no such Write")
    # the DM server knows only the key the Bootstrap-Server wrote: a registration is a handshake with it
    reg = network.registered()
    if reg["psk_identity"] != psk_id:
        raise Mismatch("the DTLS-PSK identity of the Register at the DM server (0/1/3, the DevEUI)", psk_id, reg["psk_identity"])


@case("cmi6110/6.2/int-4", "Bootstrap-Delete: a Bootstrap-Delete of \"/\" after the Write of 0/1 is answered 2.02 Deleted and "
      "removes the DM server account: after Bootstrap-Finish the module does not register with it (LwM2M TS 1.1 §5.2.7; "
      "the Finish answered 4.06 or not, ERRATA E-126).", level="implementation-defined", needs=("coap.server", "sim.cmi6110"))
def test_bootstrap_delete(dut):
    n = Network(dut, delete_after_write="/")
    try:
        _bootstrapping(n)
        if not n.wait_bootstrapped():
            raise Mismatch("the Bootstrap-Server's sequence (Write /0/1, Delete /, Finish)", "ended", "still running")
        dels = [e for e in _steps(n) if e["operation"] == "bootstrap-delete"]
        if not dels or dels[0]["code"] != "2.02":
            raise Mismatch("the answer to Bootstrap-Delete /", "2.02 Deleted", (dels[0]["code"] or dels[0]["status"]) if dels else "none")
        # watched until the reference client gives up (it ends once its Finish is refused) or the time is up
        wait_until(lambda: n.servers.registrations() or (n.proc is not None and n.proc.poll() is not None), NO_REGISTER_WATCH_S)
        reg = n.servers.wait_registration(n.endpoint, timeout_ms=1.0)
        if reg is not None:
            raise Mismatch(f"a Register within {NO_REGISTER_WATCH_S:g} s after the Bootstrap-Finish that follows Delete /",
                           "none (no DM server account is left)", f"Register from {reg['peer']}")
    finally:
        n.close()


@case("cmi6110/6.2/int-6", "Bootstrap sequence: the module answers Bootstrap-Delete 2.02, Bootstrap-Write 2.04 and "
      "Bootstrap-Finish 2.04 in the order the Bootstrap-Server sends them, and registers with the DM server only after "
      "Bootstrap-Finish (LwM2M TS 1.1 §5.2.7, §6.1).", needs=("coap.server",))
def test_bootstrap_sequence(network):
    _bootstrapping(network)
    network.registered()
    steps = _steps(network)
    got = [(e["operation"], e["code"] or e["status"]) for e in steps]
    want = [("bootstrap-delete", "2.02"), ("bootstrap-write", "2.04"), ("bootstrap-finish", "2.04")]
    if got[:3] != want:
        raise Mismatch("the module's answers to the Bootstrap-Server's sequence", want, got)
    finish = steps[2]
    regs = _registers(network)
    first = regs[0] if regs else None
    # after the module's 2.04 to the Finish reached the Bootstrap-Server (one clock: the suite's)
    if first is None or first["at_us"] <= finish["reply_at_us"]:
        raise Mismatch("the first Register after the module answered Bootstrap-Finish", "after the answer",
                       f"{(finish['reply_at_us'] - first['at_us']) / 1000:.0f} ms before it" if first else "none")


@case("cmi6110/6.2/int-7", "Fallback to bootstrap: when the DM server refuses the Register (4.03 Forbidden), the module "
      "bootstraps again (a new Bootstrap-Request) and then registers (LwM2M TS 1.1 §6.2.1; ERRATA E-126).",
      level="implementation-defined", needs=("coap.server", "sim.cmi6110"))
def test_fallback_to_bootstrap(dut):
    n = Network(dut, refuse_registers=1)
    try:
        _bootstrapping(n)
        n.registered()
        regs = wait_until(lambda: (lambda r: r if any(e["code"] == "2.01" for e in r) else None)(_registers(n)), 2.0) or _registers(n)
        if not regs or regs[0]["code"] != "4.03":
            raise Mismatch("the first Register (refused by the DM server)", "answered 4.03", regs[0]["code"] if regs else "none")
        refused = regs[0]["at_us"]
        again = [e for e in _requests(n) if e["at_us"] > refused]
        if not again:
            raise Mismatch("a Bootstrap-Request after the refused Register", "one", "none (the module did not fall back)")
        ok = [e for e in regs if e["code"] == "2.01"]
        if not ok or ok[0]["at_us"] < again[0]["at_us"]:
            raise Mismatch("the accepted Register", "after the new bootstrap", "before it" if ok else "none")
    finally:
        n.close()


def _is_dtls_record(b: bytes) -> bool:
    # RFC 6347 §4.1: ContentType 20-23 (25: RFC 9146 connection id), ProtocolVersion {254, 253} (1.2) or
    # {254, 255} (1.0, allowed in a ClientHello's record); a CoAP message starts 0b01 (RFC 7252 §3)
    return len(b) >= 13 and b[0] in (20, 21, 22, 23, 25) and b[1] == 0xFE and b[2] in (0xFD, 0xFF)


@case("cmi6110/6.2/int-401", "DTLS-PSK: toward a server that was given as PSK (coaps) the module sends only DTLS 1.2 records, "
      "never a NoSec CoAP message, and its handshakes with the identity it was given succeed: the Bootstrap-Server sees "
      "that identity and the DM server accepts its Register (§6.2; LwM2M Transport TS 1.1 §5.2, RFC 4279, RFC 6347).",
      needs=("coap.server",))
def test_dtls_psk(network):
    _psk(network)
    psk_id = network.listen["psk_id"]
    try:
        reg = network.registered()
    except Mismatch as e:
        tried = sum(1 for d in network.servers.datagrams() if d["flow"] == "to_upstream" and _is_dtls_record(bytes(d["bytes"])))
        raise Mismatch(f"a DTLS-PSK handshake with the DM server under the identity '{psk_id}' and a Register over it",
                       "a registration", f"none ({tried} DTLS record(s) from the module reached the DM server"
                       f"{': the handshake failed' if tried else ''})") from e
    if reg["psk_identity"] != psk_id:
        raise Mismatch("the DTLS-PSK identity of the Register", psk_id, reg["psk_identity"])
    sets = [("DM server", network.servers)] + ([("Bootstrap-Server", network.bootstrap_servers)] if network.bootstrap_servers else [])
    for name, s in sets:
        sent = [d for d in s.datagrams() if d["flow"] == "to_upstream"]
        plain = [bytes(d["bytes"][:4]).hex() for d in sent if not _is_dtls_record(bytes(d["bytes"]))]
        if not sent or plain:
            raise Mismatch(f"the module's datagrams to the {name} (coaps)", "DTLS 1.2 records only",
                           f"{len(plain)} of {len(sent)} not DTLS (first bytes {plain[:3]})" if sent else "none")
    if network.bootstrap_servers is not None:
        reqs = _requests(network)
        if not reqs or reqs[0]["psk_identity"] != psk_id:
            raise Mismatch("the DTLS-PSK identity of the Bootstrap-Request", psk_id, reqs[0]["psk_identity"] if reqs else None)


# Table 1: 0/1/0 LWM2M Server URI and 0/1/2 Security Mode are R(W) "Writable by Bootstrap server"
RW_BOOTSTRAP = {"/0/1/0": b"coap://192.0.2.1:5683", "/0/1/2": b"3"}


@case("cmi6110/6.3/4", "Table 1's R(W) resources 0/1/0 (DM Server URI) and 0/1/2 (DM Security Mode), with (W) 0/1/4 the "
      "DM PSK, are written by the Bootstrap-Server (its Write of 0/1 answered 2.04) and refused to the DM server: a "
      "Write from it answers 4.05 Method Not Allowed (LwM2M TS 1.1 §5.4.3) and a value the DM server can read stays "
      "unchanged (ERRATA E-85).", needs=("coap.server",))
def test_bootstrap_writable_resources(network):
    network.registered()
    if network.bootstrap_servers is not None:
        writes = [e for e in _steps(network) if e["operation"] == "bootstrap-write" and e["path"] == DM_SECURITY]
        if not writes or writes[0]["code"] != "2.04":
            raise Mismatch(f"the answer to the Bootstrap-Server's Write of {DM_SECURITY} (R(W) 0/1/0, 0/1/2, (W) key)",
                           "2.04 Changed", (writes[0]["code"] or writes[0]["status"]) if writes else "no such Write")
    for path, value in RW_BOOTSTRAP.items():
        before = network.servers.read(network.endpoint, path, accept=0, timeout_ms=TIMEOUT_MS)
        w = network.servers.write(network.endpoint, path, value, content_format=0, replace=True, timeout_ms=TIMEOUT_MS)
        if w["code"] != "4.05":
            raise Mismatch(f"the answer to the DM server's Write of {path} (R(W): writable by the Bootstrap-Server only)",
                           "4.05 Method Not Allowed", w["code"] or w["status"])
        if before["code"] == "2.05":
            after = network.servers.read(network.endpoint, path, accept=0, timeout_ms=TIMEOUT_MS)
            if after["payload"] != before["payload"]:
                raise Mismatch(f"{path} after the refused Write", bytes(before["payload"]).decode(errors="replace"),
                               bytes(after["payload"]).decode(errors="replace"))
