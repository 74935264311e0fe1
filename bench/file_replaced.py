"""What a replaced circle file costs a member's app, through the real engine.

A file-sync tool replaces the circle file with a new one whenever another machine's
version arrives (Syncthing and Dropbox write a new file and rename it over the old one).
The app cannot tell a version that only adds lines from one that lost some without
reading it, so it reads the new file from its first line and compares it with what it
holds (``sync/file.py``). This measures, for circles of several sizes, one ``sync_once``
of a member's ``CircleService``:

- idle: nothing changed (the cursor check: a stat, two small reads, a hash);
- appended: another member added one post (the ordinary case);
- replaced: the same content under a new inode, as a sync tool leaves it;
- cut short: the file lost its last tenth, which the app appends again.

The baseline, run in the same go: opening the circle for the first time (reading the
whole file from an empty replica), which a replaced file should cost about as much as.
Medians of several runs; wall and CPU times, with the load average, since the machine
may be busy.

Usage: python bench/file_replaced.py [--sizes 1000,10000,50000] [--runs 5]
The last line printed is one JSON object for scripts to read.
"""

import argparse
import asyncio
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from studycircle_tui.core.replica import Replica
from studycircle_tui.store.db import CircleRecord, Store
from studycircle_tui.sync.engine import CircleService
from studycircle_tui.sync.file import FileTransport, append_ops, create_circle_file

START_MS = 1_790_000_000_000


def circle(size: int):
    """A circle of ``size`` ops: one channel, threads of ten replies, two members."""
    rng = os.urandom
    lead, member = "01" + "A" * 24, "01" + "B" * 24
    first = Replica("0" * 26).make(
        lead, "circle.create", {"name": "Big", "lead_name": "Lead"}, START_MS, rng(10)
    )
    replica = Replica(first.id)
    replica.add([first])
    ops = [first]

    def make(actor, type_name, data):
        op = replica.make(actor, type_name, data, START_MS + len(ops), rng(10))
        replica.add([op])
        ops.append(op)
        return op

    channel = make(lead, "channel.create", {"name": "general"}).id
    make(member, "member.join", {"name": "Ayu"})
    thread = None
    while len(ops) < size:
        if len(ops) % 10 == 0 or thread is None:
            data = {"channel": channel, "title": "t", "kind": "discussion", "text": "x" * 120}
            thread = make(lead, "thread.create", data).id
        else:
            make(lead, "post.create", {"thread": thread, "text": "a reply " + "y" * 100})
    return first.id, member, ops, make


def timed(service: CircleService) -> tuple[float, float]:
    started, cpu = time.perf_counter(), time.process_time()
    asyncio.run(service.sync_once())
    return time.perf_counter() - started, time.process_time() - cpu


def measure(size: int, runs: int, folder: Path) -> dict[str, tuple[float, float]]:
    circle_id, member, ops, make = circle(size)
    path = folder / f"circle-{size}.jsonl"
    create_circle_file(path, ops)
    record = CircleRecord(circle_id, "Big", "file", str(path), member)
    samples: dict[str, list[tuple[float, float]]] = {}
    for run in range(runs):
        store = Store(folder / f"member-{size}-{run}.sqlite3")
        store.save_circle(record)
        service = CircleService(store, record, FileTransport(path, circle_id))
        samples.setdefault("first open (baseline)", []).append(timed(service))
        samples.setdefault("idle", []).append(timed(service))
        append_ops(
            path, [make(member, "post.create", {"thread": ops[-1].data.thread, "text": "new"})]
        )
        samples.setdefault("appended", []).append(timed(service))
        shutil.copy(path, folder / "copy")
        os.replace(folder / "copy", path)
        samples.setdefault("replaced", []).append(timed(service))
        data = path.read_bytes()
        with path.open("r+b") as handle:
            handle.truncate(len(data) - len(data) // 10)
        samples.setdefault("cut short", []).append(timed(service))
        timed(service)  # writes back what was cut: the next run starts from the whole file
        store.close()
    return {
        name: (statistics.median(w for w, _ in values), statistics.median(c for _, c in values))
        for name, values in samples.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as temp:
        print(f"{'ops':>7} {'case':<22} {'wall ms':>9} {'cpu ms':>8} {'÷ baseline':>11}")
        for size in sizes:
            results = measure(size, args.runs, Path(temp))
            baseline = results["first open (baseline)"][0]
            for name, (wall, cpu) in results.items():
                ratio = wall / baseline if baseline else float("nan")
                print(f"{size:>7} {name:<22} {wall * 1000:>9.1f} {cpu * 1000:>8.1f} {ratio:>11.2f}")
                key = name.split(" (")[0].replace(" ", "_")
                figures[f"{key}_ms_{size}"] = round(wall * 1000, 2)
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
