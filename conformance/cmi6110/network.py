"""The CMi6110's network half (manual §6.2-§6.3; OMA LwM2M TS 1.1 §6.2, §5.4): the suite's LwM2M
servers (metercert._core.Lwm2mServers: DM server, DTLS-PSK or NoSec, every datagram through a UDP
tap) listening where the DUT link's coap.server says (``Connection.lwm2m_listen()``), and for
``sim:cmi6110?network=1`` the reference LwM2M client (``metercert simulate cmi6110 --server …``)
started against them on loopback as a child process, real time. A real module
(``lwm2m://HOST:PORT?endpoint=…``) connects by itself: the suite waits for its Register.

The PSK goes from the link to the servers and to the child's --psk only: never printed, never in
a Mismatch (the child's command line is not shown)."""
from __future__ import annotations

import os
import signal
import subprocess
import time

import metercert
from metercert import _core
from metercert.conformance import Mismatch

# How long the suite waits for the module's Register (a real module: its own retry schedule).
REGISTER_TIMEOUT_S = {True: 15.0, False: 120.0}  # reference client / a module


class Network:
    """One set of servers and (for the reference client) the client process."""

    def __init__(self, conn, mqttsn: bool = False, time_scale: float | None = None, lifetime_s: int | None = None):
        """mqttsn: the servers include the suite's MQTT-SN gateway (uplink.py); time_scale, lifetime_s:
        the reference client's --time-scale and --lifetime (instead of the link's)."""
        self.listen = conn.lwm2m_listen()
        self.time_scale, self.lifetime_s = time_scale, lifetime_s
        l = self.listen
        if l["bootstrap"]:
            # the bootstrap half is the next slice: servers for it exist (Lwm2mServers(bootstrap=True))
            # but no case drives the Bootstrap-Server's sequence yet
            raise Mismatch("lwm2m:// with bootstrap=1", "bootstrap=0 (the DM server; bootstrap cases are not written yet)", 1)
        self.endpoint = l["endpoint"]
        dtls = l["psk_id"] is not None
        self.servers = _core.Lwm2mServers(bootstrap=False, dm=True, dtls=dtls,
                                          psks={l["psk_id"]: l["psk"]} if dtls else None,
                                          address=l["host"], dm_port=l["port"], lifetime_ms=300000.0, mqttsn=mqttsn)
        self.proc = None
        self.stderr_path = None
        self.registration = None
        self.no_register = None  # the Mismatch of a Register that did not come (not waited for again)
        if l["reference_client"]:
            self.start_client()

    def start_client(self):
        l = self.listen
        scheme = "coaps" if l["psk_id"] is not None else "coap"
        args = [metercert.executable(), "simulate", "cmi6110", "--server", f"{scheme}://127.0.0.1:{self.servers.dm_port}",
                "--endpoint", self.endpoint, "--run-seconds", "120"]
        if self.lifetime_s:
            args += ["--lifetime", str(self.lifetime_s)]
        elif l["client_lifetime_s"]:
            args += ["--lifetime", str(l["client_lifetime_s"])]
        if self.time_scale:
            args += ["--time-scale", f"{self.time_scale:g}"]
        if l["client_fault"] != "none":
            args += ["--fault", l["client_fault"]]
        if l["psk_id"] is not None:
            args += ["--psk-id", l["psk_id"], "--psk", l["psk"].hex()]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def registered(self) -> dict:
        """The module's registration (waits for its Register once); Mismatch when none comes."""
        if self.no_register is not None:
            raise self.no_register
        if self.registration is None:
            timeout = REGISTER_TIMEOUT_S[self.proc is not None]
            r = self.servers.wait_registration(self.endpoint, timeout_ms=timeout * 1000.0)
            if r is None:
                self.no_register = Mismatch(f"a Register from endpoint '{self.endpoint}' at the DM server within {timeout:g} s "
                                            "(LwM2M TS 1.1 §6.2.1)", "a registration", "none" + self._client_said())
                raise self.no_register
            self.registration = r
        return self.registration

    def current(self) -> dict:
        """The registration as the DM server holds it now (Updates applied)."""
        reg = self.registered()
        for r in self.servers.registrations():
            if r["id"] == reg["id"]:
                return r
        return reg

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


_SHARED: dict[str, Network] = {}


def shared(conn) -> Network:
    """One Network per DUT URL for the whole run (the read/write cases share one registration)."""
    key = conn.url
    if key not in _SHARED:
        # a module on lwm2m:// has one DM server: it carries the gateway for the uplink cases (uplink.py)
        _SHARED[key] = Network(conn, mqttsn=not conn.lwm2m_listen()["reference_client"])
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
