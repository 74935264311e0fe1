"""A real ``serve`` process on loopback: cut connections, SIGKILL mid-push, a client that
was offline, and the admin commands as a host types them."""

import argparse
import asyncio
import json
import os
import random
import shlex
import stat
import threading
import time

import httpx
import pytest

from server_helpers import (
    Member,
    ServerProcess,
    body,
    http_request,
    join_over_http,
    open_store_at,
    server_circle,
    simultaneous,
    whole_log,
)
from studycircle_tui import cli, config
from studycircle_tui.core.signing import SigningKey
from studycircle_tui.server import admin
from studycircle_tui.server.hub import Hub
from studycircle_tui.server.storage import (
    REDEEM_INVITE,
    Batch,
    hash_secret,
    normalize_code,
)
from studycircle_tui.store.db import Store
from studycircle_tui.sync import cli as sync_cli
from studycircle_tui.sync.engine import CircleService
from studycircle_tui.sync.http import HttpTransport


async def _cutting_proxy(target_port: int) -> asyncio.Server:
    """Forwards a request to the server and hangs up as soon as its reply starts."""

    async def handle(reader, writer):
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", target_port)

        async def forward():
            while data := await reader.read(65536):
                upstream_writer.write(data)
                await upstream_writer.drain()

        forwarding = asyncio.create_task(forward())
        await upstream_reader.read(1)  # the reply has begun: the op was handled
        forwarding.cancel()
        for stream in (writer, upstream_writer):
            stream.transport.abort()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


async def test_a_batch_retried_after_a_cut_connection_is_stored_once(tmp_path, database):
    _, [code] = await asyncio.to_thread(server_circle, tmp_path / "server", 0, database)
    server = await asyncio.to_thread(ServerProcess, tmp_path / "server", database=database)
    try:
        lead = join_over_http(server.url, code)
        proxy = await _cutting_proxy(server.port)
        proxy_port = proxy.sockets[0].getsockname()[1]
        ops = [lead.make("channel.create", {"name": f"room {i}"}) for i in range(3)]
        path = f"/api/v1/circles/{lead.circle}/ops"
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{proxy_port}") as cut:
            with pytest.raises(httpx.HTTPError):  # the client never hears the answer
                await cut.post(path, content=body(*ops), headers=lead.auth)
        proxy.close()
        async with httpx.AsyncClient(base_url=server.url) as direct:
            retry = (await direct.post(path, content=body(*ops), headers=lead.auth)).json()
        logged = await asyncio.to_thread(whole_log, server.url, lead)
        by_id = {op["id"]: op["seq"] for op in logged}
        assert [op["id"] for op in logged].count(ops[0].id) == 1
        assert retry["results"] == [{"id": op.id, "seq": by_id[op.id]} for op in ops]
        assert [op["seq"] for op in logged] == list(range(1, len(logged) + 1))
    finally:
        server.stop()


def test_sigkill_mid_push_loses_no_acknowledged_op(tmp_path, database):
    data = tmp_path / "server"
    _, [code] = server_circle(data, 0, database)
    server = ServerProcess(data, database=database)
    port, url = server.port, server.url
    lead = join_over_http(url, code)
    acknowledged: dict[str, int] = {}
    rng = random.Random(4)
    for _ in range(20):
        stop = threading.Event()

        def push_until_killed(stop: threading.Event = stop) -> None:
            with httpx.Client(base_url=url, headers=lead.auth, timeout=5) as client:
                while not stop.is_set():
                    ops = [lead.make("channel.create", {"name": "room"}) for _ in range(5)]
                    try:
                        answer = client.post(
                            f"/api/v1/circles/{lead.circle}/ops", content=body(*ops)
                        )
                    except httpx.HTTPError:
                        return  # killed mid-request: these ops were never acknowledged
                    for result in answer.json()["results"]:
                        acknowledged[result["id"]] = result["seq"]

        pusher = threading.Thread(target=push_until_killed)
        pusher.start()
        # Some pushes acknowledged first (however busy the machine), then a kill at a
        # random moment, most likely in the middle of one.
        enough, deadline = len(acknowledged) + 6, time.monotonic() + 20
        while len(acknowledged) < enough and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.25))
        server.kill()
        stop.set()
        pusher.join()
        server = ServerProcess(data, port, database=database)
    try:
        logged = whole_log(url, lead)
    finally:
        server.stop()
    seqs = {op["id"]: op["seq"] for op in logged}
    assert len(acknowledged) > 100
    assert {op_id: seqs.get(op_id) for op_id in acknowledged} == acknowledged
    assert len(seqs) == len(logged)  # no op twice
    assert [op["seq"] for op in logged] == list(range(1, len(logged) + 1))


