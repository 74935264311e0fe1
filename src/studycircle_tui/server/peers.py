"""The other server processes on a shared database (PostgreSQL), as one hears of them
and tells them, on the database's notices (storage.CHANNEL):

- ``ops CIRCLE VERSION SENDER``, sent in each commit that logged ops, followed by the
  ops themselves, one per line, when they fit in a notice (``NOTICE_BYTES``): the others
  fold them in and wake the circle's long-polls. Notices come in commit order, so the ops
  follow on from what a process has, unless it missed some (it was not listening yet,
  or they did not fit): then it reads them from the database, one read at a time per
  circle;
- ``revoke CIRCLE MEMBER NONCE`` (``server revoke``): each forgets that member's tokens
  and answers on storage.ACKS, so that the command can say every process has;
- ``hello SENDER``, when a process starts listening: the others count the processes
  again now, rather than at their next ``COUNT_S``; each applies its share of every
  limit (limits.py).

A process that lost its listening connection may have missed notices: once back, it
reads every circle again and forgets every token it had seen.
"""

import asyncio
import contextlib
import logging
import secrets
from typing import TYPE_CHECKING

from .storage import ACKS, CHANNEL, LISTENER, Snapshot, StorageError, decode_stored

if TYPE_CHECKING:
    from .circle import Circle
    from .hub import Hub

log = logging.getLogger("studycircle.server")

COUNT_S = 5.0  # how often the server processes on a shared database are counted
NOTICE_BYTES = 7900  # PostgreSQL takes payloads up to 8000 bytes


class Peers:
    def __init__(self, hub: "Hub") -> None:
        self.hub = hub
        self.sender = secrets.token_hex(4)  # in this process's notices, to skip its own
        self.processes = 1  # on this database; each applies its share of limits
        self.listening = asyncio.Event()  # set once other processes' notices arrive
        self._following: dict[str, bool] = {}  # circle: read again once this read is done
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        store = self.hub.store
        if not store.shared:
            return
        self._task = asyncio.create_task(
            store.listen(CHANNEL, self._noticed, self._listening_now, LISTENER)
        )
        await self.listening.wait()
        self.processes = await store.listeners()
        self.hub.spawn(self._count())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def committed(self, circle: "Circle", bodies: list[bytes]) -> str:
        """The notice of a commit that logged these ops in ``circle``."""
        head = f"ops {circle.id} {circle.version} {self.sender}"
        whole = "\n".join([head, *(body.decode() for body in bodies)])
        return whole if len(whole.encode()) <= NOTICE_BYTES else head

    async def _listening_now(self, again: bool) -> None:
        self.listening.set()
        await self.hub.store.notify(CHANNEL, f"hello {self.sender}")
        if again:  # notices may have been missed: read every circle again, forget tokens
            self.hub.tokens.clear()
            for circle in list(self.hub.circles.values()):
                self._follow(circle)

    async def _count(self) -> None:
        """Keep ``processes`` true as processes start and stop."""
        while True:
            await asyncio.sleep(COUNT_S)
            await self._recount()

    async def _recount(self) -> None:
        with contextlib.suppress(StorageError):
            self.processes = await self.hub.store.listeners()

    def _noticed(self, payload: str) -> None:
        kind, _, rest = payload.partition(" ")
        hub = self.hub
        if kind == "ops":
            head, *lines = rest.split("\n")
            circle_id, version, sender = head.split(" ")
            circle = hub.circles.get(circle_id)
            if sender != self.sender and circle is not None and circle.version < int(version):
                self._fold(circle, [line.encode() for line in lines])
        elif kind == "hello" and rest != self.sender:
            hub.spawn(self._recount())
        elif kind == "revoke":
            circle_id, member, nonce = rest.split(" ")
            gone = (circle_id, member)
            hub.tokens = {key: known for key, known in hub.tokens.items() if known != gone}
            hub.spawn(hub.store.notify(ACKS, f"{nonce} {self.sender}"))

    def _fold(self, circle: "Circle", bodies: list[bytes]) -> None:
        """The ops a notice brought, if they follow on from this copy's log (and no
        commit round has the circle: it reads what it needs itself); else a read."""
        ops = decode_stored(bodies) if bodies else []
        if not ops or circle.lock.locked() or (ops[0].seq or 0) > len(circle.log) + 1:
            self._follow(circle)
            return
        before = len(circle.log)
        circle.catch_up(Snapshot(circle.version, bodies, None))
        if len(circle.log) > before:
            circle.notify()

    def _follow(self, circle: "Circle") -> None:
        """Read the ops another process committed to ``circle``, then wake its long-polls.
        One read at a time per circle; notices meanwhile make one more."""
        if circle.id in self._following:
            self._following[circle.id] = True
            return
        self._following[circle.id] = False

        async def follow() -> None:
            try:
                while True:
                    await self.hub.fresh(circle)
                    if not self._following[circle.id]:
                        break
                    self._following[circle.id] = False
            except StorageError as error:
                log.warning("could not read circle %s: %s", circle.id, error)
            finally:
                del self._following[circle.id]

        self.hub.spawn(follow())
