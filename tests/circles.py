"""Helpers for tests that need real circles: real stores, real circle files."""

import asyncio
import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from studycircle_tui.core.ids import ulid
from studycircle_tui.core.ops import Op
from studycircle_tui.core.replica import Replica
from studycircle_tui.core.signing import SigningKey
from studycircle_tui.store.db import Store
from studycircle_tui.sync.circles import create_file_circle, open_file_circle
from studycircle_tui.sync.engine import CircleService


def new_file_circle(tmp_path: Path, name: str = "Club", who: str = "Lead") -> CircleService:
    """A new circle file with ``who`` as its lead, opened through its own store."""
    store = Store(tmp_path / f"{who}-replica.sqlite3")
    return create_file_circle(store, tmp_path / "circle.jsonl", name, who)


def key_of(service: CircleService) -> SigningKey:
    """The key ``service``'s member signs with (for tests that make ops by hand)."""
    key = service.keys.signing(service.state, service.me)
    assert key is not None
    return key


def join_file_circle(tmp_path: Path, who: str) -> CircleService:
    """Another person (their own store) opening the same circle file."""
    store = Store(tmp_path / f"{who}-replica.sqlite3")
    return open_file_circle(store, tmp_path / "circle.jsonl", who)


async def arrives_while_running(
    service: CircleService,
    author: CircleService,
    channel: str,
    seconds: float = 30.0,
    then: Callable[[], bool] = lambda: True,
) -> bool:
    """Run ``service``'s sync loop while ``author`` starts a thread in ``channel``: whether
    the thread reached ``service`` (the loop polls; a busy machine may take a while) and
    ``then`` came true (what the loop does after folding the thread, such as saying it
    is synced, may be a few awaits later). Raises what ended the loop, if something did."""
    runner = asyncio.create_task(service.run())
    try:
        thread = author.submit(
            "thread.create",
            {"channel": channel, "title": "New here", "kind": "discussion", "text": "hi"},
        )
        await author.sync_once()
        for _ in range(int(seconds / 0.05)):
            if runner.done():
                runner.result()
                return False
            if thread.id in service.state.threads and then():
                return True
            await asyncio.sleep(0.05)
        return False
    finally:
        runner.cancel()


async def until(condition, limit: float = 30.0) -> bool:
    """Wait until ``condition()`` holds (True), or ``limit`` seconds pass (False)."""
    end = time.monotonic() + limit
    while not condition():
        if time.monotonic() > end:
            return False
        await asyncio.sleep(0.02)
    return True


def circle_ops(n_posts: int, wall_ms: int = 1_700_000_000_000) -> tuple[str, list[Op]]:
    """A circle with one channel and one thread holding ``n_posts`` replies."""
    lead = "01" + "A" * 24
    first = Replica("0" * 26).make(
        lead, "circle.create", {"name": "Big", "lead_name": "Lead"}, wall_ms, os.urandom(10)
    )
    replica = Replica(first.id)
    replica.add([first])
    ops = [first]

    def make(type_name: str, data: dict) -> Op:
        op = replica.make(lead, type_name, data, wall_ms + len(ops), os.urandom(10))
        replica.add([op])
        ops.append(op)
        return op

    channel = make("channel.create", {"name": "general"})
    thread = make(
        "thread.create",
        {"channel": channel.id, "title": "t", "kind": "discussion", "text": "first"},
    )
    for index in range(n_posts):
        make("post.create", {"thread": thread.id, "text": f"post {index}"})
    return first.id, ops


FIXED_NOW_MS = 1_795_000_000_000  # a Wednesday in November 2026, 08:26 UTC
DAY_MS = 86_400_000
DEMO_KEYS: dict[str, SigningKey] = {}  # the fixed demo's user's key, by circle


def fixed_demo_service(tmp_path: Path, me_name: str = "Rina", seed: int = 7) -> CircleService:
    """The demo circle with fixed ids and times, and a clock stopped at FIXED_NOW_MS, so
    screens built from it are the same on every run (for snapshots). Told in the
    language in force, as the app tells it (English unless ``i18n.speaking``)."""
    import asyncio
    import random

    from studycircle_tui import i18n
    from studycircle_tui.core.demo import demo_ops
    from studycircle_tui.core.ids import ulid
    from studycircle_tui.store.db import CircleRecord
    from studycircle_tui.sync.file import FileTransport, create_circle_file

    rng = random.Random(seed)
    me = ulid(FIXED_NOW_MS - 3 * DAY_MS, rng.randbytes(10))
    key = SigningKey(random.Random(seed + 1).randbytes(32))  # drawn apart: ids stay the same
    start, translate = FIXED_NOW_MS - 3 * DAY_MS, i18n.current().gettext
    circle_id, ops = demo_ops(me_name, me, start, lambda: rng.randbytes(10), key, translate)
    path = tmp_path / "demo-circle.jsonl"
    create_circle_file(path, ops)
    store = Store(tmp_path / "fixed-replica.sqlite3")
    record = CircleRecord(circle_id, "Python Club Demo", "file", str(path), me)
    store.save_circle(record)
    store.save_key(circle_id, me, key.public, key.seed, FIXED_NOW_MS)
    DEMO_KEYS[circle_id] = key
    service = CircleService(store, record, FileTransport(path), now_ms=lambda: FIXED_NOW_MS)
    asyncio.run(service.sync_once())
    return service


def as_member(service: CircleService, member_name: str) -> CircleService:
    """The same circle seen by another of its members, through their own replica (empty
    until its first ``sync_once``)."""
    from studycircle_tui.core.demo import member_key
    from studycircle_tui.store.db import CircleRecord
    from studycircle_tui.sync.file import FileTransport

    member = next(m for m in service.state.members.values() if m.name == member_name)
    record = CircleRecord(
        service.record.id, service.record.name, "file", service.record.location, member.id
    )
    store = Store(service.store.path.with_name(f"{member_name}-replica.sqlite3"))
    store.save_circle(record)
    key = member_key(DEMO_KEYS[record.id], member.id)  # the demo members' keys
    store.save_key(record.id, member.id, key.public, key.seed, FIXED_NOW_MS)
    return CircleService(store, record, FileTransport(Path(record.location)), service.now_ms)


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


class Circle:
    """A circle built op by op at chosen times, folded in hlc order like a file circle
    (pure core: no store, no file)."""

    def __init__(self, start: str = "2026-11-01T08:00:00+00:00") -> None:
        self.clock = ms(start)
        self.lead = self._id()
        first = Replica("0" * 26).make(
            self.lead,
            "circle.create",
            {"name": "C", "lead_name": "Lead"},
            self.clock,
            os.urandom(10),
        )
        self.replica = Replica(first.id)
        self.replica.add([first])
        self.ops = [first]

    def _id(self) -> str:
        return ulid(0, os.urandom(10))

    def at(self, when: str) -> "Circle":
        self.clock = ms(when)
        return self

    def do(self, actor: str, type_name: str, **data):
        op = self.replica.make(actor, type_name, data, self.clock, os.urandom(10))
        self.replica.add([op])
        self.ops.append(op)
        return op

    def member(self, name: str) -> str:
        member = self._id()
        self.do(member, "member.join", name=name)
        return member

    @property
    def state(self):
        return self.replica.state
