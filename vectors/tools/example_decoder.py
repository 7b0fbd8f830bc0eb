#!/usr/bin/env python3
"""A deliberately small third-party M-Bus decoder, the worked example of README's "Holding your
own decoder against the vectors": it knows the single-character ACK and the short frame
(EN 13757-2 §5: 10 C A CS 16) and nothing else.

    build/metercert vectors --decoder "python3 vectors/tools/example_decoder.py"

Protocol of the harness: one frame as a hex line on stdin; canonical JSON on stdout and exit 0
for a frame it accepts; a message on stderr and a non-zero exit for one it rejects."""
import json
import sys

frame = bytes.fromhex(sys.stdin.readline().strip())
if frame == b"\xe5":
    print(json.dumps({"frame": "ack"}))
elif len(frame) == 5 and frame[0] == 0x10 and frame[4] == 0x16:
    if (frame[1] + frame[2]) & 0xFF != frame[3]:
        sys.exit(f"error: bad_checksum at byte 3")
    print(json.dumps({"frame": "short", "c": f"{frame[1]:02X}", "a": frame[2]}))
else:
    sys.exit("error: unsupported frame (this example knows only E5 and short frames)")