async def test_a_client_offline_for_a_while_delivers_its_outbox_on_reconnect(
    tmp_path, capsys, database
):
    data = tmp_path / "server"
    where = ["--database", database] if database else ["--data", str(data)]
    made = await asyncio.to_thread(cli.main, ["server", "create-circle", "Physics", *where])
    assert made == 0
    code = capsys.readouterr().out.split("invite (one use, valid 30 days): ")[1].split()[0]
    server = await asyncio.to_thread(ServerProcess, data, 0, database=database)
    port = server.port
    lead = join_over_http(server.url, code)
    assert await asyncio.to_thread(cli.main, ["server", "invite", lead.circle, *where]) == 0
    ana_code = capsys.readouterr().out.strip()

    parser = argparse.ArgumentParser()
    sync_cli.add_commands(parser.add_subparsers())
    args = parser.parse_args(["join", server.url, ana_code, "--name", "Ana"])
    assert await asyncio.to_thread(args.func, args) == 0
    assert "joined 'Physics'" in capsys.readouterr().out
    store = Store(config.store_file())
    record = store.circle(lead.circle)
    ana = CircleService(store, record, HttpTransport.for_record(record))
    await ana.sync_once()
    running = asyncio.create_task(ana.run())
    try:
        await asyncio.to_thread(server.stop)
        for _ in range(100):
            if ana.status.state == "offline":
                break
            await asyncio.sleep(0.1)
        assert ana.status.state == "offline"
        posted = ana.submit("suggestion.create", {"text": "Meet on Fridays?"})
        await asyncio.sleep(1.5)  # a while offline, the sync loop retrying
        assert ana.status.waiting == 1
        server = await asyncio.to_thread(ServerProcess, data, port, database=database)
        for _ in range(200):
            if ana.status.waiting == 0 and ana.status.state == "online":
                break
            await asyncio.sleep(0.1)
        assert ana.status.waiting == 0, ana.notices
        logged = await asyncio.to_thread(whole_log, server.url, lead)
        assert [op["actor"] for op in logged if op["id"] == posted.id] == [ana.me]
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await ana.transport.close()
        await asyncio.to_thread(server.stop)


def test_admin_commands_explain_a_bad_argument_in_one_line(tmp_path, capsys):
    data = str(tmp_path / "server")
    assert cli.main(["server", "create-circle", "Maths", "--data", data]) == 0
    circle = capsys.readouterr().out.split(": ")[1].split()[0]
    bad = [
        ["server", "invite", circle, "--expires", "soon"],
        ["server", "invite", circle, "--uses", "0"],
        ["server", "invite", circle, "--role", "boss"],
        ["server", "invite", "NOPE"],
        ["server", "create-circle", " "],
        ["serve", "--port", "70000"],
        ["serve", "--forwarded-allow-ips", "127.0.0.1,proxy.local"],
    ]
    for argv in bad:
        assert cli.main([*argv, "--data", data]) == 2
        err = capsys.readouterr().err
        assert err.startswith("studycircle: error: ") and err.count("\n") == 1, err
    assert (
        cli.main(
            [
                "server",
                "invite",
                circle,
                "--uses",
                "30",
                "--role",
                "moderator",
                "--expires",
                "12h",
                "--data",
                data,
            ]
        )
        == 0
    )
    out = capsys.readouterr().out.strip()
    assert len(out) == 19 and out.count("-") == 3


