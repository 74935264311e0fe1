"""Who wrote an op: signatures over canonical bytes, checked on every replica.

A member of a file circle who writes a line in another's name (their actor id, their own
key or none) changes nothing and is reported; a server that changes a post, or writes in
a member's name, is caught by the clients; keys rotate and a lead gives a member who lost
theirs a new one; a circle from before signing opens and becomes signed; verdicts are
kept, so a circle opened again verifies nothing.
"""

import asyncio
import json
import os

import httpx
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circles import join_file_circle, key_of, new_file_circle
from quiz_helpers import KEYS, QUESTIONS
from server_helpers import BASE, Site
from studycircle_tui.core import signing
from studycircle_tui.core.ops import SERVER_ACTOR, Op, decode_op, encode_op
from studycircle_tui.core.replica import Replica
from studycircle_tui.core.signing import SigningKey
from studycircle_tui.server.circle import Entry
from studycircle_tui.store.db import CircleRecord, Store
from studycircle_tui.sync.circles import create_circle_file, open_file_circle, open_service
from studycircle_tui.sync.engine import CircleService, Refused
from studycircle_tui.sync.http import HttpTransport, read_token
from studycircle_tui.sync.join import join
from studycircle_tui.sync.pacer import QuizPacer
from studycircle_tui.sync.quizrun import QuizRunner
from test_ops_schema import SAMPLES

REPORTS = ("forged", "unsigned")
ID = "01J2ZQ8W6D2RVR8Y7Q6MZ3K0AB"


def sync(*services, rounds=2):
    for _ in range(rounds):
        for service in services:
            asyncio.run(service.sync_once())


def reported(service: CircleService) -> dict[str, object]:
    """The moderation log's lines about ops refused as not signed by their author."""
    return {e.op_id: e for e in service.state.moderation_log if e.action in REPORTS}


def written_by_hand(service: CircleService, actor: str, type_name: str, data, key) -> Op:
    """An op as someone who read the circle file (``service``'s replica) writes it by hand."""
    return service.replica.make(actor, type_name, data, service.now_ms(), os.urandom(10), key)


def append_line(path, op: Op) -> None:
    with path.open("ab") as handle:
        handle.write(encode_op(op) + b"\n")


# --- canonical bytes ---------------------------------------------------------------------


def _op(type_name: str) -> Op:
    data = SAMPLES[type_name]
    return Replica(ID).make(ID, type_name, data, 1_720_000_000_000, bytes(10))


@settings(max_examples=60, deadline=None)
@given(
    type_name=st.sampled_from(sorted(SAMPLES)),
    order=st.randoms(use_true_random=False),
    ascii_only=st.booleans(),
    seq=st.integers(1, 10**9),
    at=st.integers(0, 2**53),
)
def test_a_signature_holds_however_the_op_travels(type_name, order, ascii_only, seq, at):
    """Key order, escapes, spacing and the server's seq and receive time change nothing
    the signature covers: every op type decodes to the same canonical bytes."""
    key = SigningKey(bytes(range(32)))
    signed = key.sign(_op(type_name))
    tree = json.loads(encode_op(signed))
    tree.update(seq=seq, at=at)
    items = list(tree.items())
    order.shuffle(items)
    travelled = json.dumps(dict(items), ensure_ascii=ascii_only, indent=order.choice([None, 1]))
    again = decode_op(travelled.encode())
    assert signing.signed_bytes(again) == signing.signed_bytes(signed)
    assert signing.Signatures().check(again, key.public)


@settings(max_examples=40, deadline=None)
@given(type_name=st.sampled_from(sorted(SAMPLES)), field=st.sampled_from(["actor", "hlc", "data"]))
def test_a_changed_field_or_another_key_breaks_the_signature(type_name, field):
    key, other = SigningKey(bytes(range(32))), SigningKey(bytes(32))
    signed = key.sign(_op(type_name))
    assert signing.Signatures().check(signed, key.public)
    assert not signing.Signatures().check(signed, other.public)
    changed = {
        "actor": {"actor": "01J2ZQ8W6D2RVR8Y7Q6MZ3K0AC"},
        "hlc": {"hlc": "0190a1b2c3d40002"},
        "data": {"circle": "01J2ZQ8W6D2RVR8Y7Q6MZ3K0AD"},
    }[field]
    assert not signing.Signatures().check(msgspec.structs.replace(signed, **changed), key.public)


# --- a file circle -----------------------------------------------------------------------


