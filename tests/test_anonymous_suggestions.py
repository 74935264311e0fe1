"""An anonymous suggestion on a server, read as a curious member reads it: raw pulls,
with every field, page by page. Nothing in what they get may lead to its author: not
the author's id, clock, receive time, nor its place beside the author's other ops."""

import asyncio
import json

import pytest

from server_helpers import Member, Site, now_ms
from studycircle_tui.core import hlc, ids
from studycircle_tui.core.ops import SERVER_ACTOR, Op, decode_op
from studycircle_tui.core.replica import Replica
from studycircle_tui.server import anonymous

SKEW_MS = 180_000  # Ana's clock runs three minutes fast: every stamp she makes shows it


@pytest.fixture
async def site(tmp_path, monkeypatch):
    monkeypatch.setattr(anonymous, "HOLD_S", (0.2, 0.4))  # seconds, not half a minute
    site = await Site.start(tmp_path / "server", None)
    yield site
    await site.close()


async def _circle(site: Site) -> tuple[Member, Member, Member, Member]:
    """A lead, Ana (whose clock is fast), Bo, and Mo, a moderator."""
    _, lead = await site.circle_with_lead()
    ana = await site.join(await site.invite(lead.circle), "Ana")
    bo = await site.join(await site.invite(lead.circle), "Bo")
    mo = await site.join(await site.invite(lead.circle, role="moderator"), "Mo")
    ana.make = lambda type_name, data: Member.make(  # type: ignore[method-assign]
        ana, type_name, data, now_ms() + SKEW_MS
    )
    return lead, ana, bo, mo


async def _pages_until(site: Site, member: Member, since: int, op_id: str) -> list[dict]:
    """Long-poll page after page until ``op_id`` arrives: every page, as received."""
    pages = []
    async with asyncio.timeout(10):
        while not any(op["id"] == op_id for page in pages for op in page["ops"]):
            pages.append(await site.pull(member, since=since, wait=5))
            since = pages[-1]["next"]
    return pages


def _stamp_ms(op: dict) -> int:
    return hlc.physical_ms(op["hlc"])


async def test_a_curious_member_finds_nothing_of_the_author_in_raw_pulls(site):
    lead, ana, bo, mo = await _circle(site)
    since = (await site.pull(bo))["next"]
    signed = ana.make("suggestion.create", {"text": "More quizzes"})
    secret = ana.make("suggestion.create", {"text": "Slower pace, please", "anonymous": True})
    renamed = ana.make("member.update", {"name": "Ana S."})
    results = await site.push(ana, signed, secret, renamed)  # one batch, as an app sends it
    assert results[1] == {"id": secret.id, "sealed": True}  # kept: acknowledged, not logged
    sent_with = {signed.id, renamed.id}
    authors_ops = [op for op in await site.everything(lead) if op["id"] in sent_with]

    for reader in (bo, mo):  # a moderator sees no more than a member
        pages = await _pages_until(site, reader, since, secret.id)
        *before, last = pages
        assert secret.id not in json.dumps(before)
        # It comes alone: in no page beside the ops its author sent with it.
        assert [op["id"] for op in last["ops"]] == [secret.id]
        [copy] = last["ops"]
        assert copy["actor"] == SERVER_ACTOR and ana.id not in json.dumps(copy)
        # Nor does its id carry her clock: an id's time part is its maker's clock.
        assert ids.ulid_ms(copy["id"]) == 0
        # Its own receive time: it was published on its own, seconds later.
        assert all(copy["at"] != theirs["at"] for theirs in authors_ops)
        # Its stamp is the server's, not Ana's fast clock.
        assert _stamp_ms(copy) == copy["at"]
        assert all(_stamp_ms(theirs) - copy["at"] > SKEW_MS / 2 for theirs in authors_ops)
        folded = _fold(lead.circle, await site.everything(reader))
        assert folded.state.suggestions[secret.id].author == SERVER_ACTOR

    # Its author and the lead see who wrote it; Ana's retry learns where it went.
    by_lead = {op["id"]: op for op in await site.everything(lead)}
    assert by_lead[secret.id]["actor"] == ana.id
    by_ana = {op["id"]: op for op in await site.everything(ana)}
    assert by_ana[secret.id]["actor"] == ana.id
    assert await site.push(ana, secret) == [{"id": secret.id, "seq": by_ana[secret.id]["seq"]}]


async def test_a_held_suggestion_survives_a_restart_and_comes_out_once(tmp_path, monkeypatch):
    monkeypatch.setattr(anonymous, "HOLD_S", (60.0, 60.0))  # not before the restart
    site = await Site.start(tmp_path / "server", None)
    _, ana, bo, _ = await _circle(site)
    secret = ana.make("suggestion.create", {"text": "Meet earlier", "anonymous": True})
    await site.push(ana, secret)
    await site.close()

    monkeypatch.setattr(anonymous, "HOLD_S", (0.1, 0.2))
    site = await Site.start(tmp_path / "server", None)
    try:
        assert await site.push(ana, secret) == [{"id": secret.id, "sealed": True}]
        pages = await _pages_until(site, bo, 0, secret.id)
        ids = [op["id"] for page in pages for op in page["ops"]]
        assert ids.count(secret.id) == 1
    finally:
        await site.close()


async def test_a_suggestion_still_held_when_its_author_is_removed_counts(site):
    """It was made while Ana was a member: it comes out before her removal, so every
    replica folds it (after the removal, her op would no longer apply)."""
    lead, ana, bo, _ = await _circle(site)
    secret = ana.make("suggestion.create", {"text": "Kinder moderation", "anonymous": True})
    await site.push(ana, secret)
    await site.push(lead, lead.make("member.remove", {"member": ana.id}))
    for reader in (lead, bo):
        ops = await site.everything(reader)
        assert [op["type"] for op in ops][-2:] == ["suggestion.create", "member.remove"]
        assert secret.id in _fold(lead.circle, ops).state.suggestions


def _fold(circle: str, pulled: list[dict]) -> Replica:
    replica = Replica(circle, "seq")
    ops: list[Op] = [decode_op(json.dumps(op)) for op in pulled]
    replica.add(ops)
    return replica
