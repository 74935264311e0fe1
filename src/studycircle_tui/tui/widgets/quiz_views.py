"""What a quiz shows: a question and its choices, the countdown, the feedback, the bar
chart of how the group answered, and the leaderboard. Each is a ``Static`` redrawn by
``show(...)`` from plain values, so screens (and snapshot tests) decide everything it
displays."""

from rich.cells import cell_len
from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.events import Key as KeyEvent
from textual.widgets import Input, Static

from ...core.ops import Key, Question
from ...core.quizscore import Bar, Grade, choice_label, choice_weights
from ...core.sessionscore import Standing, room_points
from ...i18n import N_, _, ngettext
from ..compat import LaidOutOnce
from ..visible import markup_line, visible, visible_line

CHOICE_KINDS = ("multiple_choice", "true_false", "multiple_answer")


def _markup(lines: list[str]) -> Content:
    return Content.from_markup("\n".join(lines))


def same_rows(widget: Static, old: str | None, new: str) -> bool:
    """Whether markup ``new`` takes the rows ``old`` takes in ``widget`` at its width: as
    many lines, none wrapping. Then only the widget is drawn again; a layout would
    arrange the whole screen anew for a text of the same shape ("12 of 30 answered" →
    "13 of 30"), and in an ssh-serve worker thirty apps do so at each of the room's
    answers."""
    width = widget.content_region.width
    if old is None or width <= 0 or (widget.styles.width and widget.styles.width.is_auto):
        return False
    before = Content.from_markup(old).plain.split("\n")
    after = Content.from_markup(new).plain.split("\n")
    return len(before) == len(after) and all(cell_len(line) <= width for line in before + after)


def show_markup(widget: Static, old: str | None, new: str) -> None:
    """Show markup ``new`` in place of ``old``, laying the screen out only when its shape
    may change (``same_rows``)."""
    widget.update(Content.from_markup(new), layout=not same_rows(widget, old, new))


class QuizText(Static, LaidOutOnce):
    """A quiz screen's text: a change of its size is laid out once (``LaidOutOnce``)."""


class QuizBody(VerticalScroll, LaidOutOnce):
    """What a quiz screen scrolls: its height, changed by a step, laid out once."""


class ShownText(QuizText):
    """A Static drawn again only when its text changes. A live quiz recomputes its views
    on each of the room's answers, most of them change nothing a player sees, and every
    update lays the whole screen out again (with thirty apps in one ssh-serve worker,
    that is most of the worker's time)."""

    _shown: str | None = None
    # Whether a new text may change the widget's height (a whole layout of the screen).
    RESIZES = True

    def show_text(self, text: str) -> None:
        if text != self._shown:
            if self.RESIZES:
                show_markup(self, self._shown, text)
            else:
                self.update(Content.from_markup(text), layout=False)
            self._shown = text


def key_hint(index: int) -> str:
    """How a choice is picked: its number (1–9) or its letter, "1  A)"."""
    number = f"{index + 1}" if index < 9 else " "
    return f"{number}  {choice_label(index)})"


# Translated where shown (``_``): this table is made once, for every session's language.
KIND_NAMES = {
    "multiple_choice": N_("multiple choice"),
    "true_false": N_("true or false"),
    "multiple_answer": N_("choose all that apply"),
    "short_answer": N_("short answer"),
    "numerical": N_("numerical"),
    "matching": N_("matching"),
}


def question_header(question: Question, number: int, total: int, *, live: bool = False) -> str:
    """ "Question 2 of 5" with its kind and worth: in a live quiz in whole points as the
    room scores them (1000), in practice as the quiz file gives them."""
    if live:
        points = _("{points} pts").format(points=room_points(question.points))
    else:
        # A quiz file may give 0.5 points: the plural rule is asked of a whole number.
        whole = 1 if question.points == 1 else 2
        points = ngettext("{points} point", "{points} points", whole)
        points = points.format(points=f"{question.points:g}")
    kind = _(KIND_NAMES[question.kind]) if question.kind in KIND_NAMES else question.kind
    head = _("Question {number} of {total}").format(number=number, total=total)
    return f"[b]{head}[/b]  [dim]{kind} · {points}[/dim]"


