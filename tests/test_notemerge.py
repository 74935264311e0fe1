"""Shared notes: the three-way merge, the diff and blame, and the reducer's note rules.

Property tests (hypothesis) show the merge's promises: changes that do not overlap both
survive; overlapping ones keep both sides, so that picking one side of every conflict
gives back exactly that side; and a circle's note ends the same on every replica
whatever order its ops arrive in. Unit tests walk the reducer through what members do:
edit, edit concurrently, resolve a conflict, restore, and be refused.
"""

import re

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from studycircle_tui.core import notemerge, notetext, permissions, reducer
from studycircle_tui.core.ids import ULID_PATTERN
from studycircle_tui.core.noteblame import blame
from studycircle_tui.core.notemerge import END, MIDDLE, START, line_diff, merge3
from studycircle_tui.core.ops import OP_TYPES, Op
from studycircle_tui.core.replica import Replica
from studycircle_tui.core.state import CircleState, Note

START_MS = 1_720_000_000_000


def lines(*items: str) -> str:
    return "".join(f"{item}\n" for item in items)


def pick_side(text: str, side: str) -> str:
    """``text`` with every conflict block replaced by its ours (or theirs) part."""
    out: list[str] = []
    state = "outside"
    for line in notemerge.split_lines(text):
        if state == "outside" and line.startswith(START):
            state = "ours"
        elif state == "ours" and line == MIDDLE:
            state = "theirs"
        elif state == "theirs" and line.startswith(END):
            state = "outside"
        elif state == "outside" or state == side:
            out.append(line)
    return "".join(out)


# --- merge3 ---------------------------------------------------------------------------


def test_changes_in_different_places_both_survive():
    base = lines("# Limits", "a", "b", "c", "d", "e")
    ours = lines("# Limits", "A", "b", "c", "d", "e")
    theirs = lines("# Limits", "a", "b", "c", "d", "e", "f")
    merged = merge3(base, ours, theirs)
    assert merged == notemerge.Merge(lines("# Limits", "A", "b", "c", "d", "e", "f"), 0, 2)


def test_overlapping_changes_are_both_kept_between_markers():
    base = lines("a", "b", "c")
    merged = merge3(base, lines("a", "B1", "c"), lines("a", "B2", "c"), "Ana", "Budi")
    assert merged.conflicts == 1
    assert merged.text == lines("a", "<<<<<<< Ana", "B1", "=======", "B2", ">>>>>>> Budi", "c")


def test_the_same_change_on_both_sides_is_taken_once():
    base = lines("a", "b", "c")
    same = lines("a", "B", "c", "d")
    assert merge3(base, same, lines("a", "B", "c")) == notemerge.Merge(same, 0, 0)
    assert merge3(base, same, same).text == same


def test_an_unchanged_side_takes_the_other():
    base, edited = lines("x", "y"), lines("x", "why")
    assert merge3(base, base, edited).text == edited
    assert merge3(base, edited, base).text == edited


def test_adjacent_changes_conflict_as_in_diff3():
    # With no unchanged line between them nothing anchors the two edits apart.
    merged = merge3(lines("a", "b", "c"), lines("A", "b", "c"), lines("a", "B", "c"))
    assert merged.conflicts == 1


def test_a_last_line_without_newline_gets_one_inside_a_conflict():
    merged = merge3("a\nb", "a\nB1", "a\nB2")
    assert merged.text == "a\n<<<<<<< ours\nB1\n=======\nB2\n>>>>>>> theirs\n"


def test_crlf_text_keeps_its_line_ends():
    base = "a\r\nb\r\nc\r\nd\r\n"
    merged = merge3(base, "A\r\nb\r\nc\r\nd\r\n", "a\r\nb\r\nc\r\nD\r\n")
    assert merged.text == "A\r\nb\r\nc\r\nD\r\n"


