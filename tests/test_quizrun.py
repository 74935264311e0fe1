"""Running quizzes through the service (sync/quizrun.py) and ``studycircle quiz import``:
the lead's keys stay on the lead's device, pausing and adding time, who may host, one
answer per player, practice results, and the import command end to end."""

import json

import msgspec
import pytest

from quiz_helpers import KEYS, quiz_circle
from studycircle_tui import config
from studycircle_tui.cli import main
from studycircle_tui.core import quizkeys, quizscore
from studycircle_tui.core.discussion import find_channel
from studycircle_tui.core.ops import Key
from studycircle_tui.store.db import Store
from studycircle_tui.sync.circles import create_demo_circle, create_file_circle, open_service
from studycircle_tui.sync.engine import Refused
from studycircle_tui.sync.quizrun import QuizRunner, Stage, live_stage


async def test_a_live_quiz_publishes_only_a_hash_and_its_lead_keeps_the_keys(tmp_path):
    circle = await quiz_circle(tmp_path)
    quiz = circle.lead.state.quizzes[circle.quiz]
    assert quiz.keys is None and quiz.key_hash.startswith("sha256:")
    lead, ayu = QuizRunner(circle.lead), QuizRunner(circle.players[0])
    salts, keys = lead.held_keys(quiz)
    assert keys == [msgspec.convert(msgspec.to_builtins(k), Key) for k in KEYS]
    assert quizkeys.key_hash(salts, keys) == quiz.key_hash
    assert ayu.held_keys(circle.players[0].state.quizzes[circle.quiz]) is None
    assert lead.why_not_host(quiz) is None
    assert "moderator" in ayu.why_not_host(circle.players[0].state.quizzes[circle.quiz])
    assert lead.practice_keys(quiz) == keys  # its author may try it out
    assert ayu.practice_keys(circle.players[0].state.quizzes[circle.quiz]) is None
    # The circle file holds no key at all.
    text = circle.path.read_text()
    assert '"keys"' not in text and '"number":8' not in text


async def test_pause_resume_and_added_time_move_the_deadline(tmp_path):
    circle = await quiz_circle(tmp_path)
    lead = QuizRunner(circle.lead)
    session_id = (await lead.start(circle.quiz)).id
    session = circle.lead.state.sessions[session_id]
    assert live_stage(session).kind is Stage.LOBBY
    await lead.open_question(session_id, 0)
    assert session.deadline_ms == circle.clock.ms + 20_000
    circle.clock.advance(5_000)
    await lead.pause(session_id)
    assert live_stage(session).kind is Stage.PAUSED
    assert lead.remaining_ms(session) == 15_000
    circle.clock.advance(60_000)  # paused time is not counted
    assert lead.remaining_ms(session) == 15_000
    with pytest.raises(Refused):
        await lead.add_time(session_id)  # resume first
    await lead.resume(session_id)
    assert lead.remaining_ms(session) == 15_000
    await lead.add_time(session_id)
    assert lead.remaining_ms(session) == 25_000
    assert quizscore.answer_seconds(session, 0, circle.clock.ms + 1_000) == 6.0
    await lead.close(session_id)
    assert live_stage(session).kind is Stage.CLOSED
    await lead.reveal(session_id)
    assert live_stage(session).kind is Stage.REVEALED
    await lead.finish(session_id)
    assert live_stage(session).kind is Stage.FINISHED
    with pytest.raises(Refused):
        await lead.open_question(session_id, 1)


async def test_one_answer_per_player_and_none_after_the_close(tmp_path):
    circle = await quiz_circle(tmp_path)
    lead, ayu = QuizRunner(circle.lead), QuizRunner(circle.players[0])
    session = (await lead.start(circle.quiz)).id
    await lead.open_question(session, 0)
    await circle.sync()
    await ayu.answer(session, 0, [1])
    with pytest.raises(Refused, match="already answered"):
        await ayu.answer(session, 0, [2])
    await circle.sync()
    await lead.close(session)
    await circle.sync()
    with pytest.raises(Refused, match="closed"):
        await QuizRunner(circle.players[1]).answer(session, 0, [1])