def formatted(question: Question, text: str) -> RenderableType:
    """A question's own text, or its feedback: Markdown rendered when the quiz file says
    the question is Markdown (feedback is written as its question is, as in Moodle)."""
    if question.text_format == "markdown":
        return Markdown(visible(text))
    return Text(visible(text))


def question_text(question: Question) -> RenderableType:
    return formatted(question, question.text)


def summary_line(question: Question, width: int) -> str:
    """The question's first line of text, for a list or a table: a Markdown question's
    code marks taken out, and "…" where it is cut to ``width``."""
    lines = [line.strip() for line in question.text.splitlines() if line.strip()]
    text = lines[0] if lines else ""
    if question.text_format == "markdown":
        text = text.replace("`", "")
    text = visible_line(text)
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def choice_lines(
    question: Question, *, picked: set[int] | None = None, key: Key | None = None
) -> list[str]:
    """The choices (or a matching's prompts and answers); ``picked`` marks this player's
    choices, ``key`` (after the reveal) the right ones."""
    picked = picked or set()
    lines = []
    weights = choice_weights(question, key) if key is not None else None
    if question.kind in CHOICE_KINDS:
        for index, choice in enumerate(question.choices):
            mine = index in picked
            box = ("[x] " if mine else "[ ] ") if question.kind == "multiple_answer" else ""
            mark = ""
            if weights is not None:
                several = question.kind == "multiple_answer"
                right = weights[index] > 0 if several else weights[index] >= 100
                mark = "  [$success]✓ " + _("right") + "[/]" if right else ""
            you = ""
            if mine and question.kind != "multiple_answer":
                you = "  [$accent]← " + _("you") + "[/]"
            text = markup_line(box) + markup_line(choice)
            # Only a real style in a tag: Textual takes an unknown one ("none") for a
            # misspelt colour and looks for the nearest name, a few ms each time.
            text = f"[b]{text}[/b]" if mine else text
            lines.append(f"[$accent]{key_hint(index)}[/] {text}{mark}{you}")
    elif question.kind == "matching":
        for index, prompt in enumerate(question.prompts):
            lines.append(f"{index + 1}. {markup_line(prompt)}")
        lines.append("")
        for index, choice in enumerate(question.choices):
            lines.append(f"   [$accent]{choice_label(index)})[/] {markup_line(choice)}")
    return lines


def answer_hint(question: Question) -> str:
    if question.kind in ("multiple_choice", "true_false"):
        last = len(question.choices) - 1
        return _("Press 1–{number} or A–{letter} to answer.").format(
            number=min(last + 1, 9), letter=choice_label(last)
        )
    if question.kind == "multiple_answer":
        return _("Press a choice's number or letter to tick it, then enter to send.")
    if question.kind == "matching":
        return _("Type one letter per line, in order (e.g. BAC), then enter.")
    if question.kind == "numerical":
        return _("Type a number, then enter.")
    return _("Type your answer, then enter.")


class QuestionView(Vertical, LaidOutOnce):
    """A question, its choices, and after the reveal the right ones."""

    DEFAULT_CSS = """
    QuestionView { height: auto; padding: 0 1; }
    QuestionView > Static { height: auto; margin-top: 1; }
    QuestionView > .-head { margin-top: 0; }
    """

    def compose(self) -> ComposeResult:
        yield QuizText("", classes="-head")
        yield QuizText("", classes="-text")
        yield QuizText("", classes="-choices")

    _shown: tuple | None = None

    def show(
        self,
        question: Question,
        number: int,
        total: int,
        *,
        picked: set[int] | None = None,
        key: Key | None = None,
        choices: bool = True,
        live: bool = False,
    ) -> None:
        shown = (question, number, total, picked, key, choices, live)
        if shown == self._shown:  # see ShownText
            return
        self._shown = shown
        self.query_one(".-head", Static).update(
            Content.from_markup(question_header(question, number, total, live=live))
        )
        self.query_one(".-text", Static).update(question_text(question))
        lines = choice_lines(question, picked=picked, key=key) if choices else []
        listing = self.query_one(".-choices", Static)
        listing.display = bool(lines)
        listing.update(_markup(lines))


