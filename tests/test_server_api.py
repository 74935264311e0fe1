"""The server's HTTP API in-process (httpx over ASGI, a real hub and SQLite file):
joining, pushing and pulling, who may do what, and every refusal's status."""

import asyncio
import contextlib
import gzip
import json

from server_helpers import Site, body, now_ms
from studycircle_tui.core.ops import SERVER_ACTOR, decode_op
from studycircle_tui.core.replica import Replica
from studycircle_tui.server import circle as circle_module
from studycircle_tui.server.storage import StorageError


def folded(circle: str, pulled: dict) -> Replica:
    replica = Replica(circle, "seq")
    replica.add([decode_op(json.dumps(op)) for op in pulled["ops"]])
    return replica


async def test_the_founding_invite_makes_the_lead_and_others_join_as_members(site):
    circle, lead = await site.circle_with_lead()
    ana = await site.join(await site.invite(circle), "Ana")
    mod = await site.join(await site.invite(circle, role="moderator"), "Mo")
    state = folded(circle, await site.pull(ana)).state
    assert state.hosted and state.name == "Biology"
    assert state.members[lead.id].role == "lead" and state.members[lead.id].name == "Lea"
    assert state.members[ana.id].role == "member" and state.members[ana.id].name == "Ana"
    assert state.members[mod.id].role == "moderator"
    ops = (await site.pull(ana))["ops"]
    joins = [op for op in ops if op["type"] == "member.join"]
    assert {op["actor"] for op in joins} == {ana.id, mod.id}  # a join is by the new member


async def test_pushed_ops_get_seqs_and_a_retry_gets_the_same_answer(site):
    _, lead = await site.circle_with_lead()
    channel = lead.make("channel.create", {"name": "general"})
    thread = lead.make(
        "thread.create", {"channel": channel.id, "title": "Hi", "kind": "question", "text": "?"}
    )
    first = await site.push(lead, channel, thread)
    again = await site.push(lead, channel, thread)
    assert first == again
    assert [result["seq"] for result in first] == [4, 5]
    pulled = await site.pull(lead, since=3)
    assert [op["id"] for op in pulled["ops"]] == [channel.id, thread.id]
    assert pulled["next"] == 5 and pulled["more"] is False
    assert all(op["at"] >= now_ms() - 60_000 for op in pulled["ops"])


async def test_an_op_in_another_name_is_refused_and_seq_and_time_are_the_servers(site):
    circle, lead = await site.circle_with_lead()
    ana = await site.join(await site.invite(circle), "Ana")
    forged = ana.make("channel.create", {"name": "mine"})
    raw = body(forged).replace(ana.id.encode(), lead.id.encode())
    raw = raw.replace(b'"hlc"', b'"seq":99,"at":5,"hlc"')
    response = await site.client.post(
        f"/api/v1/circles/{circle}/ops", content=raw, headers=ana.auth
    )
    # Ana's token, the lead's name (and a signature that is Ana's): refused.
    assert response.json()["results"][0]["error"] == "an op must be made in your own name"
    post = ana.make("suggestion.create", {"text": "More quizzes"})
    raw = body(post).replace(b'"hlc"', b'"seq":99,"at":5,"hlc"')
    response = await site.client.post(
        f"/api/v1/circles/{circle}/ops", content=raw, headers=ana.auth
    )
    seq = response.json()["results"][0]["seq"]
    op = (await site.pull(lead, since=seq - 1))["ops"][0]
    assert (op["actor"], op["seq"]) == (ana.id, seq) and op["at"] > 5


async def test_each_op_is_answered_on_its_own(site):
    circle, lead = await site.circle_with_lead()
    good = lead.make("channel.create", {"name": "general"})
    local = lead.make("read.mark", {"thread": good.id, "post": good.id})
    raw = body(good, local)[:-2] + b',{"id":"X","type":"post.create"},[1,2]]}'
    response = await site.client.post(
        f"/api/v1/circles/{circle}/ops", content=raw, headers=lead.auth
    )
    results = response.json()["results"]
    assert results[0] == {"id": good.id, "seq": 4}
    assert "stays on the device" in results[1]["error"]
    assert results[2]["id"] == "X" and "error" in results[2]
    assert results[3]["id"] is None and "error" in results[3]