async def test_an_answer_written_after_the_close_counts_for_no_one(tmp_path):
    # In a file circle a client that has not yet read the close can still append its
    # answer; every replica folds it after the close and skips it.
    circle = await quiz_circle(tmp_path)
    lead, budi = QuizRunner(circle.lead), QuizRunner(circle.players[1])
    session = (await lead.start(circle.quiz)).id
    await lead.open_question(session, 0)
    await circle.sync()
    circle.clock.advance(1_000)
    await lead.close(session)
    await circle.lead.sync_once()
    circle.clock.advance(1_000)
    await budi.answer(session, 0, [1])  # Budi's client has not read the close yet
    await circle.sync()
    for service in circle.everyone:
        assert service.state.sessions[session].answers.get(0, {}) == {}


async def test_a_practice_result_keeps_the_best_score(tmp_path):
    circle = await quiz_circle(tmp_path, practice=True)
    ayu = QuizRunner(circle.players[0])
    quiz = circle.players[0].state.quizzes[circle.quiz]
    assert ayu.practice_keys(quiz) == quiz.keys
    await ayu.record_result(circle.quiz, 3, 4)
    await ayu.record_result(circle.quiz, 1, 4)
    await circle.sync()
    assert circle.lead.state.quizzes[circle.quiz].best[circle.players[0].me] == 0.75


async def test_after_a_live_run_reveals_every_key_anyone_can_practise(tmp_path):
    circle = await quiz_circle(tmp_path)
    lead = QuizRunner(circle.lead)
    session = (await lead.start(circle.quiz)).id
    for question in range(3):
        await lead.open_question(session, question)
        await lead.close(session)
        await lead.reveal(session)
    await lead.finish(session)
    await circle.sync()
    ayu = QuizRunner(circle.players[0])
    quiz = circle.players[0].state.quizzes[circle.quiz]
    assert ayu.practice_keys(quiz) == [
        circle.players[0].state.sessions[session].revealed[i] for i in range(3)
    ]
    assert ayu.keys_verified(session) is True


QUIZ_TOML = """
title = "Cells"

[[questions]]
kind = "multiple_choice"
text = "Powerhouse of the cell?"
choices = [{ text = "Mitochondria", correct = true }, "Nucleus"]

[[questions]]
kind = "numerical"
text = "Chromosomes in a human cell?"
answers = [46]
"""


@pytest.fixture
def demo(tmp_path):
    store = Store(config.store_file())
    service = create_demo_circle(store, config.demo_circle_file(), "Rina")
    store.close()
    path = tmp_path / "cells.quiz.toml"
    path.write_text(QUIZ_TOML, encoding="utf-8")
    return service, path


def _reopened(service):
    store = Store(config.store_file())
    return open_service(store, store.circle(service.record.id))


def test_quiz_import_adds_a_live_quiz_to_a_channel_of_the_last_circle(demo, capsys):
    service, path = demo
    assert main(["quiz", "import", str(path), "--channel", "#Python-Basics"]) == 0
    out = capsys.readouterr().out
    assert "imported 'Cells' (2 questions) into #python-basics" in out
    assert "stays on this device" in out
    reopened = _reopened(service)
    [quiz] = [q for q in reopened.state.quizzes.values() if q.title == "Cells"]
    assert quiz.keys is None and quiz.channel_id == find_channel(reopened.state, "python-basics")
    assert QuizRunner(reopened).held_keys(quiz) is not None
    assert "Mitochondria" in json.dumps([q.choices for q in quiz.questions])


