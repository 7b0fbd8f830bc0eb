"""A suite that cannot fail proves nothing, for the cme3000 profile: small faulty transparent
gateways written here (for what the reference CMe3000's own faults cannot do: its listener serves
one client at a time) in front of `metercert
simulate cmi1020`, each deviating from the CMe3000 manual one way, and `metercert run --profile
cme3000 --dut tcp://GATEWAY` must FAIL (exit 1) with the must case that covers it failed:

- ``hub``: every client is accepted and every reply goes to every client (cross-talk) — case
  cme3000/6.3/5 (must) fails, and 6.3/4 (implementation-defined: the second is closed at once);
- ``idle_3s``: one client at a time, but an idle one is closed after 3 s, not Table 3's 10 s — case
  cme3000/table3/2 (must) fails, and table3/1 (implementation-defined: closed at 10 s);
- ``single`` (control): one client at a time, a second closed at once, no idle timeout — the 6.3
  cases pass."""
import json
import os
import re
import select
import socket
import subprocess
import threading
import time

import pytest

from conftest import BIN, ready_of, tcp_port


class FakeGateway:
    """A transparent TCP ↔ M-Bus gateway over the simulator's raw bus port."""

    def __init__(self, upstream_port: int, mode: str):
        self.upstream_port, self.mode = upstream_port, mode
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.clients: list[socket.socket] = []
        self.lock = threading.Lock()
        self.stopped = False
        self.hub_up = None
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                down, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                busy = bool(self.clients)
                if self.mode != "hub" and busy:  # one client at a time: a second is closed at once
                    down.close()
                    continue
                self.clients.append(down)
            if self.mode == "hub":
                if self.hub_up is None:
                    self.hub_up = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
                    threading.Thread(target=self._hub_replies, daemon=True).start()
                threading.Thread(target=self._hub_requests, args=(down,), daemon=True).start()
            else:
                threading.Thread(target=self._relay, args=(down,), daemon=True).start()

    def _drop(self, s: socket.socket):
        with self.lock:
            if s in self.clients:
                self.clients.remove(s)
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()

    def _hub_requests(self, down):
        try:
            while chunk := down.recv(4096):
                self.hub_up.sendall(chunk)
        except OSError:
            pass
        self._drop(down)

    def _hub_replies(self):
        try:
            while chunk := self.hub_up.recv(4096):
                with self.lock:
                    clients = list(self.clients)
                for c in clients:  # the fault: every client gets every reply
                    try:
                        c.sendall(chunk)
                    except OSError:
                        pass
        except OSError:
            pass

    def _relay(self, down):
        try:
            up = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
        except OSError:
            self._drop(down)
            return
        idle_limit = 3.0 if self.mode == "idle_3s" else None
        last = time.monotonic()
        try:
            while not self.stopped:
                timeout = 0.2 if idle_limit is None else max(0.0, min(0.2, last + idle_limit - time.monotonic()))
                ready, _, _ = select.select([down, up], [], [], timeout)
                if idle_limit is not None and time.monotonic() - last >= idle_limit:
                    break  # the fault: an idle client is closed after 3 s
                for s in ready:
                    chunk = s.recv(4096)
                    if not chunk:
                        raise OSError("closed")
                    (up if s is down else down).sendall(chunk)
                    last = time.monotonic()
        except OSError:
            pass
        self._drop(down)
        up.close()

    def close(self):
        self.stopped = True
        self.listener.close()
        if self.hub_up is not None:
            self.hub_up.close()
        with self.lock:
            for c in self.clients:
                c.close()


def run_gateway(tmp_path, mode: str, select_cases: str):
    sim = subprocess.Popen([os.path.abspath(BIN), "simulate", "cmi1020", "--listen", "tcp://127.0.0.1:0"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    gw = None
    try:
        gw = FakeGateway(tcp_port(ready_of(sim)), mode)
        report = tmp_path / mode
        p = subprocess.run([os.path.abspath(BIN), "run", "--profile", "cme3000", "--dut", f"tcp://127.0.0.1:{gw.port}",
                            "-k", select_cases, "--report", str(report)], capture_output=True, text=True, timeout=120)
        rec = json.loads((report / "record.json").read_text())
        return p.returncode, {c["id"]: c for c in rec["cases"]}, p.stdout + p.stderr
    finally:
        if gw is not None:
            gw.close()
        sim.terminate()
        sim.wait(timeout=10)


CLIENTS = "one_client_at_a_time or no_cross_talk"
IDLE = "not_closed_before_timeout or disconnect_timeout"


@pytest.mark.parametrize("mode, select_cases, must_case, failing", [
    ("hub", CLIENTS, "cme3000/6.3/5", {"cme3000/6.3/4", "cme3000/6.3/5"}),
    ("idle_3s", IDLE, "cme3000/table3/2", {"cme3000/table3/1", "cme3000/table3/2"}),
    ("single", CLIENTS, None, set()),
])
def test_faulty_gateway_fails_its_must_case(tmp_path, mode, select_cases, must_case, failing):
    rc, cases, out = run_gateway(tmp_path, mode, select_cases)
    failed = {i for i, c in cases.items() if c["outcome"] == "failed"}
    assert failed == failing, out
    assert not [i for i, c in cases.items() if c["outcome"] == "error"], out
    if must_case:
        assert cases[must_case]["level"] == "must" and rc == 1, out
    else:
        assert rc != 1, out
