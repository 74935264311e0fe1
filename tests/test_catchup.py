"""Joining a busy circle (sync/catchup.py, core/preview.py): the newest threads show
before the history has come, what a member does meanwhile is kept, and once the whole
log is in, the member's replica is exactly everyone else's. Also: a server's preview
and pages as sent, a post going out beside a long-poll, and a big push's progress.

Against a real hub in this process (httpx over ASGI), through the real join, store and
engine; history pages are held back at will to look at the app's state meanwhile."""

import asyncio

import pytest

from catchup_helpers import busy_circle, member
from server_helpers import Site
from studycircle_tui.core import preview
from studycircle_tui.sync.catchup import PREVIEW_FROM
from studycircle_tui.sync.engine import CircleService, SyncStatus
from studycircle_tui.sync.http import read_token
from studycircle_tui.tui.widgets.status_line import describe


@pytest.fixture
async def site(tmp_path):
    site = await Site.start(tmp_path / "server")
    yield site
    await site.close()


async def test_a_new_member_sees_the_newest_threads_first_then_the_whole_circle(
    site, tmp_path, monkeypatch
):
    monkeypatch.setattr("studycircle_tui.sync.engine.HISTORY_PAGE", 100)  # several pages
    circle, lead, channels, threads = await busy_circle(site, tmp_path)
    assert len(lead.replica) > PREVIEW_FROM + 100
    ana = await member(site, tmp_path, await site.invite(circle), "Ana", held=True)
    seen: list[SyncStatus] = []
    ana.subscribe(lambda event: seen.append(event) if isinstance(event, SyncStatus) else None)
    syncing = asyncio.create_task(ana.run())
    try:
        async with asyncio.timeout(20):
            while not ana.catching_up:
                await asyncio.sleep(0.01)
        shown = ana.state
        # Both channels, and their newest threads, whole; older ones and the note later.
        assert set(channels) <= set(shown.channels)
        for newest in preview.newest_threads(lead.state)[:4]:  # each channel's 2 newest
            assert shown.threads[newest] == lead.state.threads[newest]
            for post in shown.threads[newest].post_ids:
                assert shown.posts[post] == lead.state.posts[post]
        assert threads[0] not in shown.threads and not shown.notes
        assert ana.transport.pages == 0  # no history has come yet
        # ...and the status line says it is coming: its bar from the preview on.
        done, total = ana.status.history or (None, None)
        assert done == 0 and total is not None and total > PREVIEW_FROM
        # Ana answers in a newest thread meanwhile; a new post arrives live too.
        mine = ana.submit("post.create", {"thread": threads[-1], "text": "Mitochondria!"})
        live = lead.submit("post.create", {"thread": threads[-2], "text": "Ribosomes."})
        await lead.sync_once()
        async with asyncio.timeout(20):
            while live.id not in ana.state.posts or mine.id not in lead.state.posts:
                await asyncio.sleep(0.02)
                await lead.sync_once()
        assert ana.catching_up and ana.transport.pages == 0
        ana.transport.go.set()  # the history comes
        async with asyncio.timeout(30):
            while ana.catching_up:
                await asyncio.sleep(0.02)
        await lead.sync_once()
        assert ana.transport.pages >= 1
        assert ana.state is ana.replica.state and ana.state == _as_seen_by(lead, ana)
        assert threads[0] in ana.state.threads and ana.state.notes
        assert not ana.replica.pending and not ana.store.outbox(circle)
        # The status line heard how it went: fetching the preview, then the history.
        assert any(status.fetching for status in seen)
        assert any(status.history for status in seen)
        assert not seen[-1].history and not seen[-1].fetching
    finally:
        syncing.cancel()


def _as_seen_by(lead: CircleService, other: CircleService):
    """The lead's state with the other member's read marks: the same log folded."""
    from studycircle_tui.core import reducer

    return reducer.fold(lead.record.id, [op for op in other.replica.ops()])


async def test_joining_shows_the_bar_before_the_preview_answers(site, tmp_path):
    circle, _, _, _ = await busy_circle(site, tmp_path, threads=40)
    ana = await member(site, tmp_path, await site.invite(circle), "Ana", held=True)
    ana.transport.preview_go.clear()  # the preview asked for, its answer not yet come
    syncing = asyncio.create_task(ana.run())
    try:
        async with asyncio.timeout(20):
            await ana.transport.asked_preview.wait()
        assert ana.status.fetching == (0, 0)
        assert "newest threads ░░░░░░░░" in describe(ana.status)
        seen: list[tuple[int, int]] = []
        ana.subscribe(lambda event: seen.append(getattr(event, "fetching", None)))
        ana.transport.preview_go.set()
        async with asyncio.timeout(20):
            while not ana.catching_up:
                await asyncio.sleep(0.01)
        # The answer's head gave its length before any of it had come: an empty bar of it.
        sizes = [fetching for fetching in seen if fetching]
        assert sizes[0][0] == 0 < sizes[0][1] and sizes[-1][0] == sizes[-1][1]
    finally:
        syncing.cancel()
        await asyncio.gather(syncing, return_exceptions=True)
        await ana.transport.close()


