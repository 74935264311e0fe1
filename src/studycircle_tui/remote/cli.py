"""``studycircle ssh-serve`` and ``studycircle web``: the app for people with only an SSH
client or a browser. ssh-serve runs players' apps in a few worker processes (one per
core); web starts one app process per browser tab."""

import argparse
import sys
from pathlib import Path

from ..i18n import _, error_text, os_error


def _fail(message: str) -> int:
    print(f"studycircle: {message}", file=sys.stderr)
    return 2


def _circle_file(circle: str) -> Path | str:
    """The circle file for ``--circle``: a path, or the id or name of a file circle this
    user has opened before. A str is the reason it cannot be served."""
    path = Path(circle).expanduser()
    if path.is_file():
        return path.resolve()
    from .. import config
    from ..store.db import Store

    if config.store_file().exists():
        for record in Store(config.store_file()).circles():
            if circle in (record.id, record.name):
                if record.transport != "file":
                    return (
                        f"'{circle}' is a server circle; ssh-serve serves a circle shared "
                        "as a file (studycircle new NAME --file PATH makes one)"
                    )
                return Path(record.location)
    return _("{circle}: no such circle file, and no circle of yours with that id or name").format(
        circle=circle
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _display_args(args: argparse.Namespace) -> list[str]:
    words = []
    if getattr(args, "color_depth", None):
        words += ["--color-depth", args.color_depth]
    if getattr(args, "low_bandwidth", False):
        words.append("--low-bandwidth")
    if getattr(args, "ascii", False):
        words.append("--ascii")
    return words


def _ssh_serve(args: argparse.Namespace) -> int:
    import asyncio

    try:
        from .ssh import ServeOptions, serve
        from .workers import WorkersFailed
    except ModuleNotFoundError as error:
        return _fail(_("ssh-serve needs {module}: pip install asyncssh").format(module=error.name))
    circle = _circle_file(args.circle)
    if isinstance(circle, str):
        return _fail(circle)
    options = ServeOptions(
        circle_file=circle,
        port=args.port,
        host=args.host,
        guests=args.guests,
        workers=args.workers,
        app_per_session=args.app_per_session,
        color_depth=getattr(args, "color_depth", None),
        low_bandwidth=getattr(args, "low_bandwidth", False),
    )
    if args.keys:
        options.keys_file = Path(args.keys).expanduser().resolve()
    try:
        asyncio.run(serve(options))
    except WorkersFailed as error:
        return _fail(error_text(error))
    except OSError as error:
        return _fail(
            _("cannot serve on {host}:{port}: {error}").format(
                host=args.host, port=args.port, error=os_error(error)
            )
        )
    return 0


def _port(text: str) -> int:
    """A port to listen on, 0 for any free one (argparse says an error on one line,
    naming the option)."""
    if not text.isdigit() or not 0 <= int(text) <= 65_535:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 65535, not {text!r}")
    return int(text)


def _web(args: argparse.Namespace) -> int:
    try:
        from .web import make_server, public_url_problem
    except ModuleNotFoundError as error:
        return _fail(_("web needs {module}: pip install textual-serve").format(module=error.name))
    problem = args.public_url and public_url_problem(args.public_url)
    if problem:
        return _fail(problem)
    app_args = _display_args(args)
    if args.circle:
        circle = _circle_file(args.circle)
        if isinstance(circle, str):
            return _fail(circle)
        app_args += ["open", str(circle)]
    try:
        make_server(args.host, args.port, app_args, args.public_url).serve()
    except OSError as error:
        return _fail(
            _("cannot serve on {host}:{port}: {error}").format(
                host=args.host, port=args.port, error=os_error(error)
            )
        )
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    ssh = subparsers.add_parser(
        "ssh-serve",
        help=_("serve a circle to players who have only an SSH client"),
        description=_(
            "Serve the app over SSH: each player runs `ssh -p PORT HOST` and lands "
            "in the circle as themselves, identified by their SSH key. Player keys go in the "
            "authorized-keys file (see `studycircle locate`), one per line: "
        )
        + 'name="Ayu" ssh-ed25519 AAAA… ayu@laptop',
    )
    ssh.add_argument("--circle", required=True, help=_("the circle file (or a file circle's name)"))
    ssh.add_argument("--port", type=_port, default=2222, help=_("the port to listen on (2222)"))
    ssh.add_argument("--host", default="0.0.0.0", help=_("the address to listen on (all)"))
    ssh.add_argument("--keys", help=_("the authorized-keys file (default: in the data folder)"))
    ssh.add_argument(
        "--guests",
        action="store_true",
        help=_("let in unknown keys (and keyless clients) as guests"),
    )
    ssh.add_argument(
        "--workers",
        type=_positive,
        help=_("processes the players' apps run in (default: one per core)"),
    )
    ssh.add_argument(
        "--app-per-session",
        action="store_true",
        help=_("run each player's app in a process of its own (about 60 MB each, fully apart)"),
    )
    ssh.set_defaults(func=_ssh_serve)

    web = subparsers.add_parser(
        "web",
        help=_("serve the app in a web browser (offline: nothing is fetched from outside)"),
        description=_(
            "Serve the app to web browsers with textual-serve: one app per tab, "
            "running as you. Every file the page needs comes from this machine."
        ),
    )
    web.add_argument("--circle", help=_("the circle file to open (default: your last circle)"))
    web.add_argument("--host", default="127.0.0.1", help=_("the address to listen on (127.0.0.1)"))
    web.add_argument("--port", type=_port, default=8000, help=_("the port to listen on (8000)"))
    web.add_argument(
        "--public-url",
        metavar=_("URL"),
        help=_(
            "where browsers reach this server, if not where they came in (a reverse "
            "proxy's https://…); by default each page uses the address its browser used"
        ),
    )
    web.set_defaults(func=_web)
