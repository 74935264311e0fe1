"""``studycircle server migrate --from sqlite:PATH --to postgresql://…``: a community's
whole server data copied to another database, then checked.

Every row goes as it is: each circle with its version, every op with its seq and the
very bytes served, the sealed answers and held suggestions still kept, members, and
the hashes of tokens and invites, so members' tokens and unused invites keep working,
and the server's signing key, so what it signs after the move is still taken as the
server's by every member (their logs name that key: core/signing.py).
The copy is one transaction (all of it or nothing) into a database with no circles
yet; afterwards both sides are read again and compared circle by circle: counts, and
a SHA-256 over everything the circle holds.

Stop the server first: what it writes during the copy would not be in it.
"""

import asyncio
import hashlib
import sys
from dataclasses import dataclass

from .storage import StorageError, Store, open_store

TABLES = {  # the columns copied
    "circles": ("id", "name", "created_ms", "version"),
    "ops": ("circle", "seq", "id", "actor", "body"),
    "sealed": ("circle", "id", "actor", "body"),
    "members": ("circle", "id", "name", "joined_ms"),
    "tokens": ("circle", "member", "hash", "created_ms"),
    "invites": ("circle", "hash", "role", "uses_left", "expires_ms", "member", "created_ms"),
}
SERVER_KEYS = ("name", "seed", "created_ms")  # not a circle's: copied and compared whole


@dataclass(slots=True)
class Tally:
    name: str
    counts: dict[str, int]
    digest: str


def _select(table: str, circle_column: str) -> str:
    columns = TABLES[table]
    where = f" WHERE {circle_column} = ?" if circle_column else ""
    return f"SELECT {', '.join(columns)} FROM {table}{where} ORDER BY {columns[0]}, {columns[1]}"


def _insert(table: str) -> str:
    columns = TABLES[table]
    marks = ", ".join("?" for _ in columns)
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"


async def tally(store: Store) -> dict[str, Tally]:
    """Per circle: its name, how many rows of each kind, and a digest of them all."""
    found = {}
    for circle_id, name, *_ in await store.rows(_select("circles", "")):
        digest = hashlib.sha256()
        counts = {}
        for table in TABLES:
            if table == "circles":
                continue
            # Sorted here: the two databases may collate text differently.
            rows = sorted(await store.rows(_select(table, "circle"), (circle_id,)), key=repr)
            counts[table] = len(rows)
            for row in rows:
                for value in row:
                    digest.update(value if isinstance(value, bytes) else repr(value).encode())
                    digest.update(b"\x1f")
                digest.update(b"\x1e")
        found[circle_id] = Tally(name, counts, digest.hexdigest())
    return found


async def server_keys(store: Store) -> list[tuple]:
    query = f"SELECT {', '.join(SERVER_KEYS)} FROM server_keys ORDER BY name"
    return [(name, bytes(seed), created) for name, seed, created in await store.rows(query)]


async def copy(source: Store, target: Store) -> int:
    """Every row of ``source`` into ``target`` in one transaction; how many rows."""
    if await target.circles():
        raise StorageError("the target already holds circles: migrate into an empty database")
    copied = 0
    circles = await source.rows(_select("circles", ""))
    keys = await server_keys(source)
    async with target.transaction() as tx:
        # The target made a key of its own if a server ever started on it: the source's
        # replaces it (no circle there names it, the target holding none).
        await tx.run([("DELETE FROM server_keys", ())])
        marks = ", ".join("?" for _ in SERVER_KEYS)
        insert_key = f"INSERT INTO server_keys ({', '.join(SERVER_KEYS)}) VALUES ({marks})"
        await tx.run((insert_key, row) for row in keys)
        await tx.run((_insert("circles"), tuple(row)) for row in circles)
        copied += len(circles) + len(keys)
        for circle_id, *_ in circles:
            for table in TABLES:
                if table == "circles":
                    continue
                rows = await source.rows(_select(table, "circle"), (circle_id,))
                await tx.run((_insert(table), tuple(row)) for row in rows)
                copied += len(rows)
    return copied


async def migrate(source_url: str, target_url: str) -> int:
    try:
        source, target = open_store(source_url, None), open_store(target_url, None)
    except ValueError as error:
        print(f"studycircle: error: {error}", file=sys.stderr)
        return 2
    except ImportError:
        print("studycircle: error: PostgreSQL needs psycopg", file=sys.stderr)
        return 1
    try:
        await source.open()
        await target.open()
        copied = await copy(source, target)
        before, after = await tally(source), await tally(target)
        same_key = await server_keys(source) == await server_keys(target)
    except StorageError as error:
        print(f"studycircle: error: {error}", file=sys.stderr)
        return 1
    finally:
        await source.close()
        await target.close()
    print(f"copied {copied} rows from {source.where} to {target.where}")
    print(
        f"{'circle':<28} {'ops':>7} {'kept':>5} {'members':>7} {'tokens':>6} {'invites':>7}  check"
    )
    same = before.keys() == after.keys()
    for circle_id, was in before.items():
        now = after.get(circle_id)
        ok = now is not None and now.counts == was.counts and now.digest == was.digest
        same = same and ok
        c = was.counts
        print(
            f"{was.name[:28]:<28} {c['ops']:>7} {c['sealed']:>5} {c['members']:>7}"
            f" {c['tokens']:>6} {c['invites']:>7}  {'same' if ok else 'DIFFERENT'}"
            f" ({was.digest[:12]})"
        )
    print(f"the server's signing key: {'same' if same_key else 'DIFFERENT'}")
    if not (same and same_key):
        print("studycircle: error: the copy differs from its source", file=sys.stderr)
        return 1
    print(f"{len(before)} circles: counts and digests match")
    return 0


def main(source_url: str, target_url: str) -> int:
    if not source_url.startswith("sqlite:") and "://" not in source_url:
        source_url = f"sqlite:{source_url}"
    return asyncio.run(migrate(source_url, target_url))
