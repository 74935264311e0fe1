"""The client side of server circles: ``join``, the HTTP transport, and the sync engine
over it, against a real hub in this process (httpx over ASGI)."""

import asyncio
import itertools
import stat

import httpx
import msgspec
import pytest

from server_helpers import BASE
from studycircle_tui.core.ops import encode_op
from studycircle_tui.store.db import Store
from studycircle_tui.sync.engine import CircleService
from studycircle_tui.sync.http import HttpTransport, ServerError, read_token, token_path
from studycircle_tui.sync.join import JoinError, join
from studycircle_tui.sync.transport import TransportError


async def _member(site, tmp_path, code, name):
    """A member's own store and data folder, joined through the real join flow."""
    data = tmp_path / name
    store = Store(data / "replica.sqlite3")
    asgi = httpx.ASGITransport(app=site.app)
    record = await join(BASE, code, name, store, data_dir=data, transport=asgi)
    transport = HttpTransport(
        record.location, record.id, read_token(record.id, data), transport=asgi
    )
    return CircleService(store, record, transport)


async def test_join_keeps_the_token_private_and_records_the_circle(site, tmp_path):
    circle, code = await site.new_circle("Chemistry")
    lead = await _member(site, tmp_path, code, "Lea")
    path = token_path(circle, tmp_path / "Lea")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    record = lead.store.circle(circle)
    assert (record.name, record.transport, record.location) == ("Chemistry", "server", BASE)
    assert record.member_id == lead.me


async def test_join_refusals_are_one_readable_line(site, tmp_path):
    _, code = await site.new_circle()
    store = Store(tmp_path / "replica.sqlite3")
    asgi = httpx.ASGITransport(app=site.app)
    with pytest.raises(JoinError, match="no such invite"):
        await join(BASE, "ZZZZ-ZZZZ-ZZZZ-ZZZZ", "Ana", store, data_dir=tmp_path, transport=asgi)
    with pytest.raises(JoinError, match="display name"):
        await join(BASE, code, " ", store, data_dir=tmp_path, transport=asgi)
    with pytest.raises(JoinError, match="is not running"):
        await join("http://127.0.0.1:9", code, "Ana", store, data_dir=tmp_path)
    with pytest.raises(JoinError, match="not a server address"):
        await join("ftp://x", code, "Ana", store, data_dir=tmp_path)


async def test_two_members_see_each_others_posts_through_the_server(site, tmp_path):
    circle, code = await site.new_circle()
    lead = await _member(site, tmp_path, code, "Lea")
    ana = await _member(site, tmp_path, await site.invite(circle), "Ana")
    await lead.sync_once()
    channel = lead.submit("channel.create", {"name": "general"})
    await lead.sync_once()
    await ana.sync_once()
    thread = ana.submit(
        "thread.create",
        {"channel": channel.id, "title": "Mitosis", "kind": "question", "text": "Why? 🧬"},
    )
    assert ana.status.waiting == 1
    await ana.sync_once()
    assert ana.store.outbox_size(circle) == 0
    await lead.sync_once()
    assert lead.state.threads[thread.id].title == "Mitosis"
    assert lead.state.members[ana.me].name == "Ana"
    assert lead.state.threads == ana.state.threads and lead.state.members == ana.state.members


async def test_a_long_poll_through_the_transport_wakes_on_a_push(site, tmp_path):
    circle, code = await site.new_circle()
    lead = await _member(site, tmp_path, code, "Lea")
    ana = await _member(site, tmp_path, await site.invite(circle), "Ana")
    await lead.sync_once()
    pulled = await ana.transport.pull(None)
    waiting = asyncio.create_task(ana.transport.pull(pulled.cursor, wait=20))
    await asyncio.sleep(0.05)
    op = lead.submit("channel.create", {"name": "general"})
    await lead.sync_once()
    got = await asyncio.wait_for(waiting, 10)
    assert [o.id for o in got.ops] == [op.id] and got.ops[0].seq == int(got.cursor)


async def test_in_a_burst_long_polls_start_at_most_once_per_interval(site, tmp_path, monkeypatch):
    circle, code = await site.new_circle()
    lead = await _member(site, tmp_path, code, "Lea")
    ana = await _member(site, tmp_path, await site.invite(circle), "Ana")
    await lead.sync_once()
    # Ana's loop (the circle's, which ana's run() runs) is on a clock the test moves:
    # each round "takes" the next of these times, and each rest lasts what the loop
    # asks, so the pacing is the same on any machine. A round slower than the interval
    # must be followed at once.
    took = itertools.cycle([0.03, 0.25, 0.0])
    now, starts, lengths = [0.0], [], []
    shared = ana.circle
    sync_once = shared.sync_once

    async def timed(wait=0.0):
        starts.append(now[0])
        result = await sync_once(wait=wait)
        lengths.append(next(took))
        now[0] += lengths[-1]
        return result

    async def rest(seconds, listen):
        assert not listen  # a server's long-poll: the loop only paces its rounds
        now[0] += max(seconds, 0.0)
        await asyncio.sleep(0)

    monkeypatch.setattr(shared, "clock", lambda: now[0])
    monkeypatch.setattr(shared, "sync_once", timed)
    monkeypatch.setattr(shared, "rest", rest)
    syncing = asyncio.create_task(ana.run())
    for n in range(15):  # a burst: a pull per op if nothing paced them
        lead.submit("channel.create", {"name": f"room-{n}"})
        await lead.sync_once()
        await asyncio.sleep(0.02)
    async with asyncio.timeout(10):
        while len(ana.state.channels) < 15:
            await asyncio.sleep(0.02)
    syncing.cancel()
    await shared.stop()  # the loop outlives its caller (run() shields it)
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert len(gaps) >= 3
    interval = shared.LONG_POLL_INTERVAL
    assert gaps == pytest.approx([max(length, interval) for length in lengths[: len(gaps)]])