def test_non_ascii_text_and_the_size_change():
    base = lines("Bab 1 — limit", "x → 0", "catatan")
    ours = lines("Bab 1 — limit ✓", "x → 0", "catatan")
    theirs = lines("Bab 1 — limit", "x → 0", "catatan 😀")
    merged = merge3(base, ours, theirs)
    assert merged.text == lines("Bab 1 — limit ✓", "x → 0", "catatan 😀")
    assert merged.grown == len(merged.text.encode()) - len(ours.encode())


def test_only_markers_the_reducer_wrote_count_as_conflicts():
    label = notemerge.revision_label("Ana\nLee", START_MS)
    assert label == "Ana Lee (2024-07-03 09:46 UTC)"
    merged = merge3(lines("a"), lines("b"), lines("c"), label, label)
    assert notemerge.count_conflicts(merged.text) == 1
    quoting_git = lines("How git shows it:", "<<<<<<< HEAD", "mine", "=======", ">>>>>>> x")
    assert notemerge.count_conflicts(quoting_git) == 0


# --- properties of merge3 --------------------------------------------------------------


@st.composite
def base_and_two_edits(draw, overlapping: bool):
    """A base of unique lines and two edits, each replacing one range with new lines.

    Non-overlapping edits leave at least one unchanged line between them (diff3 needs it
    to tell them apart); overlapping ones share or touch a range, and write different
    things."""
    size = draw(st.integers(2, 30))
    base = [f"line {index}\n" for index in range(size)]
    if overlapping:
        a0 = draw(st.integers(0, size - 1))
        a1 = draw(st.integers(a0, size))
        b0 = draw(st.integers(max(0, a0 - 1), a1))  # starts inside or touching ours
        b1 = draw(st.integers(max(b0, a0), size))
    else:
        a0 = draw(st.integers(0, size - 2))
        a1 = draw(st.integers(a0, size - 2))
        b0 = draw(st.integers(a1 + 1, size))  # at least one line between
        b1 = draw(st.integers(b0, size))
    ours_new = [f"ours {index}\n" for index in range(draw(st.integers(0 if a1 > a0 else 1, 3)))]
    theirs_new = [f"theirs {index}\n" for index in range(draw(st.integers(0 if b1 > b0 else 1, 3)))]
    return base, (a0, a1, ours_new), (b0, b1, theirs_new)


def apply_edit(base: list[str], edit: tuple[int, int, list[str]]) -> list[str]:
    start, end, new = edit
    return base[:start] + new + base[end:]


@given(base_and_two_edits(overlapping=False), st.booleans())
def test_property_non_overlapping_edits_both_survive(case, swap):
    base, ours_edit, theirs_edit = case
    if swap:
        ours_edit, theirs_edit = theirs_edit, ours_edit
    ours, theirs = apply_edit(base, ours_edit), apply_edit(base, theirs_edit)
    both = apply_edit(apply_edit(base, max(ours_edit, theirs_edit)), min(ours_edit, theirs_edit))
    merged = merge3("".join(base), "".join(ours), "".join(theirs))
    assert merged.conflicts == 0
    assert merged.text == "".join(both)


@given(base_and_two_edits(overlapping=True))
def test_property_overlapping_edits_keep_both_sides(case):
    base, ours_edit, theirs_edit = case
    ours, theirs = "".join(apply_edit(base, ours_edit)), "".join(apply_edit(base, theirs_edit))
    merged = merge3("".join(base), ours, theirs)
    if ours == theirs:
        assert merged.text == ours
        return
    assert merged.conflicts >= 1
    assert pick_side(merged.text, "ours") == ours
    assert pick_side(merged.text, "theirs") == theirs


# Texts made of a few short lines, so random edits collide, repeat lines and drop or
# keep the final newline: the cases unique lines never reach.
small_texts = st.lists(st.sampled_from(["a", "b", "c", "", "é —", "😀"]), max_size=12).map(
    lambda items: "\n".join(items)
)


