"""The small readers and writers the quiz screens share (tui/widgets/quiz_views.py)."""

from studycircle_tui.core.ops import Question
from studycircle_tui.tui.widgets.quiz_views import choice_for_key, question_header, summary_line

LONG = "Apa keluaran dari `print(type(3.0))` di Python, dan mengapa begitu? " * 2


def test_a_summary_is_the_first_line_without_code_marks_and_says_where_it_is_cut():
    markdown = Question(kind="short_answer", text=f"\n{LONG}\nmore", text_format="markdown")
    line = summary_line(markdown, 40)
    assert line == "Apa keluaran dari print(type(3.0)) di P…"
    assert len(line) <= 40
    plain = Question(kind="short_answer", text="Is `x` a name?")
    assert summary_line(plain, 40) == "Is `x` a name?"  # not Markdown: the marks are text


def test_the_header_names_the_kind_in_words():
    true_false = Question(kind="true_false", text="?", choices=["True", "False"])
    assert "true or false · 1 point" in question_header(true_false, 2, 5)
    several = Question(kind="multiple_answer", text="?", choices=["a", "b"], points=2)
    assert "choose all that apply · 2 points" in question_header(several, 1, 5)


def test_choices_are_picked_by_number_or_letter_and_nothing_else():
    keys = ["1", "4", "a", "D", "5", "e", "0", "-", "é", None]
    picked = [choice_for_key(key, 4) for key in keys]
    assert picked == [0, 3, 0, 3, None, None, None, None, None, None]
