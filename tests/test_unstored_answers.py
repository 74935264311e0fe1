"""A player's answer or join that this computer's store refuses once is stored again, not
dropped after a "Not done" toast (issue 13: the room waited for an answer that never
came). What the disk refuses every time is refused to the player, and nothing stored."""

import asyncio
import sqlite3
import threading

import pytest

from quiz_helpers import asked, file_or_server_circle, lobby, quiz_circle
from studycircle_tui.store.db import Store
from studycircle_tui.sync import engine
from studycircle_tui.sync.engine import Refused
from studycircle_tui.sync.quizrun import QuizRunner


@pytest.fixture
async def circle(tmp_path, monkeypatch):
    monkeypatch.setattr(engine, "STORE_AGAIN_SECONDS", (0.0, 0.0, 0.0))
    return await quiz_circle(tmp_path)


def refusing(monkeypatch, service, times: int, error: str = "not an error") -> list[str]:
    """The service's store refuses its next ``times`` writes of ops with ``error`` (what
    a refusal looked like when two threads shared a connection); the refusals so far."""
    store, add_ops, refusals = service.store, service.store.add_ops, []

    def add(*args, **kwargs):
        if len(refusals) < times:
            refusals.append(error)
            raise sqlite3.OperationalError(error)
        return add_ops(*args, **kwargs)

    monkeypatch.setattr(store, "add_ops", add)
    return refusals


async def test_an_answer_the_store_refused_once_is_stored_and_reaches_the_lead(circle, monkeypatch):
    session_id = await asked(circle)
    ayu = circle.players[0]
    refusals = refusing(monkeypatch, ayu, times=1)
    op = await QuizRunner(ayu).answer(session_id, 0, 1)
    assert refusals == ["not an error"]
    assert ayu.store.missing(ayu.record.id, [op.id]) == set()
    assert op.id in ayu.status.queued  # waits to be sent, like any answer
    await circle.sync()
    answers = circle.lead.state.sessions[session_id].answers[0]
    assert ayu.me in answers


async def test_a_join_the_store_refused_twice_seats_the_player(circle, monkeypatch):
    session_id = await lobby(circle, players=[])
    budi = circle.players[1]
    refusals = refusing(monkeypatch, budi, times=2, error="another row available")
    await QuizRunner(budi).join(session_id)
    assert len(refusals) == 2
    await circle.sync()
    assert budi.me in circle.lead.state.sessions[session_id].joined


async def test_an_answer_the_store_always_refuses_is_refused_and_not_stored(circle, monkeypatch):
    session_id = await asked(circle)
    citra = circle.players[2]
    refusals = refusing(monkeypatch, citra, times=100, error="disk I/O error")
    with pytest.raises(Refused, match="could not be saved on this computer"):
        await QuizRunner(citra).answer(session_id, 0, 1)
    assert len(refusals) == len(engine.STORE_AGAIN_SECONDS) + 1
    assert citra.store.outbox_size(citra.record.id) == 0
    assert citra.me not in citra.state.sessions[session_id].answers.get(0, {})


@pytest.fixture(params=["file", "server"])
async def file_or_server(request, tmp_path, monkeypatch):
    async with file_or_server_circle(request.param, tmp_path, monkeypatch) as made:
        yield made


async def test_an_answer_being_stored_while_another_process_writes_is_not_taken_for_dropped(
    file_or_server, monkeypatch
):
    """The sync loop folds what another process stored, and forgets a pending op of this
    member's that the store no longer holds (another process dropped it after a server
    refused it): an answer the store thread is writing at that moment is neither, and
    arrives."""
    circle = file_or_server
    session_id = await asked(circle)
    ayu = circle.players[0]
    writing, written = threading.Event(), threading.Event()
    add_ops = ayu.store.add_ops

    def slow(*args, **kwargs):
        writing.set()
        written.wait(30)
        return add_ops(*args, **kwargs)

    monkeypatch.setattr(ayu.store, "add_ops", slow)
    answering = asyncio.ensure_future(QuizRunner(ayu).answer(session_id, 0, 1))
    await asyncio.to_thread(writing.wait, 30)
    beside = Store(ayu.store.path)  # a `quiz import` beside the app
    beside.set_cursor("another circle", "file", "1")
    beside.close()
    await ayu.sync_once()  # the fold runs while the answer is being written
    written.set()
    op = await answering
    await circle.sync()
    assert ayu.me in ayu.state.sessions[session_id].answers[0]  # not taken back
    assert op.id not in ayu.status.queued  # and sent (sealed, on a server, until it closes)
