"""A small study circle with fixed ids and times, built through core, written to a real
circle file and opened through a real Store, as any of its members: screens built from
it are the same on every run.

Members: Ana (lead), Budi (moderator), Citra and Dewi (members).
- #general: "Welcome to the circle" (Ana) with replies; Ana @mentions Citra; Dewi's
  off-topic reply is flagged by Citra and hidden by Budi.
- #questions: Citra's "How do I differentiate x²?" with Dewi's answer (accepted by
  Citra, verified by Budi) and Ana's; Dewi's open "What exactly is a limit?".
- #bahasa: a discussion in Bahasa Indonesia, with accents and emoji in it.
"""

import asyncio
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from studycircle_tui.config import Settings
from studycircle_tui.core.ids import ulid
from studycircle_tui.core.ops import Op
from studycircle_tui.core.replica import Replica
from studycircle_tui.store.db import CircleRecord, Store
from studycircle_tui.sync.engine import CircleService
from studycircle_tui.sync.file import FileTransport, create_circle_file
from studycircle_tui.tui.app import StudyCircleApp

NOW_MS = 1_795_000_000_000  # a Wednesday in November 2026, 08:26 UTC
MINUTE_MS = 60_000
THEME = "textual-dark"


@dataclass
class Story:
    path: Path
    circle_id: str
    members: dict[str, str]  # name → member id
    ids: dict[str, str] = field(default_factory=dict)  # what the story made, by name


def build_story(folder: Path) -> Story:
    rng = random.Random(20261118)
    clock = {"ms": NOW_MS - 2 * 24 * 60 * MINUTE_MS}

    def rand() -> bytes:
        return rng.randbytes(10)

    names = ("Ana", "Budi", "Citra", "Dewi")
    members = {name: ulid(clock["ms"], rand()) for name in names}
    ana = members["Ana"]
    first = Replica("0" * 26).make(
        ana,
        "circle.create",
        {"name": "Calculus Circle", "lead_name": "Ana", "goal": "Pass Calculus I together."},
        clock["ms"],
        rand(),
    )
    replica = Replica(first.id)
    replica.add([first])
    ops: list[Op] = [first]
    story = Story(folder / "circle.jsonl", first.id, members)

    def do(who: str, type_name: str, minutes: int = 1, label: str = "", **data: object) -> str:
        clock["ms"] += minutes * MINUTE_MS
        op = replica.make(members[who], type_name, data, clock["ms"], rand())
        assert replica.add([op]).applied, f"{type_name} by {who} was refused"
        ops.append(op)
        if label:
            story.ids[label] = op.id
        return op.id

    for who in names[1:]:
        do(who, "member.join", name=who)
    do("Ana", "member.role", member=members["Budi"], role="moderator")
    general = do("Ana", "channel.create", name="general", goal="Say hello; plan the week.")
    questions = do(
        "Ana", "channel.create", name="questions", goal="Ask anything; accept what helped."
    )
    bahasa = do("Ana", "channel.create", name="bahasa", goal="Diskusi dalam Bahasa Indonesia.")
    story.ids.update(general=general, questions=questions, bahasa=bahasa)

    welcome = do(
        "Ana",
        "thread.create",
        60,
        "welcome",
        channel=general,
        kind="discussion",
        title="Welcome to the circle",
        text="Hello everyone! We meet on **Wednesdays**. Introduce yourself below.",
    )
    do("Budi", "post.create", 5, thread=welcome, text="Hi, I'm Budi. I moderate here.")
    do(
        "Ana",
        "post.create",
        5,
        "mention",
        thread=welcome,
        text="@Citra could you share your notes from last week?",
    )
    do(
        "Dewi",
        "post.create",
        5,
        "offtopic",
        thread=welcome,
        text="Anyone selling a used bike? DM me.",
    )
    do("Citra", "post.flag", 2, post=story.ids["offtopic"], reason="off-topic")
    do("Budi", "post.hide", 3, post=story.ids["offtopic"], reason="Off-topic: try #general-chat")
    do("Citra", "post.create", 10, thread=welcome, text="Sure, Ana: I'll post them tonight.")

    derivative = do(
        "Citra",
        "thread.create",
        240,
        "derivative",
        channel=questions,
        kind="question",
        title="How do I differentiate x²?",
        text="I know the answer is `2x` but not **why**. Can someone explain?",
    )
    do(
        "Dewi",
        "post.create",
        20,
        "answer",
        thread=derivative,
        text=(
            "Use the limit definition:\n\n"
            "```python\n(x + h)**2 - x**2 == 2*x*h + h**2\n```\n\n"
            "Divide by `h` and let h → 0: you get **2x**."
        ),
    )
    do(
        "Ana",
        "post.create",
        10,
        "second_answer",
        thread=derivative,
        text="Or the power rule: d/dx xⁿ = n·xⁿ⁻¹, so x² gives 2x.",
        reply_to=derivative,
    )
    do("Citra", "answer.accept", 15, post=story.ids["answer"])
    do("Budi", "answer.verify", 5, post=story.ids["answer"])
    do("Citra", "post.react", 1, post=story.ids["answer"], reaction="helpful")
    do("Ana", "post.react", 1, post=story.ids["answer"], reaction="+1")

    do(
        "Dewi",
        "thread.create",
        90,
        "limit",
        channel=questions,
        kind="question",
        title="What exactly is a limit?",
        text="Our book says *approaches* but never reaches. Is that right?",
    )
    belajar = do(
        "Citra",
        "thread.create",
        120,
        "belajar",
        channel=bahasa,
        kind="discussion",
        title="Belajar bersama minggu ini",
        text="Kita bepergian ke perpustakaan hari Sabtu? Bawa bukunya 📚",
    )
    do("Budi", "post.create", 30, thread=belajar, text="Setuju! Café di dekat kampus juga bagus ☕")
    do("Dewi", "post.create", 15, "edited", thread=belajar, text="Saya ikut, tapi terlambat.")
    do("Dewi", "post.edit", 2, post=story.ids["edited"], text="Saya ikut, tapi datang jam 10.")

    assert clock["ms"] < NOW_MS
    create_circle_file(story.path, ops)
    return story


def open_as(story: Story, name: str, folder: Path, **store_options: int) -> CircleService:
    """The circle through ``name``'s own replica (a real Store), clock stopped at NOW_MS."""
    member = story.members[name]
    store = Store(folder / f"{name}-replica.sqlite3", **store_options)
    record = CircleRecord(story.circle_id, "Calculus Circle", "file", str(story.path), member)
    store.save_circle(record)
    service = CircleService(store, record, FileTransport(story.path), now_ms=lambda: NOW_MS)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(service.sync_once())
    else:  # called from an async test: catch up on a loop of its own
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, service.sync_once()).result()
    return service


def text_of(service: CircleService, op_id: str) -> str:
    """The text an op carried, as the app reads it (the store keeps post texts)."""
    return service.texts.load([op_id])[op_id]


def make_app(service: CircleService, bell: bool = True) -> StudyCircleApp:
    settings = Settings(name=service.state.members[service.me].name, bell_on_mention=bell)
    return StudyCircleApp(service, sync=False, settings=settings, theme=THEME)
