"""Marking quiz answers (core/quizscore.py): every kind of question, the scoring modes,
streaks, pauses and the bar chart's counts; then properties that must hold for any
answer and any time."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quiz_helpers import MC, TF, two_question_session
from studycircle_tui.core import quizscore as qs
from studycircle_tui.core.ops import Key, NumberAnswer, Question

MA = Question(kind="multiple_answer", text="?", choices=["a", "b", "c", "d"])
SHORT = Question(kind="short_answer", text="?")
NUM = Question(kind="numerical", text="?", points=2.0)
MATCH = Question(kind="matching", text="?", prompts=["x", "y", "z"], choices=["X", "Y", "Z", "W"])


# --- marking each kind ----------------------------------------------------------------------


def test_multiple_choice_one_right_answer_and_partial_credit_weights():
    key = Key(choices=[1], feedback=["", "yes", "", ""])
    assert qs.grade(MC, key, [1]) == qs.Grade(1.0, True, "yes")
    assert qs.grade(MC, key, [0]).credit == 0
    weighted = Key(choices=[1], weights=[50, 100, -50, 0])
    assert qs.grade(MC, weighted, [0]) == qs.Grade(0.5, False, "")
    assert qs.grade(MC, weighted, [2]).credit == 0  # a negative weight never goes below 0
    # Not one choice: two, none, out of range, or text.
    for answer in ([0, 1], [], [7], "b", 1.0):
        assert qs.grade(MC, key, answer).credit == 0


def test_true_false_feedback_follows_the_choice():
    key = Key(choices=[1], feedback=["It can't.", "Right, it can't."])
    assert qs.grade(TF, key, [1]) == qs.Grade(1.0, True, "Right, it can't.")
    assert qs.grade(TF, key, [0]) == qs.Grade(0.0, False, "It can't.")


def test_multiple_answer_weights_give_partial_credit_and_wrong_ticks_cost():
    key = Key(choices=[0, 2], weights=[50, -100, 50, -100])
    assert qs.grade(MA, key, [0, 2]).correct
    assert qs.grade(MA, key, [2, 0, 2]).correct  # repeats count once
    assert qs.grade(MA, key, [0]).credit == pytest.approx(0.5)
    assert qs.grade(MA, key, [0, 1]).credit == 0  # 50 - 100, kept at 0
    assert qs.grade(MA, key, [0, 1, 2, 3]).credit == 0


def test_multiple_answer_without_weights_shares_the_points_and_ticking_all_earns_nothing():
    key = Key(choices=[0, 2])
    assert qs.grade(MA, key, [0, 2]).correct
    assert qs.grade(MA, key, [2]).credit == pytest.approx(0.5)
    assert qs.grade(MA, key, [0, 1, 2, 3]).credit == 0


def test_short_answers_ignore_case_and_spacing_and_can_give_partial_credit():
    key = Key(accept=["New York", "NYC", "York"], weights=[100, 100, 30])
    assert qs.grade(SHORT, key, "  new   YORK ").correct
    assert qs.grade(SHORT, key, "nyc").correct
    assert qs.grade(SHORT, key, "york").credit == pytest.approx(0.3)
    assert qs.grade(SHORT, key, "Newyork").credit == 0
    assert qs.grade(SHORT, key, [1]).credit == 0


def test_numerical_exact_tolerance_range_and_several_answers():
    assert qs.grade(NUM, Key(number=8), 8.0).correct
    assert qs.grade(NUM, Key(number=8), "8").correct
    assert not qs.grade(NUM, Key(number=8), 8.001).correct
    assert qs.grade(NUM, Key(number=3.14, tolerance=0.01), "3,15").correct  # decimal comma
    assert not qs.grade(NUM, Key(number=3.14, tolerance=0.01), 3.16).correct
    assert qs.grade(NUM, Key(low=1, high=2), 1.0).correct
    assert qs.grade(NUM, Key(low=1, high=2), 2.0).correct
    assert not qs.grade(NUM, Key(low=1, high=2), 2.5).correct
    several = Key(
        numbers=[
            NumberAnswer(value=8, weight=100),
            NumberAnswer(value=7, tolerance=1, weight=50, feedback="close"),
            NumberAnswer(feedback="no", weight=0),  # any other number
        ]
    )
    assert qs.grade(NUM, several, 8).correct  # the best match counts, not the first
    assert qs.grade(NUM, several, 6.5) == qs.Grade(0.5, False, "close")
    assert qs.grade(NUM, several, 100) == qs.Grade(0.0, False, "no")
    for junk in ("eight", "nan", "inf", [8]):
        assert qs.grade(NUM, several, junk).credit == 0


def test_matching_credits_each_right_pair():
    key = Key(matches=[0, 1, 2])
    assert qs.grade(MATCH, key, [0, 1, 2]).correct
    assert qs.grade(MATCH, key, [0, 1, 3]).credit == pytest.approx(2 / 3)
    assert qs.grade(MATCH, key, [0]).credit == pytest.approx(1 / 3)  # missing pairs are wrong
    assert qs.grade(MATCH, key, "abc").credit == 0


def test_right_answer_and_answer_texts():
    assert qs.right_answer_text(MC, Key(choices=[1])) == "B) b"
    assert qs.right_answer_text(MA, Key(choices=[0, 2])) == "A) a; C) c"
    assert qs.right_answer_text(SHORT, Key(accept=["x", "y"], weights=[100, 50])) == "x"
    assert qs.right_answer_text(NUM, Key(number=1.5, tolerance=0.5)) == "1.5 ± 0.5"
    assert qs.right_answer_text(NUM, Key(low=1, high=2)) == "1 to 2"
    assert qs.right_answer_text(MATCH, Key(matches=[0, 1, 2])) == "x → X; y → Y; z → Z"
    assert qs.answer_text(MA, [0, 3]) == "a; d"
    assert qs.answer_text(MATCH, [3, 0, 1]) == "x → W; y → X; z → Y"
    assert qs.answer_text(NUM, 8.0) == "8"
    assert qs.answer_text(SHORT, None) == ""


# --- points ---------------------------------------------------------------------------------


def test_speed_gives_full_points_within_half_a_second_and_half_at_the_deadline():
    assert qs.points(MC, 1.0, 0.4, scoring="speed") == 1.0
    assert qs.points(MC, 1.0, 0.5, scoring="speed") == 1.0
    assert qs.points(MC, 1.0, 10.25, scoring="speed") == pytest.approx(0.75)
    assert qs.points(MC, 1.0, 20, scoring="speed") == pytest.approx(0.5)
    assert qs.points(MC, 1.0, 35, scoring="speed") == pytest.approx(0.5)  # in added time
    assert qs.points(MC, 0.0, 0.1, scoring="speed") == 0
    assert qs.points(MC, 1.0, 19, scoring="accuracy") == 1.0


def test_streak_bonus_grows_by_a_tenth_up_to_a_half_and_only_for_right_answers():
    assert [qs.streak_bonus(n) for n in range(8)] == pytest.approx(
        [0, 0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.5]
    )
    assert qs.points(MC, 1.0, 1, streak=3) == pytest.approx(1.2)
    assert qs.points(MC, 0.5, 1, streak=3) == pytest.approx(0.5)
    assert qs.max_points(NUM, streak=True) == pytest.approx(3.0)


def test_paused_time_does_not_count():
    opens = [(1_000, 21_000), (5_000, 0), (15_000, 31_000), (16_000, 41_000)]
    assert qs.running_ms(opens, 4_000) == 3_000
    assert qs.running_ms(opens, 10_000) == 4_000  # during the pause
    assert qs.running_ms(opens, 15_000) == 4_000
    assert qs.running_ms(opens, 17_000) == 6_000  # resumed, then time added: still running
    assert qs.running_ms(opens, 500) == 0


# --- how a group answered ------------------------------------------------------------------


def test_the_bar_chart_counts_each_choice_and_marks_the_right_one():
    answers = [{"a": ([1], 100), "b": ([1], 200), "c": ([3], 300)}, {}]
    quiz, session = two_question_session(answers)
    stats = qs.session_question_stats(quiz, session, 0)
    assert [(b.label, b.count, b.correct) for b in stats.bars] == [
        ("A) a", 0, False),
        ("B) b", 2, True),
        ("C) c", 0, False),
        ("D) d", 1, False),
    ]
    assert (stats.answered, stats.right) == (3, 2)
    assert stats.average_seconds == pytest.approx(0.2)
    hidden = qs.question_stats(MC, 0, session.answers[0], None)
    assert not any(bar.correct for bar in hidden.bars)  # before the reveal: no right bar


def test_typed_answers_are_grouped_with_the_rest_as_other():
    answers = {f"p{i}": (text, 0) for i, text in enumerate(["Paris", " paris", "Lyon", "a", "b"])}
    answers.update({"q1": ("c", 0), "q2": ("d", 0), "q3": ("e", 0)})
    stats = qs.question_stats(SHORT, 0, answers, Key(accept=["Paris"]))
    assert (stats.bars[0].label, stats.bars[0].count, stats.bars[0].correct) == ("paris", 2, True)
    assert stats.bars[-1].label == "(other answers)" and stats.bars[-1].count == 2


# --- properties -----------------------------------------------------------------------------

texts = st.text(min_size=1, max_size=12)
answers = st.one_of(
    st.lists(st.integers(-3, 8), max_size=6),
    st.text(max_size=20),
    st.floats(allow_nan=True, allow_infinity=True),
)
weights = st.lists(st.floats(-100, 100), min_size=4, max_size=4)


@st.composite
def questions_and_keys(draw):
    kind = draw(st.sampled_from(sorted(qs._GRADERS)))
    points = draw(st.floats(0, 1000))
    seconds = draw(st.integers(5, 3600))
    if kind in ("multiple_choice", "multiple_answer"):
        question = Question(kind=kind, text="?", choices=list("abcd"))
        right = draw(st.lists(st.integers(0, 3), min_size=1, max_size=4, unique=True))
        key = Key(choices=sorted(right), weights=draw(st.one_of(st.just([]), weights)))
    elif kind == "true_false":
        question = Question(kind=kind, text="?", choices=["True", "False"])
        key = Key(choices=[draw(st.integers(0, 1))])
    elif kind == "short_answer":
        question = Question(kind=kind, text="?")
        key = Key(accept=draw(st.lists(texts, min_size=1, max_size=3)))
    elif kind == "numerical":
        question = Question(kind=kind, text="?")
        value = draw(st.floats(-1e6, 1e6))
        key = Key(number=value, tolerance=draw(st.floats(0, 10)))
    else:
        question = Question(kind=kind, text="?", prompts=["x", "y"], choices=["X", "Y", "Z"])
        key = Key(matches=draw(st.lists(st.integers(0, 2), min_size=2, max_size=2)))
    question = Question(**{**_fields(question), "points": points, "seconds": seconds})
    return question, key


def _fields(question: Question) -> dict:
    return {name: getattr(question, name) for name in question.__struct_fields__}


@settings(max_examples=300, deadline=None)
@given(questions_and_keys(), answers, st.floats(0, 10_000), st.integers(0, 12), st.booleans())
def test_points_stay_within_zero_and_the_maximum(pair, answer, seconds, streak, speed):
    question, key = pair
    marked = qs.grade(question, key, answer)
    assert 0 <= marked.credit <= 1
    assert marked.correct == (marked.credit >= 1 - 1e-9)
    worth = qs.points(
        question, marked.credit, seconds, scoring="speed" if speed else "accuracy", streak=streak
    )
    assert 0 <= worth <= qs.max_points(question, streak=True) + 1e-9
    if not streak:
        assert worth <= qs.max_points(question) + 1e-9


@settings(max_examples=300, deadline=None)
@given(st.floats(0, 1), st.floats(0, 5_000), st.floats(0, 5_000), st.integers(5, 3600))
def test_speed_points_never_grow_with_time(credit, earlier, later, limit):
    earlier, later = sorted((earlier, later))
    question = Question(kind="multiple_choice", text="?", choices=["a", "b"], seconds=limit)
    first = qs.points(question, credit, earlier, scoring="speed")
    second = qs.points(question, credit, later, scoring="speed")
    assert second <= first + 1e-12
    assert second >= credit * question.points * qs.SPEED_FLOOR - 1e-12


@settings(max_examples=200, deadline=None)
@given(questions_and_keys(), answers, st.floats(0, 10_000), st.floats(0, 10_000))
def test_accuracy_mode_ignores_time(pair, answer, one, other):
    question, key = pair
    credit = qs.grade(question, key, answer).credit
    assert qs.points(question, credit, one) == qs.points(question, credit, other)


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=20), st.lists(st.booleans(), max_size=20), st.integers(0, 3))
def test_short_answers_match_whatever_the_case_and_spacing(text, upper, pad):
    if not text.split():
        return
    key = Key(accept=[text])
    flags = upper + [False] * len(text)
    varied = "".join(c.upper() if u else c for c, u in zip(text, flags, strict=False))
    varied = " " * pad + "  ".join(varied.split()) + " " * pad
    # Upper-casing can change a string's case-folded form only for a few characters.
    if qs.normalize_text(varied) == qs.normalize_text(text):
        assert qs.grade(SHORT, key, varied).correct


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from([0, 1])), min_size=1, max_size=8),
    st.integers(0, 20_000),
    st.integers(0, 20_000),
)
def test_running_time_grows_with_the_clock_and_never_past_it(events, first, second):
    opens, when = [], 0
    for gap, paused in events:
        when += gap
        opens.append((when, 0 if paused else when + 1))
    first, second = sorted((first, second))
    assert 0 <= qs.running_ms(opens, first) <= qs.running_ms(opens, second)
    assert qs.running_ms(opens, second) <= max(0, second - opens[0][0])
