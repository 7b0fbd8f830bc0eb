#!/usr/bin/python3
"""Python's cbor2 on the same CMi6110 SenML packs as reference/bench/senml_bench.cpp (1, 12, 96
readouts): readouts/s for cbor2.dumps and cbor2.loads — CBOR items only, without the SenML and
CMi6110 rules or the M-Bus records metercert's decoder checks. Printed beside the C++ figures by
ci/bench."""
import timeit

import cbor2

DIBS1 = bytes.fromhex("04064E61BC00041507870000022B9413023BD400025A2303025E1A0202FD171240")


def pack(n):
    items = [{-2: "12345678", -3: 1574971200, 8: DIBS1}, {0: "V", 2: 0}]
    items += [{6: -3600 * i, 8: bytes([0x04, 0x06, i & 0xFF, 0x4F, 0xBC, 0x00])} for i in range(1, n)]
    return items


for n in (1, 12, 96):
    items = pack(n)
    payload = cbor2.dumps(items)
    for name, fn in (("cbor2.dumps", lambda: cbor2.dumps(items)), ("cbor2.loads", lambda: cbor2.loads(payload))):
        number = max(1, 20000 // n)
        t = min(timeit.repeat(fn, number=number, repeat=5)) / number
        print(f"{name:12} {n:3} readouts  {len(payload):5} bytes  {t * 1e6:9.2f} us/pack  {n / t:12,.0f} readouts/s")
