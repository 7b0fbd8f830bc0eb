#!/usr/bin/env python3
"""Every test case of a metercert JUnit file (reports/: junit.xml) as a LAVA test case:
``lava-test-case NAME --result pass|fail|skip``, NAME the case id with the characters LAVA's
test case names do not take replaced (``cmi1020/6.7.4/1`` → ``cmi1020_6.7.4_1``). A failed or
broken case (JUnit failure / error) is ``fail``, a skipped one ``skip``. Without ``lava-test-case``
on PATH (outside a LAVA job), or with ``--print``, the commands are printed instead of run.

Usage: junit_to_lava.py [--print] JUNIT_XML        exit 0, or 2 when the file cannot be read
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET


def lava_name(case_id: str) -> str:
    """A LAVA test case name: letters, digits, '.', '_', '-'; anything else becomes '_'."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", case_id)


def results(path: str) -> list[tuple[str, str]]:
    """(name, result) of every <testcase>: the case id is the name's first word (metercert writes
    'ID requirement…'), or the whole name."""
    out = []
    for tc in ET.parse(path).getroot().iter("testcase"):
        name = (tc.get("name") or tc.get("classname") or "case").split(" ", 1)[0]
        if tc.find("failure") is not None or tc.find("error") is not None:
            result = "fail"
        elif tc.find("skipped") is not None:
            result = "skip"
        else:
            result = "pass"
        out.append((lava_name(name), result))
    return out


def main(argv: list[str]) -> int:
    printing = "--print" in argv
    args = [a for a in argv if a != "--print"]
    if len(args) != 1:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    try:
        rows = results(args[0])
    except (OSError, ET.ParseError) as e:
        print(f"error: {args[0]}: {e}", file=sys.stderr)
        return 2
    tool = None if printing else shutil.which("lava-test-case")
    for name, result in rows:
        if tool:
            subprocess.run([tool, name, "--result", result], check=False)
        else:
            print(f"lava-test-case {name} --result {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
