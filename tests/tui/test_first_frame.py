"""The main screen is styled once before its first frame (issue 19): its width class and
its panes' classes are there when it mounts, so none of them is added afterwards, each
restyling a whole subtree (the screen's width class, every widget on it)."""

import subprocess
import sys
import threading
from collections import Counter

import pytest
from discussion_circle import build_story, make_app, open_as

from studycircle_tui.tui.screens.list_panes import ChannelsPane, ThreadsPane
from studycircle_tui.tui.screens.main import MainScreen, width_class
from studycircle_tui.tui.screens.thread_pane import ThreadPane


@pytest.mark.parametrize(("width", "wanted"), [(80, "-narrow"), (110, "-medium"), (120, "-wide")])
async def test_the_main_screen_and_its_panes_are_not_restyled_as_it_opens(
    tmp_path, monkeypatch, width, wanted
):
    service = open_as(build_story(tmp_path), "Citra", tmp_path)
    app = make_app(service)
    restyled: Counter[str] = Counter()
    update_styles = type(app).update_styles

    def counted(self, node, animate=True):  # type: ignore[no-untyped-def]
        restyled[type(node).__name__] += 1
        return update_styles(self, node, animate)

    monkeypatch.setattr(type(app), "update_styles", counted)
    async with app.run_test(size=(width, 36)) as pilot:
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, MainScreen) and width_class(width) == wanted
        assert screen.has_class(wanted)
        assert screen.query_one("#channels-pane").has_class("-current", "-left")
    for pane in (ChannelsPane, ThreadsPane, ThreadPane):
        assert restyled[pane.__name__] == 0, restyled
    assert restyled["MainScreen"] <= 1, restyled  # Textual's own, as the screen shows


async def test_the_first_threads_markdown_is_loaded_off_the_ui_thread_after_the_first_frame(
    tmp_path, monkeypatch
):
    from studycircle_tui.tui import app as app_module

    calls: list[tuple[bool, bool]] = []  # (on the UI's thread, main screen shown by then)
    app = make_app(open_as(build_story(tmp_path), "Citra", tmp_path))

    def warm_up() -> None:
        calls.append(
            (threading.current_thread() is threading.main_thread(), app.screen_stack != [])
        )

    monkeypatch.setattr(app_module, "warm_up", warm_up)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    assert calls == [(False, True)]


def test_the_warm_up_loads_markdown_and_a_code_blocks_lexer():
    # In a fresh interpreter: this one has long imported them for other tests.
    script = (
        "import sys\n"
        "from studycircle_tui.tui.widgets.post_render import warm_up\n"
        "loads = ('rich.markdown', 'markdown_it', 'pygments.lexers.python')\n"
        "assert not any(m in sys.modules for m in loads), 'loaded before the warm-up'\n"
        "warm_up()\n"
        "assert all(m in sys.modules for m in loads), [m for m in loads if m not in sys.modules]\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