@given(small_texts, small_texts, small_texts)
def test_property_merge_is_symmetric_and_keeps_each_side(base, ours, theirs):
    merged = merge3(base, ours, theirs)
    swapped = merge3(base, theirs, ours)
    assert merged.conflicts == swapped.conflicts
    if merged.conflicts:
        # Both sides are there: each side's pick of one merge is the other's opposite.
        assert pick_side(merged.text, "ours") == pick_side(swapped.text, "theirs")
        assert pick_side(merged.text, "theirs") == pick_side(swapped.text, "ours")
    else:
        assert merged.text == swapped.text
    assert merged.grown == len(merged.text.encode()) - len(ours.encode())
    assert merge3(base, ours, ours).text == ours
    assert merge3(base, base, theirs).text == theirs


@given(small_texts, small_texts)
def test_property_diff_hunks_rebuild_the_new_text(old, new):
    hunks = notemerge.diff(old, new, lines=True)
    old_lines, new_lines = notemerge.split_lines(old), notemerge.split_lines(new)
    rebuilt, at = [], 0
    for hunk in hunks:
        assert old[hunk.a0 : hunk.a1] == "".join(old_lines[hunk.la0 : hunk.la1])
        assert new[hunk.b0 : hunk.b1] == "".join(new_lines[hunk.lb0 : hunk.lb1])
        rebuilt += [old[at : hunk.a0], new[hunk.b0 : hunk.b1]]
        at = hunk.a1
    rebuilt.append(old[at:])
    assert "".join(rebuilt) == new
    full = line_diff(old, new, context=None)
    assert "".join(line for tag, line in full if tag != "+") == old
    assert "".join(line for tag, line in full if tag != "-") == new


