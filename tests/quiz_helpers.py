"""Circles for quiz tests: a lead and players on one circle file, or on a server in this
process (each with their own store), fixed ids and a clock the test moves by hand, and a
small live quiz."""

import contextlib
import gzip
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from server_helpers import BASE, Site, now_ms
from studycircle_tui.core.ids import ulid
from studycircle_tui.core.ops import Key, NumberAnswer, Question
from studycircle_tui.core.replica import Replica
from studycircle_tui.core.state import Quiz, QuizSession
from studycircle_tui.store.db import CircleRecord, Store
from studycircle_tui.sync.engine import CircleService
from studycircle_tui.sync.file import FileTransport, create_circle_file
from studycircle_tui.sync.http import HttpTransport, read_token
from studycircle_tui.sync.join import join
from studycircle_tui.sync.quizrun import QuizRunner

START_MS = 1_795_000_000_000  # a Wednesday in November 2026, 08:26:40 UTC


class Clock:
    """Everyone's wall clock: stands still until the test moves it."""

    def __init__(self, ms: int = START_MS) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms

    def advance(self, ms: int) -> None:
        self.ms += ms


QUESTIONS = [
    Question(
        kind="multiple_choice",
        text="What does len([1, 2, 3]) return?",
        choices=["2", "3", "4", "An error"],
        seconds=20,
        points=1.0,
    ),
    Question(
        kind="true_false",
        text="A tuple can be changed after it is made.",
        choices=["True", "False"],
        seconds=20,
        points=1.0,
    ),
    Question(
        kind="numerical",
        text="How many bits are in a byte?",
        seconds=20,
        points=2.0,
    ),
]
KEYS = [
    Key(choices=[1], feedback=["", "Three items.", "", ""]),
    Key(choices=[1], general_feedback="Tuples are immutable; lists are not."),
    Key(numbers=[NumberAnswer(value=8, weight=100), NumberAnswer(value=7, tolerance=1, weight=50)]),
]


@dataclass
class QuizCircle:
    path: Path
    clock: Clock
    lead: CircleService
    players: list[CircleService] = field(default_factory=list)
    channel: str = ""
    quiz: str = ""
    recorders: dict[str, "RecordingTransport"] = field(default_factory=dict)  # server only

    @property
    def everyone(self) -> list[CircleService]:
        return [self.lead, *self.players]

    async def sync(self) -> None:
        """Two rounds: what each pushes reaches all the others."""
        for _ in range(2):
            for service in self.everyone:
                await service.sync_once()


def _service(tmp_path: Path, who: str, record: CircleRecord, clock: Clock) -> CircleService:
    store = Store(tmp_path / f"{who}-replica.sqlite3")
    store.save_circle(record)
    return CircleService(store, record, FileTransport(Path(record.location)), now_ms=clock)


async def quiz_circle(
    tmp_path: Path,
    players: tuple[str, ...] = ("Ayu", "Budi", "Citra"),
    *,
    practice: bool = False,
    seed: int = 11,
) -> QuizCircle:
    """Lea leads a circle with a #python channel holding the three-question quiz above
    (live: its keys kept by Lea; ``practice``: its keys in the log); the players joined."""
    rng = random.Random(seed)
    clock = Clock()
    lead_id = ulid(clock(), rng.randbytes(10))
    created = Replica("0" * 26).make(
        lead_id, "circle.create", {"name": "Python Club", "lead_name": "Lea"}, clock(), b"\1" * 10
    )
    path = tmp_path / "circle.jsonl"
    create_circle_file(path, [created])
    record = CircleRecord(created.id, "Python Club", "file", str(path), lead_id)
    circle = QuizCircle(path, clock, _service(tmp_path, "Lea", record, clock))
    await circle.lead.sync_once()
    clock.advance(1000)
    circle.channel = circle.lead.submit("channel.create", {"name": "python"}).id
    for name in players:
        clock.advance(1000)
        member = ulid(clock(), rng.randbytes(10))
        mine = CircleRecord(record.id, record.name, "file", str(path), member)
        service = _service(tmp_path, name, mine, clock)
        await service.sync_once()
        service.submit("member.join", {"name": name})
        await service.sync_once()
        circle.players.append(service)
    clock.advance(1000)
    op = await QuizRunner(circle.lead).create(
        "Python basics", QUESTIONS, KEYS, circle.channel, practice=practice
    )
    circle.quiz = op.id
    clock.advance(1000)
    await circle.sync()
    return circle


async def lobby(circle: QuizCircle, players: list[CircleService] | None = None, **settings) -> str:
    """The lead opens a live run of the circle's quiz and ``players`` (every player, by
    default) join; its id."""
    session = (await QuizRunner(circle.lead).start(circle.quiz, **settings)).id
    await circle.sync()
    for player in circle.players if players is None else players:
        await QuizRunner(player).join(session)
    await circle.sync()
    return session


