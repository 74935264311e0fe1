"""Settings' toasts do not pile up: what was wrong in config.toml is one toast, and a
problem said again (config.toml cannot be written, at every B) replaces its toast."""

import pytest
from discussion_circle import build_story, make_app, open_as

from studycircle_tui import config
from studycircle_tui.config import load_settings
from studycircle_tui.tui.app import StudyCircleApp

BAD = """theme = "solarised-darkk"
time_format = "25h"
color_depth = 12
bell_on_mention = "yes"
fontsize = 14
"""


@pytest.fixture
def citra(tmp_path):
    return open_as(build_story(tmp_path), "Citra", tmp_path)


def toasts(app) -> list[tuple[str, str]]:
    return [(str(n.title), str(n.message)) for n in app._notifications]


async def test_five_problems_in_config_toml_are_one_toast(citra):
    path = config.config_file()
    path.parent.mkdir(parents=True)
    path.write_text(BAD, encoding="utf-8")
    app = StudyCircleApp(citra, sync=False, settings=load_settings())
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        shown = toasts(app)
    assert len(shown) == 1, shown
    title, message = shown[0]
    assert title == "Settings: 5 problems, defaults used"
    for said in ("'time_format'", "'color_depth'", "'bell_on_mention'", "'fontsize'", "theme"):
        assert said in message
    assert message.count(str(path)) == 1  # its place, said once


async def test_a_setting_that_cannot_be_saved_says_so_once_however_often_it_is_tried(citra):
    config.config_dir().parent.mkdir(parents=True)
    config.config_dir().write_text("a file where the folder should be")  # nothing is written
    async with make_app(citra).run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("B", "B", "B")
        await pilot.pause()
        shown = toasts(pilot.app)
        bell = pilot.app.settings.bell_on_mention
    not_saved = [message for _, message in shown if "save" in message.lower()]
    assert len(not_saved) == 1, shown
    assert not_saved[0].startswith("Settings not saved: ")
    assert [message for _, message in shown if "bell on @mentions" in message] == [
        "The bell on @mentions is off."
    ]
    assert bell is False  # toggled three times from on, for this session
