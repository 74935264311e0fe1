"""Where a live quiz's missing answers went, for ``ssh_sessions.py`` when it gives up.

A run that stops at "29 of 30 answered" says only that one answer never reached the
lead. Once the server has stopped, this follows each missing player's answer through
what the run left on disk: did their worker make it (its store), does it still wait
to go out (the outbox) or to be read back (``unechoed``), is it in the circle file (by
op id), did the lead's store take it in; and the server's notices about that player
(refusals, sync failures), which its workers write to its stderr.
"""

import contextlib
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

CONNECTED = re.compile(
    r"(?P<name>.+?) connected \(worker (?P<worker>\d+), member (?P<member>\w+)\)"
)


def explain(folder: Path, circle: Path, lead_store: Path, server_log: str) -> tuple[str, list[str]]:
    """What became of the answers to the latest question missing from the circle file or
    the lead's store, and the names of the players whose answers they are."""
    players = _players(server_log)
    ops = _ops(circle)
    opened = [op["data"]["question"] for op in ops if op["type"] == "quiz.open"]
    if not opened:
        return "no question was asked", []
    question = max(opened)
    answered = {
        op["actor"]
        for op in ops
        if op["type"] == "quiz.answer" and op["data"]["question"] == question
    }
    # Missing from the file, or there but not in the lead's store (not read, or refused).
    held = _answered(lead_store, question)
    missing = {m: seat for m, seat in players.items() if m not in answered or m not in held}
    lines = [
        f"question {question}: {len(answered)} answers in the circle file, "
        f"{len(held)} in the lead's store"
    ]
    in_file = {op["id"] for op in ops}
    workers = sorted(folder.glob("data/studycircle/ssh/workers/worker-*.sqlite3"))
    for member, (name, worker) in sorted(missing.items(), key=lambda each: each[1]):
        lines.append(f"{name} (member {member}, worker {worker}):")
        for label, store in [*((each.stem, each) for each in workers), ("the lead", lead_store)]:
            found = _answers(store, member, question, in_file)
            lines += [f"  {label}: {text}" for text in found]
        said = [line for line in server_log.splitlines() if name in line or member in line]
        lines += [f"  server: {line}" for line in said]
    return "\n".join(lines), [name for name, _ in missing.values()]


def _players(server_log: str) -> dict[str, tuple[str, int]]:
    """Member id -> (player's name, worker), from the server's "connected" lines."""
    found = {}
    for match in CONNECTED.finditer(server_log):
        name = match["name"].removeprefix("ssh-serve: ")
        found[match["member"]] = (name, int(match["worker"]))
    return found


def _answered(store: Path, question: int) -> set[str]:
    with _opened(store) as db:
        return {actor for _, actor, _, _ in _answer_rows(db, question)}


@contextlib.contextmanager
def _opened(store: Path) -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        yield db
    finally:
        db.close()


def _answer_rows(db: sqlite3.Connection, question: int) -> list[tuple[str, str, str, str]]:
    """(id, actor, body, signer) of each answer to ``question`` stored."""
    return db.execute(
        "SELECT id, json_extract(body, '$.actor'), body, signer FROM ops WHERE "
        "json_extract(body, '$.type') = 'quiz.answer' "
        "AND json_extract(body, '$.data.question') = ? ORDER BY hlc",
        (question,),
    ).fetchall()


def _ops(circle: Path) -> list[dict]:
    ops = []
    for line in circle.read_bytes().split(b"\n"):
        try:
            ops.append(json.loads(line))
        except ValueError:
            continue  # a torn or empty line: the ops around it still count
    return ops


def _answers(store: Path, member: str, question: int, in_file: set[str]) -> list[str]:
    """The member's answers to ``question`` a store holds, and whether each waits to go
    out or be read back, and is in the file."""
    with _opened(store) as db:
        found = []
        for op_id, actor, body, signer in _answer_rows(db, question):
            if actor != member:
                continue
            op = json.loads(body)
            waiting = db.execute("SELECT 1 FROM outbox WHERE id = ?", (op_id,)).fetchone()
            unechoed = db.execute("SELECT 1 FROM unechoed WHERE id = ?", (op_id,)).fetchone()
            found.append(
                f"an answer ({op_id}, hlc {op['hlc']}): "
                f"{'in the outbox, ' if waiting else ''}"
                f"{'not read back yet, ' if unechoed else ''}"
                f"{'' if signer else 'no good signature recorded, '}"
                f"{'in the file' if op_id in in_file else 'NOT in the file'}"
            )
        return found or ["no answer of theirs"]
