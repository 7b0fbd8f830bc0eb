"""Emulated relay boards for CI: each speaks a real board's protocol on loopback and shows its
outputs on *wires* (rigs/README.md "Wires"; rigs/wire.hpp), so that a simulator bound to them
(``metercert simulate cmi1020 --power STATE:OUT --rate-inputs STATE:A,STATE:B``) sees what the
relays do.

``python3 -m metercert.rig.emulated KIND --state FILE [--log FILE] [--lifetime S] [--fault F:OUT[,OUT…]]``

- ``lcus --pty PATH [--channels N]``: a CH340 "LCUS" board (9600 8N1, ``A0 ch state sum``) on a
  pseudo-terminal linked at PATH; outputs "1"…"N". A command whose sum is wrong switches nothing.
- ``modbus --listen HOST:PORT [--coils N]``: a Modbus TCP coil board (python3-pymodbus server,
  unit 1): function 05/15 switch coils "0"…"N-1", 01 reads them.
- ``tasmota --topic NAME``: a Tasmota plug (output "POWER") on a private mosquitto broker the board
  starts (its own config, no persistence, anonymous, loopback only) at a random 127.x.y.z:1883 —
  labgrid's TasmotaPowerDriver always connects to port 1883, so the address, not the port, keeps
  brokers apart. Topics as Tasmota's defaults: ``cmnd/NAME/POWER`` (ON, OFF, TOGGLE, empty: query),
  ``stat/NAME/POWER`` (ON|OFF), ``tele/NAME/LWT`` (Online, retained).
- ``simplerest --listen HOST:PORT [--outputs N]``: an HTTP PDU as labgrid's NetworkPowerDriver
  model ``simplerest`` drives it: ``GET /relay/INDEX/1|0`` switches, ``GET /relay/INDEX`` answers
  1 or 0; outputs "0"…"N-1".

Every board writes its state file at start and after each command (atomically: a temporary
file, then rename), appends each command it received to ``--log`` (JSON lines: UTC time, the
command as received — hex for byte protocols —, the output and its state after it), prints one
readiness line on stdout (``{"board": KIND, "address": …, "state": FILE, "outputs": […]}``) and
ends by itself after ``--lifetime`` seconds (default 300) or at SIGTERM/SIGINT. Initial state:
every output off. Faults (``--fault``, repeatable): ``stuck:OUT`` — a relay that never closes
(its coil is dead: commands are answered, the output stays off); ``welded:OUT`` — a relay whose
contact is welded shut (on from the start, whatever it is told).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import pathlib
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time


def _now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Board:
    """Outputs with their wires: the state file and the command log."""

    def __init__(self, kind: str, outputs: list[str], state: str, log: str | None, stuck: set[str], welded: set[str] = frozenset()):
        self.kind, self.names = kind, outputs
        self.on = {n: n in welded for n in outputs}
        self.changes = {n: 0 for n in outputs}
        self.state_path = pathlib.Path(state)
        self.log_path = pathlib.Path(log) if log else None
        self.stuck = set(stuck) | set(welded)
        self.lock = threading.Lock()
        bad = self.stuck - set(outputs)
        if bad:
            raise SystemExit(f"error: --fault: {','.join(sorted(bad))}: no such output ({', '.join(outputs)})")
        self.write_state()

    def write_state(self):
        doc = {"board": self.kind, "outputs": {n: {"on": self.on[n], "changes": self.changes[n]} for n in self.names}}
        fd, tmp = tempfile.mkstemp(prefix=".wire-", dir=self.state_path.parent)
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f)
        os.replace(tmp, self.state_path)

    def command(self, received: str, output: str | None, on: bool | None, note: str = "") -> None:
        """One command as received: switch ``output`` to ``on`` (None: a query or a bad command)."""
        with self.lock:
            if output is not None and on is not None and output in self.on and output not in self.stuck:
                if self.on[output] != on:
                    self.on[output] = on
                    self.changes[output] += 1
                self.write_state()
            if self.log_path:
                entry = {"t": _now_iso(), "command": received, "output": output, "set": on,
                         "state": self.on.get(output) if output is not None else None}
                if note:
                    entry["note"] = note
                with open(self.log_path, "a") as f:
                    f.write(json.dumps(entry) + "\n")


def ready(board: Board, address) -> None:
    print(json.dumps({"board": board.kind, "address": address, "state": str(board.state_path), "outputs": board.names}),
          flush=True)


# ----------------------------------------------------------------------------------- LCUS
def run_lcus(board: Board, pty_link: str, deadline: float, stop: threading.Event) -> None:
    import termios
    import tty
    master, slave = os.openpty()
    tty.setraw(slave)
    attrs = termios.tcgetattr(slave)
    attrs[4] = attrs[5] = termios.B9600
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    link = pathlib.Path(pty_link)
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(os.ttyname(slave))
    ready(board, str(link))
    buf = b""
    import select
    try:
        while not stop.is_set() and time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.1)
            if not r:
                continue
            try:
                buf += os.read(master, 256)
            except OSError:  # no reader left on the slave side: wait for the next
                time.sleep(0.05)
                continue
            while len(buf) >= 4:
                if buf[0] != 0xA0:
                    skip = buf.find(b"\xa0")
                    board.command(buf[: skip if skip > 0 else len(buf)].hex(" ").upper(), None, None, "not a command: resync at A0")
                    buf = buf[skip:] if skip > 0 else b""
                    continue
                cmd, buf = buf[:4], buf[4:]
                ch, state, s = cmd[1], cmd[2], cmd[3]
                text = cmd.hex(" ").upper()
                if (0xA0 + ch + state) & 0xFF != s:
                    board.command(text, str(ch), None, "bad sum: ignored")
                elif state not in (0, 1):
                    board.command(text, str(ch), None, "state is not 00 or 01: ignored")
                elif str(ch) not in board.on:
                    board.command(text, str(ch), None, "no such channel")
                else:
                    board.command(text, str(ch), state == 1)
    finally:
        link.unlink(missing_ok=True)
        os.close(master)
        os.close(slave)


# ---------------------------------------------------------------------------------- Modbus
def run_modbus(board: Board, listen: str, deadline: float, stop: threading.Event) -> None:
    import asyncio
    from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
    from pymodbus.server.async_io import ModbusTcpServer

    n = len(board.names)

    class Coils(ModbusSequentialDataBlock):
        def setValues(self, address, values):  # noqa: N802 (pymodbus' name)
            values = values if isinstance(values, list) else [values]
            first = address - 1  # pymodbus' slave context adds 1 to the protocol address
            for i, v in enumerate(values):
                out = str(first + i)
                board.command(f"write coil {out} {'ON' if v else 'OFF'}", out if out in board.on else None, bool(v),
                              "" if out in board.on else "no such coil")
            super().setValues(address, [board.on.get(str(first + i), False) for i in range(len(values))])

        def getValues(self, address, count=1):  # noqa: N802
            first = address - 1
            return [board.on.get(str(first + i), False) for i in range(count)]

    host, port = listen.rsplit(":", 1)
    store = ModbusSlaveContext(co=Coils(0, [False] * (n + 1)), di=ModbusSequentialDataBlock(0, [0] * 8),
                               hr=ModbusSequentialDataBlock(0, [0] * 8), ir=ModbusSequentialDataBlock(0, [0] * 8))
    context = ModbusServerContext(slaves={1: store}, single=False)

    async def main():
        server = ModbusTcpServer(context, address=(host, int(port)), allow_reuse_address=True)
        task = asyncio.create_task(server.serve_forever())
        while server.server is None:
            await asyncio.sleep(0.01)
        bound = server.server.sockets[0].getsockname()
        ready(board, f"{bound[0]}:{bound[1]}")
        while not stop.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await server.shutdown()
        task.cancel()

    asyncio.run(main())


# --------------------------------------------------------------------------------- Tasmota
def _free_loopback_1883() -> str:
    for _ in range(50):
        host = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"
        s = socket.socket()
        try:
            s.bind((host, 1883))
            return host
        except OSError:
            continue
        finally:
            s.close()
    raise SystemExit("error: no free loopback address for the broker's port 1883")


def _die_with_parent():
    """In the broker's process before exec: SIGTERM when the board's process ends, however it ends
    (prctl PR_SET_PDEATHSIG): no broker outlives its board."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG = 1


