"""What the discussion screens look like, pinned: a fixed circle (ids, times, clock),
a fixed theme and an explicit terminal size in every snapshot.

Refresh after a deliberate change with ``make snapshots``.
"""

import pytest
from discussion_circle import build_story, make_app, open_as

WIDE = (120, 32)


@pytest.fixture
def story(tmp_path):
    return build_story(tmp_path)


def opening(thread_label: str, story, select: int | None = None):
    async def run_before(pilot) -> None:
        await pilot.pause()
        pilot.app.screen.open_thread(story.ids[thread_label])
        await pilot.pause()
        if select is not None:
            await pilot.press("g", *["j"] * select)
        await pilot.pause()

    return run_before


class TestLists:
    def test_channel_list_with_unreads(self, story, tmp_path, snap_compare):
        app = make_app(open_as(story, "Citra", tmp_path))
        assert snap_compare(app, terminal_size=WIDE, press=["down"])

    def test_search_results(self, story, tmp_path, snap_compare):
        app = make_app(open_as(story, "Citra", tmp_path))
        keys = ["slash", *"2x is:question", "enter"]
        assert snap_compare(app, terminal_size=WIDE, press=keys)

    def test_help_screen(self, story, tmp_path, snap_compare):
        app = make_app(open_as(story, "Citra", tmp_path))
        assert snap_compare(app, terminal_size=(120, 48), press=["question_mark"])


class TestThreads:
    def test_question_with_accepted_and_verified_answers(self, story, tmp_path, snap_compare):
        app = make_app(open_as(story, "Citra", tmp_path))
        assert snap_compare(
            app, terminal_size=WIDE, run_before=opening("derivative", story, select=1)
        )

    @pytest.mark.parametrize(
        "viewer", ["Dewi", "Citra", "Budi"], ids=["author", "member", "moderator"]
    )
    def test_hidden_post(self, viewer, story, tmp_path, snap_compare):
        app = make_app(open_as(story, viewer, tmp_path))
        assert snap_compare(app, terminal_size=WIDE, run_before=opening("welcome", story))


class TestNarrow:
    def test_80x24_thread(self, story, tmp_path, snap_compare):
        app = make_app(open_as(story, "Citra", tmp_path))
        assert snap_compare(
            app, terminal_size=(80, 24), run_before=opening("derivative", story, select=1)
        )

    def test_80x24_react_dialog(self, story, tmp_path, snap_compare):
        # Every reaction, numbered, with who gave the ones already given (Citra's own
        # "helpful" offered back), in a dialog that fits the smallest terminal.
        app = make_app(open_as(story, "Citra", tmp_path))

        async def run_before(pilot) -> None:
            await opening("derivative", story, select=1)(pilot)
            await pilot.press("plus")
            await pilot.pause()

        assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)

    def test_80x24_channels(self, story, tmp_path, snap_compare):
        app = make_app(open_as(story, "Citra", tmp_path))
        assert snap_compare(app, terminal_size=(80, 24))

    def test_80x24_help_scrolled_to_its_last_line(self, story, tmp_path, snap_compare):
        app = make_app(open_as(story, "Citra", tmp_path))
        assert snap_compare(app, terminal_size=(80, 24), press=["question_mark", "end"])

    def test_80x24_new_thread_shows_its_buttons(self, story, tmp_path, snap_compare):
        app = make_app(open_as(story, "Citra", tmp_path))
        assert snap_compare(app, terminal_size=(80, 24), press=["enter", "t"])
