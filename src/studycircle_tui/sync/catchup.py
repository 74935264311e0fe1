"""Joining a busy circle over a slow link: show its newest threads first, while the
whole log follows in the background (docs/architecture.md, "Joining a busy circle").

A ``CatchUp`` holds a second replica, the *view*: what this member already has, plus
the server's preview (core/preview.py: every op about the circle and its newest threads
whole), plus whatever arrives live meanwhile. The app shows the view; the service's own
replica takes the whole log in order, page by page, as ever. Once that replica has come
as far as the view, the view is dropped and the app shows the replica: every replica
still folds the whole log alone, and the view never reaches the store (a restart asks
for a preview again, a few kilobytes).

What the member does meanwhile goes to the store and the outbox as ever, and folds into
the view; whatever the server has not confirmed when the view goes is folded into the
replica then, as pending.
"""

import asyncio
import contextlib
from collections.abc import Callable

from ..core.ops import Op
from ..core.replica import Change, Replica
from .transport import Preview, Transport, TransportError

# Ops behind the server from which a preview is worth asking for (fewer come in a page
# or two, and a preview costs a round trip).
PREVIEW_FROM = 300
HISTORY_PAGE = 1_000  # ops a page while catching up: bigger pages pack smaller
LIVE_WAIT_S = 600.0


def worth_a_preview(cursor: str | None, head: int) -> bool:
    """Whether a replica at ``cursor`` (None: it never pulled) should ask for a preview
    of a circle ``head`` ops long (0: not known yet)."""
    have = int(cursor) if cursor and cursor.isdigit() else 0
    return cursor is None or head - have >= PREVIEW_FROM


class CatchUp:
    """The view shown while the replica takes the whole log (see the module's doc)."""

    def __init__(self, circle_id: str, have: list[Op], preview: Preview) -> None:
        self.view = Replica(circle_id, "seq")
        confirmed = [op for op in have if op.seq is not None]
        self.view.add([*confirmed, *preview.ops])
        for op in have:
            if op.seq is None and not op.LOCAL_ONLY:
                self.view.add_local(op)
        self.upto = int(preview.upto)
        self.cursor = preview.upto  # how far the live poll has read
        self.live: asyncio.Task[None] | None = None

    @property
    def threads(self) -> int:
        return len(self.view.state.threads)

    def reached(self, cursor: str) -> bool:
        """Whether a replica read up to ``cursor`` has everything the view shows."""
        return int(cursor) >= int(self.cursor)

    def follow(self, transport: Transport, shown: Callable[[Change], None]) -> None:
        """Keep the view current with what arrives live (a long-poll of its own)."""

        async def follow() -> None:
            while True:
                try:
                    pulled = await transport.pull(self.cursor, LIVE_WAIT_S)
                except TransportError:
                    await asyncio.sleep(5)  # the sync loop says we are offline
                    continue
                self.cursor = pulled.cursor
                shown(self.view.add(pulled.ops))

        self.live = asyncio.create_task(follow())

    async def stop(self) -> None:
        if self.live is not None:
            self.live.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.live
