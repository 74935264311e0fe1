"""Shared notes at their limit: a 1 MB note with 1,000 revisions.

Measures, each as the median of several runs:

- open: fold the note's ops into a fresh replica (hlc ordering, as a file circle loads)
  and read its text. The history is made the way people make it: three members editing
  a line here and there, and every 25th save made concurrently from an older revision,
  so the fold also computes those merges.
- diff: the line diff of the first revision against the last, every line shown (the
  history view's worst case: a thousand changes all through the note).
- merge: two members' concurrent saves from the head, each changing three sections,
  merged three-way (what the reducer does when the second one arrives).

Baselines, run in the same go on the same texts:

- open: UTF-8-encode every revision's text once: the least any fold that looks at each
  revision (to check its size) would cost.
- diff: ``difflib.unified_diff`` of the two revisions' lines, the standard-library way.
- merge: ``git merge-file -p`` (C, includes starting the process and writing the three
  files) when git is installed; otherwise the two ``SequenceMatcher`` diffs of whole line
  lists that a naive difflib diff3 would start with.

Targets: each figure ≤ 200 ms. The last line printed is one JSON object.
"""

import difflib
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from studycircle_tui.core import notemerge
from studycircle_tui.core.ops import Op
from studycircle_tui.core.replica import Replica
from studycircle_tui.core.state import Note

START_MS = 1_720_000_000_000
TARGET_BYTES = 985_000  # the note stays just under the 1 MB cap while it is edited
REVISIONS = 1_000
CONCURRENT_EVERY = 25
RUNS = 5

VOCABULARY = (
    "limit derivative integral series vector matrix proof lemma example exercise "
    "function domain range slope tangent area volume rate chain rule product quotient "
    "bab catatan soal jawaban latihan contoh rumus turunan integral deret "
    "résumé naïve café déjà — → ≤ ≥ × ÷"
)
WORDS = VOCABULARY.split()


