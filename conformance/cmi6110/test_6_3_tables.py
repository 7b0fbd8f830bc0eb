"""CMi6110 §6.3 Tables 1 and 2, every row: the DM server's operations that a row's Op. column does
not give are refused, and what the tables do not list does not exist (OMA LwM2M TS 1.1 §5.4
"Response Codes"). The expectations come from vectors/cmi6110/tables_1_2.json, a transcription of
the manual's rows (each with its line in the manual), never from metercert's model:

- R and R(W) (Table 1's "Writable by Bootstrap server"; ERRATA E-85, E-127, E-130 for 1/1/1): a
  Write (PUT of the value just read, in TLV: the refusal is about the operation, not the data) →
  4.05, an Execute → 4.05; where no value of the resource's type can be sent (E, a multiple
  resource, a key, no value) the text "0" goes, and 4.00 / 4.15 are accepted too (ERRATA E-159);
- W: a Read → 4.05, an Execute → 4.05 (Writes are the write cases'; 5/0/1 would start a firmware
  download);
- E: a Read → 4.05, a Write → 4.05 (never executed here: 1/0/9, 3/0/4, 5/0/2 would bootstrap,
  reboot or update the module);
- "(W)" and "-" (the Secret Keys 0/1/4, 0/0/4): Read, Write, Execute → 4.05; ERRATA E-85: the key
  is resource 5 in TS 1.1 Appendix E.1, so 0/x/4 may be 4.04 and 0/x/5 is probed the same way;
- RW: an Execute → 4.05;
- every resource id of a listed object instance up to one past the highest listed that no row
  names, each resource instance other than /0 of the rows that name one, and an instance Table 1
  does not list (/0/2, /1/2, /3/1, /4/1, /5/1, /11/2): a Read → 4.04. Table 2's "./" is instance 0
  (ERRATA E-91); its other instances and /10/1 (§6.4's /10/1/1, ERRATA E-86) are not probed
  (ERRATA E-159: what "not listed" means).

Two cases read one sweep of requests (run once per registration): 6.3/20 (`must`) that none of
them succeeds (every answer a 4.xx), 6.3/21 (implementation-defined, ERRATA E-92) that each
answers the code above. ~400 requests on loopback: ~0.2 s."""
from __future__ import annotations

import json
import pathlib
import weakref

from metercert import lwm2m_reader as rd
from metercert.conformance import Mismatch, case

TEXT, TLV = 0, 11542
TIMEOUT_MS = 5000.0
VECTORS = pathlib.Path(__file__).resolve().parents[2] / "vectors" / "cmi6110" / "tables_1_2.json"
# Table 1 instances that are not there (the table lists 0/0, 0/1, 1/0, 1/1, 3/0, 4/0, 5/0, 11/0, 11/1)
MISSING_INSTANCES = ["/0/2", "/1/2", "/3/1", "/4/1", "/5/1", "/11/2"]
SECRET_ROWS = ("0/0/4", "0/1/4")  # ERRATA E-85
# a Write whose data the case cannot give in the resource's type may be refused for its data first
FORMAT_CODES = {"4.00", "4.15"}  # ERRATA E-159


def table_rows() -> list[dict]:
    """The transcribed rows, each expanded to its concrete paths: 'path' /O/I/R, 'instance' the
    resource instance a row names (or None), 'row' the transcription (op, name, line)."""
    doc = json.loads(VECTORS.read_text(encoding="utf-8"))
    if doc.get("schema") != "cmi6110_tables_v1":
        raise ValueError(f"{VECTORS}: schema {doc.get('schema')!r}, expected cmi6110_tables_v1")
    out = []
    for row in doc["rows"]:
        parts = row["path"].split("/")
        obj, inst, res = parts[0], parts[1], parts[2]
        insts = {"./": ["0"], "[0,1]": ["0", "1"]}.get(inst + ("/" if inst == "." else ""), [inst])
        for i in insts:
            out.append({"path": f"/{obj}/{i}/{res}", "instance": parts[3] if len(parts) > 3 else None, "row": row})
    return out


