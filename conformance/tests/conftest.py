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


