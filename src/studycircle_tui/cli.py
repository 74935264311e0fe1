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
from functools import partial
from pathlib import Path
from typing import NoReturn

from . import __version__, config, i18n
from .command_line import Failed, checked, failure
from .i18n import N_, _, error_text


class CommandError(Exception):
    """A failure to report as one line: ``studycircle: <message>`` (exit code 2)."""


# argparse says its own words ("usage: ", "options", its errors) through the gettext it
# imported into its module; they are in our catalog (below), in the member's language.
argparse._ = _  # type: ignore[attr-defined]
argparse.ngettext = i18n.ngettext  # type: ignore[attr-defined]
ARGPARSE_WORDS = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("unexpected option string: %s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("can't open '%(filename)s': %(error)s"),
)


# What an option's value is called in the help when it names none (its dest, upper-case).
METAVARS = (
    N_("CHANNEL"),
    N_("CIRCLE"),
    N_("DATA"),
    N_("EXPIRES"),
    N_("FILE"),
    N_("GOAL"),
    N_("HOST"),
    N_("JOIN_LIMIT"),
    N_("KEYS"),
    N_("NAME"),
    N_("PORT"),
    N_("RATE_LIMIT"),
    N_("ROLE"),
    N_("USES"),
    N_("WORKERS"),
)