def test_the_admin_commands_work_as_they_print_them_and_take_a_circles_name(tmp_path, capsys):
    data = str(tmp_path / "my data")  # a space: the printed command must quote it
    assert cli.main(["server", "create-circle", "Biology 101", "--data", data]) == 0
    said = capsys.readouterr().out
    printed = said.split("more invites: ")[1].strip()
    assert printed.endswith(f"--data '{data}'")
    command = shlex.split(printed)
    assert command[:3] == ["studycircle", "server", "invite"]
    assert cli.main(command[1:]) == 0  # as printed
    assert len(capsys.readouterr().out.strip()) == 19
    assert cli.main(["server", "invite", "Biology 101", "--data", data]) == 0  # by its name
    assert len(capsys.readouterr().out.strip()) == 19
    assert cli.main(["server", "invite", "biology 101", "--data", data]) == 0  # any case
    capsys.readouterr()
    assert cli.main(["server", "invite", "Chemistry", "--data", data]) == 2
    assert "circles: " in capsys.readouterr().err


async def test_a_new_circle_opens_with_channels_to_post_in(tmp_path, capsys):
    data = tmp_path / "server"
    made = await asyncio.to_thread(
        cli.main, ["server", "create-circle", "Maths", "--data", str(data)]
    )
    assert made == 0
    first = capsys.readouterr().out
    argv = ["server", "create-circle", "Logic", "--channel", "#proofs", "--channel", "puzzles"]
    assert await asyncio.to_thread(cli.main, [*argv, "--data", str(data)]) == 0
    second = capsys.readouterr().out
    assert "(channels: #general)" in first and "(channels: #proofs, #puzzles)" in second
    hub = await Hub.open(await open_store_at(data))
    try:
        for out, names in ((first, ["general"]), (second, ["proofs", "puzzles"])):
            state = hub.circles[out.split(": ")[1].split()[0]].replica.state
            assert sorted(channel.name for channel in state.channels.values()) == names
    finally:
        await hub.close()


def test_stopping_the_server_answers_its_long_polls_without_a_traceback(tmp_path, database):
    data = tmp_path / "server"
    _, [code] = server_circle(data, 0, database)
    server = ServerProcess(data, database=database)
    lead = join_over_http(server.url, code)
    upto = len(whole_log(server.url, lead))
    answers: list[httpx.Response] = []

    def long_poll() -> None:
        answers.append(
            httpx.get(
                f"{server.url}/api/v1/circles/{lead.circle}/ops",
                params={"since": upto, "wait": 20},
                headers=lead.auth,
                timeout=30,
            )
        )

    polling = threading.Thread(target=long_poll)
    polling.start()
    time.sleep(1.0)  # the poll is waiting
    server.stop()
    polling.join(30)
    assert answers and answers[0].status_code == 200
    assert answers[0].json() == {"ops": [], "next": upto, "more": False}
    assert "Traceback" not in (data / "server.log").read_text()


def test_the_servers_data_is_readable_by_its_user_only_even_in_an_existing_folder(tmp_path):
    data = tmp_path / "server"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    old_umask = os.umask(0o022)  # the usual one: new files readable by everyone
    try:
        _, [code] = server_circle(data)
        server = ServerProcess(data)
    finally:
        os.umask(old_umask)
    try:
        join_over_http(server.url, code)  # a write: the WAL and its index are in use
        files = sorted(data.glob("server.sqlite3*"))
        assert [path.name for path in files] == [
            "server.sqlite3",
            "server.sqlite3-shm",
            "server.sqlite3-wal",
        ]
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        assert {path.name: stat.S_IMODE(path.stat().st_mode) for path in files} == {
            path.name: 0o600 for path in files
        }
    finally:
        server.stop()


def _join_statuses(url: str, forwarded_for: list[str]) -> list[int]:
    """Joins with a made-up invite, each claiming another client address."""
    return [
        httpx.post(
            f"{url}/api/v1/join",
            json={"invite": "AAAA-BBBB-CCCC-DDDD", "display_name": "Bo"},
            headers={"x-forwarded-for": address},
        ).status_code
        for address in forwarded_for
    ]


