"""Helpers of the cme3000 profile: raw TCP clients of the gateway and its statistics."""
from __future__ import annotations

import json
import socket
import time
import urllib.parse


def address(url: str) -> tuple[str, int]:
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port


def client(url: str, timeout: float = 5.0) -> socket.socket:
    return socket.create_connection(address(url), timeout=timeout)


def gateway_time_scale(target) -> float:
    """Gateway seconds per real second: the reference simulator's time_scale (sim:cme3000?time_scale=N
    runs Table 3's disconnect timer N× faster), 1 for a real gateway."""
    return float(target.extra.get("time_scale", 1.0))


def fresh_client(dut, url: str) -> socket.socket:
    """Close the case's own connection, give the gateway time to see it go, and connect anew."""
    dut.close()
    time.sleep(0.4)
    return client(url)


def closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the peer closed the connection (EOF or reset), None if still open after `seconds`."""
    start = time.monotonic()
    sock.settimeout(seconds)
    try:
        data = sock.recv(1)
    except socket.timeout:
        return None
    except ConnectionResetError:
        data = b""
    return time.monotonic() - start if data == b"" else None


def statistics(target) -> dict:
    """The reference gateway's Figure 6 / Figure 9 counters (its --stats file); waits for the
    gateway to write the latest state (it saves at most every 200 ms)."""
    time.sleep(0.5)
    return json.loads(target.extra["stats"].read_text())


def received(sock: socket.socket, seconds: float) -> bytes:
    """The bytes the peer sent within `seconds` (b"" when none, or when it closed or reset)."""
    data = b""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            chunk = sock.recv(256)
        except socket.timeout:
            break
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data
