"""A real ``serve`` process on loopback: cut connections, SIGKILL mid-push, a client that
was offline, and the admin commands as a host types them."""

import argparse
import asyncio
import random
import threading
import time

import httpx
import pytest

from server_helpers import Member, ServerProcess, body
from studycircle_tui import cli, config
from studycircle_tui.server.hub import Hub
from studycircle_tui.server.storage import Storage
from studycircle_tui.store.db import Store
from studycircle_tui.sync import cli as sync_cli
from studycircle_tui.sync.engine import CircleService
from studycircle_tui.sync.http import HttpTransport


def _lead(url: str, code: str) -> Member:
    joined = httpx.post(f"{url}/api/v1/join", json={"invite": code, "display_name": "Lea"})
    assert joined.status_code == 200, joined.text
    answer = joined.json()
    return Member(answer["circle"], answer["member"], answer["token"])


def _all_ops(url: str, member: Member) -> list[dict]:
    ops: list[dict] = []
    while True:
        page = httpx.get(
            f"{url}/api/v1/circles/{member.circle}/ops",
            params={"since": len(ops), "limit": 1000},
            headers=member.auth,
        ).json()
        ops += page["ops"]
        if not page["more"]:
            return ops


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


async def test_a_batch_retried_after_a_cut_connection_is_stored_once(tmp_path):
    storage = Storage(tmp_path / "server")
    _, code = storage.create_circle("Physics", int(time.time() * 1000))
    storage.close()
    server = ServerProcess(tmp_path / "server")
    try:
        lead = _lead(server.url, code)
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
        logged = await asyncio.to_thread(_all_ops, server.url, lead)
        by_id = {op["id"]: op["seq"] for op in logged}
        assert [op["id"] for op in logged].count(ops[0].id) == 1
        assert retry["results"] == [{"id": op.id, "seq": by_id[op.id]} for op in ops]
        assert [op["seq"] for op in logged] == list(range(1, len(logged) + 1))
    finally:
        server.stop()


def test_sigkill_mid_push_loses_no_acknowledged_op(tmp_path):
    data = tmp_path / "server"
    storage = Storage(data)
    _, code = storage.create_circle("Physics", int(time.time() * 1000))
    storage.close()
    server = ServerProcess(data)
    port, url = server.port, server.url
    lead = _lead(url, code)
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
        server = ServerProcess(data, port)
    try:
        logged = _all_ops(url, lead)
    finally:
        server.stop()
    seqs = {op["id"]: op["seq"] for op in logged}
    assert len(acknowledged) > 100
    assert {op_id: seqs.get(op_id) for op_id in acknowledged} == acknowledged
    assert len(seqs) == len(logged)  # no op twice
    assert [op["seq"] for op in logged] == list(range(1, len(logged) + 1))


async def test_a_client_offline_for_a_while_delivers_its_outbox_on_reconnect(tmp_path, capsys):
    data = tmp_path / "server"
    assert cli.main(["server", "create-circle", "Physics", "--data", str(data)]) == 0
    code = capsys.readouterr().out.split("invite (one use, valid 30 days): ")[1].split()[0]
    server = ServerProcess(data)
    port = server.port
    lead = _lead(server.url, code)
    assert cli.main(["server", "invite", lead.circle, "--data", str(data)]) == 0
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
        server = await asyncio.to_thread(ServerProcess, data, port)
        for _ in range(200):
            if ana.status.waiting == 0 and ana.status.state == "online":
                break
            await asyncio.sleep(0.1)
        assert ana.status.waiting == 0
        logged = await asyncio.to_thread(_all_ops, server.url, lead)
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


def test_a_new_circle_opens_with_channels_to_post_in(tmp_path, capsys):
    data = tmp_path / "server"
    assert cli.main(["server", "create-circle", "Maths", "--data", str(data)]) == 0
    first = capsys.readouterr().out
    argv = ["server", "create-circle", "Logic", "--channel", "#proofs", "--channel", "puzzles"]
    assert cli.main([*argv, "--data", str(data)]) == 0
    second = capsys.readouterr().out
    assert "(channels: #general)" in first and "(channels: #proofs, #puzzles)" in second
    hub = Hub.open(data)
    try:
        for out, names in ((first, ["general"]), (second, ["proofs", "puzzles"])):
            state = hub.circles[out.split(": ")[1].split()[0]].replica.state
            assert sorted(channel.name for channel in state.channels.values()) == names
    finally:
        hub.close()


def test_stopping_the_server_answers_its_long_polls_without_a_traceback(tmp_path):
    data = tmp_path / "server"
    storage = Storage(data)
    _, code = storage.create_circle("Physics", int(time.time() * 1000))
    storage.close()
    server = ServerProcess(data)
    lead = _lead(server.url, code)
    upto = len(_all_ops(server.url, lead))
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