async def test_an_op_id_taken_by_someone_else_is_refused(site):
    circle, lead = await site.circle_with_lead()
    ana = await site.join(await site.invite(circle), "Ana")
    op = lead.make("channel.create", {"name": "general"})
    await site.push(lead, op)
    results = await site.push(ana, op)
    assert results[0]["error"] == "another op already has this id"


async def test_an_op_from_far_in_the_future_is_refused(site):
    _, lead = await site.circle_with_lead()
    op = lead.replica.make(
        lead.id, "channel.create", {"name": "x"}, now_ms() + 3 * 86_400_000, b"0" * 10
    )
    assert "ahead" in (await site.push(lead, op))[0]["error"]


async def _parked(site, circle: str) -> None:
    """Until a long-poll waits at the server: after it, "not done" means it waits, not that
    its request has yet to arrive."""
    hosted = site.hub.circles[circle]
    async with asyncio.timeout(10):
        while not hosted.waiters:
            await asyncio.sleep(0.005)


async def test_a_long_poll_answers_as_soon_as_an_op_arrives(site):
    circle, lead = await site.circle_with_lead()
    ana = await site.join(await site.invite(circle), "Ana")
    upto = (await site.pull(ana))["next"]
    waiting = asyncio.create_task(site.pull(ana, since=upto, wait=20))
    await _parked(site, circle)
    assert not waiting.done()
    op = lead.make("channel.create", {"name": "general"})
    await site.push(lead, op)
    pulled = await asyncio.wait_for(waiting, 10)
    assert [o["id"] for o in pulled["ops"]] == [op.id]


async def test_commits_close_together_reach_long_polls_in_one_answer(site, monkeypatch):
    monkeypatch.setattr(circle_module, "GATHER_S", 30.0)  # a gathering that outlasts the test
    circle, lead = await site.circle_with_lead()
    hosted = site.hub.circles[circle]
    hosted.wake()  # long-polls were just woken: the next commits wait for the gathering
    upto = (await site.pull(lead))["next"]
    waiting = asyncio.create_task(site.pull(lead, since=upto, wait=20))
    first, second = (lead.make("channel.create", {"name": f"c{i}"}) for i in range(2))
    assert [r["seq"] for r in await site.push(lead, first)] == [upto + 1]
    assert [r["seq"] for r in await site.push(lead, second)] == [upto + 2]
    # Acknowledged, hence on disk, and there for a plain pull; the long-poll still waits.
    plain = await site.pull(lead, since=upto)
    assert [op["id"] for op in plain["ops"]] == [first.id, second.id]
    await _parked(site, circle)
    assert not waiting.done()
    hosted.wake()  # the gathering's end
    pulled = await asyncio.wait_for(waiting, 10)
    assert [op["id"] for op in pulled["ops"]] == [first.id, second.id]
    assert pulled["next"] == upto + 2 and pulled["more"] is False


async def test_shutting_down_answers_waiting_long_polls_at_once(site):
    circle, lead = await site.circle_with_lead()
    upto = (await site.pull(lead))["next"]
    waiting = asyncio.create_task(site.pull(lead, since=upto, wait=20))
    await _parked(site, circle)
    assert not waiting.done()
    site.hub.end_long_polls()
    assert await asyncio.wait_for(waiting, 5) == {"ops": [], "next": upto, "more": False}


async def test_a_long_poll_with_nothing_new_comes_back_empty(site):
    _, lead = await site.circle_with_lead()
    upto = (await site.pull(lead))["next"]
    pulled = await site.pull(lead, since=upto, wait=0.2)
    assert pulled == {"ops": [], "next": upto, "more": False}


async def test_limit_pages_through_the_log(site):
    _, lead = await site.circle_with_lead()
    await site.push(lead, *[lead.make("channel.create", {"name": f"c{i}"}) for i in range(3)])
    first = await site.pull(lead, limit=3)
    assert len(first["ops"]) == 3 and first["more"] is True and first["next"] == 3
    rest = await site.pull(lead, since=first["next"], limit=3)
    assert len(rest["ops"]) == 3 and rest["more"] is False and rest["next"] == 6


