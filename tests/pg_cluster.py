"""A throwaway PostgreSQL cluster in a temporary folder, for the tests and the benches.

A fixture of our own rather than pytest-postgresql: PostgreSQL refuses to run as root,
which is who the tests run as here (and in CI), so the cluster's folder is handed to
the ``postgres`` system user and ``initdb``/``pg_ctl`` run as that user through
``runuser``. The server listens on a Unix socket in that folder only (no TCP port to
collide with another test run), and trusts local connections: the cluster lives as
long as the test session and holds nothing but test data.

Each pytest-xdist worker is a process of its own and starts its own cluster.
"""

import contextlib
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

SUPERUSER = "postgres"


def _binaries() -> Path | None:
    """The folder of initdb and pg_ctl: on PATH, or Debian's /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    return versions[-1].parent if versions else None


def unavailable() -> str | None:
    """Why no cluster can be started here, or None."""
    if _binaries() is None:
        return "PostgreSQL's initdb is not installed (Debian: apt-get install postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SUPERUSER)
        except KeyError:
            return f"running as root and there is no {SUPERUSER!r} user to run PostgreSQL as"
    return None


class Cluster:
    """A running cluster; ``database()`` makes a fresh, empty database and its URL."""

    def __init__(self, folder: Path, *, durable: bool = False) -> None:
        bin_dir = _binaries()
        if bin_dir is None:
            raise RuntimeError(unavailable())
        self.folder = folder
        self.data = folder / "data"
        self.socket_dir = folder / "run"
        self._names = itertools.count(1)
        as_user: list[str] = []
        if os.geteuid() == 0:
            as_user = ["runuser", "-u", SUPERUSER, "--"]
            user = pwd.getpwnam(SUPERUSER)
            os.chown(folder, user.pw_uid, user.pw_gid)
        self.socket_dir.mkdir()
        if as_user:
            os.chown(self.socket_dir, user.pw_uid, user.pw_gid)
        self._as_user, self._bin = as_user, bin_dir
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--no-sync",
            "--encoding=UTF8",
            "--locale=C",
        )
        settings = [
            "listen_addresses=''",
            f"unix_socket_directories='{self.socket_dir}'",
            "max_connections=300",
            "shared_buffers=128MB",
        ]
        if not durable:  # tests: a crash of this throwaway cluster loses nothing of worth
            settings += ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write("\n".join(settings) + "\n")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(folder / "log"), "-w", "start")

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self._as_user, str(self._bin / tool), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@/{database}?host={self.socket_dir}"

    def database(self, template: str | None = None) -> str:
        """A new database (a copy of ``template`` if given); its URL."""
        import psycopg

        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            like = f" TEMPLATE {template}" if template else ""
            connection.execute(f"CREATE DATABASE {name}{like}")
        return self.url(name)

    def drop(self, url: str) -> None:
        import psycopg

        name = url.split("/")[-1].split("?")[0]
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def postmaster(self) -> int | None:
        """The server's process id (its children do the work), for CPU accounting."""
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def cluster(*, durable: bool = False) -> Iterator[Cluster]:
    """A cluster in a new temporary folder, stopped and removed afterwards. The folder is
    short on purpose: a Unix socket's path must fit in about 100 bytes."""
    folder = Path(tempfile.mkdtemp(prefix="sc-pg-"))
    running = None
    try:
        running = Cluster(folder, durable=durable)
        yield running
    finally:
        if running is not None:
            running.stop()
        else:
            shutil.rmtree(folder, ignore_errors=True)