def _probes() -> list[tuple[str, str, str, set[str]]]:
    """(what, operation, path, the codes the tables give): operation 'read', 'write' or 'execute'."""
    rows = table_rows()
    probes = []
    listed: dict[tuple[str, str], set[int]] = {}
    for r in rows:
        op, path, cite = r["row"]["op"], r["path"], f"Table {r['row']['table']} line {r['row']['line']}"
        _, obj, inst, res = path.split("/")
        listed.setdefault((obj, inst), set()).add(int(res))
        what = f"{path} '{r['row']['name']}' ({op}, {cite})"
        if r["row"]["path"] in SECRET_ROWS:
            key5 = f"/{obj}/{inst}/5"
            for p in (path, key5):
                for o in ("read", "write", "execute"):
                    probes.append((f"{p}: the Secret Key of {what} (ERRATA E-85)", o, p, {"4.05", "4.04"} if p == path else {"4.05"}))
            continue
        if op in ("R", "R(W)"):
            probes += [(what, "write", path, {"4.05"}), (what, "execute", path, {"4.05"})]
        elif op == "W":
            probes += [(what, "read", path, {"4.05"}), (what, "execute", path, {"4.05"})]
        elif op == "E":
            probes += [(what, "read", path, {"4.05"}), (what, "write", path, {"4.05"})]
        elif op == "RW":
            probes.append((what, "execute", path, {"4.05"}))
        else:
            raise ValueError(f"{VECTORS}: row {r['row']['path']}: Op. {op!r}")
        if r["instance"] is not None:
            other = int(r["instance"]) + 1
            probes.append((f"{path}/{other}: a resource instance {what} does not name", "read", f"{path}/{other}", {"4.04"}))
    for (obj, inst), ids in sorted(listed.items(), key=lambda kv: (int(kv[0][0]), int(kv[0][1]))):
        skip = {4, 5} if obj == "0" else set()  # the Secret Key's two places (ERRATA E-85)
        for rid in range(max(ids) + 2):
            if rid not in ids and rid not in skip:
                probes.append((f"/{obj}/{inst}/{rid}: a resource no row of Tables 1-2 lists", "read", f"/{obj}/{inst}/{rid}", {"4.04"}))
    for p in MISSING_INSTANCES:
        probes.append((f"{p}: an instance Table 1 does not list", "read", p, {"4.04"}))
    return probes


def _one_resource(payload: bytes, path: str) -> bool:
    """The TLV holds exactly the single-instance resource `path` (TS 1.1 §7.4.3; metercert.lwm2m_reader)."""
    try:
        return list(rd.tlv_values(payload, path)) == [path]
    except rd.ReaderError:
        return False


_SWEEPS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def sweep(network) -> list[tuple[str, str, str, set[str], str]]:
    """Every probe sent once per registration: (what, operation, path, expected codes, the answer's
    code or status). A Write to an R resource sends back the TLV a Read of it gave (text "0" when
    the Read gives none)."""
    reg = network.registered()
    got = _SWEEPS.get(network)
    if got is not None and got[0] == reg["id"]:
        return got[1]
    ep, s = network.endpoint, network.servers
    out = []
    for what, op, path, want in _probes():
        if op == "read":
            r = s.read(ep, path, accept=TLV, timeout_ms=TIMEOUT_MS)
        elif op == "execute":
            r = s.execute(ep, path, timeout_ms=TIMEOUT_MS)
        else:
            before = s.read(ep, path, accept=TLV, timeout_ms=TIMEOUT_MS) if want == {"4.05"} else None
            if before is not None and before["code"] == "2.05" and before["content_format"] == TLV and _one_resource(before["payload"], path):
                r = s.write(ep, path, before["payload"], content_format=TLV, replace=True, timeout_ms=TIMEOUT_MS)
            else:
                # no value of the resource's type to send (E has no type; a multiple resource, a key, a
                # resource without a value): the module may refuse the data first (ERRATA E-159)
                want = want | FORMAT_CODES
                r = s.write(ep, path, b"0", content_format=TEXT, replace=True, timeout_ms=TIMEOUT_MS)
        out.append((what, op, path, want, r["code"] or r["status"]))
    _SWEEPS[network] = (reg["id"], out)
    return out


def _verb(op: str) -> str:
    return {"read": "Read", "write": "Write", "execute": "Execute"}[op]


@case("cmi6110/6.3/20", "Every row of §6.3 Tables 1 and 2 (vectors/cmi6110/tables_1_2.json): no DM operation its Op. column does "
      "not give succeeds — a Write to R/R(W)/(W)/E/'-', a Read of W/(W)/E/'-', an Execute of anything not E — nor a Read of a "
      "resource, resource instance or instance the tables do not list: each is answered 4.xx (LwM2M TS 1.1 §5.4; ERRATA E-85, "
      "E-92, E-130).", needs=("coap.server",))
def test_nothing_the_tables_do_not_give(network):
    bad = [f"{_verb(op)} {what} → {code}" for what, op, path, want, code in sweep(network) if not code.startswith("4.")]
    if bad:
        raise Mismatch(f"{len(bad)} DM operation(s) the tables do not give", "refused (4.xx)", "; ".join(bad[:6]) +
                       (f"; … {len(bad) - 6} more" if len(bad) > 6 else ""))


@case("cmi6110/6.3/21", "Every row of §6.3 Tables 1 and 2: the refusals carry LwM2M's codes — 4.05 Method Not Allowed for an "
      "operation the row's Op. does not give, 4.04 Not Found for what no row lists (the Secret Key 0/x/4: 4.05 or 4.04, ERRATA "
      "E-85) (LwM2M TS 1.1 §5.4 'Response Codes'; ERRATA E-92: the exact code is implementation-defined).",
      level="implementation-defined", needs=("coap.server",))
def test_refusal_codes(network):
    bad = [f"{_verb(op)} {what} → {code} (expected {' or '.join(sorted(want))})" for what, op, path, want, code in sweep(network)
           if code not in want]
    if bad:
        raise Mismatch(f"{len(bad)} answer(s) to DM operations on the tables' rows", "4.05 / 4.04 as the tables give",
                       "; ".join(bad[:6]) + (f"; … {len(bad) - 6} more" if len(bad) > 6 else ""))