async def test_an_op_this_app_cannot_read_is_skipped_and_the_rest_kept(site, tmp_path):
    circle, code = await site.new_circle()
    lead = await _member(site, tmp_path, code, "Lea")
    await lead.sync_once()
    lead.submit("channel.create", {"name": "general"})
    await lead.sync_once()
    page = (await lead.transport.pull(None)).ops
    # A newer server's op type, between two this app knows.
    future = msgspec.json.encode({**msgspec.to_builtins(page[-1]), "type": "poll.create"})
    body = b'{"ops":[%s,%s,%s],"next":9}' % (
        encode_op(page[0]),
        future,
        encode_op(page[-1]),
    )
    mock = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    pulled = await HttpTransport(BASE, circle, "token", transport=mock).pull(None)
    assert [op.id for op in pulled.ops] == [page[0].id, page[-1].id]
    assert pulled.cursor == "9"
    [problem] = pulled.problems
    assert "cannot read" in problem and "'poll.create'" in problem


async def test_a_removed_member_gets_the_servers_reason(site, tmp_path):
    circle, code = await site.new_circle()
    lead = await _member(site, tmp_path, code, "Lea")
    ana = await _member(site, tmp_path, await site.invite(circle), "Ana")
    await lead.sync_once()
    lead.submit("member.remove", {"member": ana.me})
    await lead.sync_once()
    with pytest.raises(ServerError, match="no longer a member") as refused:
        await ana.transport.pull(None)
    assert refused.value.status == 403


async def test_an_unreachable_server_is_a_transport_error(tmp_path):
    transport = HttpTransport("http://127.0.0.1:9", "0" * 26, "token")
    with pytest.raises(TransportError, match="is not running"):
        await transport.pull(None)
    await transport.close()


async def test_a_servers_refusals_reach_a_member_in_their_language(site, tmp_path):
    """The server answers in English with a stable code; the client says the code's
    sentence through its own catalog (sync/server_errors.py), here in Indonesian."""
    from studycircle_tui import i18n

    indonesian = i18n.language("id")
    circle, code = await site.new_circle()
    lead = await _member(site, tmp_path, code, "Lea")
    store = Store(tmp_path / "replica.sqlite3")
    asgi = httpx.ASGITransport(app=site.app)
    with pytest.raises(JoinError) as unknown:
        await join(BASE, "ZZZZ-ZZZZ-ZZZZ-ZZZZ", "Ana", store, data_dir=tmp_path, transport=asgi)
    assert indonesian.error(unknown.value) == (
        f"{BASE} menolak undangan: kode undangan itu tidak ada di server ini"
    )
    ana = await _member(site, tmp_path, await site.invite(circle), "Ana")
    await lead.sync_once()
    lead.submit("member.remove", {"member": ana.me})
    await lead.sync_once()
    with pytest.raises(ServerError) as removed:
        await ana.transport.pull(None)
    assert removed.value.code == "removed"
    assert indonesian.error(removed.value) == "Anda bukan lagi anggota lingkar ini"
    assert str(removed.value) == "you are no longer a member of this circle"
    # The server's own sentence ("this token is not valid") is not what the member reads:
    # the code's is.
    stranger = HttpTransport(BASE, circle, "not-a-token", transport=asgi)
    with pytest.raises(ServerError) as unknown_token:
        await stranger.pull(None)
    assert unknown_token.value.code == "unauthorized"
    assert indonesian.error(unknown_token.value) == (
        "server tidak menerima token anggota perangkat ini; bergabunglah lagi dengan lingkar"
    )


async def test_a_server_circle_promises_what_a_file_circle_cannot(site, tmp_path):
    from circles import new_file_circle

    _, code = await site.new_circle("Chemistry")
    server_member = await _member(site, tmp_path, code, "Lea")
    (tmp_path / "file").mkdir()
    file_member = await asyncio.to_thread(new_file_circle, tmp_path / "file")
    # The server redacts an anonymous author and seals live answers until the close;
    # a shared file holds every op as written, for anyone who has it to read.
    assert server_member.can_hide_authors and server_member.answers_sealed
    assert not file_member.can_hide_authors and not file_member.answers_sealed


async def test_a_pushed_op_the_server_refuses_is_explained_in_the_members_language(site, tmp_path):
    """A device whose clock is two days ahead: the server refuses its op with the code
    ``clock_ahead``, and the member reads the code's sentence in Indonesian, not the
    server's English."""
    from studycircle_tui import i18n

    indonesian = i18n.language("id")
    _, code = await site.new_circle()
    lead = await _member(site, tmp_path, code, "Lea")
    await lead.sync_once()
    wall = lead.circle.now_ms
    lead.circle.now_ms = lambda: wall() + 2 * 86_400_000  # what stamps the device's ops
    ahead = lead.submit("channel.create", {"name": "besok"})
    await lead.sync_once()
    assert ahead.id not in lead.store.outbox_ids(lead.record.id)  # refused, not retried
    said = [indonesian.message(notice.text) for notice in lead.notices]
    assert (
        "tidak terkirim: jam perangkat ini lebih dari sehari di depan jam server; "
        "setel jam dengan benar"
    ) in said, said
