"""Issue 12 §2, the simulator host: every simulator's first stdout line is one JSON object naming
where it listens and what it is (the readiness line, rigs/include/metercert/rigs/sim_host.hpp);
`simulate DEVICE --help` lists that device's options only; an option of another device is a
usage error naming whose option it is."""
import json
import os
import re
import socket
import subprocess

import pytest

import metercert

from conftest import BIN, Server

KEY = "00112233445566778899AABBCCDDEEFF"
METER_LIST = ("Position,SecondaryAddress,BaudRate,AddressingMode,PrimaryAddress,EnhancedAddress\n"
              "Cafeteria,13647123,2400,secondary,,\n")


def stdout_rest(server: Server) -> bytes:
    """Stops the simulator; what its stdout said after the readiness line."""
    server.stop()
    return server.proc.stdout.read()


def connectable(port: int):
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass


def test_cmi1020_over_tcp_announces_its_port_and_slaves():
    s = Server("cmi1020", "--listen", "tcp://127.0.0.1:0", "--count", "3", "--secondary", "31000008")
    try:
        r = s.ready
        assert list(r)[:3] == ["event", "schema", "device"]  # what it is comes first
        assert r["event"] == "ready" and r["schema"] == "metercert_ready_v1" and r["device"] == "cmi1020"
        assert len(r["listen"]) == 1 and r["listen"][0]["kind"] == "tcp"
        assert re.fullmatch(r"tcp://127\.0\.0\.1:\d+", r["listen"][0]["url"]) and s.port > 0
        assert r["identity"]["model"] == "CMi1020" and r["identity"]["count"] == 3
        assert [x["secondary"] for x in r["identity"]["slaves"]] == ["31000008", "31000009", "31000010"]
        connectable(s.port)
    finally:
        assert stdout_rest(s) == b""  # exactly one line on stdout
    # the human line stays on stderr, for people
    assert any("listening on tcp://" in l for l in s.lines), s.lines


def test_cmi1020_over_a_pty_announces_its_path(tmp_path):
    pty = tmp_path / "mbus"
    s = Server("cmi1020", "--pty", str(pty))
    try:
        (entry,) = s.ready["listen"]
        assert entry == {"kind": "pty", "path": str(pty), "pts": os.path.realpath(pty)}
        assert s.path == str(pty) and s.port is None
        os.close(os.open(pty, os.O_RDWR | os.O_NOCTTY))  # a line a master can open
    finally:
        assert stdout_rest(s) == b""


def test_cme3000_announces_its_port_and_what_it_fronts(tmp_path):
    s = Server("cme3000", "--listen", "tcp://127.0.0.1:0", "--bus", "sim:cmi1020?count=2")
    try:
        r = s.ready
        assert r["device"] == "cme3000" and r["listen"][0]["kind"] == "tcp" and s.port > 0
        assert r["identity"]["model"] == "CMe3000" and r["identity"]["disconnect_timeout_s"] == 10
        assert r["identity"]["fronts"]["kind"] == "bus" and r["identity"]["fronts"]["url"] == "sim:cmi1020?count=2"
        connectable(s.port)
    finally:
        assert stdout_rest(s) == b""


def test_cme3000_in_front_of_a_pty_names_the_serial_line(tmp_path):
    pty = tmp_path / "mbus"
    slaves = Server("cmi1020", "--pty", str(pty))
    gw = Server("cme3000", "--listen", "tcp://127.0.0.1:0", "--serial", str(pty))
    try:
        assert gw.ready["identity"]["fronts"] == {"kind": "serial", "path": str(pty), "baud": 2400}
    finally:
        gw.stop()
        slaves.stop()


def test_cme3100_announces_its_virtual_mbus_port_and_no_key(tmp_path):
    ml, keys = tmp_path / "meters.csv", tmp_path / "keys.csv"
    ml.write_text(METER_LIST)
    keys.write_text(f"address,key,manufacturer,device type,version\n13647123,{KEY},ELV,-1,-1\n")
    s = Server("cme3100", "--listen", "tcp://127.0.0.1:0", "--bus", "sim:cmi1020", "--meter-list", str(ml),
               "--keys", str(keys))
    try:
        r = s.ready
        assert r["device"] == "cme3100" and r["listen"][0]["kind"] == "tcp" and s.port > 0
        assert r["identity"]["model"] == "CMe3100" and r["identity"]["meters"] == 1 and r["identity"]["fault"] == "none"
        text = json.dumps(r)
        assert KEY not in text and KEY.lower() not in text  # never a key in the line
        connectable(s.port)
    finally:
        assert stdout_rest(s) == b""


def test_a_usage_error_prints_no_readiness_line():
    p = subprocess.run([BIN, "simulate", "cmi1020", "--listen", "tcp://127.0.0.1:99999"], capture_output=True,
                       text=True, timeout=20)
    assert p.returncode == 2 and p.stdout == "", p.stdout


def test_metercert_simulator_gives_the_readiness_line(tmp_path):
    with metercert.Simulator("sim:cme3000") as sim:
        assert sim.ready["device"] == "cme3000"
        assert sim.ready["listen"][0]["url"] == sim.url
    assert metercert.ready_line("metercert simulate: listening on tcp://127.0.0.1:1") is None
    assert metercert.ready_line('{"event": "ready", "device": "x", "listen": []}')["device"] == "x"


# ------------------------------------------------------------------ each device's own options

def help_options(device: str) -> set:
    p = subprocess.run([BIN, "simulate", device, "--help"], capture_output=True, text=True, timeout=20)
    assert p.returncode == 0, p.stderr
    return set(re.findall(r"^\s+(?:-\w,)?(--[a-z-]+)", p.stdout, re.M)) - {"--help"}


DEVICES = ("cmi1020", "cme3000", "cme3100")


@pytest.mark.parametrize("device", DEVICES)
def test_every_option_of_another_device_is_a_usage_error_naming_its_owner(device):
    own = help_options(device)
    others = {d: help_options(d) - own for d in DEVICES if d != device}
    assert any(others.values())
    for owner, options in others.items():
        for option in sorted(options):
            p = subprocess.run([BIN, "simulate", device, "--listen", "tcp://127.0.0.1:0", option, "x"],
                               capture_output=True, text=True, timeout=20)
            assert p.returncode == 2 and p.stdout == "", (option, p.stdout, p.stderr)
            (line,) = p.stderr.splitlines()
            assert line.startswith("error: ") and option in line and owner in line, line


def test_help_of_each_device_differs_and_lists_its_own_options_only():
    shown = {d: help_options(d) for d in DEVICES}
    assert "--meter-list" in shown["cme3100"] and "--meter-list" not in shown["cmi1020"] | shown["cme3000"]
    assert "--pty" in shown["cmi1020"] and "--pty" not in shown["cme3000"] | shown["cme3100"]
    assert "--stats" in shown["cme3000"] and "--stats" not in shown["cmi1020"] | shown["cme3100"]
    assert "--meter-fault" in shown["cmi1020"] and "--fault" in shown["cme3100"] and "--fault" not in shown["cmi1020"]