async def test_responses_and_requests_travel_gzipped(site):
    circle, lead = await site.circle_with_lead()
    ops = [lead.make("channel.create", {"name": f"channel {i}"}) for i in range(20)]
    packed = gzip.compress(body(*ops))
    response = await site.client.post(
        f"/api/v1/circles/{circle}/ops",
        content=packed,
        headers={**lead.auth, "content-encoding": "gzip"},
    )
    assert len(response.json()["results"]) == 20
    response = await site.client.get(
        f"/api/v1/circles/{circle}/ops", headers={**lead.auth, "accept-encoding": "gzip"}
    )
    assert response.headers["content-encoding"] == "gzip"
    assert len(response.json()["ops"]) == 23


# --- refusals --------------------------------------------------------------------------


async def _status(site, method, path, **kwargs):
    response = await site.client.request(method, path, **kwargs)
    error = response.json()["error"]
    assert error["code"] and error["message"]
    return response.status_code


async def test_tokens_circles_and_members_are_checked(site):
    circle, lead = await site.circle_with_lead()
    other, _ = await site.circle_with_lead()
    path = f"/api/v1/circles/{circle}/ops"
    assert await _status(site, "GET", path) == 401
    assert await _status(site, "GET", path, headers={"authorization": "Bearer nope"}) == 401
    assert await _status(site, "GET", path, headers={"authorization": "Basic xyz"}) == 401
    elsewhere = await site.client.get(f"/api/v1/circles/{other}/ops", headers=lead.auth)
    # Said as it is: the token is not this circle's (not "no longer a member").
    assert (elsewhere.status_code, elsewhere.json()["error"]) == (
        403,
        {"code": "forbidden", "message": "your token is for another circle"},
    )
    assert await _status(site, "GET", f"/api/v1/circles/{'0' * 26}/ops", headers=lead.auth) == 404
    assert await _status(site, "GET", "/api/v1/circles/x/ops", headers=lead.auth) == 404
    assert await _status(site, "POST", f"/api/v1/circles/{other}/ops", headers=lead.auth) == 403
    assert await _status(site, "GET", "/api/v1/nothing") == 404
    assert await _status(site, "PUT", path) == 405


async def test_a_removed_member_is_refused_from_the_next_request(site):
    circle, lead = await site.circle_with_lead()
    ana = await site.join(await site.invite(circle), "Ana")
    await site.pull(ana)
    await site.push(lead, lead.make("member.remove", {"member": ana.id}))
    path = f"/api/v1/circles/{circle}/ops"
    assert await _status(site, "GET", path, headers=ana.auth) == 403
    assert await _status(site, "POST", path, headers=ana.auth, content=b'{"ops":[]}') == 403


async def test_invites_that_are_unknown_expired_or_used_up_are_refused(site):
    circle, _ = await site.circle_with_lead()
    once = await site.invite(circle)
    await site.join(once, "Ana")

    async def join(code):
        return await _status(
            site, "POST", "/api/v1/join", json={"invite": code, "display_name": "Bo"}
        )

    assert await join(once) == 410  # used up
    assert await join(await site.invite(circle, ttl_ms=-1)) == 410  # expired
    assert await join("AAAA-BBBB-CCCC-DDDD") == 404
    assert await _status(site, "POST", "/api/v1/join", json={"invite": once}) == 400
    twice = await site.invite(circle, uses=2)
    await site.join(twice.lower().replace("-", " "), "Cy")  # typed loosely, still found
    await site.join(twice, "Di")
    assert await join(twice) == 410


async def test_a_body_over_the_limit_is_refused_with_413(tmp_path, database):
    site = await Site.start(tmp_path / "server", database, max_body=10_000)
    try:
        circle, lead = await site.circle_with_lead()
        path = f"/api/v1/circles/{circle}/ops"
        big = b'{"ops":[' + b" " * 20_000 + b"]}"
        assert await _status(site, "POST", path, headers=lead.auth, content=big) == 413
        bomb = gzip.compress(big * 50)  # small on the wire, huge unpacked
        headers = {**lead.auth, "content-encoding": "gzip"}
        assert await _status(site, "POST", path, headers=headers, content=bomb) == 413
        headers = {**lead.auth, "content-encoding": "br"}
        assert await _status(site, "POST", path, headers=headers, content=b"{}") == 415
    finally:
        await site.close()


