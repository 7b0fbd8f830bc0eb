"""Deviations injected between the suite and a real transport (issue 11, "Bars"): a small TCP proxy
in front of `metercert simulate cmi1020` rewrites the slave's RSP_UD frames to change one thing
each — a meter value, the medium, the manufacturer, the access number — and `metercert run
--profile cmi1020 --dut tcp://PROXY` must FAIL (exit 1) with the must case that covers it failed.
The rewritten bytes come from the manual's layout (CMi1020 §6.7.2.2 byte indexes, Table 5/6 record
layout), not from the codec. A control run through the same proxy without rewriting fails no case."""
import concurrent.futures
import json
import os
import re
import socket
import subprocess
import threading
import time

import pytest

from conftest import BIN, ROOT, ready_of, tcp_port

READOUT = ROOT / "vectors" / "obis" / "lgz-zmf100ac-m26.readout"

# §6.7.2.2: 68 L L 68 | 4 C=08 | 5 A | 6 CI=72 | 7–10 ID | 11–12 manufacturer | 13 generation |
# 14 medium | 15 access number | 16 status | 17–18 signature | 19… records | 0F/1F | CS | 16
MEDIUM, MANUFACTURER, ACCESS, RECORDS = 14, 11, 15, 19

# EN 13757-3 Table 4: data field length by the DIF's low nibble (0x0D: LVAR)
DATA_LENGTH = {0x0: 0, 0x1: 1, 0x2: 2, 0x3: 3, 0x4: 4, 0x5: 4, 0x6: 6, 0x7: 8, 0x8: 0, 0x9: 1, 0xA: 2, 0xB: 3, 0xC: 4, 0xE: 6}


def is_rsp_ud(b: bytearray) -> bool:
    return len(b) >= 21 and b[0] == 0x68 and b[3] == 0x68 and b[4] == 0x08 and b[6] == 0x72


def records(b: bytearray):
    """(DIF offset, DIF+DIFE bytes, VIB bytes, data offset, data length) of each record of an RSP_UD,
    walked by the layout of Tables 5 and 6 (a plain-text VIF 7C/FC is followed by its length and text,
    then by its VIFEs: ERRATA E-3)."""
    i, end = RECORDS, len(b) - 2
    while i < end:
        start = i
        if b[i] in (0x0F, 0x1F):
            return
        if b[i] == 0x2F:
            i += 1
            continue
        while b[i] & 0x80:  # DIF and DIFEs
            i += 1
        i += 1
        dib = bytes(b[start:i])
        vib_start = i
        vif = b[i]
        i += 1
        if vif & 0x7F == 0x7C:
            i += 1 + b[i]
        ext = vif & 0x80
        while ext:
            ext = b[i] & 0x80
            i += 1
        vib = bytes(b[vib_start:i])
        code = dib[0] & 0x0F
        if code == 0xD:
            n = b[i]
            i += 1
        else:
            n = DATA_LENGTH[code]
        yield start, dib, vib, i, n
        i += n


def energy_plus_one_wh(b: bytearray):
    """1.8.0 (Table 6 row 0: DIF 04, VIF 83–86, VIFE 3B) one register unit up: 1 Wh at VIF 0x83, the
    exponent the real E350's three decimals need."""
    for _start, dib, vib, off, n in records(b):
        if dib == b"\x04" and len(vib) == 2 and 0x83 <= vib[0] <= 0x86 and vib[1] == 0x3B and n == 4:
            value = int.from_bytes(b[off:off + 4], "little") + 1
            b[off:off + 4] = value.to_bytes(4, "little")


def medium_water(b: bytearray):
    b[MEDIUM] = 0x07  # EN 13757-3 Table 3: water


def manufacturer_lug(b: bytearray):
    code = (ord("L") - 64) << 10 | (ord("U") - 64) << 5 | (ord("G") - 64)  # EN 13757-3 §5.6: Landis+Gyr, not ELV
    b[MANUFACTURER:MANUFACTURER + 2] = code.to_bytes(2, "little")


def access_number_stuck(b: bytearray):
    b[ACCESS] = 0x5A  # the same access number in every RSP_UD