def test_a_forged_line_in_the_shared_file_makes_no_one_lead(tmp_path):
    """Ana writes, in the lead's name, that she is lead (signed with her own key) and a
    moderator (unsigned): on every replica, one that reads the file from the start
    included, she stays a member, both lines are reported with whom they claimed to be
    by, and members hear of it. The lead's own line (Bo a moderator) folds."""
    lead = new_file_circle(tmp_path)
    ana, bo = join_file_circle(tmp_path, "Ana"), join_file_circle(tmp_path, "Bo")
    sync(lead, ana, bo)
    path = tmp_path / "circle.jsonl"
    as_lead = {"member": ana.me, "role": "lead"}
    forged = written_by_hand(ana, lead.me, "member.role", as_lead, key_of(ana))
    unsigned = written_by_hand(ana, lead.me, "member.role", {**as_lead, "role": "moderator"}, None)
    append_line(path, forged)
    append_line(path, unsigned)
    lead.submit("member.role", {"member": bo.me, "role": "moderator"})

    cy = join_file_circle(tmp_path, "Cy")
    for service in (lead, ana, bo, cy):
        sync(service)
        assert service.state.role_of(ana.me) == "member"
        assert service.state.role_of(bo.me) == "moderator"
        found = reported(service)
        assert (found[forged.id].action, found[forged.id].actor) == ("forged", lead.me)
        assert found[forged.id].target == "member.role"
        assert "does not match its author's key" in found[forged.id].note
        assert (found[unsigned.id].action, found[unsigned.id].actor) == ("unsigned", lead.me)
        said = [notice.text for notice in service.notices]
        assert any("(member.role) claiming to be by Lead" in text for text in said), said


def test_a_reopened_circle_verifies_nothing_again(tmp_path, monkeypatch):
    lead = new_file_circle(tmp_path)
    channel = lead.submit("channel.create", {"name": "general"}).id
    sync(lead)
    ana = join_file_circle(tmp_path, "Ana")
    ana.submit(
        "thread.create", {"channel": channel, "title": "t", "kind": "question", "text": "hi"}
    )
    sync(ana, lead)
    checked: list[str] = []
    verify = signing.verify
    monkeypatch.setattr(signing, "verify", lambda op, key: checked.append(op.id) or verify(op, key))

    bo = join_file_circle(tmp_path, "Bo")  # a new replica checks what arrives
    sync(lead)  # Bo's join arrives: checked once
    assert checked
    checked.clear()
    again = open_service(Store(tmp_path / "Lead-replica.sqlite3"), lead.record)
    assert len(again.state.threads) == 1 and again.state.members.keys() >= {ana.me, bo.me}
    assert checked == []


def test_a_rotated_key_signs_from_then_on_and_the_old_one_no_longer_does(tmp_path):
    lead = new_file_circle(tmp_path)
    ana = join_file_circle(tmp_path, "Ana")
    sync(lead, ana)
    old = key_of(ana)
    rotated = ana.rotate_key()
    assert key_of(ana).public == rotated.data.key != old.public
    assert old.sign(msgspec.structs.replace(rotated, sig=None)).sig == rotated.sig  # by the old
    channel = lead.submit("channel.create", {"name": "general"}).id
    sync(ana, lead, ana)
    post = {"channel": channel, "title": "after", "kind": "question", "text": "x"}
    mine = ana.submit("thread.create", post)
    stolen = written_by_hand(ana, ana.me, "thread.create", {**post, "title": "thief"}, old)
    append_line(tmp_path / "circle.jsonl", stolen)
    sync(ana, lead)
    assert mine.id in lead.state.threads and stolen.id not in lead.state.threads
    assert reported(lead)[stolen.id].action == "forged"
    assert any("Ana has a new key" in notice.text for notice in lead.notices)
    assert lead.state.keys[ana.me][-1].reason == "rotate"


def test_a_lead_gives_a_member_who_lost_their_key_a_new_one(tmp_path):
    """Ana's laptop is gone: she opens the circle on another (a new member id and key);
    the lead gives her old member that key; her new device is Ana again, what it writes
    is hers, and the others are told and can compare the key."""
    lead = new_file_circle(tmp_path)
    ana = join_file_circle(tmp_path, "Ana")
    bo = join_file_circle(tmp_path, "Bo")
    sync(lead, ana, bo)
    lost_key = key_of(ana).public
    (tmp_path / "new-laptop").mkdir()
    laptop = open_file_circle(
        Store(tmp_path / "new-laptop" / "replica.sqlite3"), tmp_path / "circle.jsonl", "Ana"
    )
    sync(laptop, lead, bo)
    assert laptop.me != ana.me
    heard = []
    laptop.subscribe(heard.append)  # a screen listening from before the re-key
    with pytest.raises(Refused, match="lead"):
        bo.rekey(ana.me, laptop.me)  # only a lead may
    lead.rekey(ana.me, laptop.me)
    sync(lead, laptop, bo)
    assert laptop.me == ana.me and lead.state.key_of(ana.me) != lost_key
    assert any("a lead gave you back your place" in n.text for n in laptop.notices)
    assert ana.me in laptop.circle.members  # served here: the pacer paces her quizzes
    laptop.circle.notify(ana.me, "your answer came too late")  # to who she is now
    assert any(getattr(event, "text", "") == "your answer came too late" for event in heard)
    assert any("Lead gave Ana a new key" in n.text for n in bo.notices)
    channel = lead.submit("channel.create", {"name": "general"}).id
    sync(lead, laptop)
    thread = laptop.submit(
        "thread.create", {"channel": channel, "title": "back", "kind": "question", "text": "hi"}
    )
    sync(laptop, bo)
    assert bo.state.threads[thread.id].author == ana.me
    with pytest.raises(Refused, match="not on this computer"):
        sync(ana)  # the lost device: its key is no longer Ana's
        ana.submit(
            "thread.create", {"channel": channel, "title": "old", "kind": "question", "text": "hi"}
        )