async def test_too_many_requests_get_429_with_retry_after(tmp_path, database):
    site = await Site.start(
        tmp_path / "server", database, rate=1, burst=3, join_rate=0.01, join_burst=2
    )
    try:
        circle, code = await site.new_circle()
        lead = await site.join(code, "Lead")
        path = f"/api/v1/circles/{circle}/ops"
        statuses = [(await site.client.get(path, headers=lead.auth)) for _ in range(4)]
        assert [r.status_code for r in statuses] == [200, 200, 200, 429]
        assert int(statuses[-1].headers["retry-after"]) >= 1
        assert statuses[-1].json()["error"]["code"] == "rate_limited"
        assert (await site.client.post("/api/v1/join", json={})).status_code == 400
        assert (await site.client.post("/api/v1/join", json={})).status_code == 429
    finally:
        await site.close()


async def test_a_cursor_past_the_end_is_a_conflict(site):
    circle, lead = await site.circle_with_lead()
    path = f"/api/v1/circles/{circle}/ops"
    assert await _status(site, "GET", path, params={"since": 99}, headers=lead.auth) == 409
    for bad in ({"since": "-1"}, {"limit": "0"}, {"wait": "nan"}, {"since": "1e3"}):
        assert await _status(site, "GET", path, params=bad, headers=lead.auth) == 400


# --- what members may see ------------------------------------------------------------------


async def test_quiz_answers_stay_sealed_until_the_question_closes(site):
    circle, lead = await site.circle_with_lead()
    ana = await site.join(await site.invite(circle), "Ana")
    bo = await site.join(await site.invite(circle), "Bo")
    quiz = lead.make(
        "quiz.create",
        {"title": "Cells", "questions": [{"kind": "true_false", "text": "Cells divide?"}]},
    )
    start = lead.make("quiz.start", {"quiz": quiz.id, "mode": "live"})
    opened = lead.make(
        "quiz.open", {"session": start.id, "question": 0, "deadline": now_ms() + 60_000}
    )
    await site.push(lead, quiz, start, opened)
    answer = ana.make("quiz.answer", {"session": start.id, "question": 0, "answer": "true"})
    assert await site.push(ana, answer) == [{"id": answer.id, "sealed": True}]
    assert await site.push(ana, answer) == [{"id": answer.id, "sealed": True}]  # a retry
    again = ana.make("quiz.answer", {"session": start.id, "question": 0, "answer": "false"})
    assert (await site.push(ana, again))[0]["error"] == "you have already answered this question"

    before = await site.pull(bo)
    assert answer.id not in {op["id"] for op in before["ops"]}
    told = [op for op in before["ops"] if op["type"] == "quiz.answered"]
    assert [(op["actor"], op["data"]["player"]) for op in told] == [(SERVER_ACTOR, ana.id)]
    assert "true" not in str(told)

    close = lead.make("quiz.close", {"session": start.id, "question": 0})
    [closed] = await site.push(lead, close)
    after = await site.pull(bo, since=before["next"])
    assert [op["id"] for op in after["ops"]] == [answer.id, close.id]
    assert after["ops"][0]["seq"] < closed["seq"]
    assert await site.push(ana, answer) == [{"id": answer.id, "seq": after["ops"][0]["seq"]}]
    late = bo.make("quiz.answer", {"session": start.id, "question": 0, "answer": "true"})
    assert (await site.push(bo, late))[0]["error"] == "that question is closed"
    session = folded(circle, await site.pull(bo)).state.sessions[start.id]
    assert session.answers[0] == {ana.id: ("true", after["ops"][0]["at"])}
    assert session.answered[0] == {ana.id} and 0 in session.closed


