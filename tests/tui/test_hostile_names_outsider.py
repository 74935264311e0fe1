"""What a hostile member writes reaches others' screens as text: a display name or a
title that looks like Textual markup ("[/]", "[b]") is shown as it is, never parsed (a
stray closing tag would end the app of everyone it reached)."""

from datetime import UTC, datetime, timedelta

from discussion_circle import NOW_MS, build_story, make_app, open_as
from textual.widgets import Input, Label, OptionList
from toasts import toasts

from quiz_helpers import KEYS, QUESTIONS, quiz_circle
from studycircle_tui.sync.quizrun import QuizRunner
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens.circle_dialogs import MeanwhileScreen
from studycircle_tui.tui.screens.circle_life import FocusEnded
from studycircle_tui.tui.screens.schedule import ScheduleScreen

SIZE = (120, 36)
HOSTILE = "Mal [/] [b]{member}[/b] %s [/x]"


async def _settled(pilot) -> None:
    await pilot.pause()
    await pilot.app.intents.settled()
    await pilot.pause()


async def test_a_mention_by_a_member_named_like_markup_is_shown_as_it_is(tmp_path):
    story = build_story(tmp_path)
    citra, dewi = open_as(story, "Citra", tmp_path), open_as(story, "Dewi", tmp_path)
    dewi.submit("member.update", {"name": HOSTILE})
    async with make_app(citra).run_test(size=SIZE, notifications=True) as pilot:
        await _settled(pilot)
        dewi.submit("post.create", {"thread": story.ids["belajar"], "text": "@citra [/] lihat"})
        await dewi.sync_once()
        await citra.sync_once()
        await _settled(pilot)
        said = toasts(pilot.app)
        assert any(f"{HOSTILE} mentioned you" in toast for toast in said), said
    assert pilot.app.return_code in (None, 0)


async def test_a_thread_titled_like_markup_is_listed_as_it_is_after_focus(tmp_path):
    """Any member may title a thread; the "while you were focused" list quotes it."""
    story = build_story(tmp_path)
    dewi = open_as(story, "Dewi", tmp_path)
    thread = {"channel": story.ids["general"], "title": HOSTILE, "kind": "discussion"}
    dewi.submit("thread.create", {**thread, "text": "hai"})
    await dewi.sync_once()
    citra = open_as(story, "Citra", tmp_path)
    async with make_app(citra).run_test(size=SIZE) as pilot:
        await _settled(pilot)
        pilot.app.screen.post_message(FocusEnded(0))
        await _settled(pilot)
        assert isinstance(pilot.app.screen, MeanwhileScreen)
        listed = pilot.app.screen.query_one("#arrivals", OptionList)
        prompts = [str(listed.get_option_at_index(i).prompt) for i in range(listed.option_count)]
        assert any(HOSTILE in prompt for prompt in prompts), prompts
        await pilot.press("down")  # drawn again, highlighted
        await pilot.pause()
    assert pilot.app.return_code in (None, 0)


async def test_a_thread_titled_like_markup_is_opened_and_replied_to_as_it_is(tmp_path):
    """The thread pane's title and the reply line quote the title and the author's name
    as written (an outsider's "[/] from UI" thread ended the app of whoever opened it)."""
    story = build_story(tmp_path)
    dewi = open_as(story, "Dewi", tmp_path)
    dewi.submit("member.update", {"name": HOSTILE})
    thread = {"channel": story.ids["general"], "title": HOSTILE, "kind": "discussion"}
    made = dewi.submit("thread.create", {**thread, "text": "hai"})
    await dewi.sync_once()
    citra = open_as(story, "Citra", tmp_path)
    async with make_app(citra).run_test(size=SIZE) as pilot:
        await _settled(pilot)
        pilot.app.screen.open_thread(made.id)
        await _settled(pilot)
        title = pilot.app.screen.query_one("#thread-title", Label)
        assert HOSTILE in str(title.render())
        pilot.app.screen.thread_pane._write("reply_to", made.id)  # R on its first post
        await _settled(pilot)
        context = str(pilot.app.screen.query_one("#composer-context", Label).render())
        assert HOSTILE in context, context
    assert pilot.app.return_code in (None, 0)


