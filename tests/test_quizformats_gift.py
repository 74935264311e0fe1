"""GIFT import and export, checked against Moodle's "GIFT format" documentation and the
examples file that ships with Moodle (tests/data/quiz-formats/moodle-gift-examples.txt).

Each expectation below quotes what the documentation says the construct means.
"""

from pathlib import Path

import pytest

from studycircle_tui.core.ops import Key, NumberAnswer
from studycircle_tui.core.quizformats import QuizFormatError, read_gift, write_gift
from studycircle_tui.core.quizformats.gift_writer import gift_losses
from studycircle_tui.core.quizformats.model import Common, Quiz, short_answer_question

DATA = Path(__file__).parent / "data" / "quiz-formats"


@pytest.fixture(scope="module")
def examples() -> dict[int, object]:
    quiz = read_gift((DATA / "moodle-gift-examples.txt").read_text(encoding="utf-8"), "examples")
    return {question.line: question for question in quiz.questions}


def test_the_moodle_examples_file_reads_whole() -> None:
    quiz = read_gift((DATA / "moodle-gift-examples.txt").read_text(encoding="utf-8"), "ex")
    assert len(quiz.questions) == 43  # as the file's own description says
    assert quiz.skipped == []
    assert quiz.title == "ex"
    kinds = {question.kind for question in quiz.questions}
    assert kinds == {
        "multiple_choice",
        "multiple_answer",
        "true_false",
        "short_answer",
        "numerical",
        "matching",
    }


def test_multiple_choice_tilde_is_wrong_equals_is_right(examples) -> None:
    # "wrong answers are prefixed with a tilde (~) and the correct answer with an equal sign"
    question = examples[8]
    assert question.kind == "multiple_choice"
    assert question.text == "Who's buried in Grant's tomb?"
    assert question.choices == ["Grant", "Jefferson", "no one"]
    assert question.key == Key(choices=[2])


def test_missing_word_leaves_a_blank(examples) -> None:
    # "The Missing Word format automatically inserts a fill-in-the-blank line (like this _____)"
    assert examples[10].text == "Grant is _____ in Grant's tomb."
    assert examples[10].choices == ["buried", "entombed", "living"]
    # Answers over several lines, and the sentence goes on after the block.
    assert examples[29].text == (
        "The American holiday of Thanksgiving is celebrated on the _____ Thursday of November."
    )
    assert examples[29].choices == ["second", "third", "fourth"]
    assert examples[35].choices == ["India", "China", "Korea", "Egypt"]


def test_short_answer_accepts_every_listed_answer(examples) -> None:
    # "all of the answers are correct" (short answer: only '=' answers)
    assert examples[14].kind == "short_answer"
    assert examples[14].key == Key(accept=["no one", "nobody"])
    assert examples[45].text == "Two plus two equals _____."
    assert examples[45].key.accept == ["four", "4"]


def test_true_false_in_all_four_spellings(examples) -> None:
    # "{T} or {F} True or False answer; also {TRUE} and {FALSE}"
    assert examples[12].kind == "true_false"
    assert examples[12].choices == ["True", "False"]
    assert examples[12].key.choices == [1]  # {FALSE}
    assert examples[49].key.choices == [1]  # {F}
    assert examples[51].key.choices == [0]  # {T}


def test_matching_pairs(examples) -> None:
    # "Matching pairs begin with a '=' and are separated by this symbol '->'"
    question = examples[61]
    assert question.kind == "matching"
    assert question.prompts == ["Canada", "Italy", "Japan", "India"]
    assert question.choices == ["Ottawa", "Rome", "Tokyo", "New Delhi"]
    assert question.key == Key(matches=[0, 1, 2, 3])
    assert examples[177].prompts == ["Canada", "Italy", "Japan"]  # written without spaces


