"""Every sentence on the quiz, notes and circle-life screens is marked for translation:
each screen below is drawn in the pseudo-language of ``pseudo_locale.py`` (every marked
sentence accented, "Ŕéƥĺý"), and a word still in plain ASCII letters that no member wrote
and that is not a key name is a sentence someone forgot to mark.

``test_every_sentence_marked.py`` does the same for the discussion screens on its story
circle; these screens need a circle with notes, a schedule and quizzes (the demo circle,
and ``quiz_helpers``' live run), so what their members wrote is read from the circle's
own ops: every text a member typed (titles, names, choices, answers, feedback), never
the op's kinds and roles, which the screen must say in words of its own.

To cover another screen, add a line to ``DEMO_SCREENS`` (the demo circle, seen by its
lead Rina) or ``LIVE_SCREENS`` (a live quiz taken as far as a stage).
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from pathlib import Path

import msgspec
import pytest
from babel import Locale
from note_helpers import demo_with_ayu, make_app, open_notes, settle
from pseudo_locale import _words, allowed_words, pseudo_language, screen_lines, unmarked
from test_quiz_snapshots import _live, _open_finished, _open_live
from textual.pilot import Pilot

from studycircle_tui import i18n
from studycircle_tui.localzone import local_zone_name
from studycircle_tui.sync.engine import CircleService
from studycircle_tui.tui.screens import quiz_live

SIZE = (100, 30)
Steps = Callable[[Pilot], Awaitable[None]]

# What an op's data says in words the app chose, not its member: translated on screen.
CHOSEN = {"kind", "role", "status", "scoring", "mode", "reason", "format", "text_format"}


def _typed(value: object, key: str = "") -> Iterable[str]:
    """Every string a member typed into an op's data (nested lists and tables too)."""
    if isinstance(value, str):
        if key not in CHOSEN:
            yield value
    elif isinstance(value, dict):
        for name, inner in value.items():
            yield from _typed(inner, name)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _typed(inner, key)


def member_words(service: CircleService) -> set[str]:
    """What the circle's members wrote, and what a screen may show as it is besides
    (key names, themes, languages: ``pseudo_locale.allowed_words``)."""
    allowed = allowed_words(Path(service.record.location))
    # The time zone as the system names it, and the weekdays the schedule's day picker
    # lists in full: Babel's names, English in the pseudo-language.
    allowed |= _words(f"{local_zone_name()} {datetime.now().astimezone():%Z}")
    allowed |= _words(" ".join(Locale("en").days["format"]["wide"].values()))
    allowed |= {"csv", "ics"}  # the file names an export offers end so
    for op in service.replica.ops():
        for text in _typed(msgspec.to_builtins(op.data)):
            allowed |= _words(text)
    return allowed


def keys(*pressed: str) -> Steps:
    async def steps(pilot: Pilot) -> None:
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)

    return steps


def in_notes(*pressed: str) -> Steps:
    async def steps(pilot: Pilot) -> None:
        await open_notes(pilot)
        await keys(*pressed)(pilot)

    return steps


DEMO_SCREENS: dict[str, Steps] = {
    "the notes list": in_notes(),
    "a note": in_notes("enter"),
    "editing a note": in_notes("e"),
    "unsaved changes to a note": in_notes("e", "x", "escape"),
    "a new note": in_notes("n"),
    "a note's history": in_notes("h"),
    "comparing two revisions": in_notes("h", "G", "c", "g"),
    "restoring a revision": in_notes("h", "G", "r"),
    "who wrote each line": in_notes("b"),
    "the quiz pane": keys("z"),
    "the run-live dialog": keys("z", "l"),
    "a practice question": keys("z", "enter"),
    "a practice question's feedback": keys("z", "enter", "1"),
    "the schedule": keys("s"),
    "members, keys and the rota": keys("m"),
    "participation": keys("p"),
    "the suggestion box": keys("o"),
    "the circle's rules": keys("c"),
    "circle settings": keys("S"),
    "focusing": keys("F"),
    "what came while focused": keys("F", "enter", "F"),
    "a new channel": keys("C"),
}


async def _drawn(service: CircleService, steps: Steps) -> list[str]:
    """The screen ``steps`` lead to, in the pseudo-language, one string a row."""
    app = make_app(service)
    with i18n.speaking(pseudo_language()):
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await steps(pilot)
            await settle(pilot)
            return screen_lines(app)


@pytest.mark.parametrize("screen", DEMO_SCREENS)
def test_every_word_on_the_demo_circles_screens_is_marked(screen, tmp_path, monkeypatch):
    # Built outside the event loop: the helpers sync the members' files with asyncio.run.
    rina, _ayu, _note = demo_with_ayu(tmp_path, monkeypatch)
    lines = asyncio.run(_drawn(rina, DEMO_SCREENS[screen]))
    allowed = member_words(rina)
    assert any(line.strip() for line in lines)
    found = unmarked(lines, allowed)
    assert not found, "\n".join([f"Not marked on {screen}:", *found])


AYU, BUDI = 0, 1


async def _board(pilot: Pilot) -> None:
    await _open_live(pilot)
    await pilot.press("n")
    await pilot.pause()


# A live quiz: (how far the run goes, who looks (None: its lead), how they get there).
LIVE_SCREENS: dict[str, tuple[str, int | None, Steps]] = {
    "the lobby": ("lobby", None, _open_live),
    "a question, as a player": ("question", AYU, _open_live),
    "a question, as its host": ("question", None, _open_live),
    "the reveal": ("reveal", AYU, _open_live),
    "the leaderboard": ("leaderboard", None, _board),
    "ending the quiz": ("question", None, lambda pilot: _then(pilot, _open_live, "x")),
    "the podium": ("finished", BUDI, _open_finished),
    "exporting the results": ("finished", BUDI, lambda pilot: _then(pilot, _open_finished, "e")),
}


async def _then(pilot: Pilot, first: Steps, *pressed: str) -> None:
    await first(pilot)
    await pilot.press(*pressed)
    await pilot.pause()


@pytest.fixture
def parked_countdown(monkeypatch):
    monkeypatch.setattr(quiz_live, "TICK_SECONDS", 3600)


@pytest.mark.parametrize("screen", LIVE_SCREENS)
async def test_every_word_on_a_live_quiz_is_marked(screen, tmp_path, parked_countdown):
    upto, who, steps = LIVE_SCREENS[screen]
    circle = await _live(tmp_path, upto)
    member = circle.lead if who is None else circle.players[who]
    app = make_app(member)
    with i18n.speaking(pseudo_language()):
        async with app.run_test(size=SIZE) as pilot:
            await steps(pilot)
            await pilot.pause()
            lines = screen_lines(app)
            allowed = member_words(member)
    assert any(line.strip() for line in lines)
    found = unmarked(lines, allowed)
    assert not found, "\n".join([f"Not marked on {screen}:", *found])


def test_a_sentence_left_unmarked_on_the_quiz_pane_is_found(tmp_path, monkeypatch):
    """The positive control: the quiz pane's title shown without ``_`` is caught."""
    from studycircle_tui.tui.screens import quiz

    rina, _ayu, _note = demo_with_ayu(tmp_path, monkeypatch)
    monkeypatch.setattr(quiz, "_", lambda text: "Quizzes" if text == "Quizzes" else _pseudo(text))
    found = unmarked(asyncio.run(_drawn(rina, keys("z"))), member_words(rina))
    assert any("'Quizzes'" in word for word in found), found
    assert not any("'Practice'" in word for word in found)  # the rest is still marked


def _pseudo(text: str) -> str:
    return pseudo_language().gettext(text)