async def test_a_session_titled_like_markup_is_listed_as_it_is(tmp_path):
    """A moderator names the weekly session; every member's schedule lists it."""
    story = build_story(tmp_path)
    budi = open_as(story, "Budi", tmp_path)
    sessions = [{"title": HOSTILE, "weekday": 4, "time": "18:00", "tz": "UTC"}]
    budi.submit("schedule.set", {"sessions": sessions})
    await budi.sync_once()
    citra = open_as(story, "Citra", tmp_path)
    async with make_app(citra).run_test(size=SIZE) as pilot:
        await _settled(pilot)
        await pilot.app.push_screen(ScheduleScreen(citra))
        await _settled(pilot)
        listed = pilot.app.screen.query_one("#sessions", OptionList)
        assert HOSTILE in str(listed.get_option_at_index(0).prompt)
        await pilot.pause()
    assert pilot.app.return_code in (None, 0)


async def test_a_quiz_titled_like_markup_is_listed_as_it_is(tmp_path):
    """A moderator imports a quiz; every member's quiz pane lists its title."""
    circle = await quiz_circle(tmp_path, players=("Ayu",), practice=True)
    await QuizRunner(circle.lead).create(HOSTILE, QUESTIONS, KEYS, circle.channel, practice=True)
    await circle.sync()
    async with StudyCircleApp(circle.players[0], sync=False).run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("z")
        await pilot.pause()
        listed = pilot.app.screen.query_one("#quiz-list", OptionList)
        prompts = [str(listed.get_option_at_index(i).prompt) for i in range(listed.option_count)]
        assert any(HOSTILE in prompt for prompt in prompts), prompts
        await pilot.press("down", "up")
        await pilot.pause()
    assert pilot.app.return_code in (None, 0)


async def test_a_session_titled_like_markup_is_announced_as_it_is(tmp_path):
    story = build_story(tmp_path)
    budi = open_as(story, "Budi", tmp_path)
    # Running for an hour since a minute before the member's clock (stopped at NOW_MS).
    began = datetime.fromtimestamp(NOW_MS / 1000, UTC) - timedelta(minutes=1)
    session = {"title": HOSTILE, "weekday": began.weekday(), "time": f"{began:%H:%M}"}
    budi.submit("schedule.set", {"sessions": [{**session, "tz": "UTC", "minutes": 60}]})
    await budi.sync_once()
    citra = open_as(story, "Citra", tmp_path)
    async with make_app(citra).run_test(size=SIZE, notifications=True) as pilot:
        await _settled(pilot)
        pilot.app.screen.status_line.tick()
        await _settled(pilot)
        said = toasts(pilot.app)
        assert any(f"{HOSTILE} has started." in toast for toast in said), said
    assert pilot.app.return_code in (None, 0)


async def test_a_zone_typed_like_markup_is_refused_in_words(tmp_path):
    """The refusal quotes what was typed; the form's message line shows it as text."""
    story = build_story(tmp_path)
    budi = open_as(story, "Budi", tmp_path)
    async with make_app(budi).run_test(size=SIZE) as pilot:
        await _settled(pilot)
        schedule = ScheduleScreen(budi)
        await pilot.app.push_screen(schedule)
        await _settled(pilot)
        schedule.query_one("#title", Input).value = "Belajar bersama"
        schedule.query_one("#tz", Input).value = "Asia/[/x]"
        schedule.action_add()
        await _settled(pilot)
        said = str(schedule.query_one("#schedule-message", Label).render())
        assert "unknown time zone 'Asia/[/x]'" in said, said
        await pilot.pause()
    assert pilot.app.return_code in (None, 0)
    assert budi.state.schedule == []