async def _live_question(site):
    """A circle with a live true/false question open; its lead and two players."""
    circle, lead = await site.circle_with_lead()
    ana = await site.join(await site.invite(circle), "Ana")
    bo = await site.join(await site.invite(circle), "Bo")
    quiz = lead.make(
        "quiz.create", {"title": "Q", "questions": [{"kind": "true_false", "text": "?"}]}
    )
    start = lead.make("quiz.start", {"quiz": quiz.id, "mode": "live"})
    opened = lead.make(
        "quiz.open", {"session": start.id, "question": 0, "deadline": now_ms() + 60_000}
    )
    await site.push(lead, quiz, start, opened)
    return start.id, lead, ana, bo


async def _long_polls(site, *members) -> list[asyncio.Task]:
    """A long-poll for each member, from the end of the log as they see it now."""
    polls = []
    for member in members:
        since = (await site.pull(member))["next"]
        polls.append(asyncio.create_task(site.pull(member, since=since, wait=20)))
    return polls


async def test_who_has_answered_waits_for_players_but_not_for_the_host_or_the_reveal(
    site, monkeypatch
):
    monkeypatch.setattr(circle_module, "QUIET_HOLD_S", 30.0)  # held until something else comes
    session, lead, ana, bo = await _live_question(site)
    lead_poll, bo_poll = await _long_polls(site, lead, bo)
    answer = ana.make("quiz.answer", {"session": session, "question": 0, "answer": "true"})
    await site.push(ana, answer)
    told = await asyncio.wait_for(lead_poll, 10)  # the host sees it at once
    assert [op["type"] for op in told["ops"]] == ["quiz.answered"]
    await _parked(site, bo.circle)
    assert not bo_poll.done()  # a player's long-poll holds it…
    close = lead.make("quiz.close", {"session": session, "question": 0})
    await site.push(lead, close)
    pulled = await asyncio.wait_for(bo_poll, 10)  # …until the close, sent with it
    types = [op["type"] for op in pulled["ops"]]
    assert types == ["quiz.answered", "quiz.answer", "quiz.close"]


async def test_quiet_news_passes_by_a_player_s_long_poll_that_holds_it(site, monkeypatch):
    """200 players answering used to wake each player's long-poll at every gathering
    only for it to find what it holds and wait again: 40,000 wake-ups a question. A poll
    that would hold what is new is not woken: it waits once until its hold ends or
    something else comes."""
    monkeypatch.setattr(circle_module, "QUIET_HOLD_S", 30.0)  # held until something else comes
    monkeypatch.setattr(circle_module, "GATHER_S", 0.0)  # every commit a wake-up
    waits = []
    wait = circle_module.Circle.wait

    async def counted(self, *args, **kwargs):
        waits.append(args)
        await wait(self, *args, **kwargs)

    monkeypatch.setattr(circle_module.Circle, "wait", counted)
    session, lead, ana, bo = await _live_question(site)
    [bo_poll] = await _long_polls(site, bo)
    answer = ana.make("quiz.answer", {"session": session, "question": 0, "answer": "true"})
    await site.push(ana, answer)
    await site.push(ana, ana.make("quiz.join", {"session": session}))
    await site.push(ana, ana.make("quiz.leave", {"session": session}))
    await _parked(site, bo.circle)
    assert len(waits) == 1 and not bo_poll.done()
    await site.push(lead, lead.make("quiz.close", {"session": session, "question": 0}))
    pulled = await asyncio.wait_for(bo_poll, 10)
    types = [op["type"] for op in pulled["ops"]]
    assert types == ["quiz.answered", "quiz.join", "quiz.leave", "quiz.answer", "quiz.close"]


async def test_a_held_who_has_answered_still_goes_out(site, monkeypatch):
    monkeypatch.setattr(circle_module, "QUIET_HOLD_S", 0.2)
    session, _, ana, bo = await _live_question(site)
    bo_at = (await site.pull(bo))["next"]
    bo_poll = asyncio.create_task(site.pull(bo, since=bo_at, wait=20))
    answer = ana.make("quiz.answer", {"session": session, "question": 0, "answer": "true"})
    await site.push(ana, answer)
    pulled = await asyncio.wait_for(bo_poll, 10)  # well before the poll's own 20 s
    assert [op["type"] for op in pulled["ops"]] == ["quiz.answered"]