@given(st.text(max_size=300), st.text(max_size=300))
def test_property_utf8_size_from_a_base_is_exact(text, base):
    # Long enough that the incremental path (not a plain encode) is taken.
    text, base = text * 300, base * 300
    base_size = len(base.encode("utf-8", "surrogatepass"))
    expected = len(text.encode("utf-8", "surrogatepass"))
    assert notemerge.utf8_size(text, base, base_size) == expected
    edited = text[: len(text) // 2] + "ü€" + text[len(text) // 2 + 1 :]
    assert notemerge.utf8_size(edited, text, expected) == len(
        edited.encode("utf-8", "surrogatepass")
    )


# --- line diff ------------------------------------------------------------------------


def test_line_diff_with_context_has_unified_headers():
    old = lines(*(f"l{index}" for index in range(20)))
    new = old.replace("l3\n", "L3\n").replace("l15\n", "")
    assert line_diff(old, new, context=1) == [
        ("@", "@@ -3,3 +3,3 @@"),
        (" ", "l2\n"),
        ("-", "l3\n"),
        ("+", "L3\n"),
        (" ", "l4\n"),
        ("@", "@@ -15,3 +15,2 @@"),
        (" ", "l14\n"),
        ("-", "l15\n"),
        (" ", "l16\n"),
    ]
    assert line_diff(old, old) == []


# --- circles with a note ----------------------------------------------------------------


@pytest.fixture(params=["whole texts", "patches"])
def circle(request) -> "Circle":
    """Every reducer test below runs twice: revisions as v1 whole texts, and as v2 patches."""
    return Circle(patches=request.param == "patches")


class Circle:
    """One replica the test drives: Ana leads, Budi and Citra are members. With
    ``patches``, a ``note.revise`` given a text carries a patch against its base (v2,
    even where the app would write a checkpoint: these texts are tiny); else the whole
    text, as a v1 op (as the app writes checkpoints, and older logs hold them all)."""

    def __init__(self, patches: bool = False) -> None:
        self.patches = patches
        self.count = 0
        self.now = START_MS
        self.ana, self.budi, self.citra, self.stranger = (
            f"01J{index:023d}" for index in range(1, 5)
        )
        first = Replica("0" * 26).make(
            self.ana,
            "circle.create",
            {"name": "Calculus", "lead_name": "Ana"},
            self.now,
            b"\0" * 10,
        )
        self.replica = Replica(first.id)
        self.replica.add([first])
        self.do(self.budi, "member.join", name="Budi")
        self.do(self.citra, "member.join", name="Citra")

    @property
    def state(self) -> CircleState:
        return self.replica.state

    def make(self, actor: str, type_name: str, **data: object) -> Op:
        note = self.state.notes.get(str(data.get("note")))
        if self.patches and type_name == "note.revise" and note and data["base"] in note.revisions:
            text = str(data.pop("text"))
            data["patch"] = notetext.make_patch(note.text_of(str(data["base"])), text)
        self.count += 1
        self.now += 60_000
        return self.replica.make(actor, type_name, data, self.now, self.count.to_bytes(10, "big"))

    def do(self, actor: str, type_name: str, **data: object) -> str:
        op = self.make(actor, type_name, **data)
        assert permissions.refusal(self.state, op) is None
        self.replica.add([op])
        return op.id

    def refused(self, actor: str, type_name: str, **data: object) -> str:
        op = self.make(actor, type_name, **data)
        reason = permissions.refusal(self.state, op)
        before = repr(self.state)
        assert not reducer.apply(self.state, op)
        assert repr(self.state) == before
        assert reason is not None
        return reason

    def note(self, text: str, title: str = "Limits") -> Note:
        note_id = self.do(self.ana, "note.create", title=title, text=text)
        return self.state.notes[note_id]


def test_a_revision_from_the_head_becomes_the_head(circle):
    note = circle.note(lines("a", "b"))
    first = note.head
    rev = circle.do(circle.budi, "note.revise", note=note.id, base=first, text=lines("a", "B"))
    assert note.head == rev and note.text == lines("a", "B")
    assert note.order == [first, rev] and note.revisions[rev].parents == (first,)
    assert note.revisions[rev].size == 4 and not note.needs_merge


def test_concurrent_revisions_merge_into_a_merge_revision(circle):
    note = circle.note(lines("# Limits", "a", "b", "c"), title="Limits")
    base = note.head
    budi = circle.do(
        circle.budi, "note.revise", note=note.id, base=base, text=lines("# Limits", "A", "b", "c")
    )
    citra = circle.do(
        circle.citra,
        "note.revise",
        note=note.id,
        base=base,
        text=lines("# Limits", "a", "b", "C"),
        title="Limits (week 1)",
    )
    merge = note.revisions[note.head]
    assert note.text == lines("# Limits", "A", "b", "C")
    assert merge.is_merge and merge.parents == (budi, citra) and merge.author == circle.citra
    assert merge.id == notemerge.merge_revision_id(citra)
    assert note.order == [base, budi, citra, merge.id]
    assert note.text_of(citra) == lines("# Limits", "a", "b", "C")  # kept as written
    assert note.title == "Limits (week 1)" and not note.needs_merge
    assert merge.size == len(note.text.encode())
    # A merge is a revision like any other: the next save names it as its base.
    assert re.match(ULID_PATTERN, merge.id)
    after = circle.do(circle.ana, "note.revise", note=note.id, base=merge.id, text=lines("done"))
    assert note.head == after and note.text == lines("done")


def test_a_conflict_marks_the_note_until_a_save_from_the_head_resolves_it(circle):
    note = circle.note(lines("a", "b", "c"))
    base = note.head
    circle.do(circle.budi, "note.revise", note=note.id, base=base, text=lines("a", "B1", "c"))
    circle.do(circle.citra, "note.revise", note=note.id, base=base, text=lines("a", "B2", "c"))
    assert note.needs_merge and note.last.conflicts == 1
    text = note.text
    assert text.startswith("a\n<<<<<<< Budi (2024-07-03 ")
    assert "\nB1\n=======\nB2\n>>>>>>> Citra (2024-07-03 " in text
    # Ana edits elsewhere and saves from the head: the conflict is still there.
    kept = text.replace("a\n", "A\n", 1)
    circle.do(circle.ana, "note.revise", note=note.id, base=note.head, text=kept)
    assert note.needs_merge
    circle.do(circle.ana, "note.revise", note=note.id, base=note.head, text=lines("A", "B", "c"))
    assert not note.needs_merge and note.text == lines("A", "B", "c")


def test_a_resolution_concurrent_with_another_edit_still_resolves(circle):
    note = circle.note(lines("a", "b", "c", "d", "e"))
    base = note.head
    circle.do(
        circle.budi, "note.revise", note=note.id, base=base, text=lines("a", "B1", "c", "d", "e")
    )
    circle.do(
        circle.citra, "note.revise", note=note.id, base=base, text=lines("a", "B2", "c", "d", "e")
    )
    conflicted = note.head
    resolved = note.text.replace(
        note.text[note.text.index("<<<<<<<") : note.text.index("c\n")], "B\n"
    )
    circle.do(
        circle.citra,
        "note.revise",
        note=note.id,
        base=conflicted,
        text=note.text.replace("e\n", "E\n"),
    )
    circle.do(circle.budi, "note.revise", note=note.id, base=conflicted, text=resolved)
    assert note.text == lines("a", "B", "c", "d", "E") and not note.needs_merge


def test_offline_saves_in_a_row_keep_a_concurrent_change(circle):
    # Budi saves twice offline (the second from his first); Citra's save sorts before
    # both, so Budi's first is merged, and his second is merged again rather than
    # replacing the head with a text that never had Citra's change.
    note = circle.note(lines("a", "b", "c", "d", "e"))
    base = note.head
    citra = circle.make(
        circle.citra, "note.revise", note=note.id, base=base, text=lines("a", "b", "c", "d", "E")
    )
    first, second = lines("A", "b", "c", "d", "e"), lines("A", "b", "C", "d", "e")
    budi1 = circle.make(circle.budi, "note.revise", note=note.id, base=base, text=first)
    # Made on Budi's replica, which has his first save: a patch against its text.
    saved = {"patch": notetext.make_patch(first, second)} if circle.patches else {"text": second}
    budi2 = circle.make(circle.budi, "note.revise", note=note.id, base=budi1.id, **saved)
    assert budi2.v == (2 if circle.patches else 1)
    circle.replica.add([budi2])  # its base has not arrived: it waits, changing nothing
    assert note.text == lines("a", "b", "c", "d", "e") and budi2.id not in note.revisions
    circle.replica.add([budi1])  # and applies once its base is there
    note = circle.state.notes[note.id]
    assert note.text == second and note.head == budi2.id
    circle.replica.add([citra])  # sorts first: everything is refolded
    note = circle.state.notes[note.id]
    assert note.text == lines("A", "b", "C", "d", "E") and not note.needs_merge


def test_restore_makes_a_new_revision_with_the_old_text(circle):
    note = circle.note(lines("v1"))
    v1 = note.head
    v2 = circle.do(circle.budi, "note.revise", note=note.id, base=v1, text=lines("v2"), title="New")
    restore = circle.do(circle.citra, "note.restore", note=note.id, revision=v1)
    revision = note.revisions[restore]
    assert note.text == lines("v1") and note.title == "Limits" and note.head == restore
    assert revision.parents == (v2,) and revision.restored_from == v1
    assert revision.author == circle.citra and note.order == [v1, v2, restore]
    assert note.text_of(v2) == lines("v2")  # nothing is erased
    assert revision.size == note.revisions[v1].size == len(lines("v1"))


def test_restoring_a_conflicted_merge_brings_back_needs_merge(circle):
    note = circle.note(lines("a"))
    base = note.head
    circle.do(circle.budi, "note.revise", note=note.id, base=base, text=lines("b"))
    circle.do(circle.citra, "note.revise", note=note.id, base=base, text=lines("c"))
    conflicted = note.head
    circle.do(circle.ana, "note.revise", note=note.id, base=conflicted, text=lines("b c"))
    assert not note.needs_merge
    circle.do(circle.ana, "note.restore", note=note.id, revision=conflicted)
    assert note.needs_merge


def test_non_members_cannot_touch_notes(circle):
    note = circle.note(lines("a"))
    assert circle.refused(circle.stranger, "note.create", title="x", text="x") == (
        permissions.NOT_MEMBER
    )
    assert (
        circle.refused(circle.stranger, "note.revise", note=note.id, base=note.head, text="b")
        == permissions.NOT_MEMBER
    )
    assert (
        circle.refused(circle.stranger, "note.restore", note=note.id, revision=note.head)
        == permissions.NOT_MEMBER
    )
    circle.do(circle.ana, "member.remove", member=circle.budi)
    assert (
        circle.refused(circle.budi, "note.revise", note=note.id, base=note.head, text="b")
        == permissions.NOT_MEMBER
    )
    assert (
        circle.refused(circle.citra, "note.revise", note=note.id, base="0" * 26, text="b")
        == "no such revision of that note"
    )


def test_a_note_over_1_mb_of_utf8_is_refused(circle):
    assert circle.do(circle.ana, "note.create", title="Full", text="x" * 1_000_000)
    reason = circle.refused(circle.ana, "note.create", title="Big", text="x" * 999_999 + "é")
    assert reason == (
        "this note is 1,000,001 bytes (1.000 MB) as UTF-8 text; "
        "notes are limited to 1 MB (1,000,000 bytes)"
    )
    # Fewer than a million characters, but two bytes each: over 1 MB as a file.
    assert "1,000,002 bytes" in circle.refused(
        circle.ana, "note.create", title="Big", text="é" * 500_001
    )
    note = circle.note("é" * 400_000)
    almost = "é" * 400_000 + "x" * 199_999
    circle.do(circle.budi, "note.revise", note=note.id, base=note.head, text=almost + "x")
    assert "1,000,002 bytes" in circle.refused(
        circle.budi, "note.revise", note=note.id, base=note.head, text=almost + "€"
    )
    assert note.last.size == 1_000_000


def test_an_op_cannot_take_the_id_a_merge_was_given(circle):
    note = circle.note(lines("a"))
    base = note.head
    circle.do(circle.budi, "note.revise", note=note.id, base=base, text=lines("b"))
    caused = circle.do(circle.citra, "note.revise", note=note.id, base=base, text=lines("a", "c"))
    honest = circle.make(circle.ana, "note.revise", note=note.id, base=base, text=lines("d"))
    forged = OP_TYPES["note.revise"](
        v=honest.v,
        id=notemerge.merge_revision_id(caused),
        circle=honest.circle,
        actor=honest.actor,
        hlc=honest.hlc,
        data=honest.data,
    )
    assert permissions.refusal(circle.state, forged) == "that revision id is already taken"


def test_a_merge_takes_the_next_id_when_an_earlier_op_took_its_own(circle):
    """A revision folded earlier may hold the id a later merge would take (a made-up op
    that arrived first): the merge then takes the id derived from that one."""
    note = circle.note(lines("a"))
    base = note.head
    circle.do(circle.budi, "note.revise", note=note.id, base=base, text=lines("b"))
    late = circle.make(circle.citra, "note.revise", note=note.id, base=base, text=lines("a", "c"))
    squatter = circle.make(circle.ana, "note.revise", note=note.id, base=note.head, text="x\n")
    # The squatter sorts first, under the id the late revision's merge would take.
    late, squatter = (
        msgspec.structs.replace(late, hlc=squatter.hlc),
        msgspec.structs.replace(squatter, hlc=late.hlc, id=notemerge.merge_revision_id(late.id)),
    )
    circle.replica.add([squatter])
    assert note.head == squatter.id
    circle.replica.add([late])
    wanted = notemerge.merge_revision_id(notemerge.merge_revision_id(late.id))
    assert note.head == wanted and note.revisions[wanted].parents == (squatter.id, late.id)


def test_a_merge_keeps_a_rename_size_and_conflicts_from_either_side(circle):
    note = circle.note(lines("a", "b", "c"), title="Limits")
    base = note.head
    # Budi renames the note; Citra, from the same base, adds lines and keeps the title.
    renamed = lines("a", "b", "c")
    circle.do(circle.budi, "note.revise", note=note.id, base=base, text=renamed, title="Limits!")
    grown = lines("a", "b", "c", "é" * 10)
    circle.do(circle.citra, "note.revise", note=note.id, base=base, text=grown)
    merge = note.last
    assert merge.is_merge and merge.title == note.title == "Limits!"
    assert merge.size == len(note.text.encode()) > len(renamed.encode())
    assert note.revisions[merge.parents[1]].title == "Limits"  # Citra's kept as written
    # Without a title, a revision keeps its base's.
    circle.do(circle.ana, "note.revise", note=note.id, base=note.head, text=lines("z"))
    assert note.last.title == "Limits!" and not note.last.is_merge


def test_a_conflicted_head_stays_conflicted_through_a_clean_merge(circle):
    note = circle.note(lines("a", "b", "c", "d", "e"))
    base = note.head
    circle.do(
        circle.budi, "note.revise", note=note.id, base=base, text=lines("a", "B1", "c", "d", "e")
    )
    circle.do(
        circle.citra, "note.revise", note=note.id, base=base, text=lines("a", "B2", "c", "d", "e")
    )
    assert note.needs_merge
    conflicted = note.head
    # Ana, from the first base too, changes a line far from the conflict: merged cleanly
    # into the conflicted head, which keeps its unresolved block.
    circle.do(
        circle.ana, "note.revise", note=note.id, base=base, text=lines("a", "b", "c", "d", "E")
    )
    assert note.last.parents[0] == conflicted and note.needs_merge and note.last.conflicts == 1


def test_text_that_only_looks_like_a_conflict_is_no_conflict(circle):
    """The markers count when a merge wrote them; a member may write the same shape."""
    note = circle.note(lines("a"))
    circle.do(circle.budi, "note.revise", note=note.id, base=note.head, text=lines("b"))
    block = [
        "<<<<<<< Budi (2024-07-03 10:00 UTC)",
        "x",
        "=======",
        "y",
        ">>>>>>> Ana (2024-07-03 10:01 UTC)",
    ]
    looks = note.text + lines(*block)
    circle.do(circle.budi, "note.revise", note=note.id, base=note.head, text=looks)
    assert not note.needs_merge and note.last.conflicts == 0


def test_blame_names_who_wrote_each_line(circle):
    note = circle.note(lines("intro", "a", "b", "c", "outro"))
    first = note.head
    budi = circle.do(
        circle.budi,
        "note.revise",
        note=note.id,
        base=first,
        text=lines("intro", "A", "b", "c", "outro"),
    )
    citra = circle.do(
        circle.citra,
        "note.revise",
        note=note.id,
        base=first,
        text=lines("intro", "a", "b", "C", "outro", "end"),
    )
    merged = blame(note)
    assert [line.text for line in merged] == notemerge.split_lines(note.text)
    assert [line.revision for line in merged] == [first, budi, first, citra, first, citra]
    assert [line.author for line in merged][:2] == [circle.ana, circle.budi]
    # A restore keeps the lines' first authors; an old revision can be blamed too.
    circle.do(circle.ana, "note.restore", note=note.id, revision=budi)
    assert [line.revision for line in blame(note)] == [first, budi, first, first, first]
    assert [line.revision for line in blame(note, citra)] == [
        first,
        first,
        first,
        citra,
        first,
        citra,
    ]


def test_conflict_lines_belong_to_the_merge(circle):
    note = circle.note(lines("a", "b"))
    first = note.head
    budi = circle.do(circle.budi, "note.revise", note=note.id, base=first, text=lines("a", "B1"))
    citra = circle.do(circle.citra, "note.revise", note=note.id, base=first, text=lines("a", "B2"))
    assert [line.revision for line in blame(note)] == [
        first,
        note.head,
        budi,
        note.head,
        citra,
        note.head,
    ]


@pytest.mark.parametrize("text", ["", "no newline", "one\n", "a\nb\n\n"])
def test_blame_of_a_single_revision(circle, text):
    note = circle.note(text)
    assert [line.text for line in blame(note)] == notemerge.split_lines(text)
