"""``studycircle serve``, and the parser of the admin commands (``admin_cli``).

``add_commands(subparsers)`` adds them to the app's parser; each sets ``func``, which takes
the parsed namespace and returns an exit code. A bad argument prints one line saying
what is wrong, never a traceback. Heavy imports (uvicorn, Starlette, psycopg) wait until
``serve`` runs, so the rest of the CLI starts fast.
"""

import argparse
import contextlib
import gc
import ipaddress
import sys

from ..i18n import _
from .admin_cli import (
    DATABASE_ENV,
    add_admin_commands,
    chosen_store,
    fail,
)

DEFAULT_PORT = 8765
MAX_WORKERS = 64


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
    if not args.port.isdigit() or not 0 <= int(args.port) <= 65_535:
        return fail(f"--port must be a number from 0 to 65535, not {args.port!r}")
    rate, joins = _positive(args.rate_limit), _positive(args.join_limit)
    if rate is None:
        return fail(f"--rate-limit must be a number of requests a second, not {args.rate_limit!r}")
    if joins is None:
        return fail(f"--join-limit must be a number of joins a minute, not {args.join_limit!r}")
    proxies = parse_networks(args.forwarded_allow_ips) if args.forwarded_allow_ips else []
    if proxies is None:
        return fail(
            "--forwarded-allow-ips must be addresses or networks separated by commas,"
            f" like 127.0.0.1 or 10.0.0.0/8, not {args.forwarded_allow_ips!r}"
        )
    if not args.workers.isdigit() or not 1 <= int(args.workers) <= MAX_WORKERS:
        return fail(f"--workers must be a number from 1 to {MAX_WORKERS}, not {args.workers!r}")
    store = chosen_store(args)
    if isinstance(store, int):
        return store
    if int(args.workers) > 1:
        if not store.shared:
            return fail(
                "several --workers need PostgreSQL (--database postgresql://…): with SQLite"
                " one process serves, and it cannot tell others of its commits"
            )
        from .workers import supervise

        return supervise(args, store.where)
    return _serve_one(args, store, rate, joins, proxies)


def _serve_one(args: argparse.Namespace, store, rate: float, joins: float, proxies) -> int:
    import logging
    import socket

    import uvicorn

    from .app import create_app
    from .guard import Connections, guarded_protocol
    from .hub import Hub
    from .storage import StorageError

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    # The worker thread that reads from the disk (a circle's history, an invite) shares
    # the GIL with the event loop: at the default 5 ms switch interval either can hold
    # up the other that long.
    sys.setswitchinterval(0.0005)
    try:
        loopback = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        loopback = args.host == "localhost"
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    # IPPROTO_TCP spelled out: asyncio turns Nagle off (TCP_NODELAY) only on sockets
    # that say they are TCP, and with Nagle on, every answer after a connection's
    # first waits some 40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if args.worker:  # one of serve --workers: the kernel spreads connections over them
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((args.host, int(args.port)))
    except OSError as error:
        sock.close()
        return fail(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}", 1)
    sock.listen(1024)
    port = sock.getsockname()[1]
    connections = Connections(proxies, total=_connection_budget())
    config = uvicorn.Config(
        None,  # the app, made once the hub is open on the server's event loop
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
    failed: list[str] = []

    class Server(uvicorn.Server):
        hub: Hub | None = None

        async def serve(self, sockets: list[socket.socket] | None = None) -> None:
            try:
                await store.open()
                self.hub = await Hub.open(store)
            except StorageError as error:
                failed.append(str(error))
                return
            # The circles just loaded live as long as the server, and so does most of
            # what survives two young collections (the ops that arrive, members'
            # connections). Frozen, out of the cyclic collector's sight, they are no
            # longer walked by its full passes, which otherwise stall every request as
            # the history grows (10-30 ms at 10k ops, a few hundred at 100k). Freezing
            # keeps nothing alive: an object that loses its last reference is freed as
            # ever; only a reference cycle formed after its freezing would stay, and the
            # request paths form none (a refused join's traceback aside).
            gc.collect()
            gc.freeze()
            gc.callbacks.append(_freeze_survivors)
            self.config.app = create_app(
                self.hub, rate=rate, burst=2 * rate, join_rate=joins / 60, join_burst=joins
            )
            print(
                f"studycircle server listening on http://{host}:{port} ({store.where})",
                flush=True,
            )
            if not loopback and not args.worker:
                print(
                    "note: reachable from the network; put a TLS reverse proxy in front"
                    " (see README)",
                    flush=True,
                )
            try:
                await super().serve(sockets)
            finally:
                await self.hub.close()

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            # Long-polls would otherwise hold the shutdown for its whole grace period,
            # then be cancelled, each with a traceback in the log.
            if self.hub is not None:
                self.hub.end_long_polls()
            await super().shutdown(sockets)

    Server(config).run(sockets=[sock])
    if failed:
        return fail(failed[0], 1)
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser("serve", help=_("host circles for members to sync with"))
    serve.add_argument("--host", default="127.0.0.1", help=_("address to listen on (loopback)"))
    serve.add_argument(
        "--port",
        default=str(DEFAULT_PORT),
        help=_("port (default {port})").format(port=DEFAULT_PORT),
    )
    serve.add_argument("--data", help=_("the server's data directory (SQLite)"))
    serve.add_argument(
        "--database",
        metavar=_("URL"),
        help=_(
            "postgresql://… to keep circles in PostgreSQL (default: SQLite in --data; or ${env})"
        ).format(env=DATABASE_ENV),
    )
    serve.add_argument(
        "--workers",
        default="1",
        help=_("server processes sharing the port (default 1; more need PostgreSQL)"),
    )
    serve.add_argument(
        "--rate-limit", default="100", help=_("requests a second per member (default 100)")
    )
    serve.add_argument(
        "--join-limit", default="12", help=_("joins a minute from one address (default 12)")
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        metavar=_("ADDRESSES"),
        help=_("reverse proxies whose X-Forwarded-For is believed, e.g. 127.0.0.1 (default: none)"),
    )
    serve.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    serve.set_defaults(func=_serve)

    server = subparsers.add_parser("server", help=_("manage the circles this machine hosts"))
    admin = server.add_subparsers(dest="server_command", metavar=_("COMMAND"), required=True)
    add_admin_commands(admin)
