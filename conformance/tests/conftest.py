"""Shared helpers for the CLI and simulator tests: the metercert binary and a simulator process."""
import os
import pathlib
import select
import signal
import socket
import subprocess
import time

import metercert

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("METERCERT_BIN", str(ROOT / "build" / "metercert"))


# The files that take longest (real-time holds of the rigs' relays, every profile against every
# fault): run first, so that `ci/test`'s processes (pytest -n 3 --dist loadfile) do not end on one
# of them while the others idle. The rest keep their order.
LONGEST_FIRST = ("test_faults.py", "test_rig.py", "test_rig_cmi6110.py", "test_run.py", "test_rig_probe.py",
                 "test_proxy.py", "test_rig_led.py", "test_cmi6110_network.py", "test_simulate_cmi6110_lwm2m.py")


def pytest_collection_modifyitems(session, config, items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the others keep their order


def free_udp_port() -> int:
    """A UDP port free on 127.0.0.1 right now (bound and released; the caller binds it soon after)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_udp_bound(port: int, timeout_s: float = 120.0, proc=None) -> bool:
    """True once a UDP socket is bound to `port` on this machine (/proc/net/udp, udp6: the local
    address's port in hex; nothing is bound or sent here), so that a module is switched on after
    the suite listens however long the run takes to start on a loaded machine. False after
    `timeout_s`, or once `proc` (a Popen) has ended."""
    deadline = time.monotonic() + timeout_s
    want = f":{port:04X}"
    while time.monotonic() < deadline and (proc is None or proc.poll() is None):
        for table in ("/proc/net/udp", "/proc/net/udp6"):
            try:
                with open(table) as f:
                    if any(line.split()[1].endswith(want) for line in list(f)[1:]):
                        return True
            except OSError:
                pass
        time.sleep(0.1)
    return False

def stop_process(proc, timeout: float = 10.0) -> tuple:
    """SIGTERM to a Popen started with pipes, SIGKILL if it has not ended after `timeout` s; its
    (stdout, stderr)."""
    proc.terminate()
    try:
        return proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()

def checksum(b: bytes) -> int:
    """EN 13757-2 link checksum: the sum of the bytes from C to the last user data byte, mod 256."""
    return sum(b) & 0xFF


def wmbus_crc16(data) -> int:
    """EN 13757-4 CRC (wireless M-Bus blocks): polynomial 0x3D65, initial 0, result complemented."""
    c = 0
    for b in data:
        c ^= b << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x3D65) & 0xFFFF if c & 0x8000 else (c << 1) & 0xFFFF
    return c ^ 0xFFFF


def long_frame(body: bytes, cs_delta: int = 0) -> bytes:
    """68 L L 68 <body> CS 16 with body = C A CI data (L = len(body)); cs_delta spoils the checksum."""
    return bytes([0x68, len(body), len(body), 0x68]) + body + bytes([(checksum(body) + cs_delta) & 0xFF, 0x16])


def ready_of(proc, timeout=20) -> dict:
    """The readiness line of a `metercert simulate` process started with stdout=PIPE: its first
    stdout line, one JSON object (metercert.ready_line: device, listen, identity). Read with a
    deadline: a simulator that does not start fails the test instead of hanging it."""
    r, _, _ = select.select([proc.stdout], [], [], timeout)
    if not r:
        proc.kill()
        raise AssertionError(f"simulate not ready after {timeout} s")
    line = proc.stdout.readline()
    ready = metercert.ready_line(line)
    assert ready, f"the first stdout line is not a readiness line: {line!r}"
    return ready


def tcp_port(ready: dict):
    """The port of the first TCP listener a readiness line names (None without one)."""
    urls = [l["url"] for l in ready["listen"] if l["kind"] == "tcp"]
    return int(urls[0].rsplit(":", 1)[1]) if urls else None


class Server:
    """`metercert simulate DEVICE ARGS…`, ready once its readiness line (the first line of its
    stdout, one JSON object) came, read with a deadline. `ready`: that line as a dict; `port`: the
    port of its TCP listener (None without one); `path`: its pty's path (None without one);
    `lines`: the stderr lines it said before it was ready."""

    def __init__(self, device: str, *args, timeout=20, exe=None):
        # unbuffered bytes: lines are split here, so select() never misses lines a buffer holds
        self.proc = subprocess.Popen([exe or BIN, "simulate", device, *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, bufsize=0)
        self.lines = []
        self._pending = b""
        out = b""
        streams = [self.proc.stdout, self.proc.stderr]
        deadline = time.monotonic() + timeout
        while b"\n" not in out:
            left = deadline - time.monotonic()
            r, _, _ = select.select(streams, [], [], max(left, 0))
            if not r:
                self.proc.kill()
                raise AssertionError(f"simulate {device} not ready after {timeout} s: {self.lines}")
            if self.proc.stderr in r and not self._read_stderr():
                streams.remove(self.proc.stderr)
            if self.proc.stdout in r:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    self.proc.wait(timeout=10)
                    while self._read_stderr():
                        pass
                    raise AssertionError(f"simulate {device} exited ({self.proc.returncode}): "
                                         f"{self.lines + [self._pending.decode(errors='replace')]}")
                out += chunk
        # what it said on stderr before it was ready is in the pipe already
        while select.select([self.proc.stderr], [], [], 0)[0] and self._read_stderr():
            pass
        line = out.split(b"\n", 1)[0].decode(errors="replace")
        self.ready = metercert.ready_line(line)
        assert self.ready, f"simulate {device}: the first stdout line is not a readiness line: {line!r}"
        self.port = tcp_port(self.ready)
        paths = [l["path"] for l in self.ready["listen"] if l["kind"] == "pty"]
        self.path = paths[0] if paths else None

    def _read_stderr(self) -> bool:
        chunk = os.read(self.proc.stderr.fileno(), 4096)
        self._pending += chunk
        while b"\n" in self._pending:
            line, self._pending = self._pending.split(b"\n", 1)
            self.lines.append(line.decode(errors="replace") + "\n")
        return bool(chunk)

    def stop(self, sig=signal.SIGTERM):
        """Stops the simulator; returns (exit code, the rest of its stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait(timeout=10)
        rest = self._pending + self.proc.stderr.read()
        self._pending = b""
        return rc, rest.decode(errors="replace")


def recv_until(sock, complete, wait=1.0) -> bytes:
    """Bytes from `sock` until complete(data) or `wait` seconds; b"" when the peer closed first."""
    data = b""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        r, _, _ = select.select([sock], [], [], 0.02)
        if r:
            try:
                chunk = sock.recv(4096)
            except ConnectionResetError:  # closed with our bytes unread: RST instead of FIN
                break
            if not chunk:
                break
            data += chunk
            if complete(data):
                break
    return data


def frame_complete(data: bytes) -> bool:
    if data[:1] == b"\xe5":
        return True
    return len(data) >= 6 and data[0] == 0x68 and len(data) >= data[1] + 6


class Sim:
    def __init__(self, *args):
        self.proc = subprocess.Popen([BIN, "simulate", "cmi1020", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.ready = ready_of(self.proc)
        self.port = tcp_port(self.ready)
        self.sock = None

    def connect(self):
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        return self

    def exchange(self, frame: bytes, expect_reply=True, wait=0.5) -> bytes:
        self.sock.sendall(frame)
        data = b""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            r, _, _ = select.select([self.sock], [], [], 0.05)
            if r:
                chunk = self.sock.recv(4096)
                if not chunk:
                    break
                data += chunk
                if expect_reply and self._complete(data):
                    break
        return data

    @staticmethod
    def _complete(data):
        if data[:1] == b"\xe5":
            return True
        return len(data) >= 6 and data[0] == 0x68 and len(data) >= data[1] + 6

    def stop(self, sig=signal.SIGTERM):
        if self.sock:
            self.sock.close()
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=10)
        err = self.proc.stderr.read()
        return rc, err


