"""Logs written before note revisions became patches (schema v1) keep working.

``data/notes-v1.circle`` is a real circle file written by the app as it was before
``note.revise`` v2: three members on one file, each through its own store and engine,
editing a note in turn, at the same time (a clean merge and a conflict), resolving the
conflict, restoring an old revision and editing on. ``data/notes-v1.expected.json`` holds
what that app folded: every revision's text, the head, the merges, the conflicts and who
wrote each line of the head. Today's app must read the same from the same file, add its
own revisions to it as patches, and the mix must read the same on a fresh open. A
server must take both kinds of revision from its members.
"""

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from catchup_helpers import member
from server_helpers import Site
from studycircle_tui.core.noteblame import blame
from studycircle_tui.store.db import Store
from studycircle_tui.sync.circles import open_file_circle

DATA = Path(__file__).parent / "data"


@pytest.fixture
def old_file(tmp_path) -> Path:
    path = tmp_path / "notes-v1.circle"
    shutil.copy(DATA / "notes-v1.circle", path)
    return path


def expected() -> dict:
    return json.loads((DATA / "notes-v1.expected.json").read_text(encoding="utf-8"))


def test_the_file_is_a_v1_log():
    ops = [json.loads(line) for line in (DATA / "notes-v1.circle").read_text().splitlines()]
    revisions = [op for op in ops if op["type"] == "note.revise"]
    assert len(revisions) >= 10 and all(op["v"] == 1 for op in ops)
    assert all("text" in op["data"] and "patch" not in op["data"] for op in revisions)


def test_a_v1_file_folds_as_the_old_app_folded_it(old_file, tmp_path):
    want = expected()
    service = open_file_circle(Store(tmp_path / "dewi.sqlite3"), old_file, "Dewi")
    note = service.state.notes[want["note"]]
    assert note.order == want["order"] and note.head == want["head"]
    assert note.title == want["title"]
    assert {rev: note.text_of(rev) for rev in note.order} == want["texts"]
    assert [rev for rev in note.order if note.revisions[rev].is_merge] == want["merges"]
    assert [rev for rev in note.order if note.revisions[rev].conflicts] == want["conflicted"]
    assert [[line.revision, line.author] for line in blame(note)] == want["blame"]


def test_todays_patches_go_on_a_v1_file_and_the_mix_reads_the_same(old_file, tmp_path):
    want = expected()
    dewi = open_file_circle(Store(tmp_path / "dewi.sqlite3"), old_file, "Dewi")
    note = dewi.state.notes[want["note"]]
    lines = note.text.splitlines(keepends=True)
    lines[3] = "Bab 4: ditulis ulang oleh Dewi 🧬\n"
    edited = "".join(lines)

    async def revise_and_sync():
        # One event loop: the revision's own push (sent at once) ends before the round's.
        op = await dewi.revise_note(note.id, note.head, edited)
        await dewi.sync_once()
        return op

    op = asyncio.run(revise_and_sync())
    written = json.loads(old_file.read_text(encoding="utf-8").splitlines()[-1])
    assert written["id"] == op.id and written["v"] == 2
    assert "patch" in written["data"] and "text" not in written["data"]
    assert len(old_file.read_bytes()) - (DATA / "notes-v1.circle").stat().st_size < 1_000

    # Another member opens the mixed file afresh: every old text, and the new head.
    eko = open_file_circle(Store(tmp_path / "eko.sqlite3"), old_file, "Eko")
    seen = eko.state.notes[note.id]
    assert seen.text == edited and seen.head == op.id
    assert {rev: seen.text_of(rev) for rev in want["order"]} == want["texts"]
    assert blame(seen)[3].author == dewi.me
    assert seen == dewi.state.notes[note.id]


async def test_a_server_takes_whole_texts_and_patches_and_members_read_the_same(tmp_path):
    site = await Site.start(tmp_path / "server")
    try:
        circle, code = await site.new_circle("Biologi")
        lea = await member(site, tmp_path, code, "Lea")
        await lea.sync_once()
        ana = await member(site, tmp_path, await site.invite(circle), "Ana")
        text = "".join(f"baris {index}\n" for index in range(2_000))
        made = lea.submit("note.create", {"title": "Catatan", "text": text})
        await lea.sync_once()
        await ana.sync_once()
        # As an app from before v2 saves: the whole text (v1).
        whole = text.replace("baris 10\n", "baris sepuluh\n")
        old = ana.submit("note.revise", {"note": made.id, "base": made.id, "text": whole})
        assert old.v == 1
        await ana.sync_once()
        await lea.sync_once()
        # As today's app saves: a patch (v2), from the v1 revision.
        patched = whole.replace("baris 1999\n", "baris terakhir\n")
        new = await lea.revise_note(made.id, old.id, patched)
        assert new.v == 2 and len(new.data.patch) == 1
        await lea.sync_once()
        await ana.sync_once()
        for service in (lea, ana):
            note = service.state.notes[made.id]
            assert note.order == [made.id, old.id, new.id]
            assert note.text == patched and note.text_of(old.id) == whole
        # A third member, fresh, reads the server's log of both kinds.
        eko = await member(site, tmp_path, await site.invite(circle), "Eko")
        await eko.sync_once()
        assert eko.state.notes[made.id] == lea.state.notes[made.id]
    finally:
        await site.close()
