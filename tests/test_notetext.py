"""Note revisions as patches (core/notetext.py): making, checking and applying them,
merging two of them, the checkpoint policy, and rebuilding any revision's text from
what a replica keeps."""

import random

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from studycircle_tui.core import notetext
from studycircle_tui.core.notemerge import merge3, split_lines
from studycircle_tui.core.replica import Replica

START_MS = 1_720_000_000_000

# Few distinct short lines, so edits collide and repeat lines; the last may lack "\n".
texts = st.lists(st.sampled_from(["a", "b", "c", "", "é —", "😀", "a"]), max_size=14).map(
    lambda items: "\n".join(items)
)


def lines(*items: str) -> str:
    return "".join(f"{item}\n" for item in items)


@given(texts, texts)
def test_property_a_patch_turns_the_old_text_into_the_new_and_back(old, new):
    patch = notetext.make_patch(old, new)
    split = split_lines(old)
    assert notetext.refusal(split, patch) is None
    size, _ = notetext.effect(split, patch, len(old.encode()), 0)
    undone = notetext.apply(split, patch)
    assert "".join(split) == new and split == split_lines(new)  # numbered alike
    assert size == len(new.encode())
    notetext.undo(split, undone)
    assert split == split_lines(old)


@given(texts, texts, texts)
def test_property_merging_patches_is_merging_the_texts(base, ours, theirs):
    merged = merge3(base, ours, theirs, "Ana", "Budi")
    changes, conflicts, grown = notetext.merge_patches(
        split_lines(base),
        notetext.make_patch(base, ours),
        notetext.make_patch(base, theirs),
        "Ana",
        "Budi",
    )
    result = split_lines(ours)
    assert notetext.refusal(result, changes) is None
    notetext.apply(result, changes)
    assert "".join(result) == merged.text
    assert (conflicts, grown) == (merged.conflicts, merged.grown)


@pytest.mark.parametrize(
    ("patch", "says"),
    [
        ([(2, 1, "x\n"), (1, 0, "y\n")], "overlap or are out of order"),
        ([(1, 2, "x\n"), (2, 0, "y\n")], "overlap or are out of order"),
        ([(3, 1, "x\n")], "change line 4 of a note of 3 lines"),
        ([(0, 1, "no line break")], "lacks its line break"),
        ([(2, 1, "x"), (3, 0, "y")], "lacks its line break"),
        ([(1, 0, "")], "changes nothing"),
    ],
)
def test_a_patch_that_does_not_fit_is_refused(patch, says):
    assert says in notetext.refusal(split_lines(lines("a", "b", "c")), patch)


def test_a_last_line_may_lose_or_gain_its_line_break_but_nothing_may_follow_it():
    text = split_lines("a\nb")
    assert notetext.refusal(text, [(1, 1, "b\n")]) is None
    assert notetext.refusal(text, [(2, 0, "c\n")]) == (
        "they add lines after a last line that has no line break"
    )
    assert notetext.refusal(split_lines(lines("a")), [(1, 0, "end")]) is None


def big_note(size: int = 100_000) -> str:
    rng = random.Random(1)
    words = ["limit", "turunan", "integral", "deret", "café", "→", "≤", "proof", "lemma"]
    out: list[str] = []
    while sum(map(len, out)) < size:
        out.append(" ".join(rng.choice(words) for _ in range(rng.randint(3, 12))) + "\n")
    return "".join(out)


class Circle:
    def __init__(self, ordering: str = "hlc") -> None:
        self.now, self.count = START_MS, 0
        self.ana = "01J" + "0" * 22 + "1"
        first = Replica("0" * 26).make(
            self.ana, "circle.create", {"name": "C", "lead_name": "Ana"}, self.now, b"\0" * 10
        )
        self.replica = Replica(first.id, ordering)
        self.replica.add([first] if ordering == "hlc" else [_numbered(first, 1)])

    def make(self, type_name: str, data: dict):
        self.count += 1
        self.now += 1000
        return self.replica.make(
            self.ana, type_name, data, self.now, self.count.to_bytes(10, "big")
        )

    def do(self, type_name: str, data: dict):
        op = self.make(type_name, data)
        self.replica.add([op])
        return op

    def save(self, note_id: str, text: str, base: str | None = None):
        note = self.replica.state.notes[note_id]
        base = base or note.head
        payload = notetext.revise_payload(note, base, text)
        return self.do("note.revise", {"note": note_id, "base": base, **payload})


def _numbered(op, seq):
    return msgspec.structs.replace(op, seq=seq)


