"""Send first under bad luck: an op pushed to the circle file the moment it is stored,
with a read of the file running beside the push, or the app killed half way through it.
Whatever happens, the op ends up in the file exactly once."""

import asyncio
import json
import multiprocessing
import os
import signal
from pathlib import Path

from circles import join_file_circle, new_file_circle, until
from studycircle_tui.store.db import Store
from studycircle_tui.sync.circles import open_file_circle, transport_for
from studycircle_tui.sync.engine import CircleService

THREAD = {"title": "Soal 2", "kind": "discussion", "text": "Ada yang bisa bantu?"}


def _started(tmp_path):
    lead = new_file_circle(tmp_path)
    channel = lead.submit("channel.create", {"name": "umum"}).id
    asyncio.run(lead.sync_once())
    return lead, channel


def test_a_read_that_finds_the_op_before_its_push_returns_does_not_append_it_again(tmp_path):
    """The file is read (the loop's pull) after the op's at-once push has appended it and
    before that push is back to note it delivered (fsync takes a while; the read does
    not wait for it). The read saw the op: it was never lost, so nothing appends it a
    second time, and no notice says the file lost it."""
    lead, channel = _started(tmp_path)
    ayu = join_file_circle(tmp_path, "Ayu")
    asyncio.run(ayu.sync_once())
    circle_file = tmp_path / "circle.jsonl"

    async def read_between_append_and_return() -> tuple[int, list[str]]:
        transport = lead.transport
        read, append = transport.pull, transport.push
        armed, pull_waiting, go_read = asyncio.Event(), asyncio.Event(), asyncio.Event()
        appended, push_back = asyncio.Event(), asyncio.Event()
        held: list = []

        async def pull(cursor, wait=0.0, limit=0):
            hold = armed.is_set() and not held
            if hold:
                held.append(None)
                pull_waiting.set()
                await go_read.wait()  # until the op is in the file
            pulled = await read(cursor, wait, limit)
            if hold:
                held[0] = pulled
            return pulled

        async def push(ops, progress=None):
            results = await append(ops, progress)
            appended.set()
            await push_back.wait()  # the append's fsync, a busy event loop
            return results

        transport.pull, transport.push = pull, push
        loop = asyncio.ensure_future(lead.run())
        try:
            await asyncio.sleep(0)
            armed.set()
            ayu.submit("thread.create", {**THREAD, "channel": channel})
            await ayu.sync_once()  # the file changes: the loop pulls, held before reading
            assert await until(pull_waiting.is_set)
            post = lead.submit("thread.create", {**THREAD, "channel": channel})
            await asyncio.wait_for(appended.wait(), 30)
            go_read.set()
            assert await until(lambda: held[0] is not None)
            assert post.id in [op.id for op in held[0].ops]  # the read found it
            push_back.set()
            # Another change, and the loop reads the file again to its end.
            later = ayu.submit("thread.create", {**THREAD, "channel": channel})
            await ayu.sync_once()
            assert await until(lambda: later.id in lead.state.threads)
            assert await until(lambda: not lead.status.waiting)
            return circle_file.read_text().count(post.id), [n.text for n in lead.notices]
        finally:
            loop.cancel()
            await asyncio.wait({loop}, timeout=10)

    copies, notices = asyncio.run(read_between_append_and_return())
    assert copies == 1
    assert not [text for text in notices if "lost" in text], notices


def test_an_app_killed_between_the_append_and_noting_it_appends_nothing_twice(tmp_path):
    """The at-once push appended the post (and fsynced it); the process died before it
    noted the post delivered, so its outbox still holds it. The next start finds it in
    the file and sends it no second time; the post is there exactly once, and nothing
    waits to be sent."""
    lead, channel = _started(tmp_path)
    circle_file = tmp_path / "circle.jsonl"

    async def killed_after_the_append() -> str:
        transport = lead.transport
        append = transport.push
        appended = asyncio.Event()

        async def push(ops, progress=None):
            await append(ops, progress)
            appended.set()
            await asyncio.Event().wait()  # killed here: never back

        transport.push = push
        loop = asyncio.ensure_future(lead.run())
        await asyncio.sleep(0)
        post = lead.submit("thread.create", {**THREAD, "channel": channel})
        await asyncio.wait_for(appended.wait(), 30)
        await lead.circle.stop()  # everything this process was doing ends, as at kill -9
        loop.cancel()
        await asyncio.wait({loop}, timeout=10)
        return post.id

    post = asyncio.run(killed_after_the_append())
    assert circle_file.read_text().count(post) == 1
    assert post in lead.store.outbox_ids(lead.record.id)  # as the killed run left it
    lead.store.close()

    again = open_file_circle(Store(tmp_path / "Lead-replica.sqlite3"), circle_file, "Lead")
    asyncio.run(again.sync_once())
    assert circle_file.read_text().count(post) == 1
    assert post in again.state.threads
    assert not again.status.waiting