def test_the_quiz_pacer_follows_a_re_key(tmp_path):
    """Ana's new laptop, as the moderator it joined as, ran a hands-free quiz before the
    lead gave Ana her place back. After the re-key the laptop serves Ana alone: its pacer
    keeps nothing for the member id that ended, and paces the quiz Ana now hosts, as her."""
    lead = new_file_circle(tmp_path)
    ana = join_file_circle(tmp_path, "Ana")
    sync(lead, ana)
    (tmp_path / "new-laptop").mkdir()
    laptop = open_file_circle(
        Store(tmp_path / "new-laptop" / "replica.sqlite3"), tmp_path / "circle.jsonl", "Ana"
    )
    sync(laptop, lead)
    joined_as = laptop.me
    channel = lead.submit("channel.create", {"name": "python"}).id
    for member in (joined_as, ana.me):
        lead.submit("member.role", {"member": member, "role": "moderator"})
    sync(lead, laptop)
    pacer = QuizPacer(laptop.circle)

    def hosts_a_closed_question() -> str:
        runner = QuizRunner(laptop)
        quiz = asyncio.run(runner.create("Python basics", QUESTIONS, KEYS, channel)).id
        session = asyncio.run(runner.start(quiz, hands_free=8)).id
        asyncio.run(runner.open_question(session, 0))
        asyncio.run(runner.close(session))
        asyncio.run(pacer.step())  # hands-free: the pacer reveals it, as its host
        assert 0 in laptop.state.sessions[session].revealed
        return session

    before = hosts_a_closed_question()
    assert laptop.state.sessions[before].host == joined_as
    lead.rekey(ana.me, joined_as)
    sync(lead, laptop)
    assert laptop.me == ana.me
    asyncio.run(pacer.step())
    assert laptop.circle.members == {ana.me}
    assert set(pacer._runners) <= {ana.me}  # nothing kept for the id that ended
    after = hosts_a_closed_question()
    assert laptop.state.sessions[after].host == ana.me
    assert set(pacer._runners) == {ana.me}


def test_a_circle_from_before_signing_opens_and_becomes_signed(tmp_path):
    """A file written by an older version (no keys, no signatures) opens; its lead's app
    announces a key and signs from then on, so an unsigned line in the lead's name is
    refused; an older app's member, who has no key, still writes; once the lead requires
    signatures, they no longer can."""
    path = tmp_path / "circle.jsonl"
    lead_id, old_id = "01" + "H" * 24, "01" + "M" * 24
    create = Replica("0" * 26).make(
        lead_id,
        "circle.create",
        {"name": "Old club", "lead_name": "Lea"},
        1_700_000_000_000,
        b"1" * 10,
    )
    replica = Replica(create.id)
    replica.add([create])
    join_old = replica.make(old_id, "member.join", {"name": "Old"}, 1_700_000_000_001, b"2" * 10)
    create_circle_file(path, [create, join_old])
    store = Store(tmp_path / "Lea.sqlite3")
    record = CircleRecord(create.id, "Old club", "file", str(path), lead_id)
    store.save_circle(record)
    lead = open_service(store, record)
    assert lead.state.key_of(lead_id) is not None  # announced on opening
    assert lead.state.key_of(old_id) is None
    sync(lead)
    channel = lead.submit("channel.create", {"name": "general"}).id
    unsigned = written_by_hand(lead, lead_id, "channel.create", {"name": "fake"}, None)
    append_line(path, unsigned)
    old_thread = {"channel": channel, "title": "old app", "kind": "question", "text": "hi"}
    append_line(path, written_by_hand(lead, old_id, "thread.create", old_thread, None))
    sync(lead)
    assert reported(lead)[unsigned.id].action == "unsigned"
    assert any(t.title == "old app" for t in lead.state.threads.values())

    lead.require_signatures(True)
    late = written_by_hand(lead, old_id, "thread.create", {**old_thread, "title": "late"}, None)
    append_line(path, late)
    sync(lead)
    assert reported(lead)[late.id].action == "unsigned"
    assert not any(t.title == "late" for t in lead.state.threads.values())


