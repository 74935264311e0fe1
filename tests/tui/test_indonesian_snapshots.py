"""The discussion screens and the settings screen in Bahasa Indonesia, pinned at 100x30
and 80x24: Indonesian sentences run longer than English ones, so these show that labels,
footers, the status line and the settings form still fit (nothing cut off mid-word where
it matters, nothing overlapping). The language is set as ``--lang id`` or ssh-serve sets
it: for the session (``i18n.speaking``), around the app.

Refresh after a deliberate change with ``make snapshots``.
"""

import pytest
from discussion_circle import build_story, make_app, open_as

from studycircle_tui import i18n

SIZES = [(100, 30), (80, 24)]


@pytest.fixture
def story(tmp_path):
    return build_story(tmp_path)


@pytest.fixture(autouse=True)
def indonesian():
    with i18n.speaking("id"):
        yield


@pytest.mark.parametrize("size", SIZES, ids=["100x30", "80x24"])
def test_main_screen(size, story, tmp_path, snap_compare):
    app = make_app(open_as(story, "Citra", tmp_path))
    assert snap_compare(app, terminal_size=size, press=["down"])


@pytest.mark.parametrize("size", SIZES, ids=["100x30", "80x24"])
def test_a_thread(size, story, tmp_path, snap_compare):
    app = make_app(open_as(story, "Citra", tmp_path))

    async def open_the_question(pilot) -> None:
        await pilot.pause()
        pilot.app.screen.open_thread(story.ids["derivative"])
        await pilot.pause()
        await pilot.press("g", "j")  # the accepted, verified answer, with its reactions
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=open_the_question)


@pytest.mark.parametrize("size", SIZES, ids=["100x30", "80x24"])
def test_settings_screen(size, story, tmp_path, snap_compare):
    app = make_app(open_as(story, "Citra", tmp_path))
    assert snap_compare(app, terminal_size=size, press=["f2"])
