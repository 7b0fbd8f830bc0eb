"""Interoperability with third-party LwM2M stacks from npm (ci/interop: package.json and its lock,
installed by ci/setup with `npm ci`; README "Certifying a generic LwM2M client"):

- a generic LwM2M 1.0 client that is not a CMi6110 (coap-node 0.2.5 through ci/interop/
  generic_client.js: its own Device object 3/0 "Example Metering Ltd" / "generic-lwm2m-1.0" and
  Connectivity Monitoring 4/0, no Elvaco objects) registers with `metercert run --profile cmi6110
  --dut lwm2m://…` (NoSec). It passes the generic LwM2M cases (lwm2m/int-101, lwm2m/int-201,
  lwm2m/int-203, 6.2/int-102 Update, 6.3/1 Write to a read-only resource) and fails the
  CMi6110-specific ones with the objects and values it lacks named. The expectation is what
  coap-node's source implements (lib/components/reqHandler.js: text/plain, TLV 11542 and JSON
  11543, 4.05 for a Write to a resource smartobject marks R; lib/init.js: objects 3 and 4 only;
  helper.lfUpdate: an Update before the lifetime ends; no SenML-JSON 110: node-coap answers an
  unknown Accept with 5.00, ERRATA E-141);
- a third-party LwM2M server (Telefonica's lwm2m-node-lib 1.4.0 through ci/interop/
  lwm2m_server.js) accepts the reference client's Register (`metercert simulate cmi6110 --server
  coap://…`) and reads 3/0/0 "Elvaco" and 3/0/1 "CMi6110" (CMi6110 manual §6.3 Table 1).

Both need node and the npm packages: without them (the npm registry unreachable when ci/setup
ran) the tests are skipped with that reason. Loopback only; every process has a deadline."""
import json
import shutil
import subprocess

import pytest

from conftest import BIN, ROOT, free_udp_port, wait_udp_bound

INTEROP = ROOT / "ci" / "interop"
NODE = shutil.which("node")


def _need(package: str):
    if NODE is None:
        pytest.skip("node is not installed (ci/setup installs nodejs and npm from Debian)")
    if not (INTEROP / "node_modules" / package / "package.json").is_file():
        pytest.skip(f"ci/interop/node_modules/{package} is missing: ci/setup runs `npm ci` in ci/interop "
                    "(it said why it could not: the npm registry unreachable?)")


GENERIC_PASS = {"cmi6110/lwm2m/int-101", "cmi6110/lwm2m/int-201", "cmi6110/lwm2m/int-203", "cmi6110/6.2/int-102",
                "cmi6110/6.3/1"}
CMI6110_ONLY = {"cmi6110/6.3/int-101", "cmi6110/6.3/int-201", "cmi6110/6.3/int-203", "cmi6110/6.3/int-204",
                # the cases on the CMi6110's own objects and numbering: Table 1's DM account in Server
                # instance 1 (1/1/8, 1/1/1; ERRATA E-130), 0/1/0 R(W), 3/0/13 as its clock, the Elvaco objects
                # 33905/33906/33910 (the coap-node client answers 4.04 for each)
                "cmi6110/6.3/int-104", "cmi6110/6.3/int-205", "cmi6110/6.3/int-215", "cmi6110/6.3/int-222",
                "cmi6110/6.3/int-260", "cmi6110/6.3/int-301", "cmi6110/6.3/int-302", "cmi6110/6.3/2", "cmi6110/6.3/3",
                "cmi6110/6.3/4", "cmi6110/7.3.1/3", "cmi6110/7.5/3",
                # the MQTT-SN uplinks: the gateway is named through 33905/0/0 (ERRATA E-133)
                "cmi6110/6.3/10", "cmi6110/6.3/11", "cmi6110/6.3/12", "cmi6110/7.3.4/10", "cmi6110/7.3.4/11",
                "cmi6110/7.5/10",
                # the LwM2M Send of the meter data (33906/0/48, ERRATA E-151) and the §7.3.4 backlog (E-152):
                # their set-up names the gateway through 33905/0/0 too
                "cmi6110/6.2/int-306", "cmi6110/7.3.4/12",
                # the every-row cases of Tables 1 and 2 (ERRATA E-159), the response times 33910/0/4-6 (6.3/13-14),
                # a time sync written to 3/0/13 (7.3.2/5), a resent Notification after 33906/0/30 is set (7.5/5),
                # MQTT-SN over DTLS through 33905/0/2, /5 (7.5/11)
                "cmi6110/6.3/20", "cmi6110/6.3/21", "cmi6110/6.3/13", "cmi6110/6.3/14", "cmi6110/7.3.2/5",
                "cmi6110/7.5/5", "cmi6110/7.5/11",
                # a discarded registration (int-105) is made to Update through Table 1's 1/1/8; the connection
                # config 33905/0/10 (7.5/12) is an Elvaco resource and its set-up names the gateway in 33905/0/0
                "cmi6110/6.2/int-105", "cmi6110/7.5/12",
                # §7.2: the lock state in 33906/0/5 (7.2/2-3 are skipped on lwm2m:// without locked=1)
                "cmi6110/7.2/1"}


