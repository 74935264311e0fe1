"""A real ``serve`` process killed (SIGKILL) and started again: with answers sealed, just
after a question closes, and while members push and long-poll. Nothing the server
acknowledged is lost or logged twice, and the members' apps carry on by themselves.

``STUDYCIRCLE_FAULT_ROUNDS`` sets how many kills the busy test makes (3 by default).
"""

import asyncio
import os
import random

import httpx

from server_helpers import (
    Member,
    ServerProcess,
    body,
    join_over_http,
    now_ms,
    server_circle,
    whole_log,
)
from studycircle_tui.store.db import Store
from studycircle_tui.sync.engine import CircleService
from studycircle_tui.sync.http import HttpTransport, read_token
from studycircle_tui.sync.join import join

ROUNDS = int(os.environ.get("STUDYCIRCLE_FAULT_ROUNDS", "3"))
QUESTION = {"kind": "true_false", "text": "Cells divide?", "choices": ["True", "False"]}


def _push(url: str, member: Member, *ops) -> list[dict]:
    answer = httpx.post(
        f"{url}/api/v1/circles/{member.circle}/ops", content=body(*ops), headers=member.auth
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["results"]


def test_sealed_answers_come_out_once_whenever_the_server_is_killed(tmp_path, database):
    data = tmp_path / "server"
    _, codes = server_circle(data, invites=3, database=database)
    server = ServerProcess(data, database=database)
    port = server.port

    def restart() -> None:
        nonlocal server
        server.kill()
        server = ServerProcess(data, port, database=database)

    try:
        lead = join_over_http(server.url, codes[0], "Lea")
        ana, bo = (
            join_over_http(server.url, codes[1], "Ana"),
            join_over_http(server.url, codes[2], "Bo"),
        )
        quiz = lead.make("quiz.create", {"title": "Cells", "questions": [QUESTION] * 2})
        start = lead.make("quiz.start", {"quiz": quiz.id, "mode": "live"})
        ref = [{"session": start.id, "question": question} for question in (0, 1)]
        opened = lead.make("quiz.open", {**ref[0], "deadline": now_ms() + 600_000})
        _push(server.url, lead, quiz, start, opened)
        answers = [
            player.make("quiz.answer", {**ref[0], "answer": answer})
            for player, answer in ((ana, "True"), (bo, "False"))
        ]
        for player, answer in zip((ana, bo), answers, strict=True):
            assert _push(server.url, player, answer) == [{"id": answer.id, "sealed": True}]

        restart()  # killed with the answers sealed: still sealed, still acknowledged
        assert _push(server.url, ana, answers[0]) == [{"id": answers[0].id, "sealed": True}]
        assert {op["type"] for op in whole_log(server.url, bo)} & {"quiz.answer"} == set()
        [closed] = _push(server.url, lead, lead.make("quiz.close", ref[0]))

        restart()  # killed just after the close: the answers are in the log, once
        for player, answer in zip((ana, bo), answers, strict=True):
            [result] = _push(server.url, player, answer)
            assert "seq" in result and result["seq"] < closed["seq"]
        opened = lead.make("quiz.open", {**ref[1], "deadline": now_ms() + 600_000})
        late = ana.make("quiz.answer", {**ref[1], "answer": "True"})
        _push(server.url, lead, opened)
        _push(server.url, ana, late)
        _push(server.url, lead, lead.make("quiz.close", ref[1]))
        restart()
        logged = [op["id"] for op in whole_log(server.url, bo)]
        assert len(logged) == len(set(logged))  # nothing twice
        assert all(logged.count(op.id) == 1 for op in [*answers, late])
    finally:
        server.stop()


async def _member(tmp_path, url: str, code: str, name: str) -> CircleService:
    """A member's app: their own store, joined through the real join, syncing over HTTP."""
    folder = tmp_path / name
    store = Store(folder / "replica.sqlite3")
    record = await join(url, code, name, store, data_dir=folder)
    transport = HttpTransport(url, record.id, read_token(record.id, folder))
    service = CircleService(store, record, transport)
    await service.sync_once()
    return service


async def test_killed_amid_pushes_and_long_polls_the_server_loses_nothing_and_apps_go_on(
    tmp_path, database
):
    data = tmp_path / "server"
    _, codes = await asyncio.to_thread(server_circle, data, 3, database)
    server = await asyncio.to_thread(ServerProcess, data, database=database)
    port = server.port
    apps = [
        await _member(tmp_path, server.url, code, name)
        for code, name in zip(codes, ("Lea", "Ana", "Bo"), strict=False)
    ]
    lead = apps[0]
    channel = lead.submit("channel.create", {"name": "general"})
    thread = lead.submit(
        "thread.create",
        {"channel": channel.id, "title": "Week 1", "kind": "discussion", "text": "Hello"},
    )
    await lead.sync_once()
    for app in apps:
        await app.sync_once()
    written: list[str] = []

    async def write(app: CircleService) -> None:
        for count in range(10_000):
            written.append(app.submit("post.create", {"thread": thread.id, "text": f"{count}"}).id)
            await asyncio.sleep(0.03)

    syncing = [asyncio.create_task(app.run()) for app in apps]
    writing = [asyncio.create_task(write(app)) for app in apps]
    rng = random.Random(12)
    member = Member(lead.record.id, lead.me, read_token(lead.record.id, tmp_path / "Lea"))
    try:
        for _ in range(ROUNDS):
            await asyncio.sleep(rng.uniform(0.3, 1.0))  # pushes and long-polls under way
            await asyncio.to_thread(server.kill)
            await asyncio.sleep(rng.uniform(0.0, 0.5))
            server = await asyncio.to_thread(ServerProcess, data, port, database=database)
        await asyncio.sleep(0.5)  # a post wakes an app that waits to retry: it finds the server
        for task in writing:
            task.cancel()
        await asyncio.gather(*writing, return_exceptions=True)
        async with asyncio.timeout(60):  # the apps deliver what waited, and catch up
            while any(
                app.status.waiting or len(app.state.threads[thread.id].post_ids) <= len(written)
                for app in apps
            ):
                await asyncio.sleep(0.1)
        logged = [op["id"] for op in await asyncio.to_thread(whole_log, server.url, member)]
    finally:
        for task in [*syncing, *writing]:
            task.cancel()
        await asyncio.gather(*syncing, *writing, return_exceptions=True)
        for app in apps:
            await app.transport.close()
        await asyncio.to_thread(server.stop)
    assert len(written) > 30 * ROUNDS
    assert len(logged) == len(set(logged))
    assert set(written) <= set(logged)
    posts = [app.state.threads[thread.id].post_ids for app in apps]
    assert posts[0] == posts[1] == posts[2]  # every app, the same thread in the same order
