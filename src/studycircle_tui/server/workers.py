"""``studycircle serve --workers N``: N server processes on one port and one PostgreSQL
database, watched over by the process the host started.

Each worker is a ``serve`` of its own (``--worker``) whose socket is bound with
SO_REUSEPORT: the kernel spreads new connections evenly over the workers listening on
the port, and a worker that dies takes only its own connections with it; the others
go on, and clients reconnect to them. This process holds the port (bound, never
listening, so that no connection waits on it), starts the workers, starts again one
that exits without being asked to (after ``RESTART_S``), and stops them all on SIGTERM
or SIGINT. What one worker commits the others learn through the database (hub.Hub).
"""

import argparse
import signal
import socket
import subprocess
import sys
import threading
import time

RESTART_S = 1.0


def _command(args: argparse.Namespace, port: int) -> list[str]:
    command = [sys.executable, "-m", "studycircle_tui.server", "serve", "--worker"]
    command += ["--host", args.host, "--port", str(port)]
    command += ["--rate-limit", args.rate_limit, "--join-limit", args.join_limit]
    for option, value in (
        ("--data", args.data),
        ("--database", args.database),
        ("--forwarded-allow-ips", args.forwarded_allow_ips),
    ):
        if value:
            command += [option, value]
    return command


def _start(command: list[str]) -> tuple[subprocess.Popen, str]:
    """A worker and the line it prints once it listens ("" if it did not start)."""
    worker = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    line = worker.stdout.readline() if worker.stdout else ""
    if "listening on " in line:
        # Its later output (none is expected) must not fill the pipe and block it.
        threading.Thread(target=worker.stdout.read, daemon=True).start()  # type: ignore[union-attr]
    return worker, line


def supervise(args: argparse.Namespace, where: str) -> int:
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    holder = socket.socket(family, socket.SOCK_STREAM)
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        holder.bind((args.host, int(args.port)))
    except OSError as error:
        print(
            f"studycircle: error: cannot listen on {args.host}:{args.port}: {error}",
            file=sys.stderr,
        )
        return 1
    port = holder.getsockname()[1]
    command = _command(args, port)
    stopping = threading.Event()

    def stop(signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    workers: list[subprocess.Popen] = []
    for _ in range(int(args.workers)):
        worker, line = _start(command)
        workers.append(worker)
        if "listening on " not in line:
            _stop_all(workers)
            return 1  # the worker said why on stderr
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(
        f"studycircle server listening on http://{host}:{port}"
        f" ({len(workers)} workers: {' '.join(str(w.pid) for w in workers)}; {where})",
        flush=True,
    )
    while not stopping.is_set():
        for index, worker in enumerate(workers):
            if worker.poll() is not None and not stopping.is_set():
                print(
                    f"studycircle: worker {worker.pid} exited ({worker.returncode}); starting"
                    " another",
                    file=sys.stderr,
                    flush=True,
                )
                time.sleep(RESTART_S)
                workers[index], _ = _start(command)
        stopping.wait(0.2)
    _stop_all(workers)
    holder.close()
    return 0


def _stop_all(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
    for worker in workers:
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
