"""Several server processes on one PostgreSQL database, as a host runs them for many
circles: real ``serve`` processes (two on their own ports, as on two machines, or one
``serve --workers 2``), a real PostgreSQL server started by the tests, members talking
to whichever process they reach."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from server_helpers import (
    Member,
    ServerProcess,
    Site,
    body,
    http_request,
    join_over_http,
    now_ms,
    server_circle,
    simultaneous,
    whole_log,
)
from studycircle_tui import cli
from studycircle_tui.core.signing import SigningKey
from studycircle_tui.server import anonymous
from studycircle_tui.server.limits import LongPolls


@pytest.fixture
def pg(pg_cluster):
    url = pg_cluster.database()
    yield url
    pg_cluster.drop(url)


def _push(url: str, member: Member, *ops) -> list[dict]:
    answer = httpx.post(
        f"{url}/api/v1/circles/{member.circle}/ops", content=body(*ops), headers=member.auth
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["results"]


def _until(condition, seconds: float = 60) -> None:
    """Wait for ``condition()``; fail if it has not come within ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.01)


def _two(tmp_path, pg, *options: str) -> tuple[ServerProcess, ServerProcess]:
    a = ServerProcess(tmp_path / "a", 0, *options, database=pg)
    b = ServerProcess(tmp_path / "b", 0, *options, database=pg)
    return a, b


