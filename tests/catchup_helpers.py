"""A busy circle on an in-process server, and members joining it through the real join,
store and engine, their catching-up pages held back at will (sync/catchup.py)."""

import asyncio

import httpx

from server_helpers import BASE
from studycircle_tui.store.db import Store
from studycircle_tui.sync.engine import CircleService
from studycircle_tui.sync.http import HttpTransport, read_token
from studycircle_tui.sync.join import join


class HeldBack(HttpTransport):
    """The real transport, its catching-up pages (and only those) held until let go;
    its preview too, while ``preview_go`` is cleared."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.go = asyncio.Event()
        self.preview_go = asyncio.Event()
        self.preview_go.set()
        self.asked_preview = asyncio.Event()
        self.pages = 0
        self.pulls = 0

    async def preview(self, cursor, progress=None):
        self.asked_preview.set()
        await self.preview_go.wait()
        return await super().preview(cursor, progress)

    async def pull(self, cursor, wait=0.0, limit=0):
        self.pulls += 1
        if limit:  # only the catching-up pages ask for a number
            await self.go.wait()
            self.pages += 1
        return await super().pull(cursor, wait, limit)


async def member(site, tmp_path, code, name, held: bool = False) -> CircleService:
    data = tmp_path / name
    store = Store(data / "replica.sqlite3")
    asgi = httpx.ASGITransport(app=site.app)
    record = await join(BASE, code, name, store, data_dir=data, transport=asgi)
    kind = HeldBack if held else HttpTransport
    transport = kind(record.location, record.id, read_token(record.id, data), transport=asgi)
    return CircleService(store, record, transport)


async def busy_circle(site, tmp_path, threads: int = 60, posts: int = 8):
    """A circle with a long history: two channels, many threads, old and new, a note."""
    circle, code = await site.new_circle("Biology")
    lead = await member(site, tmp_path, code, "Lea")
    await lead.sync_once()
    channels = [lead.submit("channel.create", {"name": name}).id for name in ("cells", "genes")]
    lead.submit("note.create", {"title": "Glossary", "text": "cell: the unit of life\n"})
    made = []
    for index in range(threads):
        data = {"channel": channels[index % 2], "title": f"Topic {index}", "kind": "discussion"}
        thread = lead.submit("thread.create", {**data, "text": "What do we know?"})
        made.append(thread.id)
        for reply in range(posts):
            lead.submit("post.create", {"thread": thread.id, "text": f"Point {reply}."})
        await lead.sync_once()
    return circle, lead, channels, made
