"""The CMi6110's network half (manual §6.2-§6.4; OMA LwM2M TS 1.1 §6.1, §6.2, §5.4): the suite's LwM2M
servers (metercert._core.Lwm2mServers: DM server, DTLS-PSK or NoSec, every datagram through a UDP
tap) listening where the DUT link's coap.server says (``Connection.lwm2m_listen()``), and for
``sim:cmi6110?network=1`` the reference LwM2M client (``metercert simulate cmi6110 --server …``)
started against them on loopback as a child process, real time. A real module
(``lwm2m://HOST:PORT?endpoint=…``) connects by itself: the suite waits for its Register.

With ``bootstrap=1`` (the link's HOST:PORT is the Bootstrap-Server; the built-in module's default,
conftest.DEFAULT_DUT) the suite runs two server sets: the DM server on a free port and the
Bootstrap-Server on HOST:PORT, whose sequence (``bootstrap_sequence()``: Bootstrap-Delete "/",
Bootstrap-Write of the DM server's Security instance /0/1 — URI, Security Mode, a Secret Key the
suite draws for this run — and Bootstrap-Finish; TS 1.1 §5.2.7, §6.1, ERRATA E-127) hands the module
over to the DM server, where it registers with its DevEUI (the link's psk_id, Table 1 0/0/3 = 0/1/3)
and the written key. The reference client is then ``simulate cmi6110 --bootstrap …``.

The PSKs go from the link to the servers and to the child's --psk only: never printed, never in
a Mismatch (the child's command line is not shown); the DM key drawn here goes only into the
Bootstrap-Write (a DTLS record: encrypted) and to the DM server."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

import metercert
from metercert import _core
from metercert import lwm2m_reader as rd
from metercert.conformance import Mismatch

# How long the suite waits for the module's Register (a real module: its own retry schedule).
REGISTER_TIMEOUT_S = {True: 15.0, False: 120.0}  # reference client / a module

# The DM server's Security instance a Bootstrap-Server writes (CMi6110 §6.3 Table 1: 0/1 "DM
# ServerURI", "DM Security mode", "DM PSK", the resources marked R(W) / (W) "Writable by Bootstrap
# server"; the Secret Key is resource 5, ERRATA E-85)
DM_SECURITY = "/0/1"
URI, SECURITY_MODE, SECRET_KEY = 0, 2, 5
PSK_MODE, NOSEC_MODE = 0, 3  # TS 1.1 Appendix E.1 Security Mode


def tlv_resource(rid: int, value: bytes) -> bytes:
    """One Resource-with-value TLV (TS 1.1 §7.4.3: type bits 7-6 = 11, bit 5 the identifier's
    length, bits 4-3 the length field's size)."""
    t = 0b11000000
    if rid < 256:
        ident = bytes([rid])
    else:
        t |= 0x20
        ident = rid.to_bytes(2, "big")
    n = len(value)
    if n < 8:
        t |= n
        length = b""
    elif n < 256:
        t |= 0x08
        length = bytes([n])
    elif n < 65536:
        t |= 0x10
        length = n.to_bytes(2, "big")
    else:
        t |= 0x18
        length = n.to_bytes(3, "big")
    return bytes([t]) + ident + length + value


def tlv_integer(v: int) -> bytes:
    """TS 1.1 §7.4.3 Integer: two's complement, big endian, 1, 2, 4 or 8 bytes."""
    for n in (1, 2, 4, 8):
        if -(1 << (8 * n - 1)) <= v < (1 << (8 * n - 1)):
            return v.to_bytes(n, "big", signed=True)
    raise ValueError(f"integer {v} does not fit 8 bytes")


def bootstrap_sequence(dm_uri: str, dm_key: bytes | None, delete_after_write: str | None = None) -> list[dict]:
    """The suite's Bootstrap-Server sequence (TS 1.1 §5.2.7, §6.1; ERRATA E-127): Bootstrap-Delete
    of "/", a Bootstrap-Write of /0/1 in TLV with the DM server's URI, Security Mode (0 PSK with
    `dm_key`, else 3 NoSec) and Secret Key, then Bootstrap-Finish. With `delete_after_write` (int-4)
    the Delete of that path comes after the Write instead: the module is left without a DM server."""
    body = tlv_resource(URI, dm_uri.encode()) + tlv_resource(SECURITY_MODE, tlv_integer(PSK_MODE if dm_key else NOSEC_MODE))
    if dm_key:
        body += tlv_resource(SECRET_KEY, dm_key)
    write = {"kind": "write", "path": DM_SECURITY, "content_format": 11542, "payload": body}
    if delete_after_write:
        return [write, {"kind": "delete", "path": delete_after_write}, {"kind": "finish"}]
    return [{"kind": "delete", "path": "/"}, write, {"kind": "finish"}]


def _reachable_host(host: str) -> str:
    """The address to put in the DM server's URI: the link's host, or for a wildcard the address
    this machine would use toward the network (no datagram is sent)."""
    if host not in ("0.0.0.0", "", "::"):
        return host
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.1", 9))  # TEST-NET-1: only the route is looked up
        return s.getsockname()[0]
    except OSError:
        return "127.0.0.1"
    finally:
        s.close()


class Network:
    """One set of servers and (for the reference client) the client process."""

    def __init__(self, conn, refuse_registers: int = 0, delete_after_write: str | None = None,
                 apn_rollback_s: float | None = None, time_scale: float | None = 1.0, mqttsn: bool = False,
                 lifetime_s: int | None = None, nfc_locked: bool | None = None):
        """`refuse_registers`: the DM server answers that many Registers 4.03 (int-7);
        `delete_after_write`: the Bootstrap-Server's sequence deletes that path after its Write
        (int-4; bootstrap_sequence()); `apn_rollback_s`: the reference client's §6.4 rollback
        time (--apn-rollback-s; int-1250); `time_scale`: model seconds per real second of the
        reference client's timers (lifetime, pmin/pmax, its clock); a module connecting by itself
        runs on real time; `mqttsn`: the servers include the suite's MQTT-SN gateway (uplink.py);
        `lifetime_s`: the reference client's --lifetime instead of the link's; `nfc_locked`: the
        reference client locked through its NFC path at start (--nfc-lock, §7.2) or not, None: as the
        link's locked= says."""
        self.listen = conn.lwm2m_listen()
        l = self.listen
        self.time_scale = (time_scale or 1.0) if l["reference_client"] else 1.0
        self.lifetime_s = lifetime_s
        self.endpoint = l["endpoint"]
        self.client_fault = l["client_fault"]
        self.apn_rollback_s = apn_rollback_s
        self.nfc_locked = bool(l.get("locked")) if nfc_locked is None else nfc_locked
        dtls = l["psk_id"] is not None
        self.bootstrap_servers = None
        if l["bootstrap"]:
            # the DM key: drawn for this run, written into 0/1/5 by the Bootstrap-Server; never shown
            self._dm_key = os.urandom(16) if dtls else None
            self.servers = _core.Lwm2mServers(bootstrap=False, dm=True, dtls=dtls,
                                              psks={l["psk_id"]: self._dm_key} if dtls else None,
                                              address=l["host"], dm_port=0, lifetime_ms=300000.0,
                                              refuse_registers=refuse_registers, mqttsn=mqttsn,
                                              mqttsn_port=self.gateway_listen_port(mqttsn))
            self.dm_uri = f"{'coaps' if dtls else 'coap'}://{_reachable_host(l['host'])}:{self.servers.dm_port}"
            self.bootstrap_servers = _core.Lwm2mServers(
                bootstrap=True, dm=False, dtls=dtls, psks={l["psk_id"]: l["psk"]} if dtls else None,
                address=l["host"], bootstrap_port=l["port"], lifetime_ms=300000.0,
                bootstrap_sequence=bootstrap_sequence(self.dm_uri, self._dm_key, delete_after_write))
        else:
            self.servers = _core.Lwm2mServers(bootstrap=False, dm=True, dtls=dtls,
                                              psks={l["psk_id"]: l["psk"]} if dtls else None,
                                              address=l["host"], dm_port=l["port"], lifetime_ms=300000.0,
                                              refuse_registers=refuse_registers, mqttsn=mqttsn,
                                              mqttsn_port=self.gateway_listen_port(mqttsn))
        self.proc = None
        self.stderr_path = None
        self.registration = None
        self.no_register = None  # the Mismatch of a Register that did not come (not waited for again)
        if l["reference_client"]:
            self.start_client()

    def gateway_listen_port(self, mqttsn: bool) -> int:
        """The port the suite's MQTT-SN gateway listens on: lwm2m://…&gateway=GWHOST:GWPORT's GWPORT, else 0
        (a free port)."""
        gw = self.listen.get("gateway")
        return gw[1] if mqttsn and gw else 0

    def gateway_uri(self) -> str | None:
        """What the uplink cases write into 33905/0/0 (ERRATA E-133): "mqttsn://HOST:PORT" with the
        link's gateway= host (else the link's host) and the port the gateway listens on; None when
        the link listens on a wildcard and names no gateway= (no address a module can reach)."""
        gw = self.listen.get("gateway")
        host = gw[0] if gw else self.listen["host"]
        if host in ("0.0.0.0", "::", ""):
            return None
        return f"mqttsn://{host}:{self.servers.mqttsn_port}"

    def start_client(self):
        l = self.listen
        scheme = "coaps" if l["psk_id"] is not None else "coap"
        if self.bootstrap_servers is not None:
            first = ["--bootstrap", f"{scheme}://127.0.0.1:{self.bootstrap_servers.bootstrap_port}"]
            if l["psk_id"] is not None:
                first += ["--dev-eui", l["psk_id"]]  # Table 1: the DM PSK identity 0/1/3 is the DevEUI, as 0/0/3
        else:
            first = ["--server", f"{scheme}://127.0.0.1:{self.servers.dm_port}"]
        args = [metercert.executable(), "simulate", "cmi6110", *first, "--endpoint", self.endpoint, "--run-seconds", "120"]
        if self.lifetime_s:
            args += ["--lifetime", str(self.lifetime_s)]
        elif l["client_lifetime_s"]:
            args += ["--lifetime", str(l["client_lifetime_s"])]
        if self.time_scale != 1.0:
            args += ["--time-scale", f"{self.time_scale:g}"]
        if self.client_fault != "none":
            args += ["--fault", self.client_fault]
        if self.apn_rollback_s is not None:
            args += ["--apn-rollback-s", str(self.apn_rollback_s)]
        if l["psk_id"] is not None:
            args += ["--psk-id", l["psk_id"], "--psk", l["psk"].hex()]
        if self.nfc_locked:
            args += ["--nfc-lock"]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def registered(self) -> dict:
        """The module's registration (waits for its Register once); Mismatch when none comes."""
        if self.no_register is not None:
            raise self.no_register
        if self.registration is None:
            timeout = REGISTER_TIMEOUT_S[self.proc is not None]
            deadline = time.monotonic() + timeout
            r = None
            while r is None and time.monotonic() < deadline:
                r = self.servers.wait_registration(self.endpoint, timeout_ms=250.0)
                if r is None and self.proc is not None and self.proc.poll() is not None:
                    break  # the reference client ended: no Register will come
            if r is None:
                self.no_register = Mismatch(f"a Register from endpoint '{self.endpoint}' at the DM server within {timeout:g} s "
                                            "(LwM2M TS 1.1 §6.2.1)", "a registration", "none" + self._client_said())
                raise self.no_register
            self.registration = r
        return self.registration

    def read_content(self, path: str, accept: int, timeout_ms: float = 5000.0) -> bytes:
        """The payload of a Read of `path` with Accept `accept` (TS 1.1 §5.4.1; Content-Format numbers
        of §7.1); Mismatch unless the module answers 2.05 in that Content-Format."""
        self.registered()
        r = self.servers.read(self.endpoint, path, accept=accept, timeout_ms=timeout_ms)
        if r["code"] != "2.05":
            raise Mismatch(f"Read {path} with Accept {accept}", "2.05 Content", r["code"] or r["status"])
        if r["content_format"] != accept:
            raise Mismatch(f"the Content-Format of the answer to Read {path} with Accept {accept}", accept,
                           r["content_format"] if r["content_format"] is not None else "none (no Content-Format option)")
        return r["payload"]

    def registered_objects(self) -> set[int]:
        """The object ids the module's Register lists (its CoRE Link Format payload, RFC 6690, read by
        metercert.lwm2m_reader); Mismatch when the Register's ep is not the link's endpoint or the
        payload is not link format."""
        reg = self.registered()
        if reg["endpoint"] != self.endpoint:
            raise Mismatch("the Register's ep", self.endpoint, reg["endpoint"])
        try:
            links = rd.read_links(reg["links"])
        except rd.ReaderError as e:
            raise Mismatch("the Register's payload (CoRE Link Format, RFC 6690)", "link format", str(e))
        objects = set()
        for target, _ in links:
            parts = [p for p in target.split("/") if p]
            if parts and parts[0].isdigit():
                objects.add(int(parts[0]))
        return objects

    def current(self) -> dict:
        """The registration as the DM server holds it now (Updates applied)."""
        reg = self.registered()
        for r in self.servers.registrations():
            if r["id"] == reg["id"]:
                return r
        return reg

    def bootstrap_exchanges(self) -> list[dict]:
        """The Bootstrap-Server's exchanges with this endpoint (bootstrap=1), in order."""
        if self.bootstrap_servers is None:
            return []
        return [e for e in self.bootstrap_servers.exchanges() if e["endpoint"] == self.endpoint]

    def wait_bootstrapped(self, timeout_s: float | None = None) -> bool:
        """Waits until the Bootstrap-Server's sequence toward the module has ended."""
        if self.bootstrap_servers is None:
            return False
        timeout = timeout_s if timeout_s is not None else REGISTER_TIMEOUT_S[self.proc is not None]
        return self.bootstrap_servers.wait_bootstrap(self.endpoint, timeout_ms=timeout * 1000.0)

    def _client_said(self) -> str:
        if self.proc is None or self.proc.poll() is None:
            return ""
        err = self.proc.stderr.read().decode(errors="replace").strip().splitlines()
        return f" (the reference client ended, exit {self.proc.returncode}: {err[-1] if err else ''})"

    def deregister(self, timeout_s: float = 10.0) -> bool:
        """The reference client asked to stop (SIGTERM: it De-registers, TS 1.1 §6.2.3); True once
        it has exited."""
        if self.proc is None:
            return False
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return False
        return True

    def close(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.proc.stderr.close()
        self.servers.stop()
        if self.bootstrap_servers is not None:
            self.bootstrap_servers.stop()


_SHARED: dict[str, Network] = {}


def shared(conn, time_scale: float = 1.0) -> Network:
    """One Network per DUT URL (and time scale of the reference client) for the whole run (the
    read/write cases share one registration)."""
    if not conn.lwm2m_listen()["reference_client"]:
        time_scale = 1.0  # a module connecting by itself: one set of servers on its port, real time
    key = conn.url if time_scale == 1.0 else f"{conn.url}#time_scale={time_scale:g}"
    if key not in _SHARED:
        # a module on lwm2m:// has one DM server: it carries the gateway for the uplink cases (uplink.py)
        _SHARED[key] = Network(conn, time_scale=time_scale, mqttsn=not conn.lwm2m_listen()["reference_client"])
    return _SHARED[key]


def close_all():
    while _SHARED:
        _SHARED.popitem()[1].close()


def wait_until(pred, timeout_s: float, step_s: float = 0.1):
    deadline = time.monotonic() + timeout_s
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step_s)
