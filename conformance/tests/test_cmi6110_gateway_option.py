"""lwm2m://…&gateway=GWHOST:GWPORT (rigs/links/lwm2m.cpp; ERRATA E-133): a link listening on 0.0.0.0
cannot name the address a module reaches the suite's MQTT-SN gateway at, so the uplink cases skip;
with gateway= the suite writes "mqttsn://GWHOST:GWPORT" into 33905/0/0 and the gateway listens on
GWPORT. Here a module the suite does not start (the reference client, `simulate cmi6110 --server
coap://127.0.0.1:PORT`, NoSec, its timers × 240) registers with the suite, and
the uplink case 7.5/10 (Execute 33906/0/10 → CONNECT, REGISTER, PUBLISH QoS 1 at the gateway) runs
and passes with the address gateway= names. Loopback only (a wildcard listener is not started
here), bounded times."""
import json
import subprocess
import time

import pytest

import metercert
from conftest import BIN, free_udp_port, stop_process, wait_udp_bound


def test_gateway_parameter_parsed_and_checked():
    c = metercert.connect("lwm2m://0.0.0.0:0?endpoint=m1&gateway=192.0.2.7:1884")
    try:
        assert c.lwm2m_listen()["gateway"] == ("192.0.2.7", 1884)
    finally:
        c.close()
    c = metercert.connect("lwm2m://0.0.0.0:0?endpoint=m1&gateway=[2001:db8::7]:0")
    try:
        assert c.lwm2m_listen()["gateway"] == ("[2001:db8::7]", 0)
    finally:
        c.close()
    c = metercert.connect("lwm2m://127.0.0.1:0?endpoint=m1")
    try:
        assert c.lwm2m_listen()["gateway"] is None
    finally:
        c.close()
    for bad, says in (("192.0.2.7", "not HOST:PORT"), ("192.0.2.7:65536", "port"), ("192.0.2.7:x", "port"),
                      ("2001:db8::7:1884", "brackets"), ("0.0.0.0:1884", "wildcard"), (":1884", "not HOST:PORT")):
        with pytest.raises(Exception) as e:
            metercert.connect(f"lwm2m://0.0.0.0:0?endpoint=m1&gateway={bad}")
        assert "gateway=" in str(e.value) and says in str(e.value), str(e.value)
    r = subprocess.run([BIN, "run", "--help"], capture_output=True, text=True)
    assert "gateway=" in r.stdout  # the link's help names the option


def test_uplink_case_writes_the_gateway_option(tmp_path):
    """The suite listens on loopback (tests bind nothing else) with gateway=127.0.0.1:GWPORT: the
    gateway listens on GWPORT, the module is told "mqttsn://127.0.0.1:GWPORT" in 33905/0/0 (its event
    log names the gateway it switches to) and the uplink case passes."""
    port, gw_port = free_udp_port(), free_udp_port()
    while gw_port == port:
        gw_port = free_udp_port()
    url = f"lwm2m://127.0.0.1:{port}?endpoint=gw-module-1&gateway=127.0.0.1:{gw_port}"
    run = subprocess.Popen([BIN, "run", "--profile", "cmi6110", "--dut", url, "--report", str(tmp_path / "r"),
                            "-k", "test_connect_register_publish_qos1"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert wait_udp_bound(port, 30), "the suite did not listen within 30 s"  # the module is switched on once it does
    time.sleep(0.2)
    module = subprocess.Popen([BIN, "simulate", "cmi6110", "--server", f"coap://127.0.0.1:{port}", "--endpoint", "gw-module-1",
                               "--time-scale", "240", "--run-seconds", "40"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        out, err = run.communicate(timeout=90)
    finally:
        _, m_err = stop_process(module)
    rec = json.loads((tmp_path / "r" / "record.json").read_text())
    by = {c["id"]: c for c in rec["cases"]}
    assert by["cmi6110/7.5/10"]["outcome"] == "passed", (by["cmi6110/7.5/10"], err[-2000:], m_err[-2000:])
    assert "/33905/0/0 -> 2.04" in m_err  # the module took the Write of the gateway's address …
    assert f"uplinks: MQTT-SN to mqttsn://127.0.0.1:{gw_port} " in m_err, m_err[-2000:]  # … which was gateway='s
