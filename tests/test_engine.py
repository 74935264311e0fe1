"""The service the TUI uses, over real circle files: two members see each other's posts."""

import asyncio

import pytest

from circles import arrives_while_running, join_file_circle, new_file_circle
from studycircle_tui.core.ops import OpError
from studycircle_tui.sync.engine import Notice, Refused


def _channel(service):
    return service.submit("channel.create", {"name": "general"}).id


def test_two_members_sharing_a_file_see_each_others_posts(tmp_path):
    lead = new_file_circle(tmp_path)
    channel = _channel(lead)
    asyncio.run(lead.sync_once())
    ayu = join_file_circle(tmp_path, "Ayu")
    thread = ayu.submit(
        "thread.create",
        {"channel": channel, "title": "Halo", "kind": "question", "text": "Apa kabar? 😊"},
    )
    asyncio.run(ayu.sync_once())
    asyncio.run(lead.sync_once())
    assert lead.state.threads[thread.id].title == "Halo"
    assert lead.state.members[ayu.me].name == "Ayu"
    answer = lead.submit("post.create", {"thread": thread.id, "text": "Baik!"})
    asyncio.run(lead.sync_once())
    asyncio.run(ayu.sync_once())
    ayu.submit("answer.accept", {"post": answer.id})
    asyncio.run(ayu.sync_once())
    asyncio.run(lead.sync_once())
    assert lead.state == ayu.state or _same_shared_state(lead, ayu)
    assert lead.state.threads[thread.id].accepted_post == answer.id


def _same_shared_state(a, b):
    # Read marks are local-only, so compare everything but them.
    return a.replica.state.threads == b.replica.state.threads and (
        a.replica.state.posts == b.replica.state.posts
    )


def test_a_running_app_sees_appends_from_another_writer_without_restart(tmp_path):
    lead = new_file_circle(tmp_path)
    channel = _channel(lead)
    asyncio.run(lead.sync_once())
    ayu = join_file_circle(tmp_path, "Ayu")

    assert asyncio.run(arrives_while_running(lead, ayu, channel))


def test_refused_and_malformed_ops_are_not_stored(tmp_path):
    lead = new_file_circle(tmp_path)
    channel = _channel(lead)
    asyncio.run(lead.sync_once())
    member = join_file_circle(tmp_path, "Budi")
    before = member.store.count_ops(member.record.id)
    with pytest.raises(Refused, match="moderator"):
        member.submit("channel.create", {"name": "mine"})
    with pytest.raises(OpError, match=r"\$\.data\.title"):
        member.submit(
            "thread.create", {"channel": channel, "title": "", "kind": "question", "text": "x"}
        )
    assert member.store.count_ops(member.record.id) == before


def test_offline_writes_wait_in_the_outbox_and_are_delivered_later(tmp_path):
    lead = new_file_circle(tmp_path)
    path = tmp_path / "circle.jsonl"
    moved = tmp_path / "elsewhere.jsonl"
    path.rename(moved)  # the USB stick is unplugged
    lead.submit("channel.create", {"name": "offline"})
    with pytest.raises(Exception, match="no such circle file"):
        asyncio.run(lead.sync_once())
    assert lead.status.waiting == 1
    moved.rename(path)  # and plugged back in
    asyncio.run(lead.sync_once())
    assert lead.store.outbox_size(lead.record.id) == 0
    assert b'"name":"offline"' in path.read_bytes()


def test_malformed_lines_become_notices_even_before_anyone_listens(tmp_path):
    lead = new_file_circle(tmp_path)
    path = tmp_path / "circle.jsonl"
    garbage_line = path.read_bytes().count(b"\n") + 1
    with path.open("ab") as handle:
        handle.write(b"garbage\n")
    asyncio.run(lead.sync_once())
    heard = []
    lead.subscribe(heard.append)
    assert any(isinstance(e, Notice) and f"line {garbage_line}:" in e.text for e in heard)


