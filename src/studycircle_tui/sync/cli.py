"""``studycircle join URL CODE --name NAME``: become a member of a server circle."""

import argparse
import asyncio
import sys


def _join(args: argparse.Namespace) -> int:
    from .. import config
    from ..store.db import Store
    from .join import JoinError, join

    name = args.name or config.load_settings().name
    try:
        record = asyncio.run(join(args.url, args.code, name, Store(config.store_file())))
    except JoinError as error:
        print(f"studycircle: {error}", file=sys.stderr)
        return 2
    print(f"joined {record.name!r} at {record.location} as {name}; run `studycircle` to open it")
    return 0


def add_commands(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    join = subparsers.add_parser(
        "join",
        help="join a circle hosted on a server, with an invite code",
        description="Join a circle on a studycircle server with the invite code its lead "
        "gave you. Your member token is kept in a file only you can read.",
    )
    join.add_argument("url", metavar="URL", help="the server, e.g. https://circles.example.org")
    join.add_argument("code", metavar="CODE", help="the invite code")
    join.add_argument("--name", help="your display name in the circle")
    join.set_defaults(func=_join)