def test_numerical_exact_tolerance_range_and_weighted(examples) -> None:
    # "{#1822}" exact; "answer:tolerance"; "low..high"; "=%n%answer:tolerance n percent credit"
    assert examples[70].key == Key(number=1822.0)
    assert examples[16].key == Key(number=1822.0, tolerance=1.0)
    assert examples[72].key == Key(number=3.1415, tolerance=0.0005)
    assert examples[72].text == "What is the value of pi (to 3 decimal places)? _____."
    assert examples[74].key == Key(low=3.141, high=3.142)
    assert examples[76].key == Key(
        numbers=[NumberAnswer(value=1822.0), NumberAnswer(value=1822.0, tolerance=2.0, weight=50)]
    )


def test_comments_names_and_text_formats(examples) -> None:
    # "// text  Comment until end of line"; "::title:: Question title"
    assert examples[85].text == "What's 2 plus 2?"
    assert examples[90].name == "Kanji Origins"
    assert examples[90].text == "Japanese characters originally\ncame from what country?"
    assert examples[93].name == "Thanksgiving Date"
    # "[markdown] ... The format of the following bit of text"
    assert examples[108].text_format == "markdown"
    assert examples[108].text == "Who's buried in **Grant's tomb**?"
    assert examples[8].text_format is None


def test_feedback_after_hash(examples) -> None:
    # "#feedback text  Answer feedback for preceding multiple, fill-in-the-blank, or numeric"
    assert examples[98].key.feedback == [
        "feedback comment on the wrong answer",
        "feedback comment on this wrong answer",
        "Very good!",
    ]
    assert examples[103].key.feedback == ["excellent answer!", "excellent answer!"]
    # True/false: "{TRUE#feedback for a wrong answer#feedback for a right one}", so the
    # feedback of {FALSE#...} is for whoever answered True.
    assert examples[113].key == Key(choices=[1], feedback=["No one is buried in Grant's tomb.", ""])
    # Feedback may go on over several lines, and numeric answers carry it too.
    assert examples[202].key.numbers[1].feedback == (
        "He was born in 1822.\nYou get 50% credit for being close."
    )
    assert examples[202].key.numbers[0].feedback == "Correct! 100% credit"


def test_percentage_weights(examples) -> None:
    # "~%50%half credit answer" in a question with one '=' answer: still one right answer
    assert examples[115].kind == "multiple_choice"
    assert examples[115].key.weights == [0, 50, 100]
    assert examples[115].key.choices == [2]
    assert examples[117].name == "Jesus' hometown"
    assert examples[117].key.weights == [0, 25, 50, 100]
    # Short answers take weights too: "=%75%Nazereth#Right, but misspelled."
    assert examples[123].key.accept == ["Nazareth", "Nazereth", "Bethlehem"]
    assert examples[123].key.weights == [100, 75, 25]
    assert examples[123].key.feedback[1] == "Right, but misspelled."


def test_multiple_answers_have_no_equals(examples) -> None:
    # "Multiple Answers ... use the multiple choice format with ~ and weights" (no '=')
    assert examples[130].kind == "multiple_answer"
    assert examples[130].key == Key(choices=[1, 2], weights=[0, 50, 50, 0])
    assert examples[136].key.weights == [-50, 50, 50, -50]


def test_escaped_control_characters(examples) -> None:
    # "\character  Backslash escapes the special meaning of ~, =, #, {, }, and :"
    assert examples[143].choices == ["= 2 + 2", "= 2 + 3", "= 2 + 4"]
    assert examples[143].key.choices == [1]
    question = examples[148]
    assert question.name == "GIFT Control Characters"
    assert question.choices == ["~", "=", "#", "{", "}", "\\"]
    assert question.key.choices == [5]
    assert question.key.feedback[0] == "~ is a control character."
    assert question.key.feedback[5].startswith("Correct! \\ (backslash) is not a control")
    assert "\nit is used to escape the control characters." in question.key.feedback[5]


def read_one(text: str):
    quiz = read_gift(text)
    assert len(quiz.questions) == 1, quiz
    return quiz.questions[0]


def test_categories_apply_to_the_questions_after_them() -> None:
    quiz = read_gift(
        "Q0{T}\n\n$CATEGORY: tom/dick/harry\n\nQ1{T}\n\nQ2{F}\n\n$CATEGORY: $course$/x\n\nQ3{T}"
    )
    assert [q.category for q in quiz.questions] == [
        "",
        "tom/dick/harry",
        "tom/dick/harry",
        "$course$/x",
    ]