class TranslatedHelp(argparse.HelpFormatter):
    """Names an option's value in the member's language ("--name NAMA")."""

    def _get_default_metavar_for_optional(self, action: argparse.Action) -> str:
        return _(action.dest.upper())


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a mistake on the command line is one line, like every other
    failure: what is wrong and where the help is, not the whole usage. (Subcommands'
    parsers are made of the same class.)"""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", TranslatedHelp)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        self.exit(
            2,
            _("{prog}: {message} ({prog} --help says more)").format(prog=self.prog, message=message)
            + "\n",
        )


def _store():  # -> Store; imported lazily to keep `--help` and `--version` instant
    from .store.db import Store

    return Store(config.store_file())


def _run_app(service, args: argparse.Namespace) -> int:
    """Run the app on ``service``'s circle, and on the next one while the member
    switches circles in it (the app returns the id of the circle to open)."""
    from .sync.circles import open_service
    from .tui.app import StudyCircleApp

    while True:
        app = StudyCircleApp(service, remote=args.served_over)
        try:
            switch_to = app.run()
        finally:
            # The writes still queued (the last draft) reach the disk; the threads that
            # read, index and snapshot the store stop.
            service.close()
        store = _store()
        record = store.circle(switch_to) if switch_to else None
        if record is None:
            return app.return_code or 0
        service = _file_errors(partial(open_service, store, record))


def _file_errors(action: Callable[[], object]) -> object:
    from .sync.file import CircleFileError

    try:
        return action()
    except CircleFileError as error:
        raise CommandError(error_text(error)) from None


def cmd_default(args: argparse.Namespace) -> int:
    """Open the last circle; on the very first run, create and open the demo circle."""
    from .sync.circles import create_demo_circle, open_service

    settings = config.load_settings()
    for problem in settings.problems:
        print(f"studycircle: {i18n.message(problem)}", file=sys.stderr)
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
            lambda: create_demo_circle(
                store, config.demo_circle_file(), settings.name, i18n.current().gettext
            )
        )
    return _run_app(service, args)


def _display_name(args: argparse.Namespace) -> str:
    """``--name``, checked, or the name in the settings (the login name by default)."""
    from .core.ops import Name

    if args.name is None:
        return config.load_settings().name
    return checked(args.name, _("your name (--name)"), Name)


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
        if yours:
            raise CommandError(
                _(
                    "{path}: no such circle file, and no circle of yours by that name "
                    "(yours: {yours})"
                ).format(path=args.path, yours=yours)
            )
        raise CommandError(
            _("{path}: no such circle file, and no circle of yours by that name").format(
                path=args.path
            )
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
        raise Failed(
            _("{count} of your circles are named {name!r}: open one by id ({ids})").format(
                count=len(matches), name=wanted, ids=ids
            )
        )
    return matches[0] if matches else None


def cmd_new(args: argparse.Namespace) -> int:
    from .core.ops import Name
    from .sync.circles import create_file_circle

    circle_name = checked(args.circle_name, _("the circle's name"), Name)
    channels = [checked(c.lstrip("#"), _("a channel's name"), Name) for c in args.channel or []]
    name = _display_name(args)
    path = Path(args.file)
    service = _file_errors(
        lambda: create_file_circle(_store(), path, circle_name, name, channels or ["general"])
    )
    listed = ", ".join(f"#{service.state.channels[c].name}" for c in service.state.channel_order)
    print(
        _("created circle {name!r} in {path} (channels: {channels})").format(
            name=circle_name, path=path, channels=listed
        )
    )
    if args.no_open:
        return 0
    return _run_app(service, args)


def cmd_locate(args: argparse.Namespace) -> int:
    from .themes import bundled_themes_dir

    lines = (
        (_("config:"), str(config.config_file())),
        (_("data:"), str(config.data_dir())),
        (
            _("log:"),
            _("{path} (what went wrong while syncing, if anything)").format(
                path=config.data_dir() / "sync.log"
            ),
        ),
        (
            _("themes:"),
            _("{yours} (yours), {bundled} (bundled)").format(
                yours=config.user_themes_dir(), bundled=bundled_themes_dir()
            ),
        ),
        (
            _("ssh:"),
            _("{path} (ssh-serve's player keys)").format(path=config.ssh_dir() / "authorized_keys"),
        ),
    )
    width = max(len(label) for label, _value in lines) + 2
    for label, value in lines:
        print(f"{label:<{width}}{value}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="studycircle",
        description=_(
            "A study circle in your terminal: channels, threads, trusted answers, "
            "shared notes and quizzes. With no command, opens your last circle "
            "(on the very first run, a demo circle)."
        ),
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"studycircle {__version__}",
        help=_("show the version and exit"),
    )
    parser.add_argument(
        "--lang",
        choices=tuple(i18n.LANGUAGES),
        help=_(
            "the language to speak (default: the language setting in config.toml, else your LANG)"
        ),
    )
    _add_display_options(parser)
    parser.set_defaults(func=cmd_default)
    commands = parser.add_subparsers(title=_("commands"), metavar=_("COMMAND"))

    opener = commands.add_parser(
        "open",
        help=_("open a circle shared as a file, or one of yours by its name"),
        description=_(
            "Open a shared circle file "
            "(on a LAN share, a synced folder or a USB stick), joining it the first time; "
            "or a circle you have opened or joined before, by its name or id."
        ),
    )
    opener.add_argument(
        "path", metavar=_("FILE|NAME"), help=_("the circle file (.jsonl), or a circle's name or id")
    )
    opener.add_argument("--name", help=_("your display name in the circle"))
    opener.set_defaults(func=cmd_open)

    new = commands.add_parser(
        "new",
        help=_("start a new circle in a shared file"),
        description=_("Create a new circle in a new file, with you as its lead, and open it."),
    )
    new.add_argument("circle_name", metavar=_("NAME"), help=_("the circle's name"))
    new.add_argument("--file", required=True, help=_("where to create the circle file"))
    new.add_argument("--name", help=_("your display name in the circle"))
    new.add_argument(
        "--channel",
        action="append",
        metavar=_("NAME"),
        help=_("a channel to start it with (repeat for more; default: general)"),
    )
    new.add_argument("--no-open", action="store_true", help=_("create it without opening the app"))
    new.set_defaults(func=cmd_new)

    locate = commands.add_parser(
        "locate",
        help=_("show where config, data and themes live"),
        description=_("Print the paths of the config file, the data folder and the themes."),
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
        help=_("colours the terminal can show (1 = none); by default what the terminal says"),
    )
    parser.add_argument(
        "--low-bandwidth",
        action="store_true",
        help=_("no animations, fewer redraws: for slow links"),
    )
    parser.add_argument("--ascii", action="store_true", help=_("draw borders with ASCII only"))
    parser.add_argument(
        "--served-over",
        choices=("ssh", "web"),
        help=_(
            "set by ssh-serve and web: the app runs for someone at another machine, so "
            "exports are shown for them to copy, never written to this machine's files"
        ),
    )


def _language(argv: Sequence[str]) -> str:
    """``--lang``, else the ``language`` setting, else the environment (i18n.choose).
    Read before the parser is made, since its help is in that language."""
    flag = None
    for at, word in enumerate(argv):
        if word == "--":
            break
        if word == "--lang" and at + 1 < len(argv):
            flag = argv[at + 1]
        elif word.startswith("--lang="):
            flag = word.partition("=")[2]
    return i18n.choose(flag, config.load_settings().language)


def _prepare_terminal(args: argparse.Namespace) -> None:
    from .terminal import prepare

    prepare(
        color_depth_option=args.color_depth,
        low_bandwidth_option=args.low_bandwidth,
        ascii_option=args.ascii,
    )


def main(argv: Sequence[str] | None = None) -> int:
    with i18n.speaking(_language(sys.argv[1:] if argv is None else argv)):
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _prepare_terminal(args)
    try:
        return args.func(args)
    except CommandError as error:
        print(f"studycircle: {error_text(error)}", file=sys.stderr)
        return 2
    except Failed as failed:
        return failure(str(failed))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
