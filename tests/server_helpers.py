"""Helpers for server tests: a real hub and app in this process (httpx over ASGI), or a
real ``serve`` process on loopback, and members who make ops as a client would.

Each works on either store: ``database`` None is SQLite in the data folder, or a
``postgresql://`` URL (conftest's ``database`` fixture gives one of each)."""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from studycircle_tui.core.ops import Op, encode_op
from studycircle_tui.core.replica import Replica
from studycircle_tui.core.signing import SigningKey
from studycircle_tui.server import admin
from studycircle_tui.server.app import create_app
from studycircle_tui.server.hub import Hub
from studycircle_tui.server.storage import Store, open_store

BASE = "http://circle.test"


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on at ``host`` just now (for a server to take, or to find
    nothing at)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class Member:
    """One joined member: their token, their key, and a replica to make (signed) ops with."""

    circle: str
    id: str
    token: str
    key: SigningKey = field(default_factory=lambda: SigningKey(os.urandom(32)))
    replica: Replica = field(init=False)

    def __post_init__(self) -> None:
        self.replica = Replica(self.circle, "seq")

    @property
    def auth(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}

    def make(self, type_name: str, data: dict, wall_ms: int | None = None) -> Op:
        wall = now_ms() if wall_ms is None else wall_ms
        return self.replica.make(self.id, type_name, data, wall, os.urandom(10), self.key)


def body(*ops: Op) -> bytes:
    return b'{"ops":[' + b",".join(encode_op(op) for op in ops) + b"]}"


async def open_store_at(data_dir: Path, database: str | None = None) -> Store:
    store = open_store(database, data_dir)
    await store.open()
    return store


class Site:
    """A hub, its app and an httpx client talking to it in-process."""

    hub: Hub
    app: object
    client: httpx.AsyncClient

    @classmethod
    async def start(cls, data_dir: Path, database: str | None = None, **limits: float) -> "Site":
        site = cls()
        site.hub = await Hub.open(await open_store_at(data_dir, database))
        site.app = create_app(site.hub, **limits)
        site.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=site.app), base_url=BASE)
        return site

    async def close(self) -> None:
        await self.client.aclose()
        await self.hub.close()

    async def new_circle(self, name: str = "Biology") -> tuple[str, str]:
        """A circle and its founding lead's invite code."""
        return await admin.create_circle(self.hub.store, name, now_ms())

    async def invite(
        self, circle: str, role: str = "member", uses: int = 1, ttl_ms: int = 60_000
    ) -> str:
        return await admin.add_invite(
            self.hub.store, circle, role, uses, now_ms() + ttl_ms, now_ms()
        )

    async def join(self, code: str, name: str) -> Member:
        key = SigningKey(os.urandom(32))
        response = await self.client.post(
            "/api/v1/join", json={"invite": code, "display_name": name, "key": key.public}
        )
        assert response.status_code == 200, response.text
        joined = response.json()
        return Member(joined["circle"], joined["member"], joined["token"], key)

    async def circle_with_lead(self) -> tuple[str, Member]:
        """A circle, its lead joined: three ops (circle.create, the lead's name and key)."""
        circle, code = await self.new_circle()
        return circle, await self.join(code, "Lea")

    async def push(self, member: Member, *ops: Op) -> list[dict]:
        response = await self.client.post(
            f"/api/v1/circles/{member.circle}/ops", content=body(*ops), headers=member.auth
        )
        assert response.status_code == 200, response.text
        return response.json()["results"]

    async def everything(self, member: Member) -> list[dict]:
        """The whole log as ``member`` gets it, page after page, as an app pulls it (an
        anonymous suggestion comes on a page of its own)."""
        ops: list[dict] = []
        more = True
        while more:
            page = await self.pull(member, since=len(ops))
            ops += page["ops"]
            more = page["more"]
        return ops

    async def pull(self, member: Member, since: int = 0, **params: object) -> dict:
        response = await self.client.get(
            f"/api/v1/circles/{member.circle}/ops",
            params={"since": since, **params},
            headers=member.auth,
        )
        assert response.status_code == 200, response.text
        return response.json()