def test_concurrent_pushes_to_one_circle_through_two_processes_get_distinct_gap_free_seqs(
    tmp_path, pg
):
    _, codes = server_circle(tmp_path / "a", invites=7, database=pg)
    a, b = _two(tmp_path, pg)
    try:
        members = [join_over_http((a, b)[i % 2].url, code, f"M{i}") for i, code in enumerate(codes)]
        acknowledged: dict[str, int] = {}
        start = threading.Barrier(len(members))

        def write(index: int, member: Member) -> None:
            url = (a, b)[index % 2].url
            with httpx.Client(base_url=url, headers=member.auth, timeout=30) as client:
                start.wait()
                for round_ in range(25):
                    ops = [
                        member.make("suggestion.create", {"text": f"{round_}.{n}"})
                        for n in range(3)
                    ]
                    results = client.post(
                        f"/api/v1/circles/{member.circle}/ops", content=body(*ops)
                    ).json()["results"]
                    acknowledged.update({r["id"]: r["seq"] for r in results})

        threads = [threading.Thread(target=write, args=pair) for pair in enumerate(members)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seqs = list(acknowledged.values())
        assert len(seqs) == 8 * 25 * 3 and len(set(seqs)) == len(seqs)  # no seq given twice
        logs = [whole_log(server.url, members[0]) for server in (a, b)]
        assert logs[0] == logs[1]  # both processes serve the same log
        assert [op["seq"] for op in logs[0]] == list(range(1, len(logs[0]) + 1))  # no gap
        by_id = {op["id"]: op["seq"] for op in logs[0]}
        assert {op_id: by_id.get(op_id) for op_id in acknowledged} == acknowledged
    finally:
        a.stop()
        b.stop()


@pytest.mark.parametrize("size", [20, 20_000])  # the op in the notice, or read from the database
def test_a_long_poll_on_one_process_wakes_for_a_push_on_another(tmp_path, pg, size):
    _, codes = server_circle(tmp_path / "a", invites=1, database=pg)
    a, b = _two(tmp_path, pg)
    try:
        lead = join_over_http(a.url, codes[0], "Lea")
        ana = join_over_http(b.url, codes[1], "Ana")  # a token made on B works on A too
        since = len(whole_log(b.url, ana))
        woken: list[httpx.Response] = []
        waiting = threading.Thread(
            target=lambda: woken.append(
                httpx.get(
                    f"{b.url}/api/v1/circles/{ana.circle}/ops",
                    params={"since": since, "wait": 20},
                    headers=ana.auth,
                    timeout=30,
                )
            )
        )
        waiting.start()
        post = lead.make("suggestion.create", {"text": "Meet on Friday? " * (size // 16)})
        [result] = _push(a.url, lead, post)
        waiting.join(30)
        assert [op["id"] for op in woken[0].json()["ops"]] == [post.id]
        assert woken[0].json()["ops"][0]["seq"] == result["seq"]
    finally:
        a.stop()
        b.stop()


def test_an_invite_is_redeemed_no_more_times_than_it_allows_across_processes(tmp_path, pg, capsys):
    server_circle(tmp_path / "a", database=pg)  # a circle named Biology
    assert cli.main(["server", "invite", "Biology", "--uses", "3", "--database", pg]) == 0
    code = capsys.readouterr().out.strip()
    a, b = _two(tmp_path, pg, "--join-limit", "100000")
    try:
        # Twelve people, each with a key of their own (a key already taken is refused).
        requests = [
            http_request(
                "POST",
                "/api/v1/join",
                {"invite": code, "display_name": "Bo", "key": SigningKey(os.urandom(32)).public},
            )
            for _ in range(12)
        ]

        async def both() -> list[tuple[int, bytes]]:
            halves = await asyncio.gather(
                simultaneous(a.port, requests[:6]), simultaneous(b.port, requests[6:])
            )
            return halves[0] + halves[1]

        statuses = sorted(status for status, _ in asyncio.run(both()))
        assert statuses == [200] * 3 + [410] * 9
    finally:
        a.stop()
        b.stop()


def _statuses(url: str, member: Member, count: int) -> list[int]:
    with httpx.Client(base_url=url, headers=member.auth) as client:
        path = f"/api/v1/circles/{member.circle}/ops"
        return [client.get(path).status_code for _ in range(count)]


async def test_rate_limits_hold_across_processes(tmp_path, pg):
    """A member may make a burst of 2 requests (then one per 1,000 s). One server alone
    allows the 2; with two on the database each allows 1, never 2 each, however the
    member's requests are spread over them. (Two hubs in this process, each with its
    own connections, stand for the two processes: the limits are set in the app.)"""
    limits = {"rate": 0.001, "burst": 2.0}
    a = await Site.start(tmp_path / "a", pg, **limits)
    try:
        circle, lead = await a.circle_with_lead()

        async def statuses(site: Site, member: Member) -> list[int]:
            path = f"/api/v1/circles/{circle}/ops"
            return [(await site.client.get(path, headers=member.auth)).status_code for _ in "xyz"]

        assert await statuses(a, lead) == [200, 200, 429]  # the limit, one process
        b = await Site.start(tmp_path / "b", pg, **limits)
        try:
            async with asyncio.timeout(10):  # A counts again when it hears B start
                while a.hub.peers.processes != 2:
                    await asyncio.sleep(0.01)
            assert b.hub.peers.processes == 2
            ana = await a.join(await a.invite(circle), "Ana")
            assert await statuses(a, ana) + await statuses(b, ana) == [200, 429, 429] * 2
        finally:
            await b.close()
    finally:
        await a.close()


def test_long_poll_caps_are_shared_among_processes():
    """Four long-polls per member in all: two processes hold two each; a third on one
    of them answers that process's oldest at once."""
    processes = 2
    polls = LongPolls(4, 512, lambda: processes)
    first, second = polls.start("ana", "1.2.3.4"), polls.start("ana", "1.2.3.4")
    assert not first.ended and not second.ended
    polls.start("ana", "1.2.3.4")
    assert first.ended and not second.ended
    processes = 1
    alone = LongPolls(4, 512, lambda: processes)
    kept = [alone.start("ana", "1.2.3.4") for _ in range(4)]
    assert not any(poll.ended for poll in kept)  # one process: all four of the cap


def test_a_revoked_member_is_refused_by_every_process_at_once(tmp_path, pg, capsys):
    _, codes = server_circle(tmp_path / "a", invites=1, database=pg)
    a, b = _two(tmp_path, pg)
    try:
        lead = join_over_http(a.url, codes[0], "Lea")
        ana = join_over_http(a.url, codes[1], "Ana")
        for server in (a, b):  # both processes know Ana's token
            assert _statuses(server.url, ana, 1) == [200]
        assert cli.main(["server", "members", "Biology", "--database", pg]) == 0
        listed = capsys.readouterr().out
        assert "2 members" in listed and "Ana" in listed and "lead" in listed
        assert cli.main(["server", "revoke", "biology", "ana", "--database", pg]) == 0
        said = capsys.readouterr().out
        assert "revoked 1 token(s) of Ana" in said and "2 of 2 running server" in said
        for server in (a, b):
            assert _statuses(server.url, ana, 1) == [401]
            assert _statuses(server.url, lead, 1) == [200]
    finally:
        a.stop()
        b.stop()


def test_a_revoked_member_and_invite_are_refused_by_a_running_sqlite_server(tmp_path, capsys):
    data = tmp_path / "server"
    _, codes = server_circle(data, invites=2)
    server = ServerProcess(data)
    try:
        ana = join_over_http(server.url, codes[1], "Ana")
        assert _statuses(server.url, ana, 1) == [200]
        assert cli.main(["server", "revoke", "Biology", ana.id, "--data", str(data)]) == 0
        assert _statuses(server.url, ana, 1) == [401]
        assert cli.main(["server", "revoke", "--invite", codes[2], "--data", str(data)]) == 0
        joined = httpx.post(
            f"{server.url}/api/v1/join", json={"invite": codes[2], "display_name": "Bo"}
        )
        assert joined.status_code == 404
    finally:
        server.stop()


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_a_push_completes_while_an_admin_command_is_mid_transaction(tmp_path, store, request):
    """The admin commands' transactions lock no circle. On PostgreSQL a push to a circle
    completes while one is open; SQLite has one write lock for the whole file, so there
    the server keeps answering pulls meanwhile, and the push completes once the admin's
    short transaction commits, rather than failing or stopping the server."""
    import sqlite3

    database = request.getfixturevalue("pg") if store == "postgresql" else None
    data = tmp_path / "server"
    circle, [code] = server_circle(data, database=database)
    server = ServerProcess(data, database=database)
    try:
        lead = join_over_http(server.url, code)
        pushed: list[list[dict]] = []
        post = lead.make("suggestion.create", {"text": "During an admin command"})
        pusher = threading.Thread(target=lambda: pushed.append(_push(server.url, lead, post)))
        if database:
            import psycopg

            with psycopg.connect(database) as admin:  # a transaction, open until the end
                admin.execute("INSERT INTO circles (id, name, created_ms) VALUES ('X', 'x', 0)")
                admin.execute("DELETE FROM tokens WHERE member = 'nobody'")
                pusher.start()
                pusher.join(30)
                assert pushed and "seq" in pushed[0][0]  # done while the admin's is open
                assert admin.info.transaction_status.name == "INTRANS"
                admin.rollback()
        else:
            admin = sqlite3.connect(data / "server.sqlite3", isolation_level=None)
            admin.execute("BEGIN IMMEDIATE")  # the file's write lock, as an admin holds it
            admin.execute("INSERT INTO circles (id, name, created_ms) VALUES ('X', 'x', 0)")
            pusher.start()
            # circle.create, the lead's name and key: pulls are answered meanwhile
            assert len(whole_log(server.url, lead)) == 3
            assert not pushed
            admin.execute("COMMIT")
            admin.close()
            pusher.join(30)
            assert pushed and "seq" in pushed[0][0]
        assert [op["id"] for op in whole_log(server.url, lead)][-1] == post.id
    finally:
        server.stop()
    del circle


def test_serve_workers_share_one_port_and_clients_go_on_when_one_is_killed(tmp_path, pg):
    data = tmp_path / "server"
    _, [code] = server_circle(data, database=pg)
    server = ServerProcess(data, 0, "--workers", "2", database=pg)
    try:
        pids = [int(pid) for pid in server.line.split("workers: ")[1].split(";")[0].split()]
        assert len(pids) == 2
        lead = join_over_http(server.url, code)
        acknowledged: dict[str, int] = {}
        stop = threading.Event()
        retried = []

        def write() -> None:
            """As an app does: the same ops again until they are answered."""
            path = f"/api/v1/circles/{lead.circle}/ops"
            while not stop.is_set():
                ops = [lead.make("suggestion.create", {"text": "x"}) for _ in range(3)]
                while True:
                    try:  # a new connection each time: the kernel spreads them over both
                        answer = httpx.post(
                            f"{server.url}{path}", content=body(*ops), headers=lead.auth
                        )
                        break
                    except httpx.HTTPError:
                        retried.append(1)
                acknowledged.update({r["id"]: r["seq"] for r in answer.json()["results"]})

        writers = [threading.Thread(target=write) for _ in range(4)]
        for writer in writers:
            writer.start()
        try:
            _until(lambda: len(acknowledged) >= 150)
            os.kill(pids[0], signal.SIGKILL)  # mid-load
            before = len(acknowledged)
            _until(lambda: len(acknowledged) >= before + 300)  # the other worker carries on
        finally:
            stop.set()
        for writer in writers:
            writer.join()
        logged = whole_log(server.url, lead)
        by_id = {op["id"]: op["seq"] for op in logged}
        assert {op_id: by_id.get(op_id) for op_id in acknowledged} == acknowledged
        assert len(by_id) == len(logged)  # nothing twice
        assert [op["seq"] for op in logged] == list(range(1, len(logged) + 1))
        log = data / "server.log"
        _until(lambda: "starting another" in log.read_text())  # the supervisor replaces it
    finally:
        server.stop()
    assert "Traceback" not in log.read_text()


def test_several_workers_on_sqlite_are_refused_with_a_reason(tmp_path, capsys):
    argv = ["serve", "--workers", "2", "--port", "0", "--data", str(tmp_path / "server")]
    assert cli.main(argv) == 2
    assert "several --workers need PostgreSQL" in capsys.readouterr().err


async def test_kept_answers_and_suggestions_are_published_once_across_processes(
    tmp_path, pg, monkeypatch
):
    """Answers sealed on two processes come out together at the close, wherever it is
    pushed; an anonymous suggestion both processes hold a timer for comes out once.
    (Two hubs in this process, each with its own connections, for the two processes.)"""
    monkeypatch.setattr(anonymous, "HOLD_S", (0.3, 0.6))
    a = await Site.start(tmp_path / "a", pg)
    b = await Site.start(tmp_path / "b", pg)
    try:
        circle, lead = await a.circle_with_lead()
        ana = await a.join(await a.invite(circle), "Ana")
        bo = await b.join(await b.invite(circle), "Bo")
        quiz = lead.make(
            "quiz.create", {"title": "Q", "questions": [{"kind": "true_false", "text": "?"}]}
        )
        start = lead.make("quiz.start", {"quiz": quiz.id, "mode": "live"})
        ref = {"session": start.id, "question": 0}
        await a.push(
            lead, quiz, start, lead.make("quiz.open", {**ref, "deadline": now_ms() + 60_000})
        )
        answers = [
            ana.make("quiz.answer", {**ref, "answer": "true"}),
            bo.make("quiz.answer", {**ref, "answer": "false"}),
        ]
        ideas = [
            ana.make("suggestion.create", {"text": "Ana's idea", "anonymous": True}),
            bo.make("suggestion.create", {"text": "Bo's idea", "anonymous": True}),
        ]
        assert await a.push(ana, answers[0], ideas[0]) == [
            {"id": op.id, "sealed": True} for op in (answers[0], ideas[0])
        ]
        assert await b.push(bo, answers[1], ideas[1]) == [
            {"id": op.id, "sealed": True} for op in (answers[1], ideas[1])
        ]
        # B read what A keeps before it admitted Bo's ops: it times Ana's idea too.
        assert (circle, ideas[0].id) in b.hub.suggestions.timers
        [closed] = await b.push(lead, lead.make("quiz.close", ref))
        async with asyncio.timeout(20):
            while not {idea.id for idea in ideas} <= {op["id"] for op in await a.everything(lead)}:
                await asyncio.sleep(0.05)
        async with asyncio.timeout(20):  # until every timer of both has fired and published
            while any(
                hub.suggestions.timers or hub._queue or (hub._runner and not hub._runner.done())
                for hub in (a.hub, b.hub)
            ):
                await asyncio.sleep(0.05)
        logged = [op["id"] for op in await a.everything(lead)]
        assert logged == [op["id"] for op in await b.everything(lead)]
        for op in (*answers, *ideas):
            assert logged.count(op.id) == 1
        assert max(logged.index(op.id) for op in answers) < closed["seq"] - 1
    finally:
        await b.close()
        await a.close()


async def test_a_process_that_has_not_heard_of_a_commit_yet_reads_it_when_asked(tmp_path, pg):
    """A member's cursor or membership may come from a process whose notice has not
    reached this one yet (here B stops listening, so it never does): B reads the
    database rather than answer 409 (cursor ahead) or 403 (not a member)."""
    a = await Site.start(tmp_path / "a", pg)
    b = await Site.start(tmp_path / "b", pg)
    try:
        circle, lead = await a.circle_with_lead()
        await b.pull(lead)  # B has the circle in memory
        await b.hub.peers.stop()
        post = lead.make("suggestion.create", {"text": "New on A"})
        await a.push(lead, post)
        upto = (await a.pull(lead))["next"]
        assert (await b.pull(lead, since=upto))["next"] == upto  # not 409
        assert (await b.pull(lead, since=upto - 1))["ops"][0]["id"] == post.id
        ana = await a.join(await a.invite(circle), "Ana")  # a member B has not heard of
        assert (await b.pull(ana))["next"] == upto + 1  # not 403
    finally:
        await b.close()
        await a.close()


def test_a_database_that_cannot_be_reached_is_one_line_not_a_traceback(tmp_path, capsys):
    nowhere = f"postgresql://studycircle@/studycircle?host={tmp_path}"
    assert cli.main(["server", "members", "Biology", "--database", nowhere]) == 1
    said = [capsys.readouterr().err]
    serve = [sys.executable, "-m", "studycircle_tui.server", "serve", "--port", "0"]
    started = subprocess.run(
        [*serve, "--database", nowhere], capture_output=True, text=True, timeout=60
    )
    assert started.returncode == 1
    said.append(started.stderr)
    for err in said:
        assert err.startswith("studycircle: error: cannot open postgresql://"), err
        assert err.count("\n") == 1 and "No such file or directory" in err