async def test_sealed_answers_survive_a_restart(tmp_path, database):
    site = await Site.start(tmp_path / "server", database)
    session, lead, ana, _ = await _live_question(site)
    answer = ana.make("quiz.answer", {"session": session, "question": 0, "answer": "false"})
    await site.push(ana, answer)
    await site.close()

    site = await Site.start(tmp_path / "server", database)
    try:
        assert await site.push(ana, answer) == [{"id": answer.id, "sealed": True}]
        await site.push(lead, lead.make("quiz.close", {"session": session, "question": 0}))
        ids = [op["id"] for op in (await site.pull(lead))["ops"]]
        assert ids.count(answer.id) == 1
    finally:
        await site.close()


async def test_everything_survives_a_restart_in_seq_order(tmp_path, database):
    site = await Site.start(tmp_path / "server", database)
    circle, lead = await site.circle_with_lead()
    await site.push(lead, *[lead.make("channel.create", {"name": f"c{i}"}) for i in range(30)])
    before = await site.pull(lead)
    await site.close()
    site = await Site.start(tmp_path / "server", database)
    try:
        assert await site.pull(lead) == before
        assert len(site.hub.circles[circle].replica.state.channels) == 30
    finally:
        await site.close()


async def test_a_failed_commit_is_a_503_and_leaves_nothing_behind(site, monkeypatch):
    """The database refuses one commit (a full disk, a lost connection): the pushes in it
    are answered 503, nothing of them stays in memory, and the same ops sent again are
    stored with the next seqs."""
    _, lead = await site.circle_with_lead()
    store = site.hub.store
    opened = store.transaction
    failures = [StorageError("the disk is full")]

    @contextlib.asynccontextmanager
    async def failing_once():
        async with opened() as tx:
            if failures:
                error = failures.pop()

                async def refuse(statements):
                    raise error

                tx.run = refuse
            yield tx

    monkeypatch.setattr(store, "transaction", failing_once)
    ops = [lead.make("channel.create", {"name": f"c{i}"}) for i in range(2)]
    response = await site.client.post(
        f"/api/v1/circles/{lead.circle}/ops", content=body(*ops), headers=lead.auth
    )
    assert response.status_code == 503 and "the disk is full" in response.text
    assert [op["id"] for op in (await site.pull(lead))["ops"]][-1] != ops[-1].id
    assert [r["seq"] for r in await site.push(lead, *ops)] == [4, 5]
    assert [op["seq"] for op in (await site.pull(lead))["ops"]] == [1, 2, 3, 4, 5]


async def test_players_walking_into_the_lobby_wait_for_others_but_not_for_the_host(
    site, monkeypatch
):
    monkeypatch.setattr(circle_module, "QUIET_HOLD_S", 30.0)  # held until something else comes
    session, lead, ana, bo = await _live_question(site)
    lead_poll, bo_poll = await _long_polls(site, lead, bo)
    await site.push(ana, ana.make("quiz.join", {"session": session}))
    told = await asyncio.wait_for(lead_poll, 10)  # the host sees who came in at once
    assert [op["type"] for op in told["ops"]] == ["quiz.join"]
    await site.push(ana, ana.make("quiz.leave", {"session": session}))
    await asyncio.sleep(0.3)
    assert not bo_poll.done()  # another player's long-poll holds them…
    await site.push(lead, lead.make("quiz.close", {"session": session, "question": 0}))
    pulled = await asyncio.wait_for(bo_poll, 10)  # …until something else goes out
    assert [op["type"] for op in pulled["ops"]] == ["quiz.join", "quiz.leave", "quiz.close"]


async def test_the_server_refuses_a_late_joiners_answer_to_the_question_being_asked(site):
    session, _, ana, bo = await _live_question(site)  # question 1 is open
    await site.push(ana, ana.make("quiz.join", {"session": session}))
    answer = ana.make("quiz.answer", {"session": session, "question": 0, "answer": "true"})
    [result] = await site.push(ana, answer)
    assert result["error"] == "you joined during this question: you play from the next one"
    # Bo never joined (an app from before quiz.join): his answer is taken, sealed.
    answer = bo.make("quiz.answer", {"session": session, "question": 0, "answer": "true"})
    assert await site.push(bo, answer) == [{"id": answer.id, "sealed": True}]
