"""The PostgreSQL store (``--database postgresql://…``), for many circles and several
server processes on one database (see storage for what the tables hold and how seqs
are given under a circle's row lock).

psycopg 3 in its asyncio form, with psycopg_pool's pool: a write waiting for another
process's commit, or a read of a circle's history, waits without holding up the event
loop. The commit is PostgreSQL's own (synchronous_commit on, the default): an
acknowledged op is on disk.

Server processes tell each other of their commits with NOTIFY, sent in the committing
transaction, so a notice never arrives before what it announces is visible; each
listens on a connection of its own (``listen``), named ``LISTENER`` so that the
processes can count each other (``listeners``).
"""

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence

import psycopg
from psycopg_pool import AsyncConnectionPool

from . import schema
from .storage import (
    CHANNEL,
    LISTENER,
    LOCK_CIRCLE,
    Notice,
    Snapshot,
    Statement,
    StorageError,
    Store,
    Transaction,
    grouped,
)

log = logging.getLogger("studycircle.server")

# Another process holding a circle's lock longer than this (stopped, or cut off) gets a
# 503 answered to the requests that wait for it, rather than holding them for ever.
LOCK_TIMEOUT_MS = 10_000
MIGRATION_LOCK = 0x5C1C  # pg_advisory_xact_lock key: processes starting at once take turns
RECONNECT_S = 1.0

_sql: dict[str, str] = {}


def _pg(sql: str) -> str:
    """The statement with psycopg's placeholders (none of ours has a literal ? or %)."""
    found = _sql.get(sql)
    if found is None:
        found = _sql[sql] = sql.replace("?", "%s")
    return found


def _safe(url: str) -> str:
    """The URL without a password, for messages and logs."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


class PostgresTransaction(Transaction):
    def __init__(self, connection: psycopg.AsyncConnection) -> None:
        self.connection = connection
        self.notices: list[str] = []

    async def lock(self, circle: str) -> int:
        cursor = await self.connection.execute(_pg(LOCK_CIRCLE), (circle,))
        row = await cursor.fetchone()
        if row is None:
            raise StorageError(f"no circle {circle} in the database")
        return row[0]

    async def load(self, circle: str, after: int) -> Snapshot:
        # This transaction holds the circle's lock: no one else can change it meanwhile.
        return await _snapshot(self.connection, circle, after, kept=True)

    async def changed(self, sql: str, params: Sequence[object]) -> int:
        cursor = await self.connection.execute(_pg(sql), params)
        return cursor.rowcount

    async def run(self, statements: Iterable[Statement]) -> None:
        """The statements, and the notices so far, sent in one go (a pipeline)."""
        async with self.connection.pipeline(), self.connection.cursor() as cursor:
            for sql, rows in grouped(statements):
                await cursor.executemany(_pg(sql), rows)
            await self.send_notices(cursor)

    async def send_notices(self, cursor: psycopg.AsyncCursor) -> None:
        if self.notices:
            rows = [(CHANNEL, notice) for notice in self.notices]
            self.notices = []
            await cursor.executemany("SELECT pg_notify(%s, %s)", rows)

    async def rows(self, sql: str, params: Sequence[object]) -> list[tuple]:
        cursor = await self.connection.execute(_pg(sql), params)
        return await cursor.fetchall()

    def notify(self, payload: str) -> None:
        self.notices.append(payload)


class PostgresStore(Store):
    kind = "postgresql"
    shared = True

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.where = _safe(url)
        self.pool = AsyncConnectionPool(
            url,
            min_size=2,
            max_size=pool_size,
            open=False,
            kwargs={
                "autocommit": True,  # transactions are explicit; reads need none
                "application_name": "studycircle",
                "options": f"-c lock_timeout={LOCK_TIMEOUT_MS}",
            },
        )

    async def open(self) -> None:
        try:
            # One connection first: a database that cannot be reached is said so at once,
            # in libpq's words, rather than after the pool's retries.
            async with await psycopg.AsyncConnection.connect(
                self.url, autocommit=True, connect_timeout=10
            ) as connection:
                await _migrate(connection)
            await self.pool.open(wait=True, timeout=15)
        except (psycopg.Error, OSError) as error:
            await self.pool.close()
            raise StorageError(f"cannot open {self.where}: {_reason(error)}") from error
        except BaseException:
            await self.pool.close()
            raise

    async def close(self) -> None:
        await self.pool.close()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        try:
            async with self.pool.connection() as connection, connection.transaction():
                tx = PostgresTransaction(connection)
                yield tx
                async with connection.cursor() as cursor:
                    await tx.send_notices(cursor)
        except psycopg.Error as error:
            raise StorageError(_reason(error)) from error

    async def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        try:
            async with self.pool.connection() as connection:
                cursor = await connection.execute(_pg(sql), params)
                return await cursor.fetchall()
        except psycopg.Error as error:
            raise StorageError(_reason(error)) from error

    async def load(self, circle: str, after: int = 0, kept: bool = True) -> Snapshot:
        try:
            async with self.pool.connection() as connection, connection.transaction():
                await connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                return await _snapshot(connection, circle, after, kept)
        except psycopg.Error as error:
            raise StorageError(_reason(error)) from error

    async def notify(self, channel: str, payload: str) -> None:
        await self.rows("SELECT pg_notify(?, ?)", (channel, payload))

    async def listeners(self) -> int:
        found = await self.rows(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = ? AND datname = current_database()",
            (LISTENER,),
        )
        return max(1, found[0][0])

    async def listen(
        self,
        channel: str,
        on_notice: Notice,
        on_listening: Callable[[bool], Awaitable[None]],
        name: str | None = None,
    ) -> None:
        again = False
        while True:
            try:
                connection = await psycopg.AsyncConnection.connect(
                    self.url, autocommit=True, application_name=name or "studycircle"
                )
            except psycopg.Error as error:
                log.warning("cannot listen on %s (%s); trying again", self.where, error)
                await asyncio.sleep(RECONNECT_S)
                continue
            try:
                async with connection:
                    await connection.execute(f"LISTEN {channel}")
                    await on_listening(again)  # notices sent while no one listened are gone
                    again = True
                    async for notice in connection.notifies():
                        done = on_notice(notice.payload)
                        if done is not None:
                            await done
            except psycopg.Error as error:
                log.warning("lost the listening connection (%s); reconnecting", error)
                await asyncio.sleep(RECONNECT_S)


async def _migrate(connection: psycopg.AsyncConnection) -> None:
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        await connection.execute(schema.CREATE_MIGRATIONS)
        cursor = await connection.execute(schema.APPLIED)
        applied = (await cursor.fetchone())[0]
        for number, statements in schema.pending(applied, schema.POSTGRES):
            for sql in statements:
                await connection.execute(sql)
            await connection.execute(_pg(schema.RECORD), (number, time.time_ns() // 1_000_000))


async def _snapshot(
    connection: psycopg.AsyncConnection, circle: str, after: int, kept: bool
) -> Snapshot:
    cursor = await connection.execute("SELECT version FROM circles WHERE id = %s", (circle,))
    found = await cursor.fetchone()
    cursor = await connection.execute(
        "SELECT body FROM ops WHERE circle = %s AND seq > %s ORDER BY seq", (circle, after)
    )
    ops = [row[0] for row in await cursor.fetchall()]
    held = None
    if kept:
        cursor = await connection.execute(
            "SELECT body FROM sealed WHERE circle = %s ORDER BY id", (circle,)
        )
        held = [row[0] for row in await cursor.fetchall()]
    return Snapshot(found[0] if found else 0, ops, held)


def _reason(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
