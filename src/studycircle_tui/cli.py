"""The ``studycircle`` command and its subcommands.

Every failure a user can cause (a bad path, an unreadable file, a bad argument) ends in
one line on stderr and a non-zero exit code, never a traceback: argparse's own errors
too (``OneLineParser``), and every name or text is checked before anything is made
(``command_line.checked``). Heavy imports (Textual, the server, quiz formats) happen
inside the command that needs them.
"""

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from . import __version__, config
from .command_line import Failed, checked, failure


class CommandError(Exception):
    """A failure to report as one line: ``studycircle: <message>`` (exit code 2)."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a mistake on the command line is one line, like every other
    failure: what is wrong and where the help is, not the whole usage. (Subcommands'
    parsers are made of the same class.)"""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} ({self.prog} --help says more)\n")


def _store():  # -> Store; imported lazily to keep `--help` and `--version` instant
    from .store.db import Store

    return Store(config.store_file())


def _run_app(service, args: argparse.Namespace) -> int:
    from .tui.app import StudyCircleApp

    app = StudyCircleApp(service, remote=args.served_over)
    try:
        app.run()
    finally:
        service.close()  # the writes still queued (the last draft) reach the disk
    return app.return_code or 0


def _file_errors(action: Callable[[], object]) -> object:
    from .sync.file import CircleFileError

    try:
        return action()
    except CircleFileError as error:
        raise CommandError(str(error)) from None


def cmd_default(args: argparse.Namespace) -> int:
    """Open the last circle; on the very first run, create and open the demo circle."""
    from .sync.circles import create_demo_circle, open_service

    settings = config.load_settings()
    for problem in settings.problems:
        print(f"studycircle: {problem}", file=sys.stderr)
    store = _store()
    circles = store.circles()
    preferred = [c for c in circles if settings.default_circle in (c.id, c.name)]
    if preferred or circles:
        service = _file_errors(lambda: open_service(store, (preferred or circles)[0]))
    elif config.demo_circle_file().exists():
        # The store was reset but the demo file is still there: open it as it is.
        from .sync.circles import open_file_circle

        service = _file_errors(
            lambda: open_file_circle(store, config.demo_circle_file(), settings.name)
        )
    else:
        service = _file_errors(
            lambda: create_demo_circle(store, config.demo_circle_file(), settings.name)
        )
    return _run_app(service, args)


def _display_name(args: argparse.Namespace) -> str:
    """``--name``, checked, or the name in the settings (the login name by default)."""
    from .core.ops import Name

    if args.name is None:
        return config.load_settings().name
    return checked(args.name, "your name (--name)", Name)


def cmd_open(args: argparse.Namespace) -> int:
    """Open a circle file, or a circle of yours by its name or id (a server's too)."""
    from .sync.circles import open_file_circle, open_service

    name = _display_name(args)
    path = Path(args.path).expanduser()
    if not path.exists():
        store = _store()
        known = _circle_named(store, args.path)
        if known is not None:
            return _run_app(_file_errors(lambda: open_service(store, known)), args)
        yours = ", ".join(repr(c.name) for c in store.circles())
        raise CommandError(
            f"{args.path}: no such circle file, and no circle of yours by that name"
            + (f" (yours: {yours})" if yours else "")
        )
    service = _file_errors(lambda: open_file_circle(_store(), path, name))
    return _run_app(service, args)


def _circle_named(store, wanted: str):  # -> CircleRecord | None
    """The circle of yours named ``wanted`` (or with that id); Failed if several are."""
    matches = [c for c in store.circles() if wanted in (c.id, c.name)]
    if not matches:
        matches = [c for c in store.circles() if c.name.casefold() == wanted.casefold()]
    if len(matches) > 1:
        ids = ", ".join(c.id for c in matches)
        raise Failed(f"{len(matches)} of your circles are named {wanted!r}: open one by id ({ids})")
    return matches[0] if matches else None


def cmd_new(args: argparse.Namespace) -> int:
    from .core.ops import Name
    from .sync.circles import create_file_circle

    circle_name = checked(args.circle_name, "the circle's name", Name)
    channels = [checked(c.lstrip("#"), "a channel's name", Name) for c in args.channel or []]
    name = _display_name(args)
    path = Path(args.file)
    service = _file_errors(
        lambda: create_file_circle(_store(), path, circle_name, name, channels or ["general"])
    )
    listed = ", ".join(f"#{service.state.channels[c].name}" for c in service.state.channel_order)
    print(f"created circle {circle_name!r} in {path} (channels: {listed})")
    if args.no_open:
        return 0
    return _run_app(service, args)


