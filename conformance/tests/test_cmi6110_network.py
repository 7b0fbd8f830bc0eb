"""The cmi6110 profile's network half with a module the suite does not start: `metercert run --dut
'lwm2m://127.0.0.1:PORT?endpoint=…&psk_id=…&psk=…'` listens (the suite's DM server, DTLS-PSK), and a
module started separately (here the reference client, `simulate cmi6110 --server coaps://…`, as a
lab's module would be pointed at the suite) registers; the network cases pass, the others are
skipped for the capabilities a network-only link lacks, and the PSK is in no output or report. With
`&bootstrap=1` the suite's Bootstrap-Server listens there instead, the module (`simulate cmi6110
--bootstrap coaps://…`) bootstraps, is handed to the DM server and the bootstrap cases pass too.
Loopback only, bounded times."""
import json
import subprocess
import types

from conftest import BIN, free_udp_port, stop_process, wait_udp_bound

PSK = "8c1f0e2d3b4a59687766554433221100"  # a test key: must never be shown


# the network cases a module the suite did not start passes (int-103, int-4, int-7 need sim.cmi6110)
NETWORK = {"cmi6110/6.2/int-102", "cmi6110/6.3/int-101", "cmi6110/6.3/int-201", "cmi6110/6.3/int-203",
           "cmi6110/6.3/int-204", "cmi6110/6.3/1", "cmi6110/6.2/int-401", "cmi6110/6.3/4",
           "cmi6110/lwm2m/int-101", "cmi6110/lwm2m/int-201", "cmi6110/lwm2m/int-203",
           # the DM operations, observe (on real time here), Current Time, CoAP retransmission
           "cmi6110/6.3/int-104", "cmi6110/6.3/int-205", "cmi6110/6.3/int-215", "cmi6110/6.3/int-222",
           "cmi6110/6.3/int-260", "cmi6110/6.3/2", "cmi6110/6.3/3", "cmi6110/6.3/int-301", "cmi6110/6.3/int-302",
           "cmi6110/7.3.1/3", "cmi6110/7.5/3",
           # a lost Notification resent (7.5/5; the give-up 7.5/4 runs only with --long)
           "cmi6110/7.5/5",
           # every row of Tables 1 and 2 (test_6_3_tables.py)
           "cmi6110/6.3/20", "cmi6110/6.3/21",
           # MQTT-SN over DTLS-PSK: the suite writes 33905/0/2, /5, /0 and judges from its DTLS gateway
           "cmi6110/7.5/11",
           # a discarded registration's Update refused 4.04, then a new Register (int-105); the MQTT-SN connection
           # config 33905/0/10 (7.5/12); the lock state 33906/0/5 (7.2/1; 7.2/2-3 need locked=1)
           "cmi6110/6.2/int-105", "cmi6110/7.5/12", "cmi6110/7.2/1"}
BOOTSTRAP = {"cmi6110/6.2/int-0", "cmi6110/6.2/int-1", "cmi6110/6.2/int-6"}


# the case files left out of these runs (see run_with_module)
REAL_TIME_UPLINKS = ("test_6_3_execute", "test_7_5_mqttsn", "test_6_3_response_time", "test_7_3_2_network",
                     "test_7_3_4_backlog", "test_6_2_send")


def port_of(url: str) -> int:
    return int(url.split("://", 1)[1].split("?", 1)[0].rsplit(":", 1)[1])