def test_general_feedback_and_true_false_feedback() -> None:
    # "####general feedback"; "{TRUE#wrong feedback#right feedback}"
    question = read_one("1+1=2 {TRUE#Count again.#Yes.####Addition basics.}")
    assert question.text == "1+1=2"
    assert question.key == Key(choices=[0], feedback=["Yes.", "Count again."])
    assert question.feedback == "Addition basics."


def test_escapes_newlines_backslashes_and_unknown_escapes() -> None:
    question = read_one(r"Line one\nline two \\ \: \% {=a\{b\}c \=d}")
    assert question.text == "Line one\nline two \\ : \\%"
    assert question.key.accept == ["a{b}c =d"]


def test_an_escaped_hash_does_not_make_a_numerical_question() -> None:
    question = read_one(r"Hash?{\#1 =a}")
    assert (question.kind, question.key.accept) == ("short_answer", ["#1", "a"])


def test_docs_example_with_escaped_equals_and_bare_answer() -> None:
    # "1 + 2 \= {3}": a short answer whose only answer has no '='
    question = read_one("1 + 2 \\= {3}")
    assert (question.kind, question.text, question.key.accept) == ("short_answer", "1 + 2 =", ["3"])


def test_format_tags_html_plain_and_moodle() -> None:
    assert read_one("[html]<b>Bold</b>?{T}").text_format == "html"
    assert read_one("[html]<b>Bold</b>?{T}").text == "<b>Bold</b>?"
    assert read_one("[plain]x{T}").text_format == "plain"
    assert read_one("[moodle]x{T}").text_format is None  # GIFT's default format
    assert read_one("[latex]x{T}").text == "[latex]x"  # not a format: stays text
    assert read_one("Q{~[html]<i>a</i> =b}").choices == ["<i>a</i>", "b"]


def test_matching_extra_answers_and_numerical_catch_all() -> None:
    matching = read_one("Capitals? {=Canada -> Ottawa =Italy -> Rome = -> Paris}")
    assert matching.choices == ["Ottawa", "Rome", "Paris"]
    assert matching.key.matches == [0, 1]
    numerical = read_one("Year? {#=1822:1#Close enough ~#Look it up.}")
    assert numerical.key.numbers == [
        NumberAnswer(value=1822, tolerance=1, feedback="Close enough"),
        NumberAnswer(weight=0, feedback="Look it up."),
    ]


def test_crlf_bom_and_title_comment() -> None:
    quiz = read_gift("\ufeff// quiz: Grant's tomb\r\n\r\nWho?{=no one\r\n=nobody}\r\n", "file")
    assert quiz.title == "Grant's tomb"
    assert quiz.questions[0].key.accept == ["no one", "nobody"]
    assert quiz.questions[0].line == 3


