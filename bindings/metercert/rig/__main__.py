"""``python3 -m metercert.rig check FILE [--exercise]``: the Python side of ``metercert rig check``.

Loads FILE with labgrid (``labgrid.Environment``), makes every target and checks its roles
(:meth:`metercert.rig.RigFile.check`): each problem is one line ``FILE: YAML.PATH: what``. Without
``--exercise`` nothing is activated and nothing switches. ``--exercise``: each target's roles are
activated and switched once — the supply off then on, each output on then off (read back where
the board answers) — and left in the safe state; every switch is printed; a probe role makes one
IEC 62056-21 mode C readout of the meter (metercert.rig.probe) and prints what it read. Exit 0: usable (and,
with --exercise, every output switched); 1: problems found or a switch failed; 2: no such file.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys

from metercert.rig import PROBE, ROLES, Rig, RigError, RigFile


def _exercise(path: str, target: str, out) -> list[str]:
    rig = Rig(path, target)
    problems = []
    try:
        rig.open()
        rig.why("rig check --exercise")
        for role, d in rig.drivers.items():
            if role == "led":
                out(f"  {role:<13} {d.name}: reads {'on' if d.get() else 'off'}")
                continue
            if role == "power":
                rig.power.off()
                rig.power.on()
                out(f"  {role:<13} {d.name}: off, on")
                continue
            seen = []
            for want in (True, False):
                rig._switch(role, want)
                got = d.get()
                seen.append("on" if got else "off")
                if bool(got) != want:
                    problems.append(f"targets.{target}.options.{role}: driver '{d.name}' reads {'on' if got else 'off'} "
                                    f"after it was set {'on' if want else 'off'}")
            out(f"  {role:<13} {d.name}: on, off (read back {', '.join(seen)})")
        if rig.probe is not None:
            from metercert.rig.probe import ProbeError
            try:
                r = rig.probe.read()
                out(f"  {'probe':<13} {rig.probe_resource.name}: /{r.readout['manufacturer']}{r.readout['baud_char']}"
                    f"{r.readout['identification']}, {len(r.readout['lines'])} data line(s) at {r.baud} Bd, BCC good")
            except ProbeError as e:
                problems.append(f"targets.{target}.options.probe: resource '{rig.probe_resource.name}' "
                                f"({rig.probe.port}): no readout: {e}")
    except RigError as e:
        problems.append(str(e).removeprefix(f"{path}: "))
    except Exception as e:
        problems.append(f"targets.{target}: {type(e).__name__}: {e}")
    finally:
        problems += [f"targets.{target}: safe state not reached: {p}" for p in rig.safe("rig check: safe state")]
        out(f"  safe state: power {'on' if rig.safe_power else 'off'}, rate inputs off, button released; "
            f"{len(rig.log)} switch(es)")
        rig.close()
    return problems


def check(path: str, exercise: bool = False, as_json: bool = False) -> int:
    lines = []
    out = (lambda s: lines.append(s)) if as_json else print
    if not pathlib.Path(path).is_file():
        print(f"error: {path}: no such rig file", file=sys.stderr)
        return 2
    try:
        rf = RigFile(path)
    except RigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    result = {"file": path, "targets": {}}
    failed = False
    for t in rf.targets:
        problems = rf.check(t)
        roles = {}
        if not problems:
            opts = rf._options(t)
            named = {d.name: d for d in rf.target(t).drivers if d.name}
            roles = {r: f"{opts[r]} ({type(named[opts[r]]).__name__})" for r in ROLES if r in opts}
            probe = rf.probe_resource(t)
            if probe is not None:
                roles[PROBE[0]] = f"{probe.name} ({type(probe).__name__} {probe.port})"
            if opts.get("led_colour"):
                roles["led"] += f" watching the {opts['led_colour']} LED"
            net = rf.network_resource(t)
            if net is not None:
                roles["network"] = f"{net.name} (NetworkService {net.address}:{net.port}, endpoint {net.username})"
            out(f"target {t}: " + ", ".join(f"{r} = {v}" for r, v in roles.items())
                + f"; power safe: {'on' if rf.power_safe(t) else 'off'}" * ("power" in opts))
        rf.cleanup()
        if not problems and exercise:
            problems = _exercise(path, t, out)
        for p in problems:
            print(f"{path}: {p}", file=sys.stderr)
        failed |= bool(problems)
        result["targets"][t] = {"roles": roles, "problems": problems}
    if as_json:
        print(json.dumps(result, indent=1))
    elif not failed:
        print(f"{path}: OK ({len(rf.targets)} target(s){', exercised' if exercise else ', nothing switched'})")
    return 1 if failed else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="metercert rig")
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("check")
    c.add_argument("file")
    c.add_argument("--exercise", action="store_true")
    c.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    return check(a.file, a.exercise, a.json)


if __name__ == "__main__":
    sys.exit(main())
