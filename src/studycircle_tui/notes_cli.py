"""The ``studycircle notes`` commands: ``export`` notes to Markdown files, ``import`` one.

``cli.py`` calls `add_commands` with its subparsers; every subcommand sets ``func``, which
takes the parsed arguments and returns the exit code. A failure is one line on stderr,
``studycircle: message``, and exit code 1, never a traceback.
"""

import argparse
import os
import re
import sys
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .core.state import Note
    from .sync.engine import CircleService

PROG = "studycircle"
MAX_TITLE = 200  # as core.ops.Title
MAX_NAME_BYTES = 200  # a file name's UTF-8 bytes, under the usual 255 with room for " (2).md"
# Not allowed in file names on Windows, macOS or Linux (or awkward in a shell: none kept).
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


class _Failed(Exception):
    """Ends a command with one line on stderr and exit code 1."""


def add_commands(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    notes = subparsers.add_parser(
        "notes",
        help="export the circle's shared notes to Markdown files, or import one",
        description="Export the shared notes of a circle to Markdown (.md) files, or import a "
        "Markdown file as a new note.",
    )
    commands = notes.add_subparsers(dest="notes_command", required=True, metavar="{export,import}")

    export = commands.add_parser(
        "export",
        help="write one note, or every note, to .md files",
        description="Write each note's current text to a Markdown file named after its title "
        "(characters a file name cannot hold become '-'; two notes with one title get "
        "'(2)'). A note that needs merging is written with its conflict markers.",
    )
    export.add_argument(
        "--circle", metavar="NAME", help="the circle's name or id (default: the last opened)"
    )
    export.add_argument(
        "--note", metavar="TITLE|ID", help="the note's title or id (default: every note)"
    )
    export.add_argument(
        "--out", metavar="DIR", default=".", help="the folder to write to (default: here)"
    )
    export.add_argument("--force", action="store_true", help="replace files that exist")
    export.set_defaults(func=run_export)

    importer = commands.add_parser(
        "import",
        help="add a Markdown file to the circle as a new note",
        description="Read a UTF-8 Markdown file (at most 1 MB) and add it as a new note. Its "
        "title is --title, else the file's first heading, else the file's name.",
    )
    importer.add_argument("file", metavar="FILE.md", help="the Markdown file (UTF-8)")
    importer.add_argument(
        "--circle", metavar="NAME", help="the circle's name or id (default: the last opened)"
    )
    importer.add_argument("--title", metavar="TITLE", help="the note's title")
    importer.add_argument("--channel", help="the channel it belongs to (default: the whole circle)")
    importer.set_defaults(func=run_import)


def _emit(text: str, stream: object = None) -> None:
    """Print, replacing what the terminal's encoding cannot show instead of failing."""
    out = stream or sys.stdout
    try:
        print(text, file=out)  # type: ignore[arg-type]
    except UnicodeEncodeError:
        encoding = getattr(out, "encoding", None) or "ascii"
        print(text.encode(encoding, "replace").decode(encoding), file=out)  # type: ignore[arg-type]
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), out.fileno())  # type: ignore[attr-defined]


def _failure(message: str) -> int:
    _emit(f"{PROG}: {message}", sys.stderr)
    return 1


# --- the circle -----------------------------------------------------------------------------


def _service(wanted: str | None) -> "CircleService":
    """The named circle (name or id), else the default one, else the last opened."""
    from . import config
    from .store.db import Store
    from .sync.circles import open_service
    from .sync.file import CircleFileError

    store = Store(config.store_file())
    circles = store.circles()
    if not circles:
        raise _Failed("no circle yet: open or create one first (studycircle open FILE)")
    if wanted:
        matches = [c for c in circles if wanted == c.id or wanted.casefold() == c.name.casefold()]
        if not matches:
            known = ", ".join(sorted({c.name for c in circles}))
            raise _Failed(f"no circle named {wanted!r} (yours: {known})")
        if len({c.id for c in matches}) > 1:
            ids = ", ".join(c.id for c in matches)
            raise _Failed(f"{len(matches)} circles are named {wanted!r}: name one by id ({ids})")
    else:
        default = config.load_settings().default_circle
        matches = [c for c in circles if default in (c.id, c.name)] or circles
    try:
        return open_service(store, matches[0])
    except CircleFileError as error:
        raise _Failed(str(error)) from None


# --- export ---------------------------------------------------------------------------------


def safe_file_name(title: str) -> str:
    """A file name for a note's title (without ``.md``): Unicode kept, NFC, and only what a
    file name cannot hold on Windows, macOS or Linux replaced by ``-``."""
    name = unicodedata.normalize("NFC", title)
    name = " ".join(name.split())  # tabs, newlines and runs of spaces become one space
    name = _UNSAFE.sub("-", name)
    name = name.strip(" .-")  # no hidden files, no trailing dots (Windows drops them)
    if not name:
        name = "note"
    if _RESERVED.match(name):
        name = f"{name}_"
    encoded = name.encode("utf-8")
    if len(encoded) > MAX_NAME_BYTES:
        name = encoded[:MAX_NAME_BYTES].decode("utf-8", "ignore").rstrip(" .")
    return name


