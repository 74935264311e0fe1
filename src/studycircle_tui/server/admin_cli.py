"""``studycircle server create-circle|invite|members|revoke|migrate``: the host's commands,
against the same database as a running server (SQLite in ``--data``, or
``--database postgresql://…``), while it runs (see admin).

Each command returns an exit code; a bad argument or an unreachable database prints
one line saying what is wrong, never a traceback.
"""

import argparse
import asyncio
import os
import re
import shlex
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import msgspec

from ..core.ops import Name
from ..core.state import ROLE_RANK
from ..i18n import _

_DURATION = re.compile(r"^(\d{1,6})([smhdw])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}
DATABASE_ENV = "STUDYCIRCLE_DATABASE"


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("studycircle")) / "server"


def fail(message: str, code: int = 2) -> int:
    print(f"studycircle: error: {message}", file=sys.stderr)
    return code


def parse_duration(text: str) -> int | None:
    """Seconds in ``30m``, ``12h``, ``7d``, ``2w``; None when it is not such a duration."""
    match = _DURATION.match(text.strip().lower())
    if match is None:
        return None
    return int(match.group(1)) * _UNIT_S[match.group(2)]


def data_dir(args: argparse.Namespace) -> Path:
    return Path(args.data).expanduser() if args.data else default_data_dir()


def database(args: argparse.Namespace) -> str | None:
    return args.database or os.environ.get(DATABASE_ENV) or None


def where(args: argparse.Namespace) -> str:
    """The options that name this database again, as the host gave them."""
    if args.database:
        return f" --database {shlex.quote(args.database)}"
    return f" --data {shlex.quote(args.data)}" if args.data else ""


def chosen_store(args: argparse.Namespace):
    """The store the options name (not open yet), or the exit code of a failure to say so."""
    from .storage import open_store

    try:
        return open_store(database(args), data_dir(args))
    except ValueError as error:
        return fail(str(error))
    except ImportError:
        return fail("PostgreSQL needs psycopg: pip install 'studycircle-tui[postgresql]'", 1)


def with_store(args: argparse.Namespace, work: Callable[..., Awaitable[int]]) -> int:
    """Run ``work(store)`` against the database the options name, opened and closed."""
    from .storage import StorageError

    async def run() -> int:
        store = chosen_store(args)
        if isinstance(store, int):
            return store
        try:
            await store.open()
        except StorageError as error:
            return fail(str(error), 1)
        try:
            return await work(store)
        except StorageError as error:
            return fail(f"the server's database failed: {error}", 1)
        finally:
            await store.close()

    return asyncio.run(run())


def _valid_name(name: str) -> bool:
    try:
        msgspec.convert(name, Name)
    except msgspec.ValidationError:
        return False
    return bool(name.strip())


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _create_circle(args: argparse.Namespace) -> int:
    from . import admin

    name = args.name.strip()
    if not _valid_name(name):
        return fail("a circle's name must be 1 to 80 characters")
    # Members start threads in a channel: a circle opens with at least one.
    channels = list(dict.fromkeys(c.strip().lstrip("#") for c in args.channel or ["general"]))
    for channel in channels:
        if not _valid_name(channel):
            return fail(f"a channel's name must be 1 to 80 characters, not {channel!r}")

    async def work(store) -> int:
        circle, code = await admin.create_circle(store, name, _now_ms(), channels)
        listed = ", ".join(f"#{channel}" for channel in channels)
        print(f"created circle {name!r}: {circle} (channels: {listed})")
        print(f"founding lead's invite (one use, valid 30 days): {code}")
        print(f"more invites: studycircle server invite {circle} --uses 30{where(args)}")
        return 0

    return with_store(args, work)


def _invite(args: argparse.Namespace) -> int:
    from . import admin

    if args.role not in ROLE_RANK:
        return fail(f"--role must be one of {', '.join(ROLE_RANK)}, not {args.role!r}")
    if not args.uses.isdigit() or not 1 <= int(args.uses) <= 10_000:
        return fail(f"--uses must be a whole number from 1 to 10000, not {args.uses!r}")
    seconds = parse_duration(args.expires)
    if seconds is None or not 60 <= seconds <= 366 * 86_400:
        return fail(
            f"--expires must be a duration like 30m, 12h, 7d or 2w (1 minute to a year),"
            f" not {args.expires!r}"
        )

    async def work(store) -> int:
        try:
            circle, _members = await admin.find_circle(store, args.circle)
        except admin.NotFound as error:
            return fail(str(error))
        now = _now_ms()
        code = await admin.add_invite(
            store, circle, args.role, int(args.uses), now + seconds * 1000, now
        )
        print(code)
        uses = "1 use" if args.uses == "1" else f"{args.uses} uses"
        print(f"(role {args.role}, {uses}, expires in {args.expires})", file=sys.stderr)
        return 0

    return with_store(args, work)