def _append_then_hang(store_path: str, circle_file: str, channel: str, appended) -> None:
    """A real app (its own process): the sync loop running, a thread started, sent at
    once; once its append is in the file, it hangs before noting it delivered, where
    the test kills it."""
    service = open_file_circle(Store(Path(store_path)), Path(circle_file), "Lead")
    transport = service.transport
    append = transport.push

    async def push(ops, progress=None):
        await append(ops, progress)
        appended.set()
        await asyncio.Event().wait()  # never back: killed here

    transport.push = push

    async def run() -> None:
        runner = asyncio.create_task(service.run())
        await asyncio.sleep(0)
        service.submit("thread.create", {**THREAD, "channel": channel})
        await runner

    asyncio.run(run())


def test_a_process_killed_between_the_append_and_noting_it_appends_nothing_twice(tmp_path):
    """kill -9 of a real app's process after its at-once push appended a thread and
    before it noted it delivered: the next start finds the thread in the file and does
    not append it again."""
    lead, channel = _started(tmp_path)
    store_path = tmp_path / "Lead-replica.sqlite3"
    circle_file = tmp_path / "circle.jsonl"
    lead.store.close()
    context = multiprocessing.get_context("spawn")
    appended = context.Event()
    app = context.Process(
        target=_append_then_hang, args=(str(store_path), str(circle_file), channel, appended)
    )
    app.start()
    try:
        assert appended.wait(60), "the app never appended"
    finally:
        os.kill(app.pid, signal.SIGKILL)
        app.join(30)
    [thread] = [line for line in circle_file.read_text().splitlines() if "Soal 2" in line]
    post = json.loads(thread)["id"]
    store = Store(store_path)
    assert post in store.outbox_ids(lead.record.id)  # as the killed run left it
    again = CircleService(store, lead.record, transport_for(lead.record))
    asyncio.run(again.sync_once())
    assert circle_file.read_text().count(post) == 1
    assert post in again.state.threads
    assert not again.status.waiting


def _replace_with_an_older_copy(path) -> None:
    """What a synced folder does when another machine's (older) version wins: write the
    file anew beside it and rename it over; this one lacks the last line."""
    lines = path.read_bytes().splitlines(keepends=True)
    older = path.with_name(f".{path.name}.syncing")
    older.write_bytes(b"".join(lines[:-1]))
    older.replace(path)


def test_the_file_replaced_again_and_again_while_posts_go_out_at_once(tmp_path):
    """Posts sent at once while the file is replaced by older copies between and during
    their appends: every post ends up in the file, each exactly once."""
    lead, channel = _started(tmp_path)
    thread = lead.submit("thread.create", {**THREAD, "channel": channel}).id
    asyncio.run(lead.sync_once())
    circle_file = tmp_path / "circle.jsonl"

    async def posting_while_replaced() -> list[str]:
        loop = asyncio.ensure_future(lead.run())
        posts = []
        try:
            await asyncio.sleep(0)
            for number in range(24):
                posts.append(lead.submit("post.create", {"thread": thread, "text": f"#{number}"}))
                if number % 3 == 0:  # beside the append under way
                    await asyncio.to_thread(_replace_with_an_older_copy, circle_file)
                await asyncio.sleep(0.01 * (number % 4))

            def all_there() -> bool:
                text = circle_file.read_text()
                return all(post.id in text for post in posts) and not lead.status.waiting

            assert await until(all_there, 60), lead.status
            return [post.id for post in posts]
        finally:
            loop.cancel()
            await asyncio.wait({loop}, timeout=10)

    posts = asyncio.run(posting_while_replaced())
    text = circle_file.read_text()
    assert {post: text.count(post) for post in posts} == dict.fromkeys(posts, 1)
