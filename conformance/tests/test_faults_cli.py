"""`metercert faults [--json] [DEVICE]`, and every other reader of the devices' fault lists: the DUT
URL's fault= (sim:cmi1020 in C++, sim:cme3100 in the profile's conftest), the simulators' options
and their help, the bindings. Each must offer exactly the faults `metercert faults --json` lists —
which conformance/tests/test_faults.py holds against the profiles' faults.json."""
import json
import os
import subprocess

import pytest

from conftest import BIN, ROOT


def metercert(*args, timeout=60):
    return subprocess.run([os.path.abspath(BIN), *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def lists():
    p = metercert("faults", "--json")
    assert p.returncode == 0 and p.stderr == "", p.stderr
    return json.loads(p.stdout)


def names(lists, device):
    return [f["name"] for f in lists[device]]


def test_json_shape(lists):
    assert list(lists) == ["cmi1020", "e350", "cme3100", "cme3000", "cmi1020w", "cmi6110"]
    assert all(isinstance(v, list) for v in lists.values())
    assert all(list(f) == ["name", "clause", "summary"] for v in lists.values() for f in v)
    # the faults the README and the profiles have always named are there
    assert {"wrong_checksum", "late_reply", "settings_lost", "medium_zero"} <= set(names(lists, "cmi1020"))
    assert names(lists, "cme3100") == ["no_selection_retry", "wireless_any_key", "wireless_install_unlisted",
                                      "wireless_not_served"]
    assert names(lists, "cme3000") == ["idle_timeout_3s", "no_idle_disconnect", "dropped_accept_as_completed",
                                      "serial_octets_not_counted"]
    assert {"no_meter", "receive_error", "command_failure"} <= set(names(lists, "e350"))
    assert {"bad_crc", "access_number_not_in_iv", "access_number_frozen", "field_order_changed", "plain_while_encrypted",
            "wrong_key", "default_field_missing", "wrong_device_type"} <= set(names(lists, "cmi1020w"))
    assert len(names(lists, "cmi6110")) >= 8  # issue 14


@pytest.mark.parametrize("device", ["cmi1020", "e350", "cme3100", "cme3000", "cmi1020w", "cmi6110"])
def test_one_device(lists, device):
    p = metercert("faults", "--json", device)
    assert p.returncode == 0 and json.loads(p.stdout) == {device: lists[device]}
    table = metercert("faults", device)
    assert table.returncode == 0 and table.stdout.startswith(f"{device}: {len(lists[device])} fault")
    for f in lists[device]:
        line = next(line for line in table.stdout.splitlines() if line.split()[:1] == [f["name"]])
        assert f["clause"] in line and line.endswith(f["summary"])


def test_the_table_lists_every_device(lists):
    p = metercert("faults")
    assert p.returncode == 0 and p.stderr == ""
    assert [line.split(":")[0] for line in p.stdout.splitlines() if line and not line.startswith(" ")] == list(lists)


def test_unknown_device_is_a_usage_error():
    p = metercert("faults", "cmi1021")
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr == "error: faults: unknown device 'cmi1021' (devices: cmi1020, e350, cme3100, cme3000, cmi1020w, cmi6110)\n"


def test_dut_url_takes_exactly_the_cmi1020_faults(lists):
    p = metercert("scan", "--dut", "sim:cmi1020?fault=nosuch")
    assert p.returncode == 2
    assert p.stderr.strip().endswith(f"fault=nosuch is unknown (none, {', '.join(names(lists, 'cmi1020'))})")
    for name in ["none", *names(lists, "cmi1020")]:
        q = metercert("read", "--dut", f"sim:cmi1020?fault={name}", "--address", "0")
        assert q.returncode in (0, 1) and "unknown" not in q.stderr, (name, q.stderr)


def test_simulate_cmi1020_meter_fault_option(lists):
    help_text = metercert("simulate", "cmi1020", "--help").stdout
    for f in lists["e350"]:
        assert f"{f['name']}: {f['summary']} ({f['clause']})" in " ".join(help_text.split()), f
    p = metercert("simulate", "cmi1020", "--listen", "tcp://127.0.0.1:0", "--meter-fault", "nosuch")
    assert p.returncode == 2
    assert p.stderr == f"error: --meter-fault 'nosuch' is unknown (none, {', '.join(names(lists, 'e350'))})\n"


def test_simulate_cme3100_fault_option(lists):
    help_text = " ".join(metercert("simulate", "cme3100", "--help").stdout.split())
    for f in lists["cme3100"]:
        assert f"{f['name']}: {f['summary']} ({f['clause']})" in help_text, f
    p = metercert("simulate", "cme3100", "--listen", "tcp://127.0.0.1:0", "--bus", "sim:cmi1020", "--search",
                  "--fault", "nosuch")
    assert p.returncode == 2 and p.stderr == f"error: --fault nosuch: unknown (none, {', '.join(names(lists, 'cme3100'))})\n"


def test_sim_cme3100_url_is_validated_against_the_list(lists, tmp_path):
    p = metercert("run", "--profile", "cme3100-master", "--dut", "sim:cme3100?fault=nosuch", "--report", str(tmp_path / "r"),
                  timeout=300)
    # the DUT link registry checks the URL before anything runs: a usage error, no report written
    assert p.returncode == 2 and not (tmp_path / "r").exists()
    assert f"fault=nosuch is unknown (none, {', '.join(names(lists, 'cme3100'))})" in p.stdout + p.stderr


def test_bindings_read_the_same_lists(lists):
    from metercert import E350, Reference, _core
    assert _core.faults() == lists
    meter = Reference().meter
    assert isinstance(meter, E350)
    for name in ["none", *names(lists, "e350")]:
        meter.fault = name
        assert meter.fault == name
    with pytest.raises(ValueError) as e:
        meter.fault = "nosuch"
    assert str(e.value) == f"unknown meter fault 'nosuch' (none, {', '.join(names(lists, 'e350'))})"
    assert all(f"'{n}'" in E350.fault.__doc__ for n in names(lists, "e350"))
