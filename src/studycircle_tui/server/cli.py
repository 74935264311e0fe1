"""``studycircle serve`` and the admin commands ``studycircle server create-circle|invite``.

``add_commands(subparsers)`` adds them to the app's parser; each sets ``func``, which takes
the parsed namespace and returns an exit code. A bad argument prints one line saying
what is wrong, never a traceback. Heavy imports (uvicorn, Starlette) wait until ``serve``
runs, so the rest of the CLI starts fast.
"""

import argparse
import contextlib
import gc
import ipaddress
import re
import sqlite3
import sys
import time
from pathlib import Path

import msgspec

from ..core.ops import Name
from ..core.state import ROLE_RANK

DEFAULT_PORT = 8765
_DURATION = re.compile(r"^(\d{1,6})([smhdw])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("studycircle")) / "server"


def _fail(message: str, code: int = 2) -> int:
    print(f"studycircle: error: {message}", file=sys.stderr)
    return code


def parse_duration(text: str) -> int | None:
    """Seconds in ``30m``, ``12h``, ``7d``, ``2w``; None when it is not such a duration."""
    match = _DURATION.match(text.strip().lower())
    if match is None:
        return None
    return int(match.group(1)) * _UNIT_S[match.group(2)]


def _data_dir(args: argparse.Namespace) -> Path:
    return Path(args.data).expanduser() if args.data else default_data_dir()


def _open_storage(args: argparse.Namespace):  # -> Storage, imported lazily
    from .storage import Storage

    return Storage(_data_dir(args))


def _valid_name(name: str) -> bool:
    try:
        msgspec.convert(name, Name)
    except msgspec.ValidationError:
        return False
    return bool(name.strip())


def _positive(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0 < value <= 1_000_000 else None


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network] | None:
    """``127.0.0.1, 10.0.0.0/8`` as networks; None when any part is not an address."""
    networks = []
    for part in text.split(","):
        try:
            networks.append(ipaddress.ip_network(part.strip(), strict=False))
        except ValueError:
            return None
    return networks


def _create_circle(args: argparse.Namespace) -> int:
    name = args.name.strip()
    if not _valid_name(name):
        return _fail("a circle's name must be 1 to 80 characters")
    # Members start threads in a channel: a circle opens with at least one.
    channels = list(dict.fromkeys(c.strip().lstrip("#") for c in args.channel or ["general"]))
    for channel in channels:
        if not _valid_name(channel):
            return _fail(f"a channel's name must be 1 to 80 characters, not {channel!r}")
    try:
        storage = _open_storage(args)
        circle, code = storage.create_circle(name, time.time_ns() // 1_000_000, channels)
        storage.close()
    except (OSError, sqlite3.Error) as error:
        return _fail(f"cannot write the server's data in {_data_dir(args)}: {error}", 1)
    listed = ", ".join(f"#{channel}" for channel in channels)
    print(f"created circle {name!r}: {circle} (channels: {listed})")
    print(f"founding lead's invite (one use, valid 30 days): {code}")
    print(f"more invites: studycircle server invite {circle} --uses 30")
    return 0


def _invite(args: argparse.Namespace) -> int:
    if args.role not in ROLE_RANK:
        return _fail(f"--role must be one of {', '.join(ROLE_RANK)}, not {args.role!r}")
    if not args.uses.isdigit() or not 1 <= int(args.uses) <= 10_000:
        return _fail(f"--uses must be a whole number from 1 to 10000, not {args.uses!r}")
    seconds = parse_duration(args.expires)
    if seconds is None or not 60 <= seconds <= 366 * 86_400:
        return _fail(
            f"--expires must be a duration like 30m, 12h, 7d or 2w (1 minute to a year),"
            f" not {args.expires!r}"
        )
    try:
        storage = _open_storage(args)
        if storage.circle_name(args.circle) is None:
            known = ", ".join(f"{cid} ({name})" for cid, name in storage.circles()) or "none yet"
            return _fail(f"no circle {args.circle!r} on this server; circles: {known}")
        now = time.time_ns() // 1_000_000
        code = storage.add_invite(args.circle, args.role, int(args.uses), now + seconds * 1000, now)
        storage.close()
    except (OSError, sqlite3.Error) as error:
        return _fail(f"cannot write the server's data in {_data_dir(args)}: {error}", 1)
    print(code)
    uses = "1 use" if args.uses == "1" else f"{args.uses} uses"
    print(f"(role {args.role}, {uses}, expires in {args.expires})", file=sys.stderr)
    return 0


def _connection_budget() -> int:
    """How many connections the server may hold: ``guard.MAX_CONNECTIONS``, or fewer if
    the process may not open that many files. The soft limit is raised to the hard one
    first (often 1,024 and far more): past it, new connections fail before the guard
    can make room for them."""
    from .guard import MAX_CONNECTIONS

    try:
        import resource
    except ImportError:  # not on Windows
        return MAX_CONNECTIONS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    # Some files stay for the database, the log and the worker thread.
    return max(64, min(MAX_CONNECTIONS, soft - 64))


def _freeze_survivors(phase: str, info: dict[str, int]) -> None:
    if phase == "stop" and info["generation"] >= 1:
        gc.freeze()


def _serve(args: argparse.Namespace) -> int:
    import logging
    import socket

    if not args.port.isdigit() or not 0 <= int(args.port) <= 65_535:
        return _fail(f"--port must be a number from 0 to 65535, not {args.port!r}")
    rate, joins = _positive(args.rate_limit), _positive(args.join_limit)
    if rate is None:
        return _fail(f"--rate-limit must be a number of requests a second, not {args.rate_limit!r}")
    if joins is None:
        return _fail(f"--join-limit must be a number of joins a minute, not {args.join_limit!r}")
    proxies = parse_networks(args.forwarded_allow_ips) if args.forwarded_allow_ips else []
    if proxies is None:
        return _fail(
            "--forwarded-allow-ips must be addresses or networks separated by commas,"
            f" like 127.0.0.1 or 10.0.0.0/8, not {args.forwarded_allow_ips!r}"
        )
    try:
        loopback = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        loopback = args.host == "localhost"
    data = _data_dir(args)

    import uvicorn

    from .app import create_app
    from .guard import Connections, guarded_protocol
    from .hub import Hub

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    # The worker thread that reads from the disk (a circle's history, an invite) shares
    # the GIL with the event loop: at the default 5 ms switch interval either can hold
    # up the other that long.
    sys.setswitchinterval(0.0005)
    try:
        hub = Hub.open(data)
    except (OSError, sqlite3.Error) as error:
        return _fail(f"cannot open the server's data in {data}: {error}", 1)
    # The circles just loaded live as long as the server, and so does most of what
    # survives two young collections (the ops that arrive, members' connections).
    # Frozen, out of the cyclic collector's sight, they are no longer walked by its
    # full passes, which otherwise stall every request as the history grows (10-30 ms
    # at 10k ops, a few hundred at 100k). Freezing keeps nothing alive: an object that
    # loses its last reference is freed as ever; only a reference cycle formed after
    # its freezing would stay, and the request paths form none (a refused join's
    # traceback aside).
    gc.collect()
    gc.freeze()
    gc.callbacks.append(_freeze_survivors)
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    # IPPROTO_TCP spelled out: asyncio turns Nagle off (TCP_NODELAY) only on sockets
    # that say they are TCP, and with Nagle on, every answer after a connection's
    # first waits some 40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, int(args.port)))
    except OSError as error:
        sock.close()
        hub.close()
        return _fail(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}", 1)
    sock.listen(1024)
    port = sock.getsockname()[1]
    app = create_app(hub, rate=rate, burst=2 * rate, join_rate=joins / 60, join_burst=joins)
    connections = Connections(proxies, total=_connection_budget())
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_level="warning",
        access_log=False,
        # Each of these headers would cross the wire with every long-poll answer.
        date_header=False,
        server_header=False,
        timeout_graceful_shutdown=2,
        # Clients keep an idle connection 55 s (sync/http.py): a post after a minute of
        # reading goes out on it, without a new connection's round trip; the server
        # keeps it longer, so it is the client that closes it, never mid-request.
        timeout_keep_alive=65,
        # Connections are limited in guard (per address, idle ones closed first, JSON
        # answers) rather than by uvicorn's limit_concurrency, which refused everyone.
        http=guarded_protocol(connections),
        # X-Forwarded-For is believed only from the proxies the host names: anyone else
        # could claim any address and escape the per-address limits.
        proxy_headers=bool(proxies),
        forwarded_allow_ips=[str(network) for network in proxies],
    )
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"studycircle server listening on http://{host}:{port} (data in {data})", flush=True)
    if not loopback:
        print(
            "note: reachable from the network; put a TLS reverse proxy in front (see README)",
            flush=True,
        )

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            # Long-polls would otherwise hold the shutdown for its whole grace period,
            # then be cancelled, each with a traceback in the log.
            hub.end_long_polls()
            await super().shutdown(sockets)

    try:
        Server(config).run(sockets=[sock])
    finally:
        hub.close()
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser("serve", help="host circles for members to sync with")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback)")
    serve.add_argument("--port", default=str(DEFAULT_PORT), help=f"port (default {DEFAULT_PORT})")
    serve.add_argument("--data", help="the server's data directory")
    serve.add_argument(
        "--rate-limit", default="100", help="requests a second per member (default 100)"
    )
    serve.add_argument(
        "--join-limit", default="12", help="joins a minute from one address (default 12)"
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        metavar="ADDRESSES",
        help="reverse proxies whose X-Forwarded-For is believed, e.g. 127.0.0.1 (default: none)",
    )
    serve.set_defaults(func=_serve)

    server = subparsers.add_parser("server", help="manage the circles this machine hosts")
    admin = server.add_subparsers(dest="server_command", metavar="COMMAND", required=True)
    create = admin.add_parser("create-circle", help="create a circle, print its lead's invite")
    create.add_argument("name", metavar="NAME")
    create.add_argument(
        "--channel",
        action="append",
        metavar="NAME",
        help="a channel to open it with (repeat for more; default: general)",
    )
    create.add_argument("--data", help="the server's data directory")
    create.set_defaults(func=_create_circle)

    invite = admin.add_parser("invite", help="print an invite code for a circle")
    invite.add_argument("circle", metavar="CIRCLE", help="the circle's id")
    invite.add_argument("--uses", default="1", help="how many people may use it (default 1)")
    invite.add_argument("--expires", default="7d", help="valid for, e.g. 12h, 7d (default 7d)")
    invite.add_argument("--role", default="member", help="member, moderator or lead")
    invite.add_argument("--data", help="the server's data directory")
    invite.set_defaults(func=_invite)
