"""What the notes pane looks like, pinned at 100x30 and 80x24: the fixed demo circle
(ids, times, clock), op ids from a seeded generator, the textual-dark theme, no
blinking cursor.

Refresh after a deliberate change with ``make snapshots``.
"""

import pytest
from note_helpers import (
    conflicted,
    edited_twice,
    make_app,
    open_notes,
    settle,
)

SIZES = [(100, 30), (80, 24)]
SIZE_IDS = ["100x30", "80x24"]


def showing(*keys: str):
    """Open the notes pane, then press ``keys`` (each followed by a pause)."""

    async def run_before(pilot) -> None:
        await open_notes(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        pilot.app.clear_notifications()  # toasts time out: keep them out of the picture
        await settle(pilot)

    return run_before


@pytest.fixture
def edited(tmp_path, monkeypatch):
    """Rina rewrote the note with more Markdown (r2); Ayu then fixed a line (r3)."""
    return edited_twice(tmp_path, monkeypatch)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
class TestNotes:
    def test_viewer(self, edited, size, snap_compare):
        assert snap_compare(make_app(edited), terminal_size=size, run_before=showing("enter"))

    def test_editor(self, edited, size, snap_compare):
        assert snap_compare(make_app(edited), terminal_size=size, run_before=showing("e"))

    def test_history(self, edited, size, snap_compare):
        assert snap_compare(make_app(edited), terminal_size=size, run_before=showing("h"))

    def test_diff_between_two_revisions(self, edited, size, snap_compare):
        # Mark r1 (the oldest, at the end), then back to r3: the changes r1 → r3.
        run_before = showing("h", "G", "c", "g")
        assert snap_compare(make_app(edited), terminal_size=size, run_before=run_before)

    def test_needs_merge(self, tmp_path, monkeypatch, size, snap_compare):
        rina, _, _ = conflicted(tmp_path, monkeypatch)
        assert snap_compare(make_app(rina), terminal_size=size, run_before=showing("enter"))


def test_who_wrote_each_line(edited, snap_compare):
    assert snap_compare(make_app(edited), terminal_size=(100, 30), run_before=showing("b"))