def test_essay_and_description_are_skipped_with_their_lines() -> None:
    quiz = read_gift(
        "// intro\nSome instructions first.\n\nWrite about Grant.{}\n\n"
        "::Essay::Explain.{####We mark it by hand.}\n\nReal?{T}\n"
    )
    assert [q.text for q in quiz.questions] == ["Real?"]
    assert [s.line for s in quiz.skipped] == [2, 4, 6]
    assert "description" in quiz.skipped[0].reason
    assert "essay" in quiz.skipped[1].reason and "essay" in quiz.skipped[2].reason


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (
            "Q1{T}\n\nWho?{\n~Grant\n=no one\n\n}\n",
            3,
            "not closed by '}' before the blank line at line 6",
        ),
        ("Q1{T}\n\nWho?{~a =b", 3, "before the end of the file"),
        ("Who? ~a =b}", 1, "'}' without an opening '{'"),
        ("Who?{~a =b} and {~c =d}", 1, "a question has one block"),
        ("Who?{~a {=b}", 1, "'{' inside an answer block"),
        ("::Name without end\nWho?{T}", 1, "no closing '::'"),
        ("$CATEGORY: x\nWho?{T}", 2, "blank line after $CATEGORY"),
        ("Q{T}\n\nWho?{\n~a\n~\n=b}", 6, "empty choice"),
        ("Who?{\n~%150%a\n=b}", 2, "weight %150% is outside"),
        ("Year?{\n#\n=1822\n=18x2}", 4, "'18x2' is not a number"),
        ("Range?{#5..1}", 1, "range 5..1 is backwards"),
        ("Year?{#}", 1, "needs at least one number"),
        ("Year?{#=1 ~no#x}", 1, "takes only '#feedback"),
        ("Match?{=a -> b =c -> d =e}", 1, "'=prompt -> answer'"),
        ("Match?{=a -> b =c -> }", 1, "no answer after '->'"),
        ("Match?{=a -> b}", 1, "at least two pairs"),
        ("Pick?{~%50%a ~%40%b ~c}", 1, "add up to 90%, not 100%"),
        ("Pick?{~a ~b}", 1, "no choice earns credit"),
        ("Pick?{=a =b ~%100%c}", 1, "nothing to choose"),
        ("{=a =b}", 1, "the question has no text"),
        ("Q{T}\n\n\n// only a comment", 1, ""),
        ("", 1, "no questions found"),
        ("// nothing\n\nAn essay.{}\n", 3, "no question the runner can ask (skipped: line 3)"),
        ("Long?{=" + "x" * 1001 + "}", 1, "accept[0]: expected `str` of length <= 1000"),
    ],
)
def test_malformed_files_name_the_line(text: str, line: int, words: str) -> None:
    if not words:  # a file that is fine: the comment after it is no question
        assert len(read_gift(text).questions) == 1
        return
    with pytest.raises(QuizFormatError) as caught:
        read_gift(text)
    assert caught.value.line == line
    assert words in caught.value.message
    assert str(caught.value).startswith(f"line {line}: ")


def test_export_writes_moodle_syntax() -> None:
    quiz = read_gift(
        "$CATEGORY: Basics\n\n"
        "::Q\\:1::[markdown]Is `a \\= b` a comparison?{FALSE#No, that is assignment.#Right.}\n\n"
        "Pick?{~%50%half#meh =full ~%0%%5%off}\n\n"
        "Year?{#=1822:1 =%50%1820..1824#close ~#no}\n\n"
        "Capitals?{=Canada -> Ottawa =Italy -> Rome = -> Paris ####Geography.}"
    )
    assert write_gift(quiz) == (
        "// quiz: Untitled quiz\n\n"
        "$CATEGORY: Basics\n\n"
        "::Q\\:1::[markdown]Is `a \\= b` a comparison?{FALSE#No, that is assignment.#Right.}\n\n"
        "Pick?{\n\t~%50%half#meh\n\t=full\n\t~%0%%5%off\n}\n\n"
        "Year?{#\n\t=1822:1\n\t=%50%1820..1824#close\n\t~#no\n}\n\n"
        "Capitals?{\n\t=Canada -> Ottawa\n\t=Italy -> Rome\n\t= -> Paris\n\t####Geography.\n}\n"
    )


def test_export_guards_text_that_would_read_differently() -> None:
    quiz = Quiz(
        "t", [short_answer_question("// not a comment", ["[html]x"], [100], [""], Common())]
    )
    text = write_gift(quiz)
    assert "\n[moodle]// not a comment{" in text
    assert "=[moodle][html]x" in text
    assert read_gift(text).questions == quiz.questions


def test_export_refuses_what_gift_cannot_say() -> None:
    arrow = short_answer_question("Which arrow?", ["->"], [100], [""], Common(line=7))
    with pytest.raises(QuizFormatError) as caught:
        write_gift(Quiz("t", [arrow]))
    assert caught.value.line == 7
    assert "question 1 cannot be written as GIFT" in caught.value.message
    timed = short_answer_question("Q?", ["a"], [100], [""], Common(seconds=60))
    assert gift_losses(Quiz("t", [timed])) == [
        "time limits and points per question (GIFT has no place for them)"
    ]