def _members(args: argparse.Namespace) -> int:
    from . import admin

    async def work(store) -> int:
        try:
            circle, name = await admin.find_circle(store, args.circle)
        except admin.NotFound as error:
            return fail(str(error))
        members = await admin.members(store, circle)
        print(f"{name} ({circle}): {len(members)} member{'' if len(members) == 1 else 's'}")
        width = max((len(member.name) for member in members), default=4)
        for member in members:
            joined = time.strftime("%Y-%m-%d", time.gmtime(member.joined_ms / 1000))
            tokens = "1 token" if member.tokens == 1 else f"{member.tokens} tokens"
            print(f"  {member.id}  {member.name:<{width}}  {member.role:<9}  {joined}  {tokens}")
        return 0

    return with_store(args, work)


def _revoke(args: argparse.Namespace) -> int:
    from . import admin

    if args.invite:
        if args.target:
            return fail("give either --invite CODE or CIRCLE MEMBER, not both")

        async def revoke_invite(store) -> int:
            if not await admin.revoke_invite(store, args.invite):
                return fail("no such invite code on this server")
            print("invite revoked: no one can join with it any more")
            return 0

        return with_store(args, revoke_invite)
    if len(args.target) != 2:
        return fail("give the circle and the member (id or name), or --invite CODE")
    wanted_circle, wanted_member = args.target

    async def revoke_member(store) -> int:
        try:
            circle, _members = await admin.find_circle(store, wanted_circle)
        except admin.NotFound as error:
            return fail(str(error))
        everyone = await admin.members(store, circle)
        found = [m for m in everyone if m.id == wanted_member.strip().upper()] or [
            m for m in everyone if m.name.casefold() == wanted_member.strip().casefold()
        ]
        if len(found) != 1:
            listed = ", ".join(f"{m.id} ({m.name})" for m in everyone)
            what = "more than one member is" if found else "no member is"
            return fail(f"{what} {wanted_member!r} in this circle; members: {listed}")
        removed, confirmed, servers = await admin.revoke_member(store, circle, found[0].id)
        print(f"revoked {removed} token(s) of {found[0].name} ({found[0].id})")
        if servers:
            print(f"{confirmed} of {servers} running server processes confirmed")
            if confirmed < servers:
                print(
                    "the others forget the tokens as soon as they hear of it"
                    " (or when they reconnect to the database)",
                    file=sys.stderr,
                )
        return 0

    return with_store(args, revoke_member)


def _migrate(args: argparse.Namespace) -> int:
    from . import migrate

    return migrate.main(args.source, args.target)


def add_admin_commands(admin: argparse._SubParsersAction) -> None:
    def place(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--data", help=_("the server's data directory (SQLite)"))
        parser.add_argument(
            "--database",
            metavar=_("URL"),
            help=_("postgresql://… or sqlite:PATH (default: SQLite in --data; or ${env})").format(
                env=DATABASE_ENV
            ),
        )

    create = admin.add_parser("create-circle", help=_("create a circle, print its lead's invite"))
    create.add_argument("name", metavar=_("NAME"))
    create.add_argument(
        "--channel",
        action="append",
        metavar=_("NAME"),
        help=_("a channel to open it with (repeat for more; default: general)"),
    )
    place(create)
    create.set_defaults(func=_create_circle)

    invite = admin.add_parser("invite", help=_("print an invite code for a circle"))
    invite.add_argument("circle", metavar=_("CIRCLE"), help=_("the circle's id or name"))
    invite.add_argument("--uses", default="1", help=_("how many people may use it (default 1)"))
    invite.add_argument("--expires", default="7d", help=_("valid for, e.g. 12h, 7d (default 7d)"))
    invite.add_argument("--role", default="member", help=_("member, moderator or lead"))
    place(invite)
    invite.set_defaults(func=_invite)

    members = admin.add_parser("members", help=_("list a circle's members and their tokens"))
    members.add_argument("circle", metavar=_("CIRCLE"), help=_("the circle's id or name"))
    place(members)
    members.set_defaults(func=_members)

    revoke = admin.add_parser(
        "revoke", help=_("remove an invite (--invite CODE) or a member's tokens (CIRCLE MEMBER)")
    )
    revoke.add_argument(
        "target", nargs="*", metavar=_("CIRCLE MEMBER"), help=_("id or name of each")
    )
    revoke.add_argument("--invite", metavar=_("CODE"), help=_("the invite code to remove"))
    place(revoke)
    revoke.set_defaults(func=_revoke)

    move = admin.add_parser(
        "migrate", help=_("copy a server's data to another database, and check the copy")
    )
    move.add_argument("--from", dest="source", required=True, metavar="sqlite:PATH")
    move.add_argument("--to", dest="target", required=True, metavar="postgresql://…")
    move.set_defaults(func=_migrate)