def _find_note(service: "CircleService", wanted: str) -> "Note":
    notes = service.state.notes
    if wanted in notes:
        return notes[wanted]
    matches = [n for n in notes.values() if n.title.casefold() == wanted.casefold()]
    if not matches:
        matches = [n for n in notes.values() if n.title.casefold() == wanted.strip().casefold()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        ids = ", ".join(note.id for note in matches)
        raise _Failed(f"{len(matches)} notes are titled {wanted!r}: name one by id ({ids})")
    known = ", ".join(repr(n.title) for n in sorted(notes.values(), key=lambda n: n.title))
    raise _Failed(f"no note titled {wanted!r} in {service.state.name!r} (its notes: {known})")


def run_export(args: argparse.Namespace) -> int:
    try:
        service = _service(args.circle)
        state = service.state
        if args.note:
            notes = [_find_note(service, args.note)]
        else:
            notes = sorted(state.notes.values(), key=lambda n: (n.title.casefold(), n.title, n.id))
            if not notes:
                _emit(f"{state.name!r} has no notes yet")
                return 0
        out = Path(args.out).expanduser()
        if out.exists() and not out.is_dir():
            raise _Failed(f"{args.out}: not a folder")
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _Failed(
                f"{args.out}: cannot make the folder: {error.strerror or error}"
            ) from None
        taken: set[str] = set()
        planned = []
        for note in notes:
            base = safe_file_name(note.title)
            name, count = f"{base}.md", 1
            while name.casefold() in taken:  # case-insensitive file systems too
                count += 1
                name = f"{base} ({count}).md"
            taken.add(name.casefold())
            planned.append((note, out / name))
        existing = [path for _, path in planned if path.exists()]
        if existing and not args.force:
            shown = ", ".join(str(path) for path in existing[:3])
            more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
            raise _Failed(f"{shown}{more}: already there; --force replaces it")
        for note, path in planned:
            try:
                path.write_text(note.text, encoding="utf-8", newline="")
            except OSError as error:
                raise _Failed(f"{path}: cannot write it: {error.strerror or error}") from None
            merge = " (it needs merging: its conflict markers are in the file)"
            _emit(f"exported {note.title!r} to {path}{merge if note.needs_merge else ''}")
    except _Failed as failure:
        return _failure(str(failure))
    return 0


# --- import ---------------------------------------------------------------------------------


def _read_note_file(file: str) -> str:
    """The file's text, or _Failed saying why it cannot be a note."""
    from .core import notemerge

    path = Path(file)
    try:
        if path.is_dir():
            raise _Failed(f"{file}: is a folder, not a Markdown file")
        size = path.stat().st_size
        # A UTF-8 byte order mark (3 bytes) is not part of the text.
        if size > notemerge.MAX_NOTE_BYTES + 3:
            raise _Failed(f"{file}: {notemerge.size_refusal(size)}")
        raw = path.read_bytes()
    except OSError as error:
        raise _Failed(f"{file}: cannot read it: {error.strerror or error}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        bad = raw[error.start : error.end].hex(" ")
        guess = " (UTF-16?)" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise _Failed(
            f"{file}:{line}: not UTF-8 text{guess}: byte {bad} at column {column} "
            "cannot be decoded; save the file as UTF-8 and import it again"
        ) from None
    refusal = notemerge.size_refusal(notemerge.utf8_size(text))
    if refusal:
        raise _Failed(f"{file}: {refusal}")
    return text


def note_title(text: str, file: str, title: str | None) -> str:
    """--title, else the first Markdown heading, else the file's name; at most 200."""
    if title is not None:
        chosen = title
    else:
        heading = _HEADING.search(text)
        chosen = heading.group(1) if heading else Path(file).stem
    chosen = " ".join(chosen.split())
    if len(chosen) > MAX_TITLE:
        chosen = chosen[: MAX_TITLE - 1].rstrip() + "…"
    return chosen


def _channel(service: "CircleService", wanted: str) -> str:
    state = service.state
    if wanted in state.channels:
        return wanted
    name = wanted.removeprefix("#").casefold()
    for channel_id, channel in state.channels.items():
        if channel.name.casefold() == name and not channel.archived:
            return channel_id
    known = ", ".join(f"#{c.name}" for c in sorted(state.channels.values(), key=lambda c: c.name))
    raise _Failed(f"no channel {wanted!r} in {state.name!r} (its channels: {known or 'none'})")


def run_import(args: argparse.Namespace) -> int:
    import asyncio

    from .core.ops import OpError
    from .sync.engine import Refused
    from .sync.transport import TransportError

    try:
        text = _read_note_file(args.file)
        title = note_title(text, args.file, args.title)
        if not title:
            raise _Failed(f"{args.file}: the note needs a title: give one with --title")
        service = _service(args.circle)
        data: dict[str, object] = {"title": title, "text": text}
        if args.channel:
            data["channel"] = _channel(service, args.channel)
        try:
            op = service.submit("note.create", data)
        except (Refused, OpError) as error:
            raise _Failed(f"{args.file}: not imported: {error}") from None
    except _Failed as failure:
        return _failure(str(failure))
    try:
        asyncio.run(service.sync_once())
        sent = "" if not service.status.waiting else " (saved; it is sent at the next sync)"
    except TransportError:
        sent = " (saved; the circle cannot be reached now: it is sent at the next sync)"
    state = service.state
    channel = state.channels.get(op.data.channel or "")
    where = f"#{channel.name} of {state.name!r}" if channel else repr(state.name)
    _emit(f"imported {title!r} into {where}{sent}; open it in the Notes pane (N)")
    return 0