def clock_text(ms: int) -> str:
    seconds = max(0, (ms + 999) // 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


class Countdown(ShownText):
    """Time left on the open question (or, hands-free, until the next one), as digits
    and a shrinking bar."""

    DEFAULT_CSS = "Countdown { height: 1; padding: 0 1; }"
    RESIZES = False  # one line, redrawn every second: only that line is drawn again

    def show(
        self,
        left_ms: int,
        total_ms: int,
        *,
        paused: bool = False,
        width: int = 30,
        label: str | None = None,
    ) -> None:
        """``label``: what the time is until; the question's time left when None."""
        share = 0.0 if total_ms <= 0 else min(1.0, max(0.0, left_ms / total_ms))
        filled = round(share * width)
        bar = "█" * filled + "░" * (width - filled)
        if paused:
            left = _("with {time} left").format(time=clock_text(left_ms))
            text = "[b $warning]" + _("PAUSED") + f"[/] {left}  [dim]{bar}[/dim]"
        else:
            colour = "$error" if left_ms <= 5000 and label is None else "$accent"
            label = _("Time left") if label is None else label
            text = f"{label} [b {colour}]{clock_text(left_ms)}[/]  [{colour}]{bar}[/]"
        self.show_text(text)  # asked four times a second: drawn when it changes


class BarChart(ShownText):
    """How the group answered: one bar per choice (or typed answer), right ones marked."""

    DEFAULT_CSS = "BarChart { height: auto; padding: 0 1; }"

    def show(self, bars: list[Bar], *, width: int = 70, revealed: bool = True) -> None:
        if not bars:
            self.show_text(_("No answers."))
            return
        # A typed answer is a player's own text: drawn on every screen at the reveal.
        labels = [visible_line(bar.label) for bar in bars]
        label_width = min(28, max(len(label) for label in labels))
        most = max(1, max(bar.count for bar in bars))
        room = min(40, max(8, width - label_width - 14))
        lines = []
        for bar, full in zip(bars, labels, strict=True):
            label = full if len(full) <= label_width else full[: label_width - 1] + "…"
            length = round(bar.count / most * room)
            colour = "$success" if bar.correct and revealed else "$primary"
            block = "█" * length if length else "▏"
            mark = " ✓" if bar.correct and revealed else ""
            lines.append(
                f"{markup_line(label.ljust(label_width))} [{colour}]{block}[/] {bar.count}"
                f"[$success]{mark}[/]"
            )
        self.show_text("\n".join(lines))


class FeedbackView(QuizText):
    """Feedback on an answer and on the question, rendered as the question is written
    (Markdown or plain text): no raw ``*stars*`` or backticks on a player's screen."""

    DEFAULT_CSS = "FeedbackView { height: auto; padding: 0 1; }"

    _shown: tuple | None = None

    def show(self, question: Question, texts: list[str]) -> bool:
        """Show the non-empty ``texts``; False (and nothing shown) when there are none.
        Drawn again only when they change: an update lays the whole screen out, and a
        revealed question is shown again at each change of the room (see ShownText)."""
        kept = [text for text in texts if text.strip()]
        shown = (question, kept)
        if shown != self._shown:
            self._shown = shown
            parts = [formatted(question, text) for text in kept]
            self.update(Group(*parts) if parts else "")
        return bool(kept)


class Leaderboard(ShownText):
    """Ranks, names, whole points and the places gained or lost at the last question;
    the viewing member's own line stands out, and is there even below the top N."""

    DEFAULT_CSS = "Leaderboard { height: auto; padding: 0 1; }"

    def show(
        self,
        standings: list[Standing],
        names: dict[str, str],
        me: str,
        *,
        title: str = "",
        mine: Standing | None = None,
    ) -> None:
        title = title or _("Leaderboard")
        lines = [f"[b]{markup_line(title)}[/b]"]
        if not standings:
            lines.append("[dim]" + _("No scores yet.") + "[/dim]")
        names = {player: visible_line(name) for player, name in names.items()}
        shown = [*standings, *([mine] if mine is not None else [])]
        width = min(max((len(names.get(s.player, "?")) for s in shown), default=4), 24)
        digits = max((len(str(s.points)) for s in shown), default=1)
        for standing in standings:
            lines.append(_standing_line(standing, names, me, width, digits))
        if mine is not None and all(s.player != me for s in standings):
            lines.append("  …")
            lines.append(_standing_line(mine, names, me, width, digits))
        self.show_text("\n".join(lines))


def _standing_line(
    standing: Standing, names: dict[str, str], me: str, width: int, digits: int
) -> str:
    name = names.get(standing.player, _("someone"))[:width].ljust(width)
    up, down = standing.moved > 0, standing.moved < 0
    move = (f"↑{standing.moved}" if up else f"↓{-standing.moved}" if down else "").ljust(3)
    mine = standing.player == me
    if (up or down) and not mine:  # one's own line is in one colour, to stand out
        move = f"[{'$success' if up else '$error'}]{move}[/]"
    points = _("{points} pts").format(points=f"{standing.points:>{digits}}")
    right = _("{count} right").format(count=standing.right)
    line = f"{standing.rank:>3}. {markup_line(name)}  {points}  {move}  [dim]{right}[/dim]"
    return f"[b $accent]{line}  ← " + _("you") + "[/]" if mine else line


def grade_markup(grade: Grade) -> str:
    """A practice answer's mark: right, partly right or wrong (its feedback is shown by a
    ``FeedbackView``)."""
    if grade.correct:
        return "[b $success]✓ " + _("Right") + "[/]"
    if grade.credit > 0:
        partly = _("Partly right ({share})").format(share=f"{grade.credit:.0%}")
        return f"[b $warning]◐ {partly}[/]"
    return "[b $error]✗ " + _("Not right") + "[/]"


# --- reading answers from keys and typed text ---------------------------------------------


def choice_for_key(character: str | None, count: int) -> int | None:
    """The choice a key picks: 1–9 by number, a–z by letter; None for any other key."""
    if not character or len(character) != 1 or not character.isascii():
        return None
    if character.isdigit() and character != "0":
        index = int(character) - 1
    elif character.isalpha():
        index = ord(character.lower()) - ord("a")
    else:
        return None
    return index if index < count else None


def typed_answer(question: Question, text: str) -> tuple[object | None, str]:
    """(the answer to send, "") or (None, why it cannot be sent yet)."""
    text = text.strip()
    if not text:
        return None, _("Type an answer first.")
    if question.kind == "numerical":
        from ...core.quizscore import parse_number

        value = parse_number(text)
        return (value, "") if value is not None else (None, _("That is not a number."))
    if question.kind == "matching":
        letters = [c for c in text if not c.isspace() and c not in ",;"]
        picks = [choice_for_key(c, len(question.choices)) for c in letters]
        if len(picks) != len(question.prompts) or any(p is None for p in picks):
            count = len(question.prompts)
            last = choice_label(len(question.choices) - 1)
            return None, _("Type {count} letters from A to {last}, one per line.").format(
                count=count, last=last
            )
        return picks, ""
    return text[:1000], ""


def needs_typing(question: Question) -> bool:
    return question.kind in ("short_answer", "numerical", "matching")


def forward_to_answer_box(box: Input, event: KeyEvent) -> None:
    """Typing while the answer box shows but has lost focus still goes into it."""
    if not box.display or box.has_focus:
        return
    if event.key == "enter":
        event.stop()
        event.prevent_default()
        box.focus()
        box.call_later(box.action_submit)
    elif event.is_printable and event.character:
        event.stop()
        event.prevent_default()
        box.focus()
        box.insert_text_at_cursor(event.character)


def press_answer_key(
    event: KeyEvent, question: Question, picked: set[int], box: Input
) -> tuple[set[int], list[int] | None] | None:
    """What a key does to the answer being given: None if nothing (typing goes to the
    answer box); else the choices now picked and, for a one-choice question, the answer
    to send at once (several choices wait for enter)."""
    if question.kind not in CHOICE_KINDS:
        forward_to_answer_box(box, event)
        return None
    choice = choice_for_key(event.character, len(question.choices))
    if choice is None:
        return None
    event.stop()
    event.prevent_default()
    if question.kind == "multiple_answer":
        return picked ^ {choice}, None
    return {choice}, [choice]