def test_quiz_import_into_a_circle_named_by_circle(demo, tmp_path, capsys):
    _, path = demo
    store = Store(config.store_file())
    club = create_file_circle(store, tmp_path / "chemistry.jsonl", "Chemistry Club", "Rina")
    club.submit("channel.create", {"name": "labs"})  # a channel only this circle has
    store.close()
    chosen = ["--circle", "chemistry club", "--channel", "labs"]
    assert main(["quiz", "import", str(path), *chosen]) == 0
    assert "into #labs of 'Chemistry Club'" in capsys.readouterr().out
    assert main(["quiz", "import", str(path), "--circle", "Nope", "--channel", "labs"]) == 1
    assert "no circle named 'Nope'" in capsys.readouterr().err


def test_quiz_import_for_practice_shares_the_keys(demo, capsys):
    service, path = demo
    assert main(["quiz", "import", str(path), "--channel", "general", "--practice"]) == 0
    assert "anyone can practise it" in capsys.readouterr().out
    [quiz] = [q for q in _reopened(service).state.quizzes.values() if q.title == "Cells"]
    assert quiz.keys is not None and quiz.key_hash is None


def test_quiz_import_refusals_are_one_line(demo, tmp_path, capsys):
    _, path = demo
    assert main(["quiz", "import", str(path), "--channel", "nowhere"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no channel 'nowhere'" in err and "#general" in err
    bad = tmp_path / "bad.quiz.toml"
    bad.write_text('title = "x"\n[[questions]]\nkind = "essay"\n', encoding="utf-8")
    assert main(["quiz", "import", str(bad), "--channel", "general"]) == 1
    assert capsys.readouterr().err.startswith("studycircle: ")


def test_quiz_import_needs_a_circle_first(tmp_path, capsys):
    path = tmp_path / "cells.quiz.toml"
    path.write_text(QUIZ_TOML, encoding="utf-8")
    assert main(["quiz", "import", str(path), "--channel", "general"]) == 1
    assert "no circle yet" in capsys.readouterr().err


def test_importing_the_same_quiz_again_is_refused_unless_again(demo, capsys):
    """A second import of the same file into the same channel added an identical copy
    without a word. In a real process, as the lead runs it: refused, with the way to
    add a copy on purpose; another channel, or the practice version, is no copy."""
    import subprocess
    import sys

    service, path = demo

    def studycircle(*argv: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "studycircle_tui.cli", "quiz", "import", str(path)]
        return subprocess.run([*command, *argv], capture_output=True, text=True, check=False)

    assert studycircle("--channel", "general").returncode == 0
    again = studycircle("--channel", "#General")
    assert again.returncode == 1
    assert again.stderr == (
        f"studycircle: {path}: #general already has this quiz, 'Cells', with the same "
        "questions; --again adds another copy\n"
    )
    assert studycircle("--channel", "general", "--practice").returncode == 0
    assert studycircle("--channel", "python-basics").returncode == 0
    assert studycircle("--channel", "general", "--again").returncode == 0
    titles = [
        (quiz.channel_id, quiz.keys is None)
        for quiz in _reopened(service).state.quizzes.values()
        if quiz.title == "Cells"
    ]
    general = find_channel(service.state, "general")
    assert sorted(titles).count((general, True)) == 2  # the first, and the one --again made
    assert len(titles) == 4


async def test_every_member_served_over_one_circle_shares_its_scores_until_it_changes(
    tmp_path,
):
    """An ssh-serve worker's thirty apps show one leaderboard: the scores are made once
    per change of the circle and shared by every member's view; an answer and a reveal
    arriving make them again, with the new points."""
    from quiz_helpers import asked
    from studycircle_tui.sync.engine import CircleService

    circle = await quiz_circle(tmp_path)
    session = await asked(circle)
    ayu = circle.players[0]
    lea = QuizRunner(circle.lead)
    ayu_here = QuizRunner(CircleService.member_of(circle.lead.circle, ayu.me))
    before = lea.score(session)
    assert ayu_here.score(session) is before
    assert before.totals.get(ayu.me, 0) == 0
    await QuizRunner(ayu).answer(session, 0, [1])  # the right one
    await circle.sync()
    await lea.close(session)
    await lea.reveal(session)
    after = ayu_here.score(session)
    assert after is not before
    assert after.totals[ayu.me] > 0
    assert lea.score(session) is after