def test_a_generic_lwm2m_client_passes_the_generic_cases_and_fails_the_cmi6110_ones(tmp_path):
    _need("coap-node")
    port = free_udp_port()
    url = f"lwm2m://127.0.0.1:{port}?endpoint=generic-lwm2m-7"
    run = subprocess.Popen([BIN, "run", "--profile", "cmi6110", "--dut", url, "--report", str(tmp_path / "r")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_udp_bound(port, proc=run)  # the client is switched on once the suite listens (a loaded machine: seconds)
        client = subprocess.Popen([NODE, str(INTEROP / "generic_client.js"), "--server", f"coap://127.0.0.1:{port}",
                                   "--endpoint", "generic-lwm2m-7", "--lifetime", "8", "--run-seconds", "240"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        out, err = run.communicate(timeout=300)
        client.terminate()  # it De-registers (the suite is gone by now: not judged)
        _, client_err = client.communicate(timeout=15)
    finally:
        for p in (run, locals().get("client")):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
    assert "registered generic-lwm2m-7 at /rd/" in client_err, client_err[-2000:]
    rec = json.loads((tmp_path / "r" / "record.json").read_text())
    by = {c["id"]: c for c in rec["cases"]}
    passed = {i for i, c in by.items() if c["outcome"] == "passed"}
    failed = {i for i, c in by.items() if c["outcome"] == "failed"}
    assert passed == GENERIC_PASS, (out + err)[-4000:]
    assert failed == CMI6110_ONLY, ("failed, not expected:", sorted(failed - CMI6110_ONLY), "expected, not failed:",
                                    sorted(CMI6110_ONLY - failed), (out + err)[-4000:])
    assert by["cmi6110/6.2/int-103"]["outcome"] == "skipped"  # the suite cannot stop a module it did not start
    assert run.returncode == 1 and rec["verdict"] == "FAIL"
    # each CMi6110-specific failure names what the client lacks
    msg = {i: by[i]["message"] for i in CMI6110_ONLY}
    assert "Execute /1/1/8" in msg["cmi6110/6.3/int-104"] and "4.04" in msg["cmi6110/6.3/int-104"]
    assert "/33905/0/11" in msg["cmi6110/7.5/10"] and "4.04" in msg["cmi6110/7.5/10"]
    assert "missing [1, 5, 10, 11, 33905, 33906, 33907, 33908, 33909, 33910, 33911]" in msg["cmi6110/6.3/int-101"]
    assert "expected 'Elvaco', got 'Example Metering Ltd'" in msg["cmi6110/6.3/int-201"]
    assert "expected 'Elvaco', got 'Example Metering Ltd'" in msg["cmi6110/6.3/int-203"]
    assert "Accept 110" in msg["cmi6110/6.3/int-204"] and "5.00" in msg["cmi6110/6.3/int-204"]
    # the terminal summary names them too
    assert "FAILED cmi6110/6.3/int-201 (must): /3/0/0 read as text: expected 'Elvaco', got 'Example Metering Ltd'" in out


def test_a_third_party_lwm2m_server_reads_the_reference_clients_device_object(tmp_path):
    _need("lwm2m-node-lib")
    port = free_udp_port()
    server = subprocess.Popen([NODE, str(INTEROP / "lwm2m_server.js"), "--port", str(port), "--run-seconds", "30"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = json.loads(server.stdout.readline() or "{}")
        assert first == {"event": "listening", "port": port}, server.stderr.read()[-2000:]
        sim = subprocess.run([BIN, "simulate", "cmi6110", "--server", f"coap://127.0.0.1:{port}", "--endpoint",
                              "urn:imei:350000000000015", "--run-seconds", "6"], capture_output=True, text=True, timeout=60)
        out, _ = server.communicate(timeout=40)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    events = [json.loads(line) for line in out.splitlines() if line.strip()]
    reg = [e for e in events if e["event"] == "registered"]
    assert [e["endpoint"] for e in reg] == ["urn:imei:350000000000015"], events
    assert "</3/0>" in reg[0]["links"] and "</33906/0>" in reg[0]["links"]
    reads = {e["path"]: e.get("value", e.get("error")) for e in events if e["event"] == "read"}
    assert reads == {"/3/0/0": "Elvaco", "/3/0/1": "CMi6110"}, events  # CMi6110 manual §6.3 Table 1
    assert "dm read /3/0/0 -> 2.05" in sim.stderr and "dm read /3/0/1 -> 2.05" in sim.stderr, sim.stderr
