"""CMi6110 §7.2 "Security and access control" seen from the network: the configuration lock is an
NFC rule ("When configuration lock has been enabled, a Product Access Key (PAK) will be needed to
access the device via NFC"; "the default setting of the CMi6110 is Open"; §7.5 Table 8
"Configuration Lock" Open/Locked, default Open), and the DM server sees it in Table 2's 33906/./5
"NFC Config-locked" (Boolean, Op. R). ERRATA E-89: LwM2M device management is not subject to the
lock; ERRATA E-164: 33906/0/5 reads the lock, and no LwM2M resource sets it, so the suite cannot lock
a module over the network.

- 7.2/1 (`must`): a Read of 33906/0/5 (plain text, LwM2M TS 1.1 §7.3: Boolean "0"/"1") gives the
  module's lock state: false (Open, the default) unless the DUT URL says ``locked=1``.
- 7.2/2 (`must`) and 7.2/3 (implementation-defined, E-89): on a module locked through its NFC path,
  33906/0/5 reads true, and a DM Write to an RW resource (33906/0/0 Meter Readout Interval,
  5-1440 min, Table 2 / §7.5 Table 11) is applied (2.04, read back) and put back.
  ``sim:cmi6110?network=1``: the suite starts a reference client of its own locked through NFC
  (``simulate cmi6110 --nfc-lock``; with ``locked=1`` the shared one is locked already). A module on
  ``lwm2m://`` is locked by the lab only: the cases run when its URL says ``locked=1`` and are
  skipped otherwise, with that reason.

The expectations are the manual's (§7.2, Table 2, §7.5 Tables 8 and 11); values are read back in
plain text, decoded here."""
from __future__ import annotations

import pytest

from metercert.conformance import Mismatch, case

from . import network as netmod

NEEDS = ("coap.server",)
TEXT = 0
TIMEOUT_MS = 5000.0
LOCK = "/33906/0/5"                               # Table 2 "NFC Config-locked", Boolean, R
READOUT_INTERVAL, READOUT_RANGE = "/33906/0/0", (5, 1440)  # Table 2 / §7.5 Table 11, RW, minutes


def _read_bool(net, path: str) -> bool:
    body = net.read_content(path, TEXT, timeout_ms=TIMEOUT_MS)
    if body == b"0":
        return False
    if body == b"1":
        return True
    raise Mismatch(f"{path} read as text (LwM2M TS 1.1 §7.3: a Boolean is \"0\" or \"1\")", "0 or 1", bytes(body[:40]))


def _read_int(net, path: str) -> int:
    body = net.read_content(path, TEXT, timeout_ms=TIMEOUT_MS)
    try:
        return int(bytes(body).decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise Mismatch(f"{path} read as text (TS 1.1 §7.3: a decimal integer)", "digits", bytes(body[:40]))


def _write_text(net, path: str, text: str):
    return net.servers.write(net.endpoint, path, text.encode(), content_format=TEXT, replace=True, timeout_ms=TIMEOUT_MS)


def _locked_network(dut):
    """The registration of a module locked through NFC: the reference client's own (--nfc-lock), or a
    module on lwm2m:// whose URL says locked=1; skips otherwise (the suite cannot lock a module)."""
    l = dut.lwm2m_listen()
    if l["reference_client"]:
        if l.get("locked"):
            return netmod.shared(dut)
        key = f"{dut.url}#nfc_locked"
        if key not in netmod._SHARED:  # one locked client for 7.2/2 and 7.2/3, closed with the others (close_all)
            netmod._SHARED[key] = netmod.Network(dut, nfc_locked=True)
        return netmod._SHARED[key]
    if not l.get("locked"):
        pytest.skip("a module on lwm2m:// is locked through NFC by the lab only (no LwM2M resource sets the lock, "
                    "ERRATA E-164): lock it with the OTC App and add locked=1 to the URL to run this case")
    return netmod.shared(dut)


@case("cmi6110/7.2/1", "A Read of 33906/0/5 'NFC Config-locked' gives the module's configuration lock state: false (Open) by "
      "default, true when the URL says locked=1 (§7.2 'the default setting of the CMi6110 is Open'; §7.5 Table 8 "
      "Configuration Lock default Open; §6.3 Table 2 33906/./5 Boolean R).", needs=NEEDS)
def test_lock_state_default(network):
    expected = bool(network.listen.get("locked"))
    got = _read_bool(network, LOCK)
    if got != expected:
        raise Mismatch(f"{LOCK} NFC Config-locked on a module {'locked by the lab (locked=1)' if expected else 'left Open (the default)'}",
                       expected, got)


@case("cmi6110/7.2/2", "On a module locked through its NFC path (§7.5 Table 8 Configuration Lock = Locked), a Read of "
      "33906/0/5 'NFC Config-locked' gives true (§7.2; §6.3 Table 2 33906/./5; ERRATA E-164).", needs=NEEDS)
def test_lock_state_locked(dut):
    net = _locked_network(dut)
    got = _read_bool(net, LOCK)
    if got is not True:
        raise Mismatch(f"{LOCK} NFC Config-locked on a module locked through NFC", True, got)


@case("cmi6110/7.2/3", "On a module locked through its NFC path, a DM server's Write to an RW resource (33906/0/0 Meter Readout "
      "Interval, 5-1440 min) is still applied: 2.04 and read back (§7.2 names NFC only; ERRATA E-89).",
      level="implementation-defined", needs=NEEDS)
def test_dm_write_on_locked_module(dut):
    net = _locked_network(dut)
    original = _read_int(net, READOUT_INTERVAL)
    lo, hi = READOUT_RANGE
    new = 120 if original != 120 else 240
    assert lo <= new <= hi
    try:
        w = _write_text(net, READOUT_INTERVAL, str(new))
        if w["code"] != "2.04":
            raise Mismatch(f"the answer to a DM Write of {new} to {READOUT_INTERVAL} on a module locked through NFC",
                           "2.04 Changed", w["code"] or w["status"])
        got = _read_int(net, READOUT_INTERVAL)
        if got != new:
            raise Mismatch(f"{READOUT_INTERVAL} read back after the DM Write on a locked module", new, got)
    finally:
        _write_text(net, READOUT_INTERVAL, str(original))
