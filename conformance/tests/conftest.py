"""Shared helpers for the CLI and simulator tests: the metercert binary and a simulator process."""
import os
import pathlib
import re
import select
import signal
import socket
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("METERCERT_BIN", str(ROOT / "build" / "metercert"))


def checksum(b: bytes) -> int:
    """EN 13757-2 link checksum: the sum of the bytes from C to the last user data byte, mod 256."""
    return sum(b) & 0xFF


def long_frame(body: bytes, cs_delta: int = 0) -> bytes:
    """68 L L 68 <body> CS 16 with body = C A CI data (L = len(body)); cs_delta spoils the checksum."""
    return bytes([0x68, len(body), len(body), 0x68]) + body + bytes([(checksum(body) + cs_delta) & 0xFF, 0x16])


class Server:
    """`metercert simulate DEVICE ARGS…`, ready once a stderr line matches `ready` (read with a
    deadline: a simulator that does not start fails the test instead of hanging it). `lines`:
    the stderr lines read so far; `port`: group 1 of the match as an int when it has one."""

    def __init__(self, device: str, *args, ready=r"tcp://[\d.]+:(\d+)", timeout=20, exe=None):
        # unbuffered bytes: lines are split here, so select() never misses lines a buffer holds
        self.proc = subprocess.Popen([exe or BIN, "simulate", device, *args], stderr=subprocess.PIPE, bufsize=0)
        self.lines = []
        self._pending = b""
        deadline = time.monotonic() + timeout
        self.match = None
        while self.match is None:
            while b"\n" not in self._pending:
                left = deadline - time.monotonic()
                r, _, _ = select.select([self.proc.stderr], [], [], max(left, 0))
                if not r:
                    self.proc.kill()
                    raise AssertionError(f"simulate {device} not ready after {timeout} s: {self.lines}")
                chunk = os.read(self.proc.stderr.fileno(), 4096)
                if not chunk:
                    self.proc.wait(timeout=10)
                    raise AssertionError(f"simulate {device} exited ({self.proc.returncode}): "
                                         f"{self.lines + [self._pending.decode(errors='replace')]}")
                self._pending += chunk
            line, self._pending = self._pending.split(b"\n", 1)
            self.lines.append(line.decode(errors="replace") + "\n")
            self.match = re.search(ready, self.lines[-1])
        group = self.match.group(1) if self.match.groups() else None
        self.port = int(group) if group and group.isdigit() else None

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
        self.proc = subprocess.Popen([BIN, "simulate", "cmi1020", *args], stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        m = re.search(r"listening on (tcp://[\d.]+:(\d+)|pty (\S+))", line)
        assert m, line
        self.port = int(m.group(2)) if m.group(2) else None
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


