"""Changes that come while a whole screen covers the main one (a live quiz: every answer
in the room is a change) are drawn once, when the main screen shows again; a burst of
changes reaches a screen as one message, with every op in it."""

from discussion_circle import build_story, make_app, open_as

from studycircle_tui.core.replica import Change
from studycircle_tui.tui.messages import CircleChanged
from studycircle_tui.tui.screens.main import MainScreen
from studycircle_tui.tui.screens.quiz import QuizPaneScreen
from studycircle_tui.tui.widgets.row_list import RowList


async def test_the_main_screen_shows_what_changed_while_it_was_covered(tmp_path):
    story = build_story(tmp_path)
    citra = open_as(story, "Citra", tmp_path)
    app = make_app(citra)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        main = app.screen
        assert isinstance(main, MainScreen)
        channel = main.channel_id  # the first channel's threads are listed
        rows = main.query_one(RowList)
        before = list(rows.rows)
        assert before  # the list shows that channel's threads
        await pilot.press("z")  # the Quiz pane covers the main screen
        await pilot.pause()
        assert isinstance(app.screen, QuizPaneScreen)
        data = {"channel": channel, "title": "Asked while away", "kind": "question", "text": "?"}
        thread = citra.submit("thread.create", data).id
        for _ in range(100):  # until the main screen has heard of it, behind the pane
            if main.changes_waiting:
                break
            await pilot.pause()
        assert main.changes_waiting and thread not in rows.rows  # nothing drawn meanwhile
        await pilot.press("escape")  # back to the main screen
        await pilot.pause()
        assert app.screen is main
        assert thread in rows.rows and set(before) < set(rows.rows)


def test_a_burst_of_changes_reaches_a_screen_as_one_with_every_op():
    first, second = CircleChanged(Change(["op1"])), CircleChanged(Change(["op2", "op3"]))
    assert first.can_replace(second)  # the queued one is handled instead, carrying both
    assert second.change.applied == ["op1", "op2", "op3"]
    refold = CircleChanged(Change([], refolded=True))
    assert second.can_replace(refold) and refold.change.refolded
    assert refold.change.applied == ["op1", "op2", "op3"]
