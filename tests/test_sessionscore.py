"""Scoring a live session (core/sessionscore.py): totals, ranks, the CSV table; and the
marks kept from one reveal to the next, which must always equal scoring from scratch."""

import dataclasses
import math

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz_helpers import MC, TF, two_question_session
from studycircle_tui.core import sessionscore
from studycircle_tui.core.ops import Key
from studycircle_tui.core.state import Quiz, QuizSession


def test_a_session_is_scored_from_its_revealed_questions_only():
    answers = [
        {"ann": ([1], 250), "bob": ([1], 10_250), "cy": ([0], 300), "host": ([1], 100)},
        {"ann": ([0], 20_000), "bob": ([1], 100)},
    ]
    quiz, session = two_question_session(answers)
    score = sessionscore.score_session(quiz, session)
    # Whole points, as a room reads them: 1 point of the quiz file is 1000.
    assert score.totals == {"ann": 1000 + 500 + 100, "bob": 750, "cy": 0}
    assert "host" not in score.totals  # the host knows the answers: never a player
    standings = score.standings({"ann": "Ann", "bob": "Bob", "cy": "Cy"})
    assert [(s.rank, s.player, s.right) for s in standings] == [
        (1, "ann", 2),
        (2, "bob", 1),
        (3, "cy", 0),
    ]
    assert [s.player for s in score.leaderboard(2)] == ["ann", "bob"]
    # A room of three has three places on its podium, the third with no points.
    assert [(s.rank, s.player, s.points) for s in score.podium()] == [
        (1, "ann", 1600),
        (2, "bob", 750),
        (3, "cy", 0),
    ]
    assert score.mark("cy", 1).answer is None and score.mark("cy", 1).seconds is None
    assert score.max_total == 3000

    quiz, session = two_question_session(answers, revealed=(0,))
    assert sessionscore.score_session(quiz, session).counted == [0]


def test_equal_totals_share_a_rank():
    answers = [{"a": ([1], 100), "b": ([1], 200), "c": ([0], 300)}, {}]
    quiz, session = two_question_session(answers, scoring="accuracy", revealed=(0,))
    score = sessionscore.score_session(quiz, session)
    standings = score.standings({"a": "Zed", "b": "Amy", "c": "Cy"})
    assert [(s.rank, s.player) for s in standings] == [(1, "b"), (1, "a"), (3, "c")]


def test_csv_rows_list_every_player_for_every_counted_question():
    answers = [{"ann": ([1], 250), "bob": ([0], 10_250)}, {"ann": ([0], 20_000)}]
    quiz, session = two_question_session(answers)
    score = sessionscore.score_session(quiz, session)
    rows = sessionscore.csv_rows(quiz, score, {"ann": "Ann", "bob": "Bob"})
    assert rows == [
        ["player", "question", "answer", "correct", "seconds", "points"],
        ["Ann", "1", "b", "true", "0.25", "1000"],
        ["Ann", "2", "True", "true", "20.00", "600"],
        ["Bob", "1", "a", "false", "10.25", "0"],
        ["Bob", "2", "", "false", "", "0"],
    ]


def test_marks_are_whole_points_rounded_half_up():
    # Speed: 1 - 0.5 * (t - 0.5) / 19.5 of 1000 points; at 0.539 s that is 999.0,
    # at 0.52 s 999.49, at 10.25 s 750.
    answers = [{"a": ([1], 539), "b": ([1], 520), "c": ([1], 10_250)}, {}]
    quiz, session = two_question_session(answers, streak=False, revealed=(0,))
    score = sessionscore.score_session(quiz, session)
    assert score.totals == {"a": 999, "b": 999, "c": 750}
    assert all(isinstance(mark.points, int) for mark in score.marks)
    # Half up, not to even (Python's round would give 0 and 2).
    assert [sessionscore.room_points(p) for p in (0.0005, 0.0025, 0.9995)] == [1, 3, 1000]


def test_a_player_who_joined_and_never_answered_is_on_the_board():
    quiz, session = two_question_session([{"ann": ([1], 250)}, {}], revealed=(0,))
    session.joined = {"ann": 0, "dewi": 0, "host": 0}
    score = sessionscore.score_session(quiz, session)
    assert score.totals == {"ann": 1000, "dewi": 0}


