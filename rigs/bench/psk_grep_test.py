#!/usr/bin/env python3
"""ctest lwm2m_bench_no_psk_in_outputs (issue 15 "Security and load": PSKs never appear in any
output): runs lwm2m_bench with 4 modules, 2 rounds, keys of this test's own (random, from a
--psk-file), and searches everything the bench wrote (its stdout and stderr, --out DIR: the DM
server's and the gateway's pcaps, the clients' event logs, figures.txt) for each key as raw bytes,
as hex (either case) and as base64. The PSK identities are no secret and DO appear in dm.pcap (the
DTLS ClientKeyExchange carries them in clear, RFC 4279 §2): finding them shows the search reads the
captures' bytes. Twice: MQTT-SN over plain UDP, then with --mqttsn-dtls (the uplinks inside DTLS
1.2 PSK): there the identities must be in mqttsn.pcap too (the gateway's handshakes) and the
MQTT-SN topics ("cmi6110/bench-r1-m000", clear in a REGISTER over UDP) must not (encrypted).

Usage: psk_grep_test.py PATH/TO/lwm2m_bench"""
import base64
import pathlib
import secrets
import subprocess
import sys
import tempfile


def main() -> int:
    for mode in ([], ["--mqttsn-dtls"]):
        if check(sys.argv[1], mode) != 0:
            return 1
    return 0


def check(bench: str, mode: list) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        out = root / "out"
        out.mkdir()
        keys = {f"psk-grep-{secrets.token_hex(4)}-{k}": secrets.token_bytes(16) for k in range(4)}
        psk_file = root / "keys.txt"
        psk_file.write_text("".join(f"{i} {k.hex()}\n" for i, k in keys.items()))
        p = subprocess.run([bench, "--modules", "4", "--rounds", "2", "--uplinks", "2", "--out", str(out), "--psk-file", str(psk_file),
                            *mode], capture_output=True, timeout=120)
        if p.returncode != 0:
            print("lwm2m_bench failed:", p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"))
            return 1
        outputs = {"stdout": p.stdout, "stderr": p.stderr}
        for f in sorted(out.rglob("*")):
            if f.is_file():
                outputs[f.name] = f.read_bytes()
        expected = {"dm.pcap", "mqttsn.pcap", "clients-1.log", "clients-2.log", "figures.txt"}
        if not expected <= outputs.keys():
            print("missing outputs:", sorted(expected - outputs.keys()))
            return 1
        bad = []
        for ident, key in keys.items():
            forms = [key, key.hex().encode(), key.hex().upper().encode(), base64.b64encode(key), base64.b64encode(key).rstrip(b"=")]
            for name, data in outputs.items():
                for form in forms:
                    if form in data:
                        bad.append(f"the key of {ident} in {name}")
        if bad:
            print("\n".join(sorted(set(bad))))
            return 1
        seen = [i for i in keys if i.encode() in outputs["dm.pcap"]]
        if len(seen) != len(keys):
            print("the PSK identities are not in dm.pcap: the search does not see the captured DTLS handshakes", sorted(set(keys) - set(seen)))
            return 1
        if mode:
            seen = [i for i in keys if i.encode() in outputs["mqttsn.pcap"]]
            if len(seen) != len(keys):
                print("--mqttsn-dtls: the PSK identities are not in mqttsn.pcap (no DTLS handshake at the gateway?)", sorted(set(keys) - set(seen)))
                return 1
            if b"cmi6110/bench-r1-m000" in outputs["mqttsn.pcap"]:
                print("--mqttsn-dtls: an MQTT-SN topic in clear in mqttsn.pcap")
                return 1
            if b"gateway DTLS 1.2 PSK handshakes: established 8 " not in p.stdout:
                print("--mqttsn-dtls: not 8 gateway handshakes (4 modules, 2 rounds):", p.stdout.decode(errors="replace"))
                return 1
        print(f"{' '.join(mode) or 'plain UDP'}: no key in {len(outputs)} outputs ({sum(len(d) for d in outputs.values())} bytes); "
              f"identities found in dm.pcap{' and mqttsn.pcap' if mode else ''}")
        return 0


if __name__ == "__main__":
    sys.exit(main())
