"""What another process of the same user stores shows in the running app: ``notes import``
and ``quiz import`` run beside the open app share its store, and used to move the store's
read cursor past their own ops, so the app never showed them (another member did) until
it was restarted. Real processes: the app in a terminal, the commands as a person runs
them; and a server circle while the server is down."""

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import msgspec
import pytest

from ptyterm import PtyApp, app_env
from server_helpers import ServerProcess, server_circle
from studycircle_tui import config
from studycircle_tui.store.db import Store
from studycircle_tui.sync.circles import open_service

STUDYCIRCLE = [sys.executable, "-m", "studycircle_tui.cli"]
GIFT = "// quiz: Cell biology\nThe powerhouse of the cell? {=mitochondria ~nucleus}\n"


def run(env: dict[str, str], *argv: str) -> str:
    done = subprocess.run(
        [*STUDYCIRCLE, *argv], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_imports_beside_the_open_app_show_in_it(tmp_path):
    home = tmp_path / "home"
    env = app_env(home)
    run(env, "new", "Biology 101", "--file", str(tmp_path / "bio.jsonl"), "--no-open")
    (tmp_path / "plan.md").write_text("# Week one plan\n\nCells.\n", encoding="utf-8")
    (tmp_path / "cells.gift").write_text(GIFT, encoding="utf-8")
    app = PtyApp(STUDYCIRCLE, env, size=(100, 30))
    try:
        assert app.wait_for("Biology 101 ·"), app.text()
        run(env, "notes", "import", str(tmp_path / "plan.md"))
        run(env, "quiz", "import", str(tmp_path / "cells.gift"), "--channel", "general")
        app.press(b"N")
        assert app.wait_for("Week one plan", limit=20), app.text()
        app.press(b"\x1b")
        app.settle(quiet=0.5)
        app.press(b"z")
        assert app.wait_for("Cell biology", limit=20), app.text()
        # Its answer key came with it: the lead runs it live without a restart.
        app.press(b"l")
        assert app.wait_for("Open lobby", limit=20), app.text()
    finally:
        app.close()


def test_a_server_circle_s_import_shows_at_once_while_the_server_is_down(tmp_path):
    """The app (here its service, running its sync loop) shows what `notes import` queued
    beside it while the server is away, marked as waiting to be sent; once the server is
    back it goes out, and the mark goes."""
    data = tmp_path / "server"
    circle, [code] = server_circle(data)
    server = ServerProcess(data)
    url = server.url
    run(os.environ.copy(), "join", url, code, "--name", "Lea")
    store = Store(config.store_file())
    service = open_service(store, store.circle(circle), screen=False)  # Lea is the lead
    server.kill()
    (tmp_path / "plan.md").write_text("# While offline\n", encoding="utf-8")

    async def scenario() -> None:
        running = asyncio.create_task(service.run())
        try:
            await asyncio.to_thread(
                run, os.environ.copy(), "notes", "import", str(tmp_path / "plan.md")
            )
            note = await until(lambda: find(service, "While offline"))
            assert service.waiting_to_send(note.id)
            assert service.status.waiting == 1
            paused = await until(lambda: [n.text for n in service.notices if "paused" in n.text])
            assert paused == [
                f"sync paused: the server at 127.0.0.1:{server.port} is not running (it refused "
                "the connection). What you send waits on this computer and goes out when the "
                "circle can be reached again"
            ]
            back = await asyncio.to_thread(ServerProcess, data, server.port)
            try:
                await until(lambda: not service.waiting_to_send(note.id), limit=60)
                assert service.status.waiting == 0
                assert find(service, "While offline") is not None
            finally:
                back.kill()
        finally:
            running.cancel()

    asyncio.run(scenario())


def find(service, title: str):
    return next((n for n in service.state.notes.values() if n.title == title), None)


async def until(condition, limit: float = 30.0):
    end = time.monotonic() + limit
    while time.monotonic() < end:
        found = condition()
        if found:
            return found
        await asyncio.sleep(0.05)
    pytest.fail("the app never showed it")


def test_two_stores_on_one_file_hear_of_each_other_s_writes(tmp_path):
    """The store's part: another connection's writes are noticed, handed over in the
    order they were stored, a confirmation (a seq) counted as news; one's own are not."""
    from studycircle_tui.core.replica import Replica

    path = Path(tmp_path / "replica.sqlite3")
    app, command = Store(path), Store(path)
    replica = Replica("0" * 26)
    made = [
        replica.make(
            "0" * 26, "channel.create", {"name": f"c{i}"}, 1_700_000_000_000, os.urandom(10)
        )
        for i in range(3)
    ]
    start = app.last_stored("c")
    app.add_ops("c", made[:1])
    assert not app.changed_elsewhere()  # its own write
    command.add_ops("c", made[1:], outbox=True)
    assert app.changed_elsewhere() and not app.changed_elsewhere()
    ops, mark = app.stored_since("c", start)
    assert [op.id for op in ops] == [op.id for op in made]
    command.add_ops("c", [msgspec.structs.replace(made[2], seq=7)])
    assert app.changed_elsewhere()
    again, _ = app.stored_since("c", mark)
    assert [(op.id, op.seq) for op in again] == [(made[2].id, 7)]
    assert app.outbox_ids("c") == {made[1].id, made[2].id}
    assert app.missing("c", [made[0].id, "nope"]) == {"nope"}


# --- the service's part, with the other process as a second connection to the store ----


@pytest.fixture
async def site(tmp_path):
    from server_helpers import Site

    site = await Site.start(tmp_path / "server")
    yield site
    await site.close()


async def test_a_server_circle_s_confirmations_and_refusals_by_another_process(site, tmp_path):
    """The app folds a pending op another process queued; when that process gets the
    server's seq for it, the app takes it as confirmed (not a second op); when the
    server refused one and that process dropped it, the app forgets it too."""
    import httpx

    from server_helpers import BASE
    from studycircle_tui.sync.engine import CircleService
    from studycircle_tui.sync.http import HttpTransport, read_token
    from studycircle_tui.sync.join import join
    from studycircle_tui.sync.transport import TransportError

    circle, code = await site.new_circle()
    asgi = httpx.ASGITransport(app=site.app)
    path = tmp_path / "replica.sqlite3"
    record = await join(BASE, code, "Lea", Store(path), data_dir=tmp_path, transport=asgi)

    def service() -> CircleService:  # each its own connection to the one store file
        token = read_token(circle, tmp_path)
        transport = HttpTransport(BASE, circle, token, transport=asgi)
        return CircleService(Store(path), record, transport)

    app, command = service(), service()
    await app.sync_once()
    await command.sync_once()
    # The app cannot reach the server (its network is down); the command can.
    app.circle.transport = HttpTransport("http://127.0.0.1:9", circle, "token")
    # The command stores its op before its own sync sends it, as a command run outside
    # the app's event loop does (in one, an op goes out as it is made).
    channel = await asyncio.to_thread(command.submit, "channel.create", {"name": "labs"})
    with pytest.raises(TransportError):
        await app.sync_once()
    assert [op.id for op in app.replica.pending] == [channel.id]
    assert app.waiting_to_send(channel.id)
    await command.sync_once()  # sent, and confirmed with its seq
    with pytest.raises(TransportError):
        await app.sync_once()
    assert app.state.channels[channel.id].name == "labs"
    assert not app.replica.pending and not app.waiting_to_send(channel.id)
    # After circle.create and the lead's name and key.
    assert [op.seq for op in app.replica.ops() if op.id == channel.id] == [4]

    # A channel the server will refuse: the app shows it, waiting; the command's push is
    # refused and drops it; the app forgets it too.
    queued = await asyncio.to_thread(command.submit, "channel.create", {"name": "refused"})
    with pytest.raises(TransportError):
        await app.sync_once()
    assert queued.id in app.state.channels and app.waiting_to_send(queued.id)
    command.store.drop_op(circle, queued.id)  # what a push does with a refusal
    with pytest.raises(TransportError):
        await app.sync_once()
    assert queued.id not in app.state.channels and not app.replica.pending
    assert not app.waiting_to_send(queued.id) and app.status.waiting == 0