def test_the_board_says_who_moved_up_and_down_at_the_last_question():
    # Question 1: bob 1000, ann 750, cy 0. Question 2: ann 1000, bob 0, cy 900.
    answers = [
        {"ann": ([1], 10_250), "bob": ([1], 250), "cy": ([0], 300)},
        {"ann": ([0], 250), "bob": ([1], 300), "cy": ([0], 4_400)},
    ]
    quiz, session = two_question_session(answers, scoring="speed", streak=False, revealed=(0,))
    first = sessionscore.score_session(quiz, session).standings()
    assert [(s.player, s.moved) for s in first] == [("bob", 0), ("ann", 0), ("cy", 0)]
    session.revealed[1] = Key(choices=[0])
    after = sessionscore.score_session(quiz, session).standings()
    assert [(s.rank, s.player, s.moved) for s in after] == [
        (1, "ann", 1),  # 1750: up one
        (2, "bob", -1),  # 1000: down one
        (3, "cy", 0),  # 900: still third
    ]


def test_a_reveal_marks_only_its_own_question(monkeypatch):
    answers = [{"ann": ([1], 250), "bob": ([0], 900)}, {"ann": ([0], 300), "bob": ([1], 400)}]
    quiz, session = two_question_session(answers, revealed=(0,))
    quiz.id = session.id = "marked-once"  # a session no other test scores
    first = sessionscore.score_session(quiz, session)
    graded: list[int] = []
    real = sessionscore.grade

    def counted(question, key, answer):
        graded.append(quiz.questions.index(question))
        return real(question, key, answer)

    monkeypatch.setattr(sessionscore, "grade", counted)
    session.revealed[1] = Key(choices=[0])
    second = sessionscore.score_session(quiz, session)
    assert graded == [1, 1]  # question 2's two answers; question 1's marks were kept
    assert second.marks[: len(first.marks)] == first.marks
    assert first.counted == [0]  # what was handed out before is not changed after


# --- properties -----------------------------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("abcdef"), st.integers(0, 3), st.integers(0, 30_000)),
        max_size=12,
    ),
    st.sampled_from(["accuracy", "speed"]),
    st.booleans(),
)
def test_totals_are_the_sum_of_the_marks_and_the_board_is_sorted(plays, scoring, streak):
    answers = [{}, {}]
    for who, choice, ms in plays:
        answers[ms % 2][who] = ([choice], ms)
    quiz, session = two_question_session(answers, scoring=scoring, streak=streak)
    score = sessionscore.score_session(quiz, session)
    for player, total in score.totals.items():
        assert total == pytest.approx(sum(m.points for m in score.marks if m.player == player))
        assert 0 <= total <= score.max_total + 1e-9
    board = [s.points for s in score.standings()]
    assert board == sorted(board, reverse=True)
    assert all(math.isfinite(p) for p in board)


QUESTIONS = 4
# Whatever can change between two reveals, in place, as the reducer changes a session;
# some of it (a changed answer, a second reveal) only a bug or a refold would do.
events = st.one_of(
    st.tuples(
        st.just("answer"),
        st.sampled_from("abcde"),
        st.integers(0, QUESTIONS - 1),
        st.integers(0, 3),
        st.integers(0, 40_000),
    ),
    st.tuples(st.just("reveal"), st.integers(0, QUESTIONS - 1), st.integers(0, 3)),
    st.tuples(
        st.just("open"),
        st.integers(0, QUESTIONS - 1),
        st.sampled_from([0, 5_000, 12_000]),  # a repeat leaves opened_ms as it was
        st.sampled_from([0, 20_000, 60_000]),
    ),
    st.tuples(st.just("opened"), st.integers(0, QUESTIONS - 1), st.integers(0, 9_000)),
    st.tuples(st.just("points"), st.integers(0, QUESTIONS - 1), st.sampled_from([0.5, 1.0, 3])),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(events, max_size=40), st.sampled_from(["accuracy", "speed"]), st.booleans())
def test_kept_marks_always_equal_scoring_from_scratch(steps, scoring, streak):
    quiz = Quiz("kq", "Quiz", None, "host", [MC, TF, MC, TF][:QUESTIONS], None, None, 0)
    session = QuizSession("kept", "kq", "host", "live", scoring, streak, 3, 0)
    for step, event in enumerate(steps):
        match event:
            case ("answer", player, question, choice, at):
                session.answers.setdefault(question, {})[player] = ([choice], at)
            case ("reveal", question, choice):
                session.revealed[question] = Key(choices=[choice % 2])
            case ("open", question, at, deadline):
                session.opens.setdefault(question, []).append((at, deadline and at + deadline))
                session.opened_ms[question] = at
            case ("opened", question, at):  # the time a question without opens started
                session.opened_ms[question] = at
            case ("points", question, worth):
                # In place, which not even quiz.update does (it puts a new list).
                quiz.questions[question] = msgspec.structs.replace(
                    quiz.questions[question], points=worth
                )
        kept = sessionscore.score_session(quiz, session)
        fresh = dataclasses.replace(session, id=f"kept/{step}")  # never scored: from scratch
        assert kept == sessionscore.score_session(quiz, fresh)