async def test_a_member_a_page_behind_gets_no_preview(site, tmp_path):
    circle, code = await site.new_circle("Small")
    lead = await member(site, tmp_path, code, "Lea")
    await lead.sync_once()
    for index in range(20):
        lead.submit("channel.create", {"name": f"room {index}"})
    await lead.sync_once()
    ana = await member(site, tmp_path, await site.invite(circle), "Ana", held=True)
    await ana.sync_once()
    assert not ana.catching_up and ana.transport.pages == 0
    assert set(ana.state.channels) == set(lead.state.channels)


async def test_a_preview_is_the_circle_and_its_newest_threads_within_a_budget(site, tmp_path):
    circle, lead, _, threads = await busy_circle(site, tmp_path)
    token = read_token(circle, tmp_path / "Lea")
    path = f"/api/v1/circles/{circle}/preview"
    auth = {"authorization": f"Bearer {token}"}
    whole = (await site.client.get(path, params={"since": 0}, headers=auth)).json()
    assert whole["upto"] == len(site.hub.circles[circle].log)  # all the server has
    kinds = [op["type"] for op in whole["ops"]]
    assert "note.create" not in kinds and kinds.count("channel.create") == 2
    shown = {op["id"] for op in whole["ops"] if op["type"] == "thread.create"}
    assert set(preview.newest_threads(lead.state)[:4]) <= shown and threads[0] not in shown
    seqs = [op["seq"] for op in whole["ops"]]
    assert seqs == sorted(seqs)  # in the log's order
    small = (await site.client.get(path, params={"budget": 2_000}, headers=auth)).json()
    assert len(small["ops"]) < len(whole["ops"])
    near = (await site.client.get(path, params={"since": whole["upto"] - 10}, headers=auth)).json()
    assert near == {"ops": [], "upto": whole["upto"]}
    assert (await site.client.get(path)).status_code == 401


async def test_a_page_with_more_to_come_says_how_long_the_circle_is(site, tmp_path):
    _, lead, _, _ = await busy_circle(site, tmp_path, threads=4, posts=2)
    transport = lead.transport
    first = await transport.pull(None, limit=5)
    assert first.more and first.head == len(lead.replica) and first.cursor == "5"
    last = await transport.pull(str(len(lead.replica) - 1), limit=5)
    assert not last.more and last.head == 0


async def test_a_post_goes_out_beside_a_long_poll_not_cutting_it(site, tmp_path):
    circle, code = await site.new_circle("Chat")
    lead = await member(site, tmp_path, code, "Lea")
    await lead.sync_once()
    channel = lead.submit("channel.create", {"name": "general"})
    await lead.sync_once()
    ana = await member(site, tmp_path, await site.invite(circle), "Ana", held=True)
    await ana.sync_once()
    polls = ana.transport.pulls
    waiting = asyncio.create_task(ana.sync_once(wait=30))
    async with asyncio.timeout(10):
        while ana.transport.pulls == polls:  # Ana's long-poll is on its way
            await asyncio.sleep(0.01)
    data = {"channel": channel.id, "title": "Hi", "kind": "discussion", "text": "Hello"}
    post = ana.submit("thread.create", data)
    await asyncio.wait_for(waiting, 10)
    # Within that one sync, beside the poll, the post went out; the poll, not cut short
    # (and made again), brought it back confirmed.
    assert ana.transport.pulls == polls + 1 and not ana.store.outbox(circle)
    assert [op.seq is not None for op in ana.replica.ops() if op.id == post.id] == [True]


async def test_a_big_push_reports_its_progress(site, tmp_path):
    import random

    circle, code = await site.new_circle("Notes")
    lead = await member(site, tmp_path, code, "Lea")
    await lead.sync_once()
    rng = random.Random(1)
    words = ["sel", "membran", "protein", "gen", "energi", "air", "cahaya", "enzim"]
    text = "\n".join(" ".join(rng.choice(words) for _ in range(12)) for _ in range(4_000))
    seen: list[SyncStatus] = []
    lead.subscribe(lambda event: seen.append(event) if isinstance(event, SyncStatus) else None)
    note = lead.submit("note.create", {"title": "Kamus", "text": text})
    await lead.sync_once()
    sending = [status.sending for status in seen if status.sending]
    assert len(sending) >= 3
    assert [done for done, _ in sending] == sorted(done for done, _ in sending)
    assert sending[-1][0] == sending[-1][1] > 16_000  # all of it, packed
    assert seen[-1].sending is None and not lead.store.outbox(circle)
    assert note.id in lead.replica and lead.replica.pending == []