def test_forwarded_addresses_are_believed_only_from_the_proxies_named(tmp_path):
    """Per-address join limits (here two joins, then 429) see through X-Forwarded-For
    only when it comes from an address given with --forwarded-allow-ips."""
    claimed = ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
    server = ServerProcess(tmp_path / "plain", 0, "--join-limit", "2")
    try:  # a local process cannot pass itself off as three clients
        assert _join_statuses(server.url, claimed) == [404, 404, 429]
    finally:
        server.stop()
    options = ("--join-limit", "2", "--forwarded-allow-ips", "127.0.0.1, 10.0.0.0/8")
    server = ServerProcess(tmp_path / "proxied", 0, *options)
    try:  # behind a proxy on this machine: three clients, each with their own limit
        assert _join_statuses(server.url, claimed) == [404, 404, 404]
        assert _join_statuses(server.url, ["203.0.113.1"] * 2) == [404, 429]
    finally:
        server.stop()


def test_concurrent_joins_redeem_an_invite_no_more_times_than_it_allows(tmp_path, database):
    """Twelve people at once with one invite: as many join as it has uses, the others are
    told it is used up. The founding lead's invite makes one lead, with one token."""
    data = tmp_path / "server"
    now = int(time.time() * 1000)

    async def make() -> tuple[str, list[tuple[str, int]]]:
        store = await open_store_at(data, database)
        circle, founding = await admin.create_circle(store, "Physics", now)
        invites = [(founding, 1)]
        for uses in (1, 1, 3):
            code = await admin.add_invite(store, circle, "member", uses, now + 60_000, now)
            invites.append((code, uses))
        await store.close()
        return circle, invites

    circle, invites = asyncio.run(make())
    server = ServerProcess(data, 0, "--join-limit", "100000", database=database)
    try:
        joined = []
        for code, uses in invites:
            # Twelve people, each with a key of their own (a key already taken is refused).
            requests = [
                http_request(
                    "POST",
                    "/api/v1/join",
                    {
                        "invite": code,
                        "display_name": "Bo",
                        "key": SigningKey(os.urandom(32)).public,
                    },
                )
                for _ in range(12)
            ]
            answers = asyncio.run(simultaneous(server.port, requests))
            assert sorted(status for status, _ in answers) == [200] * uses + [410] * (12 - uses)
            joined += [json.loads(reply) for status, reply in answers if status == 200]
        members = [Member(circle, answer["member"], answer["token"]) for answer in joined]
        logged = whole_log(server.url, members[0])
        assert sum(op["type"] == "member.join" for op in logged) == 5
        assert len({member.id for member in members}) == len(members) == 6
        for member in members:  # every token handed out works
            reply = httpx.get(f"{server.url}/api/v1/circles/{circle}/ops", headers=member.auth)
            assert reply.status_code == 200
    finally:
        server.stop()


async def test_an_invites_uses_are_counted_in_the_database_across_connections(tmp_path, database):
    """What keeps several server processes on one database from over-redeeming: the
    claim is one conditional UPDATE, each connection here standing in for a process."""
    data = tmp_path / "server"
    now = int(time.time() * 1000)
    store = await open_store_at(data, database)
    circle, _ = await admin.create_circle(store, "Physics", now)
    code = await admin.add_invite(store, circle, "member", 3, now + 60_000, now)
    await store.close()
    stores = [await open_store_at(data, database) for _ in range(8)]
    start = asyncio.Barrier(len(stores))

    async def redeem(store) -> bool:
        await start.wait()
        async with store.transaction() as tx:
            return await Batch(tx).claim(REDEEM_INVITE, (hash_secret(normalize_code(code)), now))

    claimed = await asyncio.gather(*(redeem(store) for store in stores))
    for store in stores:
        await store.close()
    assert sorted(claimed) == [False] * 5 + [True] * 3
