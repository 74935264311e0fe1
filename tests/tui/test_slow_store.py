"""The UI never waits on the disk: another process holding the store's SQLite lock makes
a write wait, and the keys pressed meanwhile are handled. The post is shown as sent only
once it is on disk; a lock held past the store's patience is a "no" in words, and the
draft stays."""

import subprocess
import sys

import pytest
from discussion_circle import build_story, make_app, open_as, text_of
from toasts import toasts

from studycircle_tui.tui.screens.help import HelpScreen
from studycircle_tui.tui.widgets.composer import Composer
from studycircle_tui.tui.widgets.thread_view import ThreadView

SIZE = (100, 30)
# Another process (a second studycircle, a backup tool) taking the store's write lock
# and keeping it until told to let go.
LOCKER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
db.execute("COMMIT")
"""


@pytest.fixture
def story(tmp_path):
    return build_story(tmp_path)


def hold_lock(path) -> subprocess.Popen:
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert locker.stdout.readline().strip() == "locked"
    return locker


def let_go(locker: subprocess.Popen) -> None:
    locker.stdin.write("\n")
    locker.stdin.flush()
    locker.wait(30)


async def test_keys_are_handled_while_another_process_holds_the_store(story, tmp_path):
    # Patient enough to outlast any slowness of this test itself.
    citra = open_as(story, "Citra", tmp_path, busy_timeout_ms=60_000)
    thread = story.ids["derivative"]
    text = "And the chain rule gives the same 2x."
    async with make_app(citra).run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = pilot.app.screen
        screen.open_thread(thread)
        await pilot.app.intents.settled()
        await pilot.pause()
        locker = hold_lock(citra.store.path)
        try:
            await pilot.press("r", *text, "ctrl+s", "ctrl+s")  # sent twice by mistake
            await pilot.press("escape", "question_mark")  # on with something else
            await pilot.pause()
            helped = isinstance(pilot.app.screen, HelpScreen)
            await pilot.press("escape")
            await pilot.pause()
            before = screen.query_one(ThreadView).selected
            await pilot.press("k")
            await pilot.pause()
            moved = before - screen.query_one(ThreadView).selected
            posts_meanwhile = len(citra.state.threads[thread].post_ids)
        finally:
            let_go(locker)
        await pilot.app.intents.settled()
        await pilot.pause()
        composer = screen.query_one(Composer).text
    # While the write waited on the lock, the keys did what they do...
    assert helped and moved == 1 and posts_meanwhile == 3
    # ...and once the lock went, the post landed, once, and its draft was spent.
    posts = [citra.state.posts[p] for p in citra.state.threads[thread].post_ids]
    assert [text_of(citra, p.text_op) for p in posts[3:]] == [text]
    assert composer == "" and citra.draft(thread) == ""


async def test_a_lock_held_too_long_is_a_no_in_words_and_the_draft_stays(story, tmp_path):
    citra = open_as(story, "Citra", tmp_path, busy_timeout_ms=300)
    thread = story.ids["limit"]
    async with make_app(citra).run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        pilot.app.screen.open_thread(thread)
        await pilot.app.intents.settled()
        locker = hold_lock(citra.store.path)
        try:
            await pilot.press("r", *"still here?", "ctrl+s")
            await pilot.app.intents.settled()
            await pilot.pause()
        finally:
            let_go(locker)
        said = toasts(pilot.app)
        composer = pilot.app.screen.query_one(Composer).text
    assert any("another program is holding" in message for message in said), said
    assert composer == "still here?"
    assert len(citra.state.threads[thread].post_ids) == 1