def server_circle(
    data_dir: Path, invites: int = 0, database: str | None = None, name: str = "Biology"
) -> tuple[str, list[str]]:
    """A circle in a server's database (for a ``ServerProcess`` to serve): its id, its
    founding lead's invite, then ``invites`` one-use member invites."""

    async def make() -> tuple[str, list[str]]:
        store = await open_store_at(data_dir, database)
        try:
            circle, founding = await admin.create_circle(store, name, now_ms())
            codes = [founding]
            for _ in range(invites):
                expires = now_ms() + 600_000
                codes.append(await admin.add_invite(store, circle, "member", 1, expires, now_ms()))
        finally:
            await store.close()
        return circle, codes

    return run_async(make())


def run_async(coroutine):
    """``coroutine``'s result, from sync code or from inside a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def join_over_http(url: str, code: str, name: str = "Lea") -> Member:
    """Redeem ``code`` at a real server, as a client written from the protocol would."""
    key = SigningKey(os.urandom(32))
    wanted = {"invite": code, "display_name": name, "key": key.public}
    joined = httpx.post(f"{url}/api/v1/join", json=wanted)
    assert joined.status_code == 200, joined.text
    answer = joined.json()
    return Member(answer["circle"], answer["member"], answer["token"], key)


def whole_log(url: str, member: Member) -> list[dict]:
    """Every op of the member's circle on a real server, page by page."""
    ops: list[dict] = []
    more = True
    while more:
        page = httpx.get(
            f"{url}/api/v1/circles/{member.circle}/ops",
            params={"since": len(ops), "limit": 1000},
            headers=member.auth,
        ).json()
        ops += page["ops"]
        more = page["more"]
    return ops


class ServerProcess:
    """``python -m studycircle_tui.server serve`` on a free loopback port."""

    def __init__(
        self, data_dir: Path, port: int = 0, *options: str, database: str | None = None
    ) -> None:
        """``options``: more of ``serve``'s, after the port, data folder and rate limit."""
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log = open(data_dir / "server.log", "a")  # noqa: SIM115 (closed in _close_pipes)
        where = ("--database", database) if database else ()
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "studycircle_tui.server", "serve", "--port", str(port)),
                *("--data", str(data_dir), *where, "--rate-limit", "100000", *options),
            ],
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        line = self.line = self.process.stdout.readline()
        if "listening on " not in line:
            self.process.kill()
            self.process.wait()
            log = (data_dir / "server.log").read_text()
            raise RuntimeError(f"server did not start: {line}{log}")
        self.url = line.split("listening on ")[1].split()[0]
        self.port = int(self.url.rsplit(":", 1)[1])

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self._close_pipes()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._close_pipes()

    def _close_pipes(self) -> None:
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.log.close()


def http_request(method: str, path: str, body: object = None, headers: dict | None = None) -> bytes:
    """One HTTP/1.1 request as bytes, for tests that write to sockets themselves."""
    content = b"" if body is None else json.dumps(body).encode()
    lines = [f"{method} {path} HTTP/1.1", "host: 127.0.0.1", "connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body is not None:
        lines += ["content-type: application/json", f"content-length: {len(content)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + content


async def simultaneous(port: int, requests: list[bytes]) -> list[tuple[int, bytes]]:
    """Each request on a connection of its own, all opened first and then written in one
    go, so that the server has them all at once; each answer's status and body."""
    streams = [await asyncio.open_connection("127.0.0.1", port) for _ in requests]
    for (_, writer), request in zip(streams, requests, strict=True):
        writer.write(request)
    answers = []
    for reader, writer in streams:
        head, _, rest = (await reader.read()).partition(b"\r\n\r\n")
        answers.append((int(head.split()[1]), rest))
        writer.close()
    return answers
