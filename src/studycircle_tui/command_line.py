"""What the ``studycircle`` commands share: a failure is one line on stderr
(``studycircle: message``) and exit code 1, never a traceback; what a person typed is
checked before anything is made, and a problem is said in their words ("the circle's
name is only spaces"), never the schema's (``$.data.name``); printing survives any
terminal; and the circle a command works on is found the same way.
"""

import os
import sys
import typing
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .sync.engine import CircleService

from .i18n import _, error_text

PROG = "studycircle"


class Failed(Exception):
    """Ends a command with one line on stderr and exit code 1."""


def emit(text: str, stream: object = None) -> None:
    """Print, replacing what the terminal's encoding cannot show instead of failing."""
    out = stream or sys.stdout
    try:
        print(text, file=out)  # type: ignore[arg-type]
    except UnicodeEncodeError:
        encoding = getattr(out, "encoding", None) or "ascii"
        print(text.encode(encoding, "replace").decode(encoding), file=out)  # type: ignore[arg-type]
    except BrokenPipeError:
        # The reader left (``| head``): stop writing quietly, as the Python docs advise, so
        # the interpreter's final flush does not fail with a traceback either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())  # type: ignore[attr-defined]


def checked(value: str, what: str, kind: object, *, empty: bool = False) -> str:
    """``value`` without the spaces around it, if an op can hold it as ``kind`` (one of
    ``core.ops``' string types: Name, Title, Goal, Rules), else Failed naming ``what``
    ("the circle's name") and what is wrong. ``empty``: nothing at all is fine (a goal)."""
    import msgspec

    from .core.text import refused_kind

    text = value.strip()
    limit = typing.get_args(kind)[1].max_length
    if not text and not empty:
        raise Failed(
            (_("{what} is only spaces") if value else _("{what} is empty")).format(what=what)
        )
    if len(text) > limit:
        raise Failed(
            _("{what} is {length:,} characters long: it can be at most {limit:,}").format(
                what=what, length=len(text), limit=limit
            )
        )
    try:
        msgspec.convert(text, kind)
    except msgspec.ValidationError as error:
        if refused_kind(str(error)) == "line":
            raise Failed(
                _(
                    "{what} holds a line break, a control character or a direction override; "
                    "it must be one line of plain text"
                ).format(what=what)
            ) from None
        raise Failed(
            _("{what} holds a control character (an escape, say)").format(what=what)
        ) from None
    return text


def failure(message: str) -> int:
    emit(f"{PROG}: {message}", sys.stderr)
    return 1


def circle_service(wanted: str | None) -> "CircleService":
    """The named circle (name or id), else the default one, else the last opened."""
    from . import config
    from .store.db import Store
    from .sync.circles import open_service
    from .sync.file import CircleFileError

    store = Store(config.store_file())
    circles = store.circles()
    if not circles:
        raise Failed(_("no circle yet: open or create one first (studycircle open FILE)"))
    if wanted:
        matches = [c for c in circles if wanted == c.id or wanted.casefold() == c.name.casefold()]
        if not matches:
            known = ", ".join(sorted({c.name for c in circles}))
            raise Failed(
                _("no circle named {name!r} (yours: {known})").format(name=wanted, known=known)
            )
        if len({c.id for c in matches}) > 1:
            ids = ", ".join(c.id for c in matches)
            raise Failed(
                _("{count} circles are named {name!r}: name one by id ({ids})").format(
                    count=len(matches), name=wanted, ids=ids
                )
            )
    else:
        default = config.load_settings().default_circle
        matches = [c for c in circles if default in (c.id, c.name)] or circles
    try:
        return open_service(store, matches[0], screen=False)
    except CircleFileError as error:
        raise Failed(error_text(error)) from None


def send_now(service: "CircleService") -> str:
    """Sync what a command just added; the words to add when it could not go out yet."""
    import asyncio

    from .sync.transport import TransportError

    try:
        asyncio.run(service.sync_once())
    except TransportError:
        return " " + _("(saved; the circle cannot be reached now: it is sent at the next sync)")
    return "" if not service.status.waiting else " " + _("(saved; it is sent at the next sync)")