def run_with_module(tmp_path, url, first):
    # the uplink cases (test_6_3_execute, test_7_5_mqttsn, test_6_3_response_time, test_7_3_2_network,
    # test_7_3_4_backlog, and test_6_2_send's wait for the module's next minute) wait out the module's own
    # timers in real time (a minute and more, ERRATA E-133): they run against sim:cmi6110 on its scaled clock
    run = subprocess.Popen([BIN, "run", "--profile", "cmi6110", "--dut", url, "--report", str(tmp_path / "r"),
                            "-k", " and ".join(f"not {m}" for m in REAL_TIME_UPLINKS)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # the module is switched on once the suite listens: on a loaded machine (ci/test runs three test
    # files at once) the run's start can outlast the module's bootstrap/register retries
    wait_udp_bound(port_of(url), proc=run)
    module = subprocess.Popen([BIN, "simulate", "cmi6110", *first, "--endpoint", "lab-module-7",
                               "--psk-id", "lab-id", "--psk", PSK, "--lifetime", "8", "--run-seconds", "240"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = run.communicate(timeout=300)  # minutes only on a loaded machine (ci/test runs three files at once)
    # the run has ended: the module is stopped (an Update it sent as the suite closed may wait for
    # libcoap's retransmissions, up to MAX_TRANSMIT_WAIT, so it is not waited for)
    m_out, m_err = stop_process(module)
    module = types.SimpleNamespace(stdout=m_out, stderr=m_err)
    rec = json.loads((tmp_path / "r" / "record.json").read_text())
    return run, module, out, err, rec, {c["id"]: c for c in rec["cases"]}


def assert_no_psk(tmp_path, *texts):
    for text in list(texts) + [p.read_bytes().decode(errors="replace") for p in (tmp_path / "r").rglob("*") if p.is_file()]:
        assert PSK not in text and PSK.upper() not in text


def test_the_suite_listens_and_a_module_registers(tmp_path):
    port = free_udp_port()
    url = f"lwm2m://127.0.0.1:{port}?endpoint=lab-module-7&psk_id=lab-id&psk={PSK}"
    run, module, out, err, rec, by = run_with_module(tmp_path, url, ["--server", f"coaps://127.0.0.1:{port}"])
    assert {i for i, c in by.items() if c["outcome"] == "passed"} == NETWORK, err[-3000:]
    assert by["cmi6110/6.2/int-103"]["reason"].startswith("needs sim.cmi6110: ")  # the suite cannot stop a real module
    assert all(by[i]["outcome"] == "skipped" and "bootstrap=0" in by[i]["reason"] for i in BOOTSTRAP)
    assert run.returncode == 3 and rec["verdict"] == "INCOMPLETE"  # the uplink cases need the uplinks
    # the module registered over DTLS-PSK (its De-register at the end finds the suite gone: its exit code is not judged)
    assert "registered lab-module-7 at /rd/" in module.stderr, module.stderr
    assert "psk=<redacted>" in out + err
    assert_no_psk(tmp_path, out, err, module.stdout, module.stderr)


def test_the_suite_bootstraps_a_module_then_it_registers(tmp_path):
    """bootstrap=1: HOST:PORT is the suite's Bootstrap-Server; the module's DevEUI (its PSK identity for
    both servers, Table 1 0/0/3 = 0/1/3, ERRATA E-125) is lab-id; the DM key is the one the suite writes."""
    port = free_udp_port()
    url = f"lwm2m://127.0.0.1:{port}?endpoint=lab-module-7&psk_id=lab-id&psk={PSK}&bootstrap=1"
    run, module, out, err, rec, by = run_with_module(tmp_path, url, ["--bootstrap", f"coaps://127.0.0.1:{port}", "--dev-eui", "lab-id"])
    assert {i for i, c in by.items() if c["outcome"] == "passed"} == NETWORK | BOOTSTRAP, err[-3000:]
    for i in ("cmi6110/6.2/int-4", "cmi6110/6.2/int-7", "cmi6110/6.2/int-103"):
        assert by[i]["reason"].startswith("needs sim.cmi6110: ")
    assert run.returncode == 3 and rec["verdict"] == "INCOMPLETE"
    # the module learnt its DM server from the Bootstrap-Server (a port the test never told it)
    assert "bootstrap done: DM server coaps://127.0.0.1:" in module.stderr and f":{port} (PSK)" not in module.stderr, module.stderr
    assert "registered lab-module-7 at /rd/" in module.stderr, module.stderr
    assert "psk=<redacted>" in out + err
    assert_no_psk(tmp_path, out, err, module.stdout, module.stderr)
