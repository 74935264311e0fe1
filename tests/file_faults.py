"""A file-fault harness: real writer processes on one circle file, and what real use does
to such a file meanwhile.

Each writer is a real process running a real ``CircleService`` (its own store, the real
sync loop) that keeps posting. While they write, a driver does, at random: kill -9 a
writer (and start it again on its store), let "another machine's" version of the file
win or lose (a file-sync tool: the loser is left as a conflict copy), cut the file short
mid-line, append garbage, and append an op stamped far in the future. The other machine
is a real replica too (a member with a store, writing into its own copy of the file).

Afterwards every replica syncs until nothing is left to send, and the harness checks
the promises: every replica folds to the same state, every op any of them holds (every
op acknowledged to its author) is in the file, and far-future ops are held everywhere.
The event sequence is seeded; the interleaving with the writers is whatever the
machine's scheduler makes of it.
"""

import asyncio
import multiprocessing
import os
import random
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

from studycircle_tui.core import hlc
from studycircle_tui.core.ops import encode_op
from studycircle_tui.store.db import CircleRecord, Store
from studycircle_tui.sync.circles import create_file_circle, open_file_circle, transport_for
from studycircle_tui.sync.engine import CircleService
from studycircle_tui.sync.file import FileTransport, read_lines

EVENTS = ("kill", "other wins", "ours wins", "truncate", "garbage", "far future")


def writer_main(store_path: str, record: tuple, channel: str, seed: int, stop) -> None:
    """One member's app: the sync loop running, a post every few tens of milliseconds."""
    record_ = CircleRecord(*record)
    service = CircleService(Store(Path(store_path)), record_, transport_for(record_))
    rng = random.Random(seed)

    async def write() -> None:
        runner = asyncio.create_task(service.run())
        while not stop.is_set():
            threads = list(service.state.threads)
            if threads and rng.random() < 0.6:
                service.submit("post.create", {"thread": rng.choice(threads), "text": "re"})
            else:
                service.submit(
                    "thread.create",
                    {"channel": channel, "title": "t", "kind": "discussion", "text": "x" * 300},
                )
            await asyncio.sleep(rng.uniform(0.02, 0.12))
            if runner.done():
                runner.result()  # the sync loop ended: say why (and fail the round)
        runner.cancel()

    asyncio.run(write())


def _thread(service: CircleService, title: str) -> dict:
    channel = next(iter(service.state.channels))
    return {"channel": channel, "title": title, "kind": "discussion", "text": "b"}


def shared(service: CircleService) -> tuple:
    """What every member must agree on (read marks are each member's own)."""
    state = service.state
    return (state.members, state.channels, state.threads, state.posts, state.notes)


