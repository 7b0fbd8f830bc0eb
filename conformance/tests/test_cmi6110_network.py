"""The cmi6110 profile's network half with a module the suite does not start: `metercert run --dut
'lwm2m://127.0.0.1:PORT?endpoint=…&psk_id=…&psk=…'` listens (the suite's DM server, DTLS-PSK), and a
module started separately (here the reference client, `simulate cmi6110 --server coaps://…`, as a
lab's module would be pointed at the suite) registers; the network cases pass, the others are
skipped for the capabilities a network-only link lacks, and the PSK is in no output or report.
Loopback only, bounded times."""
import json
import socket
import subprocess
import time

from conftest import BIN

PSK = "8c1f0e2d3b4a59687766554433221100"  # a test key: must never be shown


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_the_suite_listens_and_a_module_registers(tmp_path):
    port = free_udp_port()
    url = f"lwm2m://127.0.0.1:{port}?endpoint=lab-module-7&psk_id=lab-id&psk={PSK}"
    # the uplink cases (test_6_3_execute, test_7_5_mqttsn) wait out the module's own MQTT-SN timers in
    # real time (a minute and more, ERRATA E-133): they run against sim:cmi6110 on its scaled clock
    run = subprocess.Popen([BIN, "run", "--profile", "cmi6110", "--dut", url, "--report", str(tmp_path / "r"),
                            "-k", "not test_6_3_execute and not test_7_5_mqttsn"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)  # the module is switched on after the suite listens (its CoAP retransmission would cover less)
    module = subprocess.run([BIN, "simulate", "cmi6110", "--server", f"coaps://127.0.0.1:{port}", "--endpoint", "lab-module-7",
                             "--psk-id", "lab-id", "--psk", PSK, "--lifetime", "8", "--run-seconds", "20"],
                            capture_output=True, text=True, timeout=60)
    out, err = run.communicate(timeout=120)
    rec = json.loads((tmp_path / "r" / "record.json").read_text())
    by = {c["id"]: c for c in rec["cases"]}
    network = {"cmi6110/6.2/int-102", "cmi6110/6.3/int-101", "cmi6110/6.3/int-201", "cmi6110/6.3/int-203",
               "cmi6110/6.3/int-204", "cmi6110/6.3/1"}
    assert {i for i, c in by.items() if c["outcome"] == "passed"} == network, err[-3000:]
    assert by["cmi6110/6.2/int-103"]["reason"].startswith("needs sim.cmi6110: ")  # the suite cannot stop a real module
    assert run.returncode == 3 and rec["verdict"] == "INCOMPLETE"  # the uplink cases need the uplinks
    # the module registered over DTLS-PSK (its De-register at the end finds the suite gone: its exit code is not judged)
    assert "registered lab-module-7 at /rd/" in module.stderr, module.stderr
    assert "psk=<redacted>" in out + err
    for text in [out, err, module.stdout, module.stderr] + [p.read_bytes().decode(errors="replace")
                                                           for p in (tmp_path / "r").rglob("*") if p.is_file()]:
        assert PSK not in text and PSK.upper() not in text
