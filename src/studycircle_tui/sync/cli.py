"""``studycircle join URL CODE --name NAME``: become a member of a server circle."""

import argparse
import asyncio
import sys

from ..i18n import _, error_text


def _join(args: argparse.Namespace) -> int:
    from .. import config
    from ..store.db import Store
    from .join import JoinError, join

    name = args.name or config.load_settings().name
    try:
        record = asyncio.run(join(args.url, args.code, name, Store(config.store_file())))
    except JoinError as error:
        print(f"studycircle: {error_text(error)}", file=sys.stderr)
        return 2
    print(
        _("joined {circle!r} at {location} as {name}; run `studycircle` to open it").format(
            circle=record.name, location=record.location, name=name
        )
    )
    return 0


def add_commands(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    join = subparsers.add_parser(
        "join",
        help=_("join a circle hosted on a server, with an invite code"),
        description=_(
            "Join a circle on a studycircle server with the invite code its lead "
            "gave you. Your member token is kept in a file only you can read."
        ),
    )
    join.add_argument(
        "url", metavar=_("URL"), help=_("the server, e.g. https://circles.example.org")
    )
    join.add_argument("code", metavar=_("CODE"), help=_("the invite code"))
    join.add_argument("--name", help=_("your display name in the circle"))
    join.set_defaults(func=_join)
