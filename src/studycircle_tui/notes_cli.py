"""The ``studycircle notes`` commands: ``export`` notes to Markdown files, ``import`` one.

``cli.py`` calls `add_commands` with its subparsers; every subcommand sets ``func``, which
takes the parsed arguments and returns the exit code. A failure is one line on stderr,
``studycircle: message``, and exit code 1, never a traceback.
"""

import argparse
import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from .command_line import Failed, circle_service, emit, failure, send_now
from .i18n import _, error_text, message, os_error

if TYPE_CHECKING:
    from .core.state import Note
    from .sync.engine import CircleService

MAX_TITLE = 200  # as core.ops.Title
MAX_NAME_BYTES = 200  # a file name's UTF-8 bytes, under the usual 255 with room for " (2).md"
# Not allowed in file names on Windows, macOS or Linux (or awkward in a shell: none kept).
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.IGNORECASE)
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def add_commands(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    notes = subparsers.add_parser(
        "notes",
        help=_("export the circle's shared notes to Markdown files, or import one"),
        description=_(
            "Export the shared notes of a circle to Markdown (.md) files, or import a "
            "Markdown file as a new note."
        ),
    )
    commands = notes.add_subparsers(dest="notes_command", required=True, metavar="{export,import}")

    export = commands.add_parser(
        "export",
        help=_("write one note, or every note, to .md files"),
        description=_(
            "Write each note's current text to a Markdown file named after its title "
            "(characters a file name cannot hold become '-'; two notes with one title get "
            "'(2)'). A note that needs merging is written with its conflict markers."
        ),
    )
    export.add_argument(
        "--circle", metavar=_("NAME"), help=_("the circle's name or id (default: the last opened)")
    )
    export.add_argument(
        "--note", metavar=_("TITLE|ID"), help=_("the note's title or id (default: every note)")
    )
    export.add_argument(
        "--out", metavar=_("DIR"), default=".", help=_("the folder to write to (default: here)")
    )
    export.add_argument("--force", action="store_true", help=_("replace files that exist"))
    export.set_defaults(func=run_export)

    importer = commands.add_parser(
        "import",
        help=_("add a Markdown file to the circle as a new note"),
        description=_(
            "Read a UTF-8 Markdown file (at most 1 MB) and add it as a new note. Its "
            "title is --title, else the file's first heading, else the file's name."
        ),
    )
    importer.add_argument("file", metavar=_("FILE.md"), help=_("the Markdown file (UTF-8)"))
    importer.add_argument(
        "--circle", metavar=_("NAME"), help=_("the circle's name or id (default: the last opened)")
    )
    importer.add_argument("--title", metavar=_("TITLE"), help=_("the note's title"))
    importer.add_argument(
        "--channel", help=_("the channel it belongs to (default: the whole circle)")
    )
    importer.set_defaults(func=run_import)


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


def file_text(text: str) -> str:
    """A note as a text file holds it: ending in a line break (POSIX text files do, and
    ``cat``, ``diff`` and editors expect it), as it was typed otherwise."""
    return text if not text or text.endswith(("\n", "\r")) else text + "\n"


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
        raise Failed(
            _("{count} notes are titled {title!r}: name one by id ({ids})").format(
                count=len(matches), title=wanted, ids=ids
            )
        )
    known = ", ".join(repr(n.title) for n in sorted(notes.values(), key=lambda n: n.title))
    raise Failed(
        _("no note titled {title!r} in {circle!r} (its notes: {known})").format(
            title=wanted, circle=service.state.name, known=known
        )
    )


def run_export(args: argparse.Namespace) -> int:
    try:
        service = circle_service(args.circle)
        state = service.state
        if args.note:
            notes = [_find_note(service, args.note)]
        else:
            notes = sorted(state.notes.values(), key=lambda n: (n.title.casefold(), n.title, n.id))
            if not notes:
                emit(_("{circle!r} has no notes yet").format(circle=state.name))
                return 0
        out = Path(args.out).expanduser()
        if out.exists() and not out.is_dir():
            raise Failed(_("{path}: not a folder").format(path=args.out))
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise Failed(
                _("{path}: cannot make the folder: {error}").format(
                    path=args.out, error=os_error(error)
                )
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
        existing = [path for _note, path in planned if path.exists()]
        if existing and not args.force:
            shown = ", ".join(str(path) for path in existing[:3])
            if len(existing) > 3:
                shown = _("{shown} and {count} more").format(shown=shown, count=len(existing) - 3)
            raise Failed(_("{paths}: already there; --force replaces it").format(paths=shown))
        for note, path in planned:
            try:
                path.write_text(file_text(note.text), encoding="utf-8", newline="")
            except OSError as error:
                raise Failed(
                    _("{path}: cannot write it: {error}").format(path=path, error=os_error(error))
                ) from None
            done = _("exported {title!r} to {path}").format(title=note.title, path=path)
            if note.needs_merge:
                done += " " + _("(it needs merging: its conflict markers are in the file)")
            emit(done)
    except Failed as failed:
        return failure(str(failed))
    return 0


# --- import ---------------------------------------------------------------------------------


def _read_note_file(file: str) -> str:
    """The file's text, or Failed saying why it cannot be a note."""
    from .core import notemerge

    path = Path(file)
    try:
        if path.is_dir():
            raise Failed(_("{file}: is a folder, not a Markdown file").format(file=file))
        size = path.stat().st_size
        # A UTF-8 byte order mark (3 bytes) is not part of the text.
        if size > notemerge.MAX_NOTE_BYTES + 3:
            raise Failed(f"{file}: {message(notemerge.size_refusal(size))}")
        raw = path.read_bytes()
    except OSError as error:
        raise Failed(
            _("{file}: cannot read it: {error}").format(file=file, error=os_error(error))
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        bad = raw[error.start : error.end].hex(" ")
        guess = " (UTF-16?)" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise Failed(
            _(
                "{file}:{line}: not UTF-8 text{guess}: byte {bad} at column {column} "
                "cannot be decoded; save the file as UTF-8 and import it again"
            ).format(file=file, line=line, guess=guess, bad=bad, column=column)
        ) from None
    refusal = notemerge.size_refusal(notemerge.utf8_size(text))
    if refusal:
        raise Failed(f"{file}: {message(refusal)}")
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


def run_import(args: argparse.Namespace) -> int:
    import asyncio

    from .core.discussion import find_channel
    from .sync.engine import Refused

    try:
        text = _read_note_file(args.file)
        title = note_title(text, args.file, args.title)
        if not title:
            raise Failed(
                _("{file}: the note needs a title: give one with --title").format(file=args.file)
            )
        service = circle_service(args.circle)
        channel = None
        if args.channel:
            try:
                channel = find_channel(service.state, args.channel)
            except ValueError as error:
                raise Failed(error_text(error)) from None
        try:
            op = asyncio.run(service.create_note(title, text, channel))
        except Refused as error:
            raise Failed(
                _("{file}: not imported: {reason}").format(file=args.file, reason=error_text(error))
            ) from None
    except Failed as failed:
        return failure(str(failed))
    sent = send_now(service)
    state = service.state
    channel = state.channels.get(op.data.channel or "")
    where = (
        _("#{channel} of {circle!r}").format(channel=channel.name, circle=state.name)
        if channel
        else repr(state.name)
    )
    emit(
        _("imported {title!r} into {where}").format(title=title, where=where)
        + sent
        + _("; open it in the Notes pane (N)")
    )
    return 0
