"""Exports (a live quiz's results, the schedule): a session served over SSH or the web
writes no file anywhere and shows the export to copy; a local export never replaces a
file without a yes, and a path with ``..`` is the local user's own choice."""

import os
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from textual.widgets import Input, Label, TextArea
from toasts import toasts

from quiz_helpers import asked, quiz_circle
from studycircle_tui.config import Settings
from studycircle_tui.sync.quizrun import QuizRunner
from studycircle_tui.tui.app import StudyCircleApp
from studycircle_tui.tui.screens.dialogs import ConfirmScreen
from studycircle_tui.tui.screens.export import ExportPathScreen, ExportTextScreen
from studycircle_tui.tui.screens.quiz_live import LiveQuizScreen
from studycircle_tui.tui.screens.schedule import ScheduleScreen

HEADER = "player,question,answer,correct,seconds,points"


async def _finished(tmp_path):
    """A live run of one question that Ayu and Budi answered, ended by the lead."""
    circle = await quiz_circle(tmp_path)
    session = await asked(circle)
    lead = QuizRunner(circle.lead)
    circle.clock.advance(2000)
    await QuizRunner(circle.players[0]).answer(session, 0, [1])
    await QuizRunner(circle.players[1]).answer(session, 0, [0])
    await circle.sync()
    await lead.close(session)
    await lead.reveal(session)
    await lead.finish(session)
    await circle.sync()
    return circle, session


def _app(service, remote=None) -> StudyCircleApp:
    settings = Settings(name=service.state.members[service.me].name)
    return StudyCircleApp(service, sync=False, settings=settings, remote=remote)


@asynccontextmanager
async def results_on_screen(service, session: str, remote=None, **options):
    """The app with the finished run's screen open, as at the end of a live quiz."""
    async with _app(service, remote).run_test(size=(100, 30), **options) as pilot:
        await pilot.pause()
        await pilot.app.push_screen(LiveQuizScreen(service, session))
        await pilot.pause()
        yield pilot


def files_under(*folders: Path) -> dict[str, tuple[int, int]]:
    """Every file below ``folders`` with its size and modification time."""
    found = {}
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and not path.name.endswith(("-wal", "-shm", "-journal")):
                stat = path.stat()
                found[str(path)] = (stat.st_size, stat.st_mtime_ns)
    return found


@pytest.fixture
def workdir(tmp_path, monkeypatch, isolated_home):
    """Where a typed file name lands: the member's Downloads folder, not the folder the
    app was started from (``started_in``, the current one)."""
    started_in = tmp_path / "work" / "here"
    started_in.mkdir(parents=True)
    monkeypatch.chdir(started_in)
    downloads = isolated_home / "Downloads"
    downloads.mkdir()
    return downloads


@pytest.mark.parametrize("remote", ["ssh", "web"])
async def test_served_remotely_the_results_are_shown_and_no_file_is_written(
    tmp_path, workdir, isolated_home, remote
):
    circle, session = await _finished(tmp_path)
    player = circle.players[0]
    # A file of the host's, where the reported attack wrote its CSV.
    planted = tmp_path / ".bashrc_test"
    planted.write_text("# the host's own\n")
    async with results_on_screen(player, session, remote) as pilot:
        before = files_under(tmp_path, isolated_home)
        await pilot.press("e")
        await pilot.pause()
        shown = pilot.app.screen
        assert isinstance(shown, ExportTextScreen)  # no path is asked for
        text = shown.query_one(TextArea).text
        assert text.splitlines()[0] == HEADER
        assert "Ayu,1,3,true,2.00,1000" in text.splitlines()  # whole room points
        await pilot.press("c")  # copy it all: to the player's terminal, as OSC 52
        await pilot.pause()
        assert pilot.app.clipboard == text
        # Typing a path anyway changes nothing: the view is read-only, keys are no path.
        await pilot.press(*"../../../../.bashrc_test", "enter")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, LiveQuizScreen)
    assert files_under(tmp_path, isolated_home) == before
    assert planted.read_text() == "# the host's own\n"


async def test_served_remotely_the_schedule_is_shown_not_written(tmp_path, workdir):
    circle, _ = await _finished(tmp_path)
    lead = circle.lead
    async with _app(lead, "ssh").run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.app.push_screen(ScheduleScreen(lead))
        await pilot.pause()
        before = files_under(tmp_path)
        pilot.app.screen.query_one("#sessions").focus()  # it opens on its title field
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ExportTextScreen)
        text = pilot.app.screen.query_one(TextArea).text
    assert text.startswith("BEGIN:VCALENDAR")
    assert files_under(tmp_path) == before


async def _export_to(pilot, typed: str) -> None:
    await pilot.press("e")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ExportPathScreen)
    pilot.app.screen.query_one(Input).value = typed
    await pilot.press("enter")
    await pilot.pause()


async def test_a_local_export_onto_an_existing_file_asks_and_no_leaves_it(tmp_path, workdir):
    circle, session = await _finished(tmp_path)
    target = workdir / "results.csv"
    target.write_text("last week's results\n")
    async with results_on_screen(circle.lead, session, notifications=True) as pilot:
        await _export_to(pilot, "results.csv")
        assert isinstance(pilot.app.screen, ConfirmScreen)
        assert "results.csv already exists" in str(pilot.app.screen.question)
        await pilot.press("n")
        await pilot.pause()
        assert target.read_text() == "last week's results\n"
        assert any("left as it was" in text for text in toasts(pilot.app))

        await _export_to(pilot, "results.csv")  # and again: this time, yes
        await pilot.press("y")
        await pilot.pause()
    assert target.read_text(encoding="utf-8").splitlines()[0] == HEADER
    assert sorted(os.listdir(workdir)) == ["results.csv"]  # no temporary file left behind


async def test_a_local_export_goes_where_its_user_points_dot_dot_included(tmp_path, workdir):
    circle, session = await _finished(tmp_path)
    async with results_on_screen(circle.lead, session) as pilot:
        await _export_to(pilot, "../results.csv")  # their machine, their choice
        assert isinstance(pilot.app.screen, LiveQuizScreen)
    written = workdir.parent / "results.csv"
    assert written.read_text(encoding="utf-8").splitlines()[0] == HEADER


async def test_a_local_export_into_a_folder_takes_the_offered_name(tmp_path, workdir):
    circle, session = await _finished(tmp_path)
    async with results_on_screen(circle.lead, session) as pilot:
        await _export_to(pilot, str(workdir))
    [written] = list(workdir.iterdir())
    assert written.name.startswith("python-basics-") and written.suffix == ".csv"


async def test_the_export_dialog_offers_the_downloads_folder_not_the_current_one(tmp_path, workdir):
    circle, session = await _finished(tmp_path)
    async with results_on_screen(circle.lead, session) as pilot:
        await pilot.press("e")
        await pilot.pause()
        offered = pilot.app.screen.query_one(Input).value
        said = [str(label.render()) for label in pilot.app.screen.query(Label)]
        await pilot.press("enter")  # as offered
        await pilot.pause()
    assert offered.startswith("~/Downloads/python-basics-") and offered.endswith(".csv")
    assert "A file name (written in ~/Downloads) or a path:" in said
    [written] = list(workdir.iterdir())
    assert written.read_text(encoding="utf-8").splitlines()[0] == HEADER
    assert not list(Path.cwd().iterdir())  # nothing where the app was started
