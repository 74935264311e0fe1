"""An ssh-serve worker, in this process: players' sessions come in over socket pairs as
the front door would send them (remote/wire.py), each player's app draws through the
session driver, and each screen is read through a terminal emulator (pyte).

What must hold: every session of a circle in one worker shares one fold (one replica,
one sync loop); each player is their own member with their own settings; each screen
is drawn for that player's terminal."""

import asyncio
import socket
import time
from pathlib import Path

import pyte
import pytest
from textual import constants

from studycircle_tui.remote import wire
from studycircle_tui.remote.seats import player_config_file, player_home, seat
from studycircle_tui.remote.worker import SessionHost
from studycircle_tui.store.db import CircleRecord, Store
from studycircle_tui.sync.circles import create_file_circle


class Session:
    """One player's SSH session as the worker sees it, and their screen."""

    def __init__(self, host: SessionHost, who: wire.Hello) -> None:
        self.host, self.who = host, who
        self.screen = pyte.Screen(who.columns, who.rows)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = b""
        self.changed = asyncio.Event()

    async def open(self) -> "Session":
        front, back = socket.socketpair()
        self.reader, self.writer = await asyncio.open_connection(sock=front)
        worker_side = await asyncio.open_connection(sock=back)
        self.serving = asyncio.ensure_future(self.host.serve(*worker_side))
        self.writer.write(wire.hello(self.who))
        self.reading = asyncio.ensure_future(self._read())
        return self

    async def _read(self) -> None:
        while data := await self.reader.read(65536):
            self.raw += data
            self.stream.feed(data)
            self.changed.set()

    def text(self) -> str:
        return "\n".join(self.screen.display)

    async def wait_for(self, words: str, limit: float = 30.0) -> bool:
        end = time.monotonic() + limit
        while words not in self.text():
            self.changed.clear()
            if time.monotonic() > end:
                return False
            try:
                await asyncio.wait_for(self.changed.wait(), end - time.monotonic())
            except TimeoutError:
                return words in self.text()
        return True

    def press(self, keys: bytes) -> None:
        self.writer.write(wire.keys(keys))

    async def leave(self) -> None:
        self.writer.close()
        await self.serving


def hello(name: str, term: str = "xterm-256color", size=(80, 24)) -> wire.Hello:
    return wire.Hello(f"key-{name.lower():0>16}", name, False, term, *size)


def lead_circle(folder: Path) -> None:
    """Lea's circle file with a #general channel (made with its own event loops)."""
    lea = create_file_circle(Store(folder / "lea.sqlite3"), folder / "club.jsonl", "Club", "Lea")
    lea.submit("channel.create", {"name": "general"})
    asyncio.run(lea.sync_once())


@pytest.fixture
async def host(tmp_path, monkeypatch):
    # As the worker process sets it before Textual loads: each app's own filter draws
    # its player's colour depth, the process draws in full colour.
    monkeypatch.setattr(constants, "COLOR_SYSTEM", "truecolor")
    await asyncio.to_thread(lead_circle, tmp_path)
    worker = SessionHost(tmp_path / "club.jsonl", tmp_path / "worker.sqlite3", tmp_path / "players")
    await worker.start()
    yield worker
    for app in list(worker.apps):
        app.exit()
    await worker.stop()


async def test_two_sessions_of_one_circle_share_one_fold(host):
    listening = len(host.circle._listeners)  # the worker's own (the quiz pacer)
    ayu = await Session(host, hello("Ayu")).open()
    budi = await Session(host, hello("Budi")).open()
    try:
        assert await ayu.wait_for("Ayu (member)"), ayu.text()
        assert await budi.wait_for("Budi (member)"), budi.text()
        services = {app.service.me: app.service for app in host.apps}
        assert len(services) == 2  # two members, each their own
        assert {service.circle for service in services.values()} == {host.circle}
        assert all(service.replica is host.circle.replica for service in services.values())
        # Each app ran service.run() and service.pace(): one sync loop, one pacer.
        assert host.circle.started == {"sync": 1, "pacer": 1}
        assert all(app.remote == "ssh" for app in host.apps)  # no host files on their say
        # What one member does is folded once, and every screen shows it.
        ayu_member = next(m for m, s in services.items() if s.state.members[m].name == "Ayu")
        general = next(iter(host.circle.state.channels))
        services[ayu_member].submit(
            "thread.create",
            {"channel": general, "title": "Belajar bareng", "kind": "discussion", "text": "yuk"},
        )
        budi.press(b"\r")  # into #general
        assert await budi.wait_for("Belajar bareng"), budi.text()
    finally:
        await ayu.leave()
        await budi.leave()
    assert host.apps == set()
    assert len(host.circle._listeners) == listening  # the views left with their players