@dataclass
class Round:
    folder: Path
    seed: int
    events: int = 8
    log: list[str] = field(default_factory=list)

    def run(self) -> None:
        rng = random.Random(self.seed)
        path = self.folder / "circle.jsonl"
        lead = create_file_circle(Store(self.folder / "lead.sqlite3"), path, "Faults", "Lead")
        channel = lead.submit("channel.create", {"name": "general"}).id
        asyncio.run(lead.sync_once())
        members = [
            open_file_circle(Store(self.folder / f"{name}.sqlite3"), path, name)
            for name in ("Ayu", "Budi", "Citra")
        ]
        machine_b = self.folder / "b"
        machine_b.mkdir()
        b_path = machine_b / "circle.jsonl"
        shutil.copy(path, b_path)
        other = open_file_circle(Store(machine_b / "other.sqlite3"), b_path, "Other")
        record = lead.record
        context = multiprocessing.get_context("spawn")
        stop = context.Event()

        def start(member: CircleService) -> multiprocessing.Process:
            fields = (record.id, record.name, "file", str(path), member.me)
            process = context.Process(
                target=writer_main,
                args=(str(member.store.path), fields, channel, rng.randrange(2**32), stop),
            )
            process.start()
            return process

        writers = [start(member) for member in members]
        killed: list[int] = []
        stale = path.read_bytes()
        try:
            for _ in range(self.events):
                time.sleep(rng.uniform(0.1, 0.4))
                event = rng.choice(EVENTS)
                self.log.append(event)
                if event == "kill":
                    victim = rng.randrange(len(writers))
                    writers[victim].kill()  # SIGKILL: no clean-up of any kind
                    writers[victim].join(30)
                    killed.append(writers[victim].pid)
                    writers[victim] = start(members[victim])
                elif event in ("other wins", "ours wins"):
                    self._other_machine(path, b_path, stale, other, rng, event == "other wins")
                    stale = path.read_bytes()
                elif event == "truncate":
                    data = path.read_bytes()
                    cut = rng.randrange(len(data) // 2, len(data))
                    while cut < len(data) and data[cut - 1 : cut] == b"\n":
                        cut += 1  # mid-line
                    with path.open("r+b") as handle:
                        handle.truncate(cut)
                elif event == "garbage":
                    with path.open("ab") as handle:
                        handle.write(b"\x00garbage{not json\n")
                else:
                    self._far_future(path, other, rng)
        finally:
            stop.set()
            for writer in writers:
                writer.join(60)
        codes = [writer.exitcode for writer in writers]
        assert codes == [0, 0, 0], f"a writer failed: {codes} after {self.log}"
        self._check(path, [lead, *members], other)

    def _other_machine(self, path, b_path, stale, other, rng, theirs_wins) -> None:
        """Machine B had an older version, its member wrote into it, and the sync tool
        met the two versions: one wins, the other is left as a conflict copy."""
        b_path.write_bytes(stale)  # what the sync tool last brought to B
        asyncio.run(other.sync_once())  # B's app reads it (and writes back what it lost)
        for _ in range(rng.randint(1, 3)):
            other.submit("thread.create", _thread(other, "from machine B"))
        asyncio.run(other.sync_once())
        copy = path.with_name(f"circle.sync-conflict-20261206-{rng.randrange(10**6):06d}-B.jsonl")
        if theirs_wins:
            os.replace(path, copy)
            shutil.copy(b_path, path.with_name(".syncing"))
            os.replace(path.with_name(".syncing"), path)
        else:
            shutil.copy(b_path, copy)

    def _far_future(self, path, other, rng) -> None:
        data = _thread(other, "from the future")
        op = other.replica.make(other.me, "thread.create", data, other.now_ms(), os.urandom(10))
        stamp = rng.choice(["ffffffffffffffff", hlc.encode(255_000_000_000_000, 0)])
        with path.open("ab") as handle:
            handle.write(encode_op(msgspec.structs.replace(op, hlc=stamp)) + b"\n")

    def _check(self, path: Path, services: list[CircleService], other: CircleService) -> None:
        # Machine B's app, once its sync tool brings it A's file again.
        record = other.record
        other = CircleService(other.store, record, FileTransport(path), other.now_ms)
        replicas = [
            CircleService(Store(s.store.path), s.record, transport_for(s.record)) for s in services
        ] + [other]
        for _ in range(4):  # read, write back what the file lost, read that back
            for replica in replicas:
                asyncio.run(replica.sync_once())
        for replica in replicas:
            assert replica.store.outbox_size(record.id) == 0, self.log
        in_file = {op.id for op in read_lines(path).ops}
        authors = {op.actor for op in read_lines(path).ops}
        assert {r.me for r in replicas} <= authors, "a writer wrote nothing: a round too short"
        for replica in replicas:
            held = {op.id for op in replica.store.load_ops(record.id) if not op.LOCAL_ONLY}
            assert held <= in_file, f"{len(held - in_file)} ops lost after {self.log}"
        states = [shared(replica) for replica in replicas]
        assert all(state == states[0] for state in states), f"diverged after {self.log}"
        now = replicas[0].now_ms()
        future = {op.id for op in read_lines(path).ops if hlc.too_far_ahead(op.hlc, now)}
        for replica in replicas:
            assert {op.id for op in replica.replica.held} == future, self.log


# --- sync failing (tests/test_sync_errors.py, tests/tui/test_sync_failures.py) ---------


class RaisingTransport(FileTransport):
    """A real file transport whose first ``failures`` pulls fail as the conflict-copy
    race did (the loser's unlink: FileNotFoundError)."""

    def __init__(self, path: Path, failures: int) -> None:
        super().__init__(path)
        self.failures = failures
        self.pulls = 0

    async def pull(self, cursor, wait=0.0, limit=0):
        self.pulls += 1
        if self.pulls <= self.failures:
            raise FileNotFoundError(2, "No such file or directory", "circle.sync-conflict-1.jsonl")
        return await super().pull(cursor, wait, limit)


# --- processes racing over conflict copies (tests/test_sync_errors.py) ------------------


def merge_at_once(path: Path, barrier, rounds: int, errors) -> None:
    """One app's share of the race: merge the copy the moment the others do."""
    import threading

    from studycircle_tui.sync.file import merge_conflict_copies

    for _ in range(rounds):
        try:
            barrier.wait(60)
            try:
                merge_conflict_copies(path)
            except Exception as error:  # what used to end the app
                errors.put(repr(error))
            barrier.wait(60)
        except threading.BrokenBarrierError:
            return  # the test gave up on this round
