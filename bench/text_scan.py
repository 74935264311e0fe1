"""What checking a note's text for control characters costs when an op is decoded.

Notes were exempt from the control-character check as "too big to scan on every fold";
core/text.py now checks them like every other string a member writes. This decodes a
``note.revise`` carrying a note of each size with the real schema (the check on) and,
as the baseline run in the same go, with the same struct minus the pattern (the check
off), in this process, and prints the cost per op and per megabyte. Two kinds of note:
plain ASCII prose, and Bahasa Indonesia mixed with accents, CJK and emoji (msgspec
takes a slower path for non-ASCII text, with or without the check).

CPU time (process time) is measured, as the machine is shared; the load average is
printed beside it.

Usage: python bench/text_scan.py [--runs R]
The last line printed is one JSON object for scripts to read.
"""

import argparse
import json
import os
import time
from typing import Annotated

import msgspec
from msgspec import Meta

from studycircle_tui.core import ops

ID = "01HZX5K3M8Q2V7W9Y4B6C1D0EF"
KINDS = {
    "ascii": "Limits: the gap between 0.999... and 1 is smaller than any epsilon.\n",
    "mixed": "Catatan kalkulus: lim x→0 sin x / x = 1 — café, naïve, 日本語 🎉\n",
}
SIZES = (10_000, 100_000, 1_000_000)


class UncheckedRevise(msgspec.Struct):
    """``NoteReviseData`` as it was: the note's text with no pattern."""

    note: str
    base: str
    text: Annotated[str, Meta(max_length=1_000_000)]


class UncheckedOp(msgspec.Struct, tag_field="type", tag="note.revise"):
    v: int
    id: str
    circle: str
    actor: str
    hlc: str
    data: UncheckedRevise


def note_op(body: str) -> bytes:
    data = {"note": ID, "base": ID, "text": body}
    op = {"v": 1, "id": ID, "circle": ID, "actor": ID, "hlc": "0190a1b2c3d40001",
          "type": "note.revise", "data": data}  # fmt: skip
    return msgspec.json.encode(op)


def cpu_ms(decode, raw: bytes, runs: int) -> float:
    decode(raw)
    start = time.process_time()
    for _ in range(runs):
        decode(raw)
    return (time.process_time() - start) / runs * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    unchecked = msgspec.json.Decoder(UncheckedOp)
    results: dict[str, dict[str, float]] = {}
    print(f"{'note':>16} {'checked ms':>11} {'unchecked ms':>13} {'ratio':>6} {'+ms per MB':>11}")
    for kind, line in KINDS.items():
        for size in SIZES:
            body = (line * (size // len(line.encode()) + 1)).encode()[:size].decode(errors="ignore")
            raw = note_op(body)
            checked_ms = cpu_ms(ops.decode_op, raw, args.runs)
            baseline_ms = cpu_ms(unchecked.decode, raw, args.runs)
            extra_per_mb = (checked_ms - baseline_ms) / (len(body.encode()) / 1e6)
            label = f"{kind} {size // 1000} kB"
            results[label] = {
                "checked_ms": round(checked_ms, 3),
                "unchecked_ms": round(baseline_ms, 3),
                "extra_ms_per_mb": round(extra_per_mb, 2),
            }
            print(
                f"{label:>16} {checked_ms:11.3f} {baseline_ms:13.3f} "
                f"{checked_ms / baseline_ms:6.1f} {extra_per_mb:11.2f}"
            )
    print(f"CPU (process) time per decode, mean of {args.runs}; load average {os.getloadavg()}")
    one_mb = [values for label, values in results.items() if label.endswith("1000 kB")]
    print(
        json.dumps(
            {
                "note_1mb_extra_ms": max(v["checked_ms"] - v["unchecked_ms"] for v in one_mb),
                "cases": results,
                "load_average": os.getloadavg()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