def test_a_one_line_edit_of_a_big_note_is_a_small_patch_and_a_rewrite_is_a_text():
    circle = Circle()
    text = big_note()
    note_id = circle.do("note.create", {"title": "Big", "text": text}).id
    edited = text.replace("\n", "\nsatu baris baru\n", 1)
    op = circle.save(note_id, edited)
    assert op.v == 2 and len(op.data.patch) == 1 and len(op.data.patch[0][2]) < 20
    assert circle.replica.state.notes[note_id].text == edited
    rewrite = circle.save(note_id, "all new\n")
    assert rewrite.v == 1 and rewrite.data.text == "all new\n"


def test_a_checkpoint_every_so_many_patches_along_a_chain(monkeypatch):
    monkeypatch.setattr(notetext, "CHECKPOINT_EVERY", 5)
    circle = Circle()
    note_id = circle.do("note.create", {"title": "T", "text": big_note(5_000)}).id
    versions = []
    for index in range(12):
        note = circle.replica.state.notes[note_id]
        versions.append(circle.save(note_id, note.text + f"line {index}\n").v)
    # The 5th and 10th along the chain carry the whole text; the depth starts again.
    assert versions == [2, 2, 2, 2, 1, 2, 2, 2, 2, 1, 2, 2]


def test_any_revision_is_rebuilt_from_what_the_replica_keeps(monkeypatch):
    monkeypatch.setattr(notetext, "KEEP_EVERY", 7)
    monkeypatch.setattr(notetext, "TRAIL", 3)
    circle = Circle()
    text = big_note(20_000)
    note_id = circle.do("note.create", {"title": "T", "text": text}).id
    expected = {note_id: text}
    rng = random.Random(4)
    for index in range(40):
        note = circle.replica.state.notes[note_id]
        if index % 13 == 12:
            old = rng.choice(note.order)
            op = circle.do("note.restore", {"note": note_id, "revision": old})
            expected[op.id] = expected[old]
            continue
        body = split_lines(note.text)
        body[rng.randrange(len(body))] = f"edit {index}\n"
        op = circle.save(note_id, "".join(body))
        expected[op.id] = "".join(body)
    note = circle.replica.state.notes[note_id]
    kept = [rev for rev in note.revisions.values() if rev.full is not None]
    # The first text, and one in 7 along the chains of patches: not every revision.
    assert 3 <= len(kept) <= 10
    fresh = Replica(circle.replica.circle_id)
    fresh.add(circle.replica.ops())
    for replica in (circle.replica, fresh):  # newest first, then oldest first
        note = replica.state.notes[note_id]
        for order in (reversed(note.order), note.order):
            for revision in order:
                assert note.text_of(revision) == expected[revision]


def test_a_patch_against_a_merge_applies_to_the_last_settled_revision_before_it():
    # In a file circle a merge's text may still change (an op sorting before it can
    # arrive late): the next save patches what came before it, naming it ``against``.
    circle = Circle()
    body = split_lines(big_note(5_000))
    note_id = circle.do("note.create", {"title": "T", "text": "".join(body)}).id
    base = circle.replica.state.notes[note_id].head
    head = circle.save(note_id, "".join(["A\n", *body[1:]])).id
    circle.save(note_id, "".join([*body[:-1], "Z\n"]), base=base)
    note = circle.replica.state.notes[note_id]
    merged = "".join(["A\n", *body[1:-1], "Z\n"])
    assert note.last.is_merge and not note.last.settled and note.text == merged
    edited = merged.replace(body[3], "C\n", 1)
    merge = note.last.id
    op = circle.save(note_id, edited)
    assert op.v == 2 and op.data.base == merge
    assert op.data.against == head  # the merge's first parent, a settled text
    assert len(op.data.patch) == 2  # the merge's change to it, and the edit
    assert circle.replica.state.notes[note_id].text == edited


def test_a_server_circles_merge_is_settled_once_its_op_has_a_seq():
    circle = Circle("seq")
    op = circle.make("note.create", {"title": "T", "text": lines("a", "b", "c", "d")})
    circle.replica.add([_numbered(op, 2)])
    note_id = op.id
    first = lines("A", "b", "c", "d")
    second = lines("a", "b", "c", "D")
    first = circle.make("note.revise", {"note": note_id, "base": note_id, "text": first})
    second = circle.make("note.revise", {"note": note_id, "base": note_id, "text": second})
    circle.replica.add([_numbered(first, 3)])
    circle.replica.add_local(second)  # pending: merged on top, not yet where it lands
    assert not circle.replica.state.notes[note_id].last.settled
    circle.replica.add([_numbered(second, 4)])
    note = circle.replica.state.notes[note_id]
    assert note.last.is_merge and note.last.settled and note.text == lines("A", "b", "c", "D")
