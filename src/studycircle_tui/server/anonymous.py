"""Anonymous suggestions as the server publishes them: kept on disk when they arrive
(acknowledged), then published alone, at a random moment ``HOLD_S`` seconds later, as
the server's, with a receive time of their own.

So an anonymous suggestion does not come with its author's other ops nor share their
receive time (``circle.served`` leaves out the author's stamp). Every process holding a
circle times the suggestions it keeps (one kept by another process too, once it reads
it); whichever first holds the circle's lock with the op still kept publishes it, so
once. Timers live in this process only: after a restart, or a failed commit that reads
the circle again, what is kept is timed anew.
"""

import asyncio
import contextlib
import random
from collections.abc import Iterable
from typing import TYPE_CHECKING

import msgspec

from ..core.ops import Op
from . import clock
from .circle import Circle
from .errors import ApiError
from .storage import Batch

if TYPE_CHECKING:  # the hub holds them, and runs the commits that publish them
    from .hub import Hub

# An anonymous suggestion is published on its own, at a random moment this many seconds
# after it arrives: not beside the ops its author sent with it, nor with their time.
HOLD_S = (5.0, 30.0)


class AnonymousSuggestions:
    def __init__(self, hub: "Hub") -> None:
        self.hub = hub
        self.timed: set[str] = set()  # circles whose held suggestions have their timers
        self.timers: dict[tuple[str, str], asyncio.TimerHandle] = {}  # circle, op: timer

    def time_kept(self, circle: Circle) -> None:
        """The first time a request needs ``circle`` here: time what it keeps (held
        when the server stopped, or when the circle was read again)."""
        if circle.id in self.timed:
            return
        self.timed.add(circle.id)
        for op_id in circle.held:
            self.time(circle.id, op_id)

    def caught_up(self, circle_id: str, op_ids: Iterable[str]) -> None:
        """Suggestions another process keeps, read here: timed here too."""
        if circle_id in self.timed:
            for op_id in op_ids:
                self.time(circle_id, op_id)

    def forget(self, circle_id: str) -> None:
        """The circle is read again from the database: time it anew when needed."""
        self.timed.discard(circle_id)

    def stop(self) -> None:
        for timer in self.timers.values():  # they wait on disk for the next start
            timer.cancel()

    def hold(self, circle: Circle, op: Op, batch: Batch) -> dict[str, object]:
        """Keep an anonymous suggestion (acknowledged, on disk) and publish it later on
        its own (``HOLD_S``), so that it does not come with its author's other ops nor
        share their receive time (``circle.served`` leaves out the author's stamp). In
        a circle where no one else writes meanwhile it still follows them in the log:
        there, who was active is plain to all anyway."""
        self.time(circle.id, op.id)
        return circle.keep(op, batch)

    def time(self, circle_id: str, op_id: str) -> None:
        loop = asyncio.get_running_loop()
        delay = random.uniform(*HOLD_S)
        earlier = self.timers.get((circle_id, op_id))
        if earlier is not None:  # the circle was read again after a failed commit
            earlier.cancel()
        self.timers[circle_id, op_id] = loop.call_later(delay, self._due, circle_id, op_id)

    def _due(self, circle_id: str, op_id: str) -> None:
        self.timers.pop((circle_id, op_id), None)

        async def publish() -> None:
            # A failed commit reads the circle again, and times what it holds anew.
            with contextlib.suppress(ApiError):
                await self.hub.submit(
                    circle_id, lambda batch: self.publish(circle_id, op_id, batch)
                )

        self.hub.spawn(publish())

    def publish(self, circle_id: str, op_id: str, batch: Batch) -> None:
        circle = self.hub.circles.get(circle_id)
        op = circle.held.get(op_id) if circle else None
        if circle is not None and op is not None:  # not out already (its author removed)
            circle.release(msgspec.structs.replace(op, at=circle.stamp(clock.now_ms())), batch)