class RewritingProxy:
    """Loopback TCP proxy: one upstream connection per downstream connection (the simulator takes one
    client at a time); master → slave bytes unchanged, slave → master frames cut out of the stream
    and each RSP_UD passed through `rewrite` (then its checksum fixed)."""

    def __init__(self, upstream_port: int, rewrite=None):
        self.upstream_port, self.rewrite = upstream_port, rewrite
        self.rewritten = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                down, _ = self.listener.accept()
            except OSError:
                return
            try:
                up = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
            except OSError:
                down.close()
                continue
            up.settimeout(None)
            threading.Thread(target=self._pump, args=(down, up, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(up, down, True), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, from_slave: bool):
        buf = bytearray()
        try:
            while True:
                chunk = src.recv(4096)
                if not chunk:
                    break
                if not from_slave:
                    dst.sendall(chunk)
                    continue
                buf += chunk
                out, buf = self._frames(buf)
                if out:
                    dst.sendall(out)
            if buf:
                dst.sendall(bytes(buf))
        except OSError:
            pass
        finally:  # either side gone: close both, so that the simulator frees its client slot at once
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def _frames(self, buf: bytearray) -> tuple[bytes, bytearray]:
        out = bytearray()
        while buf:
            if buf[0] == 0x10:
                size = 5
            elif buf[0] == 0x68 and len(buf) >= 2:
                size = buf[1] + 6
            elif buf[0] == 0x68:
                break
            else:
                size = 1  # E5 or any other byte: as it came
            if len(buf) < size:
                break
            frame, buf = bytearray(buf[:size]), buf[size:]
            if self.rewrite is not None and is_rsp_ud(frame):
                self.rewrite(frame)
                frame[-2] = sum(frame[4:-2]) & 0xFF  # EN 13757-2 checksum: C through the last user data byte
                self.rewritten += 1
            out += frame
        return bytes(out), buf

    def close(self):
        self.stopped = True
        self.listener.close()


def run_through_proxy(tmp_path, name: str, rewrite) -> tuple[int, dict, int, str]:
    """The cmi1020 profile against a fresh simulator behind a rewriting proxy, with the readout its
    meter gives as the meter reference: (exit code, record.json, frames rewritten, output)."""
    sim = subprocess.Popen([os.path.abspath(BIN), "simulate", "cmi1020", "--listen", "tcp://127.0.0.1:0"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proxy = None
    try:
        proxy = RewritingProxy(tcp_port(ready_of(sim)), rewrite)
        time.sleep(2.2)  # the slave's first meter readout (§5.2.1)
        report = tmp_path / name
        p = subprocess.run([os.path.abspath(BIN), "run", "--profile", "cmi1020", "--dut", f"tcp://127.0.0.1:{proxy.port}",
                            "--meter-readout", str(READOUT), "--report", str(report)],
                           capture_output=True, text=True, timeout=170)
        return p.returncode, json.loads((report / "record.json").read_text()), proxy.rewritten, p.stdout + p.stderr
    finally:
        if proxy is not None:
            proxy.close()
        sim.terminate()
        sim.wait(timeout=10)


# deviation → (rewrite, the must case that must fail, every case allowed to fail with it)
DEVIATIONS = {
    "control": (None, None, set()),
    "value": (energy_plus_one_wh, "cmi1020/6.6/1", {"cmi1020/6.6/1", "cmi1020/6.6/4"}),
    "medium": (medium_water, "cmi1020/6.7.2/7", {"cmi1020/6.7.2/7", "cmi1020/6.7.2/6"}),
    "manufacturer": (manufacturer_lug, "cmi1020/6.7.2/2", {"cmi1020/6.7.2/2"}),
    "access_number": (access_number_stuck, "cmi1020/6.7.2/4", {"cmi1020/6.7.2/4"}),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Every deviation's run, side by side (each with its own simulator and proxy): a TCP run spends
    most of its time waiting, so five at once take little longer than one."""
    tmp = tmp_path_factory.mktemp("proxy")
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(DEVIATIONS)) as pool:
        futures = {name: pool.submit(run_through_proxy, tmp, name, rewrite) for name, (rewrite, _, _) in DEVIATIONS.items()}
        return {name: f.result() for name, f in futures.items()}


def test_record_walk_follows_the_manual_layout():
    # a Table 5 record, a plain-text VIF in the CMi1020 layout (FC len text VIFE), then 1.8.0: 04 83 3B
    body = bytes.fromhex("01FD1A54" "02FC05 4854415048 73 0100" "04833B01000000" "0F")
    frame = bytearray(bytes.fromhex("68000068 080072") + bytes(12) + body + b"\x00\x16")
    frame[1] = frame[2] = len(frame) - 6
    walked = [(dib.hex(), vib.hex(), n) for _s, dib, vib, _o, n in records(frame)]
    assert walked == [("01", "fd1a", 1), ("02", "fc05485441504873", 2), ("04", "833b", 4)]
    energy_plus_one_wh(frame)
    assert frame[-7:-3] == b"\x02\x00\x00\x00"


@pytest.mark.parametrize("name", sorted(DEVIATIONS))
def test_deviation_fails_the_run_with_its_must_case(runs, name):
    rc, rec, rewritten, out = runs[name]
    _rewrite, must_case, allowed = DEVIATIONS[name]
    outcomes = {c["id"]: c for c in rec["cases"]}
    failed = {i for i, c in outcomes.items() if c["outcome"] == "failed"}
    errors = {i: c.get("message") for i, c in outcomes.items() if c["outcome"] == "error"}
    assert not errors, errors
    if must_case is None:  # the proxy itself changes nothing a case can see
        assert failed == set(), out
        assert rc != 1 and rec["verdict"] != "FAIL", out
        return
    assert rewritten > 0
    assert rc == 1 and rec["verdict"] == "FAIL", out
    assert must_case in failed and outcomes[must_case]["level"] == "must", out
    assert failed <= allowed, f"{name}: failed {sorted(failed)}"