def test_a_sync_loop_told_to_stop_while_it_ends_its_own_wait_stops(tmp_path):
    """The loop waits on the file and on our ops at once; an op of ours ends the wait,
    and the loop cancels the other one and waits for it to end (a watch takes a moment
    to let go). Told to stop right then, the loop stops: it does not take its own
    cancellation for its wait's and go on."""
    lead = new_file_circle(tmp_path)
    channel = _channel(lead)
    asyncio.run(lead.sync_once())

    async def stop_while_it_lets_go() -> bool:
        letting_go = asyncio.Event()

        async def slow_to_let_go() -> None:
            try:
                await asyncio.Event().wait()  # no news from the file
            except asyncio.CancelledError:
                letting_go.set()
                await asyncio.sleep(0.2)
                raise

        lead.transport.changed = slow_to_let_go
        loop = asyncio.ensure_future(lead.run())
        await asyncio.sleep(0.1)  # idle now, waiting on the file
        data = {"channel": channel, "title": "t", "kind": "discussion", "text": "x"}
        lead.submit("thread.create", data)
        await asyncio.wait_for(letting_go.wait(), 10)
        sync = lead.circle._tasks["sync"]
        sync.cancel()  # while the loop waits for the file's wait to end
        await asyncio.wait({sync}, timeout=10)
        stopped = sync.cancelled()  # now: asyncio.run would cancel it on the way out
        loop.cancel()
        return stopped

    assert asyncio.run(stop_while_it_lets_go())


def test_an_op_is_sent_at_once_even_while_the_loop_is_in_a_pull(tmp_path):
    """Send first: a member's op goes to the file as it is made, not after the sync
    loop's current round (in an ssh-serve worker a round also waits for every app's
    redraw). Held here: the loop has read the file and not yet taken what it read. The
    op is in the file meanwhile; and that pull, which read before the op was appended,
    does not take it for lost and append it a second time."""
    lead = new_file_circle(tmp_path)
    channel = _channel(lead)
    asyncio.run(lead.sync_once())
    ayu = join_file_circle(tmp_path, "Ayu")
    asyncio.run(ayu.sync_once())
    circle_file = tmp_path / "circle.jsonl"

    async def send_while_a_pull_is_held() -> tuple[bool, int, int]:
        holding, release, pulls = asyncio.Event(), asyncio.Event(), []
        read = lead.transport.pull

        async def held_pull(cursor, wait=0.0, limit=0):
            pulled = await read(cursor, wait, limit)
            pulls.append(pulled)
            if len(pulls) == 1:
                holding.set()
                await release.wait()
            return pulled

        loop = asyncio.ensure_future(lead.run())
        try:
            await asyncio.sleep(0)  # the loop's first round, then its wait on the file
            lead.transport.pull = held_pull
            ayu.submit("thread.create", {**THREAD, "channel": channel})
            await ayu.sync_once()  # the file changes: the loop pulls, and is held
            await asyncio.wait_for(holding.wait(), 30)
            post = lead.submit("thread.create", {**THREAD, "channel": channel})
            sent = await _until(lambda: post.id in circle_file.read_text(), 30)
            still_held = not release.is_set()
            release.set()
            await _until(lambda: len(pulls) >= 2 and not lead.status.waiting, 30)
            return sent and still_held, circle_file.read_text().count(post.id), len(pulls)
        finally:
            loop.cancel()
            await asyncio.wait({loop}, timeout=10)

    sent_while_held, copies, _ = asyncio.run(send_while_a_pull_is_held())
    assert sent_while_held
    assert copies == 1


THREAD = {"title": "Soal 1", "kind": "discussion", "text": "Siapa yang sudah baca?"}


async def _until(condition, seconds: float) -> bool:
    """Wait for ``condition()`` (a busy machine may take a while); whether it came."""
    for _ in range(int(seconds / 0.02)):
        if condition():
            return True
        await asyncio.sleep(0.02)
    return condition()


def test_a_pull_with_no_news_writes_nothing_and_news_moves_the_stored_cursor(tmp_path):
    """Each cursor write is a commit, flushed to disk: a file heard changing many times a
    second (a room answering) must not cost one for every look that found nothing."""
    lead = new_file_circle(tmp_path)
    channel = _channel(lead)
    asyncio.run(lead.sync_once())
    written = []
    set_cursor = lead.store.set_cursor
    lead.store.set_cursor = lambda *args: written.append(args) or set_cursor(*args)
    asyncio.run(lead.sync_once())
    assert written == []
    ayu = join_file_circle(tmp_path, "Ayu")
    ayu.submit("thread.create", {**THREAD, "channel": channel})
    asyncio.run(ayu.sync_once())
    asyncio.run(lead.sync_once())
    assert len(written) == 1
    assert lead.store.cursor(lead.record.id, lead.transport.kind) == written[0][2]
