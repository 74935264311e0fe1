"""Every sentence a screen shows is marked for translation: each screen below is drawn in
a pseudo-language (``pseudo_locale.py``: every marked sentence accented, "Ŕéƥĺý"), and a
word on it still in plain ASCII letters that no member wrote, and that is not a key
name, is a sentence someone forgot to mark (or marked and showed untranslated).

To cover another screen, add a line to ``SCREENS``: a name, the member who looks, and
what to do to get there (the circle is ``discussion_circle``'s; ``story.ids`` names its
threads and posts).
"""

from collections.abc import Awaitable, Callable

import pytest
from discussion_circle import Story, build_story, make_app, open_as
from pseudo_locale import allowed_words, pseudo_language, screen_lines, unmarked
from textual.pilot import Pilot
from textual.widgets import Label

from studycircle_tui import i18n
from studycircle_tui.i18n import N_, _

SIZE = (120, 36)  # all three panes of the main screen at once

Steps = Callable[[Pilot, Story], Awaitable[None]]


def keys(*pressed: str) -> Steps:
    async def steps(pilot: Pilot, story: Story) -> None:
        await pilot.press(*pressed)

    return steps


def in_thread(label: str, *pressed: str) -> Steps:
    """Open the thread ``story.ids[label]``, then press ``pressed`` (g, j…: pick a post)."""

    async def steps(pilot: Pilot, story: Story) -> None:
        pilot.app.screen.open_thread(story.ids[label])
        await pilot.pause()
        await pilot.press(*pressed)

    return steps


SCREENS: dict[str, tuple[str, Steps]] = {
    "channels and a channel's threads": ("Citra", keys("down")),
    "a question with accepted, verified and reacted answers": (
        "Citra",
        in_thread("derivative", "g", "j"),
    ),
    "a hidden post, as its author": ("Dewi", in_thread("welcome")),
    "a hidden post, as a moderator, with flags": ("Budi", in_thread("welcome", "G", "k")),
    "replying to a post": ("Citra", in_thread("derivative", "g", "j", "R")),
    "editing your post": ("Citra", in_thread("derivative", "g", "e")),
    "open questions": ("Citra", keys("u")),
    "mentions": ("Citra", keys("at")),
    "search results": ("Citra", keys("slash", *"limit", "enter")),
    "search, nothing typed": ("Citra", keys("slash")),
    "the key list (?)": ("Citra", keys("question_mark")),
    "settings": ("Citra", keys("f2")),
    "settings, a choice open": ("Citra", keys("f2", "enter")),
    "a new thread": ("Citra", keys("enter", "t")),
    "reacting": ("Citra", in_thread("derivative", "g", "j", "plus")),
    "flagging": ("Citra", in_thread("derivative", "g", "j", "f")),
    "hiding (a moderator)": ("Budi", in_thread("derivative", "g", "j", "x")),
    "a post's history": ("Budi", in_thread("belajar", "G", "i")),
    "a hidden post's history": ("Budi", in_thread("welcome", "G", "k", "i")),
    "deleting your post": ("Citra", in_thread("derivative", "g", "d")),
    "your circles": ("Citra", keys("O")),
    "the command palette": ("Citra", keys("ctrl+p")),
    "a notice (all marked read)": ("Citra", keys("A")),
    "a refusal (a member hides a post)": ("Citra", in_thread("derivative", "g", "j", "x")),
}


@pytest.fixture
def story(tmp_path) -> Story:
    return build_story(tmp_path)


@pytest.mark.parametrize("screen", SCREENS)
async def test_every_word_on_screen_is_marked(screen, story, tmp_path):
    who, steps = SCREENS[screen]
    app = make_app(open_as(story, who, tmp_path))
    with i18n.speaking(pseudo_language()):
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await steps(pilot, story)
            await pilot.pause()
            await pilot.pause()
            lines = screen_lines(app)
            themes = [f"{name} {about}" for name, about in app.preferences.theme_choices()]
            allowed = allowed_words(story.path, themes)
    assert any(line.strip() for line in lines)
    assert not unmarked(lines, allowed), "\n".join(["Not marked:", *unmarked(lines, allowed)])


async def test_the_check_finds_a_sentence_not_marked(story, tmp_path):
    """The positive control: one sentence shown unmarked, beside one marked, is found."""
    app = make_app(open_as(story, "Citra", tmp_path))
    with i18n.speaking(pseudo_language()):
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            app.screen.mount(Label(_(N_("Channels")) + " · " + "Pick a channel"))
            await pilot.pause()
            lines = screen_lines(app)
            allowed = allowed_words(story.path, app.available_themes)
    found = unmarked(lines, allowed)
    assert any("'Pick'" in word for word in found), found
    assert not any("'Channels'" in word for word in found)
    assert any("Çĥàññéĺš" in line for line in lines)