def paragraph(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def line(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.15:
        return ""
    if kind < 0.55:
        return f"- {paragraph(rng, rng.randint(4, 12))}"
    if kind < 0.65:
        return f"    x_{rng.randint(0, 99)} = f(x_{rng.randint(0, 99)}) + {rng.randint(1, 9)}"
    return paragraph(rng, rng.randint(8, 18))


def make_note_text(rng: random.Random) -> str:
    lines: list[str] = []
    size = 0
    while size < TARGET_BYTES:
        text = f"## Week {len(lines) // 40 + 1}" if len(lines) % 40 == 0 else line(rng)
        lines.append(text)
        size += len(text.encode()) + 1
    return "\n".join(lines) + "\n"


def edit(rng: random.Random, text: str, places: int = 1) -> str:
    """``text`` with a line changed, added or removed at ``places`` random places."""
    lines = text.split("\n")
    for _ in range(places):
        at = rng.randrange(len(lines) - 1)
        action = rng.random()
        if action < 0.6:
            lines[at] = line(rng)
        elif action < 0.8 or len(text.encode()) > TARGET_BYTES + 5_000:
            del lines[at]
        else:
            lines.insert(at, line(rng))
    return "\n".join(lines)


def build_history(rng: random.Random) -> tuple[str, str, list[Op]]:
    """The ops of a circle whose one note has ``REVISIONS`` revisions; (circle, note, ops)."""
    people = [f"01J{index:023d}" for index in range(3)]
    clock = [START_MS]

    def random80() -> bytes:
        return rng.randbytes(10)

    def make(replica: Replica, actor: str, type_name: str, data: dict) -> Op:
        clock[0] += rng.randint(1, 60_000)
        op = replica.make(actor, type_name, data, clock[0], random80())
        replica.add([op])
        return op

    first = Replica("0" * 26).make(
        people[0], "circle.create", {"name": "Calculus", "lead_name": "Ana"}, START_MS, random80()
    )
    replica = Replica(first.id)
    replica.add([first])
    ops = [first]
    for person, name in zip(people[1:], ("Budi", "Citra"), strict=True):
        ops.append(make(replica, person, "member.join", {"name": name}))
    create = make(
        replica, people[0], "note.create", {"title": "Calculus notes", "text": make_note_text(rng)}
    )
    ops.append(create)
    note = replica.state.notes[create.id]
    earlier = (note.head, note.text)
    for index in range(1, REVISIONS):
        author = people[index % len(people)]
        if index % CONCURRENT_EVERY == 0:
            # Saved from the revision before the last one: the fold must merge it.
            base, base_text = earlier
        else:
            base, base_text = note.head, note.text
        earlier = (note.head, note.text)
        data = {"note": create.id, "base": base, "text": edit(rng, base_text)}
        ops.append(make(replica, author, "note.revise", data))
    revisions = sum(not note.revisions[rev].is_merge for rev in note.order)
    assert revisions == REVISIONS, revisions
    return first.id, create.id, ops


def median_ms(action: Callable[[], object], runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def open_note(circle: str, note_id: str, ops: list[Op]) -> Note:
    replica = Replica(circle, "hlc")
    replica.add(ops)
    note = replica.state.notes[note_id]
    assert note.text
    return note


def git_merge_file(folder: Path, base: str, ours: str, theirs: str) -> Callable[[], object]:
    def run() -> object:
        paths = []
        for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = folder / name
            path.write_text(text, encoding="utf-8")
            paths.append(str(path))
        return subprocess.run(
            ["git", "merge-file", "-p", *paths], capture_output=True, check=False
        ).stdout

    return run


def naive_diff3(base: str, ours: str, theirs: str) -> Callable[[], object]:
    def run() -> object:
        base_lines = base.splitlines(keepends=True)
        return [
            difflib.SequenceMatcher(None, base_lines, side.splitlines(keepends=True)).get_opcodes()
            for side in (ours, theirs)
        ]

    return run


def main() -> None:
    rng = random.Random(5)
    built = time.perf_counter()
    circle, note_id, ops = build_history(rng)
    built = time.perf_counter() - built
    note = open_note(circle, note_id, ops)
    first = note.revisions[note.order[0]].text
    last = note.text
    merges = sum(note.revisions[rev].is_merge for rev in note.order)

    open_ms = median_ms(lambda: open_note(circle, note_id, ops))
    texts = [op.data.text for op in ops if op.type in ("note.create", "note.revise")]
    open_base = median_ms(lambda: [len(text.encode()) for text in texts])

    diff_ms = median_ms(lambda: notemerge.line_diff(first, last, context=None))
    first_lines, last_lines = first.splitlines(True), last.splitlines(True)
    diff_base = median_ms(lambda: list(difflib.unified_diff(first_lines, last_lines, n=3)))
    changed = sum(tag != " " for tag, _ in notemerge.line_diff(first, last, context=None))

    ours = edit(random.Random(1), last, places=3)
    theirs = edit(random.Random(2), last, places=3)
    merged = notemerge.merge3(last, ours, theirs, "Budi", "Citra")
    merge_ms = median_ms(lambda: notemerge.merge3(last, ours, theirs, "Budi", "Citra"))
    if shutil.which("git"):
        merge_base_name = "git merge-file -p"
        with tempfile.TemporaryDirectory(prefix="notes-bench-") as folder:
            merge_base = median_ms(git_merge_file(Path(folder), last, ours, theirs))
    else:
        merge_base_name = "difflib diffs of whole texts"
        merge_base = median_ms(naive_diff3(last, ours, theirs))

    blame_ms = median_ms(lambda: notemerge.blame(note), runs=1)

    size = len(last.encode())
    print(
        f"note: {size:,} bytes, {len(last_lines):,} lines; {len(note.order):,} revisions "
        f"({merges} of them merges of concurrent saves); history built in {built:.1f} s"
    )
    print(f"first vs last: {changed:,} changed lines; merge: {merged.conflicts} conflicts")
    print()
    rows = [
        ("open (fold + text)", open_ms, "UTF-8 encode each revision once", open_base),
        ("diff first vs last", diff_ms, "difflib.unified_diff", diff_base),
        ("merge 2 concurrent edits", merge_ms, merge_base_name, merge_base),
    ]
    print(f"{'figure':<26} {'ms':>8}  {'target':>6}  {'baseline':<32} {'ms':>8}  {'ratio':>6}")
    for name, ms, base_name, base_ms in rows:
        ok = "ok" if ms <= 200 else "OVER"
        print(
            f"{name:<26} {ms:>8.1f}  {ok:>6}  {base_name:<32} {base_ms:>8.1f}  "
            f"{ms / base_ms:>5.2f}x"
        )
    print(f"{'blame head (no target)':<26} {blame_ms:>8.1f}")
    print(
        json.dumps(
            {
                "open_ms": round(open_ms, 1),
                "diff_ms": round(diff_ms, 1),
                "merge_ms": round(merge_ms, 2),
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