# --- a server circle ---------------------------------------------------------------------


async def _client(site: Site, tmp_path, code: str, name: str) -> CircleService:
    data = tmp_path / name
    store = Store(data / "replica.sqlite3")
    asgi = httpx.ASGITransport(app=site.app)
    record = await join(BASE, code, name, store, data_dir=data, transport=asgi)
    token = read_token(record.id, data)
    return CircleService(
        store, record, HttpTransport(record.location, record.id, token, transport=asgi)
    )


async def test_a_post_changed_by_the_server_is_refused_by_the_client(site, tmp_path):
    """The server's operator changes Ana's post as it is served, and writes a post in
    Ana's name signed with the server's key: Bo's app folds neither and reports both;
    Ana's other post, as she wrote it, folds."""
    circle_id, code = await site.new_circle()
    lead = await _client(site, tmp_path, code, "Lea")
    await lead.sync_once()
    ana = await _client(site, tmp_path, await site.invite(circle_id), "Ana")
    await ana.sync_once()
    channel = lead.submit("channel.create", {"name": "general"}).id
    await lead.sync_once()
    await ana.sync_once()
    kept = ana.submit(
        "thread.create", {"channel": channel, "title": "kept", "kind": "question", "text": "hi"}
    )
    changed = ana.submit(
        "thread.create", {"channel": channel, "title": "mine", "kind": "question", "text": "hi"}
    )
    await ana.sync_once()

    circle = site.hub.circles[circle_id]
    seq = circle.seen[changed.id][0]
    entry = circle.log[seq - 1]
    entry.raw = entry.raw.replace(b'"title":"mine"', b'"title":"I give up"')
    fake = {"channel": channel, "title": "fake", "kind": "question", "text": "hi"}
    forged = circle.server_op(ana.me, "thread.create", fake, lead.now_ms(), for_member=True)
    forged = msgspec.structs.replace(forged, seq=len(circle.log) + 1)
    circle.log.append(Entry(encode_op(forged)))
    circle.published = len(circle.log)
    circle.pages.clear()  # pages already served are not served again from memory

    bo = await _client(site, tmp_path, await site.invite(circle_id), "Bo")
    await bo.sync_once()
    threads = bo.state.threads
    assert kept.id in threads and changed.id not in threads and forged.id not in threads
    found = reported(bo)
    assert found[changed.id].actor == ana.me and found[changed.id].action == "forged"
    assert "signed by the server for a member who signs" in found[forged.id].note
    assert any("claiming to be by Ana" in notice.text for notice in bo.notices)


async def test_the_server_refuses_an_op_not_signed_by_its_pusher(site):
    circle, lead = await site.circle_with_lead()
    ana = await site.join(await site.invite(circle), "Ana")
    channel = lead.make("channel.create", {"name": "general"})
    assert "seq" in (await site.push(lead, channel))[0]
    post = {"channel": channel.id, "title": "t", "kind": "question", "text": "hi"}
    wrong_key = SigningKey(os.urandom(32)).sign(ana.make("thread.create", post))
    unsigned = msgspec.structs.replace(ana.make("thread.create", post), sig=None)
    results = await site.push(ana, wrong_key, unsigned)
    assert "does not match its author's key" in results[0]["error"]
    assert "not signed" in results[1]["error"]
    assert "seq" in (await site.push(ana, ana.make("thread.create", post)))[0]


async def test_what_the_server_writes_is_signed_with_the_key_the_join_gave(site, tmp_path):
    """A joiner's admission and an anonymous suggestion as others see it are the
    server's, signed with its key; clients pin that key at the join."""
    circle_id, code = await site.new_circle()
    lead = await _client(site, tmp_path, code, "Lea")
    await lead.sync_once()
    pinned = lead.store.keys(circle_id, SERVER_ACTOR)
    assert list(pinned) == [site.hub.key.public]
    assert lead.state.key_of(SERVER_ACTOR) == site.hub.key.public
    ana = await _client(site, tmp_path, await site.invite(circle_id), "Ana")
    await ana.sync_once()
    await lead.sync_once()
    join_op = next(op for op in lead.replica.ops() if op.type == "member.join")
    assert join_op.signer == SERVER_ACTOR
    assert signing.Signatures().check(join_op, site.hub.key.public)
    assert not reported(lead) and not reported(ana)