async def test_each_player_draws_with_their_own_settings_in_one_process(host):
    home = player_home(host.players_dir, hello("Ayu").key_id)
    config = player_config_file(home)
    config.parent.mkdir(parents=True)
    config.write_text("ascii_borders = true\n")
    ayu = await Session(host, hello("Ayu")).open()
    budi = await Session(host, hello("Budi")).open()
    try:
        for session in (ayu, budi):
            assert await session.wait_for("(member)"), session.text()
            session.press(b"?")  # the key list: a dialog with a border
            assert await session.wait_for("Keys"), session.text()
        assert "+---" in ayu.text() and "▀" not in ayu.text()
        assert "▀" in budi.text() and "+---" not in budi.text()
    finally:
        await ayu.leave()
        await budi.leave()


async def test_each_screen_is_drawn_for_the_colours_its_terminal_has(host):
    console = await Session(host, hello("Ayu", term="linux")).open()
    xterm = await Session(host, hello("Budi", term="xterm-256color")).open()
    try:
        assert await console.wait_for("(member)"), console.text()
        assert await xterm.wait_for("(member)"), xterm.text()
        assert b"38;5;" not in console.raw and b"38;2;" not in console.raw  # 16 colours
        assert b"38;5;" in xterm.raw and b"38;2;" not in xterm.raw  # 256
    finally:
        await console.leave()
        await xterm.leave()


async def test_a_window_change_redraws_the_players_screen(host):
    ayu = await Session(host, hello("Ayu")).open()
    try:
        assert await ayu.wait_for("(member)"), ayu.text()
        ayu.screen.resize(30, 100)
        ayu.writer.write(wire.window(100, 30))
        end = time.monotonic() + 30
        while "Ayu (member)" not in ayu.screen.display[28] and time.monotonic() < end:
            await asyncio.sleep(0.05)
        assert "Ayu (member)" in ayu.screen.display[28], ayu.text()
    finally:
        await ayu.leave()


def test_a_players_seat_follows_from_their_key_or_their_earlier_replica(tmp_path):
    circle = "01JD" + "0" * 22
    home = tmp_path / "key-a"
    first = seat(circle, "key-a", home)
    assert first == seat(circle, "key-a", home)  # every login, any worker
    assert first != seat(circle, "key-b", tmp_path / "key-b")
    assert first != seat("01JE" + "0" * 22, "key-a", home)  # another circle, another seat
    # A player who first came in with an app process of their own keeps that member.
    earlier = home / "data" / "studycircle" / "replica.sqlite3"
    store = Store(earlier)
    store.save_circle(
        CircleRecord(circle, "Club", "file", "/x/club.jsonl", "01JDOLDMEMBER0000000000000")
    )
    store.close()
    assert seat(circle, "key-a", home) == "01JDOLDMEMBER0000000000000"
    assert isinstance(Path(earlier), Path)


async def test_one_players_op_does_not_wait_for_anothers_store_write(host, monkeypatch):
    """A worker's players send through one circle: Budi's answer is stored and shown
    while Ayu's op still waits on the store (once, one lock made each player's op wait
    for every op before it, one busy event-loop turn each). Ayu's own ops keep their
    order."""
    ayu, budi = host.member_for(hello("Ayu")), host.member_for(hello("Budi"))
    general = next(iter(host.circle.state.channels))
    held, gate = asyncio.Event(), asyncio.Event()
    write = host.circle.write

    async def slow_for_ayu(work, *args):
        if work == host.circle._keep_own and args[0].actor == ayu.me:
            held.set()
            await gate.wait()
        return await write(work, *args)

    monkeypatch.setattr(host.circle, "write", slow_for_ayu)

    def thread(title: str) -> dict:
        return {"channel": general, "title": title, "kind": "discussion", "text": "yuk"}

    first = asyncio.ensure_future(ayu.send("thread.create", thread("Ayu 1")))
    await held.wait()
    second = asyncio.ensure_future(ayu.send("thread.create", thread("Ayu 2")))
    theirs = await asyncio.wait_for(budi.send("thread.create", thread("Budi")), 30)
    assert host.circle.state.threads[theirs.id].title == "Budi"
    assert not first.done() and not second.done()  # Ayu's second waits for her first

    gate.set()
    mine = [await first, await second]
    assert [host.circle.state.threads[op.id].title for op in mine] == ["Ayu 1", "Ayu 2"]
    assert mine[0].hlc < mine[1].hlc