async def asked(circle: QuizCircle, players: list[CircleService] | None = None, **settings) -> str:
    """``lobby``, then the lead asks question 1 (20 s); the session's id."""
    session = await lobby(circle, players, **settings)
    await QuizRunner(circle.lead).open_question(session, 0)
    await circle.sync()
    return session


# --- the same circle on a server -----------------------------------------------------------


class RecordingTransport(httpx.AsyncBaseTransport):
    """Passes requests to ``inner`` and keeps every response body, unzipped, in order:
    everything a client receives."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.received: list[bytes] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
        zipped = response.headers.get("content-encoding") == "gzip"
        self.received.append(gzip.decompress(raw) if zipped else raw)
        return httpx.Response(
            response.status_code, headers=response.headers, content=raw, request=request
        )


async def server_member(site, tmp_path: Path, code: str, name: str, clock: Clock):
    """A member of a circle on ``site`` (an in-process server), through the real join."""
    data = tmp_path / name
    store = Store(data / "replica.sqlite3")
    asgi = httpx.ASGITransport(app=site.app)
    record = await join(BASE, code, name, store, data_dir=data, transport=asgi)
    recorder = RecordingTransport(asgi)
    transport = HttpTransport(BASE, record.id, read_token(record.id, data), transport=recorder)
    service = CircleService(store, record, transport, now_ms=clock)
    await service.sync_once()
    return service, recorder


async def server_quiz_circle(
    tmp_path: Path,
    site,
    clock: Clock,
    players: tuple[str, ...] = ("Ayu", "Budi", "Citra"),
    questions: list[Question] | None = None,
    keys: list[Key] | None = None,
) -> QuizCircle:
    """``quiz_circle`` on a server: Lea founded the circle there, the players joined with
    invites. The server must take its time from ``clock`` (see ``server_clock``)."""
    circle_id, code = await site.new_circle("Python Club")
    lead, recorder = await server_member(site, tmp_path, code, "Lea", clock)
    circle = QuizCircle(tmp_path, clock, lead, recorders={"Lea": recorder})
    clock.advance(1000)
    circle.channel = lead.submit("channel.create", {"name": "python"}).id
    await lead.sync_once()
    for name in players:
        clock.advance(1000)
        service, recorder = await server_member(
            site, tmp_path, await site.invite(circle_id), name, clock
        )
        circle.players.append(service)
        circle.recorders[name] = recorder
    clock.advance(1000)
    op = await QuizRunner(lead).create(
        "Python basics", questions or QUESTIONS, keys or KEYS, circle.channel
    )
    circle.quiz = op.id
    clock.advance(1000)
    await circle.sync()
    return circle


def server_clock(monkeypatch, clock: Clock) -> None:
    """The server's receive times (``at``, which speed scoring uses) from ``clock``."""
    from studycircle_tui.server import clock as hub_clock

    monkeypatch.setattr(hub_clock, "now_ms", clock)


MC = Question(kind="multiple_choice", text="?", choices=["a", "b", "c", "d"], seconds=20)
TF = Question(kind="true_false", text="?", choices=["True", "False"], seconds=20)


def two_question_session(
    answers, *, scoring="speed", streak=True, revealed=(0, 1)
) -> tuple[Quiz, QuizSession]:
    """A session of [MC (key B), TF (key True)] hosted by "host"; ``answers[i]`` maps a
    player to (answer, ms after question i opened); question i opens at i x 100 s."""
    questions = [MC, TF]
    keys = [Key(choices=[1]), Key(choices=[0])]
    quiz = Quiz("q", "Quiz", None, "host", questions, None, None, 0)
    session = QuizSession("s", "q", "host", "live", scoring, streak, 2, 0)
    for index in range(2):
        session.opens[index] = [(index * 100_000, index * 100_000 + 20_000)]
        session.answers[index] = {
            who: (answer, index * 100_000 + ms) for who, (answer, ms) in answers[index].items()
        }
        if index in revealed:
            session.revealed[index] = keys[index]
    return quiz, session


def shown(widget) -> str:
    """What a widget shows on screen, as plain text (Markdown rendered, markup applied)."""
    # A widget made visible is placed at the screen's next layout; read before it, it
    # would show nothing, and a test would blame the app.
    assert widget.region.area > 0, f"{widget} is not on screen (yet): wait for its layout"
    return "\n".join(strip.text for strip in widget.render_lines(widget.region.reset_offset))


@contextlib.asynccontextmanager
async def file_or_server_circle(kind: str, tmp_path: Path, monkeypatch) -> AsyncIterator:
    """``quiz_circle`` through a shared file (``kind`` "file") or through a server in this
    process ("server"), whose clock starts when it made the circle; closed on the way out."""
    if kind == "file":
        yield await quiz_circle(tmp_path)
        return
    site = await Site.start(tmp_path / "server", None)
    clock = Clock(now_ms())
    server_clock(monkeypatch, clock)
    try:
        yield await server_quiz_circle(tmp_path, site, clock)
    finally:
        await site.close()