def cmd_locate(args: argparse.Namespace) -> int:
    from .themes import bundled_themes_dir

    print(f"config:  {config.config_file()}")
    print(f"data:    {config.data_dir()}")
    print(f"log:     {config.data_dir() / 'sync.log'} (what went wrong while syncing, if anything)")
    print(f"themes:  {config.user_themes_dir()} (yours), {bundled_themes_dir()} (bundled)")
    print(f"ssh:     {config.ssh_dir() / 'authorized_keys'} (ssh-serve's player keys)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="studycircle",
        description="A study circle in your terminal: channels, threads, trusted answers, "
        "shared notes and quizzes. With no command, opens your last circle "
        "(on the very first run, a demo circle).",
    )
    parser.add_argument("--version", action="version", version=f"studycircle {__version__}")
    _add_display_options(parser)
    parser.set_defaults(func=cmd_default)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    opener = commands.add_parser(
        "open",
        help="open a circle shared as a file, or one of yours by its name",
        description="Open a shared circle file "
        "(on a LAN share, a synced folder or a USB stick), joining it the first time; "
        "or a circle you have opened or joined before, by its name or id.",
    )
    opener.add_argument(
        "path", metavar="FILE|NAME", help="the circle file (.jsonl), or a circle's name or id"
    )
    opener.add_argument("--name", help="your display name in the circle")
    opener.set_defaults(func=cmd_open)

    new = commands.add_parser(
        "new",
        help="start a new circle in a shared file",
        description="Create a new circle in a new file, with you as its lead, and open it.",
    )
    new.add_argument("circle_name", metavar="NAME", help="the circle's name")
    new.add_argument("--file", required=True, help="where to create the circle file")
    new.add_argument("--name", help="your display name in the circle")
    new.add_argument(
        "--channel",
        action="append",
        metavar="NAME",
        help="a channel to start it with (repeat for more; default: general)",
    )
    new.add_argument("--no-open", action="store_true", help="create it without opening the app")
    new.set_defaults(func=cmd_new)

    locate = commands.add_parser(
        "locate",
        help="show where config, data and themes live",
        description="Print the paths of the config file, the data folder and the themes.",
    )
    locate.set_defaults(func=cmd_locate)

    for add_commands in _command_groups():
        add_commands(commands)
    return parser


def _command_groups() -> list[Callable[[argparse._SubParsersAction], None]]:
    """Subcommands that live beside the code they drive (quiz files, the server, …);
    each module keeps its heavy imports inside its commands, so this stays quick."""
    from . import circle_cli, notes_cli, quiz_cli
    from .remote import cli as remote_cli
    from .server import cli as server_cli
    from .sync import cli as sync_cli

    modules = (circle_cli, quiz_cli, server_cli, sync_cli, notes_cli, remote_cli)
    return [module.add_commands for module in modules]


def _add_display_options(parser: argparse.ArgumentParser) -> None:
    """Global options for how the app draws (they go before the command)."""
    parser.add_argument(
        "--color-depth",
        choices=("1", "16", "256", "truecolor"),
        help="colours the terminal can show (1 = none); by default what the terminal says",
    )
    parser.add_argument(
        "--low-bandwidth",
        action="store_true",
        help="no animations, fewer redraws: for slow links",
    )
    parser.add_argument("--ascii", action="store_true", help="draw borders with ASCII only")
    parser.add_argument(
        "--served-over",
        choices=("ssh", "web"),
        help="set by ssh-serve and web: the app runs for someone at another machine, so "
        "exports are shown for them to copy, never written to this machine's files",
    )


def _prepare_terminal(args: argparse.Namespace) -> None:
    from .terminal import prepare

    prepare(
        color_depth_option=args.color_depth,
        low_bandwidth_option=args.low_bandwidth,
        ascii_option=args.ascii,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _prepare_terminal(args)
    try:
        return args.func(args)
    except CommandError as error:
        print(f"studycircle: {error}", file=sys.stderr)
        return 2
    except Failed as failed:
        return failure(str(failed))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
