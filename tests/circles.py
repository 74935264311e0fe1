"""Helpers for tests that need real circles: real stores, real circle files."""

import os
from pathlib import Path

from studycircle_tui.core.ops import Op
from studycircle_tui.core.replica import Replica
from studycircle_tui.store.db import Store
from studycircle_tui.sync.circles import create_file_circle, open_file_circle
from studycircle_tui.sync.engine import CircleService


def new_file_circle(tmp_path: Path, name: str = "Club", who: str = "Lead") -> CircleService:
    """A new circle file with ``who`` as its lead, opened through its own store."""
    store = Store(tmp_path / f"{who}-replica.sqlite3")
    return create_file_circle(store, tmp_path / "circle.jsonl", name, who)


def join_file_circle(tmp_path: Path, who: str) -> CircleService:
    """Another person (their own store) opening the same circle file."""
    store = Store(tmp_path / f"{who}-replica.sqlite3")
    return open_file_circle(store, tmp_path / "circle.jsonl", who)


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
