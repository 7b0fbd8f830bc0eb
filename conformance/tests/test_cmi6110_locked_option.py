"""locked=1 on lwm2m:// and sim:cmi6110?network=1 (rigs/links/lwm2m.cpp, sim_cmi6110.cpp; CMi6110
§7.2, ERRATA E-89, E-164): the lab's word that a module is locked through NFC (the suite cannot lock
one over LwM2M), or the reference client locked with `simulate cmi6110 --nfc-lock`. Parsed and
checked here; `--nfc-lock` refused without the network client."""
import subprocess

import pytest

import metercert
from conftest import BIN


def test_locked_parameter_parsed_and_checked():
    for url, want in (("lwm2m://127.0.0.1:0?endpoint=m1", False), ("lwm2m://127.0.0.1:0?endpoint=m1&locked=1", True),
                      ("lwm2m://127.0.0.1:0?endpoint=m1&locked=0", False), ("sim:cmi6110?network=1&locked=1", True),
                      ("sim:cmi6110?network=1", False)):
        c = metercert.connect(url)
        try:
            assert c.lwm2m_listen()["locked"] is want, url
        finally:
            c.close()
    for bad in ("lwm2m://127.0.0.1:0?endpoint=m1&locked=2", "lwm2m://127.0.0.1:0?endpoint=m1&locked=yes", "sim:cmi6110?locked=1"):
        with pytest.raises(Exception) as e:
            metercert.connect(bad)
        assert "locked" in str(e.value), (bad, str(e.value))


def test_nfc_lock_needs_the_network_client():
    r = subprocess.run([BIN, "simulate", "cmi6110", "--nfc-lock"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--nfc-lock" in r.stderr and "--server or --bootstrap" in r.stderr, r.stderr
    h = subprocess.run([BIN, "simulate", "cmi6110", "--help"], capture_output=True, text=True, timeout=60)
    assert "--nfc-lock" in h.stdout and "E-164" in h.stdout