def run_tasmota(board: Board, topic: str, deadline: float, stop: threading.Event) -> None:
    import paho.mqtt.client as mqtt
    host = _free_loopback_1883()
    conf_dir = tempfile.mkdtemp(prefix="metercert-mosquitto-")
    conf = pathlib.Path(conf_dir) / "mosquitto.conf"
    conf.write_text(f"listener 1883 {host}\nallow_anonymous true\npersistence false\nlog_dest stderr\nlog_type error\n")
    broker = subprocess.Popen(["/usr/sbin/mosquitto", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              preexec_fn=_die_with_parent)
    client = mqtt.Client(client_id=f"tasmota-{topic}")
    client.will_set(f"tele/{topic}/LWT", "Offline", retain=True)
    try:
        for _ in range(100):  # the broker is up when it takes a connection
            try:
                client.connect(host, 1883)
                break
            except OSError:
                if broker.poll() is not None:
                    raise SystemExit(f"error: mosquitto ended: {broker.stderr.read().decode(errors='replace')}")
                time.sleep(0.05)
        else:
            raise SystemExit("error: mosquitto did not accept a connection within 5 s")

        def on_message(c, _u, msg):
            payload = msg.payload.decode(errors="replace").strip().upper()
            if payload in ("ON", "1"):
                board.command(f"{msg.topic} {payload}", "POWER", True)
            elif payload in ("OFF", "0"):
                board.command(f"{msg.topic} {payload}", "POWER", False)
            elif payload == "TOGGLE":
                board.command(f"{msg.topic} {payload}", "POWER", not board.on["POWER"])
            else:
                board.command(f"{msg.topic} {payload!r}", "POWER", None, "query" if not payload else "unknown payload")
            c.publish(f"stat/{topic}/POWER", "ON" if board.on["POWER"] else "OFF")

        client.on_message = on_message
        client.subscribe(f"cmnd/{topic}/POWER")
        client.publish(f"tele/{topic}/LWT", "Online", retain=True)
        client.loop_start()
        ready(board, host)
        while not stop.is_set() and time.monotonic() < deadline and broker.poll() is None:
            time.sleep(0.1)
        client.publish(f"tele/{topic}/LWT", "Offline", retain=True)
        client.loop_stop()
        client.disconnect()
    finally:
        broker.terminate()
        try:
            broker.wait(5)
        except subprocess.TimeoutExpired:
            broker.kill()
            broker.wait()
        conf.unlink(missing_ok=True)
        os.rmdir(conf_dir)


# ------------------------------------------------------------------------------ simplerest
def run_simplerest(board: Board, listen: str, deadline: float, stop: threading.Event) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            parts = self.path.strip("/").split("/")
            if len(parts) in (2, 3) and parts[0] == "relay" and parts[1] in board.on:
                if len(parts) == 3 and parts[2] in ("0", "1"):
                    board.command(f"GET {self.path}", parts[1], parts[2] == "1")
                elif len(parts) == 2:
                    board.command(f"GET {self.path}", parts[1], None, "query")
                else:
                    return self._answer(400, "bad value")
                return self._answer(200, "1" if board.on[parts[1]] else "0")
            board.command(f"GET {self.path}", None, None, "no such relay")
            self._answer(404, "no such relay")

        def _answer(self, code, text):
            body = text.encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    host, port = listen.rsplit(":", 1)
    server = ThreadingHTTPServer((host, int(port)), Handler)
    server.timeout = 0.1
    ready(board, f"http://{server.server_address[0]}:{server.server_address[1]}")
    while not stop.is_set() and time.monotonic() < deadline:
        server.handle_request()
    server.server_close()


def _loopback(listen: str) -> str:
    host = listen.rsplit(":", 1)[0]
    if not host.startswith("127.") and host != "localhost":
        raise SystemExit(f"error: --listen {listen}: emulated boards bind loopback only (127.0.0.0/8)")
    return listen


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m metercert.rig.emulated", description=__doc__.split("\n\n")[0])
    ap.add_argument("kind", choices=("lcus", "modbus", "tasmota", "simplerest"))
    ap.add_argument("--state", required=True, help="the board's state file (its wires), replaced atomically")
    ap.add_argument("--log", help="append every command received here (JSON lines)")
    ap.add_argument("--lifetime", type=float, default=300.0, help="end after this many seconds")
    ap.add_argument("--fault", action="append", default=[],
                    help="stuck:OUT[,OUT…] (relays that never close) or welded:OUT[,OUT…] (contacts welded shut)")
    ap.add_argument("--pty", help="lcus: link the board's pseudo-terminal here")
    ap.add_argument("--channels", type=int, default=4, help="lcus: relays 1…N")
    ap.add_argument("--listen", default="127.0.0.1:0", help="modbus, simplerest: HOST:PORT (loopback)")
    ap.add_argument("--coils", type=int, default=4, help="modbus: coils 0…N-1")
    ap.add_argument("--outputs", type=int, default=4, help="simplerest: relays 0…N-1")
    ap.add_argument("--topic", default="plug", help="tasmota: the plug's topic")
    a = ap.parse_args(argv)
    stuck, welded = set(), set()
    for f in a.fault:
        kind, _, outs = f.partition(":")
        if kind not in ("stuck", "welded") or not outs:
            ap.error(f"--fault {f}: expected stuck:OUT[,OUT…] or welded:OUT[,OUT…]")
        (stuck if kind == "stuck" else welded).update(outs.split(","))
    outputs = {"lcus": [str(i) for i in range(1, a.channels + 1)], "modbus": [str(i) for i in range(a.coils)],
               "tasmota": ["POWER"], "simplerest": [str(i) for i in range(a.outputs)]}[a.kind]
    board = Board(a.kind, outputs, a.state, a.log, stuck, welded)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    deadline = time.monotonic() + a.lifetime
    if a.kind == "lcus":
        if not a.pty:
            ap.error("lcus needs --pty PATH")
        run_lcus(board, a.pty, deadline, stop)
    elif a.kind == "modbus":
        run_modbus(board, _loopback(a.listen), deadline, stop)
    elif a.kind == "tasmota":
        run_tasmota(board, a.topic, deadline, stop)
    else:
        run_simplerest(board, _loopback(a.listen), deadline, stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
