"""The server's data across versions and databases: a SQLite file made before schema
migrations were numbered is upgraded in place, and a community moved from SQLite to
PostgreSQL (``server migrate``) is served as it was, tokens and kept answers included.

``data/server-before-migrations.sqlite3`` was made by the server as it was before this
version (commit e20eb83): ``server create-circle "Biology 101"``, two invites, then over
HTTP the lead's and Ana's joins, a channel, a thread, a live quiz question opened, and
from Ana a post, a sealed answer and a held anonymous suggestion; its JSON companion
holds what a test needs to act as them (their tokens, the kept ops as sent).
"""

import json
import shutil
import sqlite3
from pathlib import Path

import httpx
import pytest

from server_helpers import Member, ServerProcess, join_over_http, open_store_at, whole_log
from studycircle_tui import cli
from studycircle_tui.core import reducer
from studycircle_tui.core.ops import decode_ops, encode_op
from studycircle_tui.core.replica import Replica
from studycircle_tui.core.signing import Signatures
from studycircle_tui.server.storage import StorageError

DATA = Path(__file__).parent / "data"
FIXTURE = json.loads((DATA / "server-before-migrations.json").read_text())


def _old_server_data(folder: Path) -> Path:
    folder.mkdir()
    shutil.copy(DATA / "server-before-migrations.sqlite3", folder / "server.sqlite3")
    return folder


def _member(name: str) -> Member:
    member_id, token = FIXTURE[name]
    member = Member(FIXTURE["circle"], member_id, token)
    member.replica = Replica(FIXTURE["circle"], "seq")
    return member


def _push_raw(url: str, member: Member, *raw: str) -> list[dict]:
    answer = httpx.post(
        f"{url}/api/v1/circles/{member.circle}/ops",
        content='{"ops":[' + ",".join(raw) + "]}",
        headers=member.auth,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["results"]


def _serves_the_community(url: str) -> list[dict]:
    """What the old file held is served as it was, and goes on: the members' tokens work,
    the kept answer and suggestion are still kept, the question closes with the answer
    published once, the unused invite lets someone in. The log before all that."""
    lead, ana = _member("lead"), _member("ana")
    before = whole_log(url, lead)
    # The 11 ops it held, then the server's key (a circle hosted since before signing).
    assert [op["seq"] for op in before] == list(range(1, 13))
    assert before[-1]["type"] == "member.key" and before[-1]["data"]["member"] == "@server"
    assert whole_log(url, ana) == before
    assert "quiz.answer" not in {op["type"] for op in before}
    answer, anonymous = json.loads(FIXTURE["answer"]), json.loads(FIXTURE["anonymous"])
    assert _push_raw(url, ana, FIXTURE["answer"], FIXTURE["anonymous"]) == [
        {"id": answer["id"], "sealed": True},
        {"id": anonymous["id"], "sealed": True},
    ]
    close = lead.make("quiz.close", {"session": FIXTURE["session"], "question": 0})
    [closed] = _push_raw(url, lead, encode_op(close).decode())
    after = whole_log(url, lead)[len(before) :]
    assert [op["id"] for op in after][:2] == [answer["id"], close.id]
    assert closed["seq"] == 14
    joined = join_over_http(url, FIXTURE["spare_invite"], "Bo")
    assert whole_log(url, joined)[-1]["type"] == "member.join"
    _all_signed_as_they_claim(whole_log(url, joined))
    return before


def _all_signed_as_they_claim(log: list[dict]) -> None:
    """A client folding ``log`` refuses nothing: the server's admission of Bo is signed
    with the key the log names for the server (the one it announced before)."""
    ops = decode_ops(json.dumps(log).encode())
    state = reducer.fold(ops[0].circle, ops, Signatures())
    assert not [e for e in state.moderation_log if e.action in ("forged", "unsigned")]
    admission = ops[-1]
    assert admission.signer == "@server" and admission.data.key is not None


def test_a_sqlite_file_from_before_migrations_is_upgraded_in_place(tmp_path):
    data = _old_server_data(tmp_path / "server")
    server = ServerProcess(data)
    try:
        _serves_the_community(server.url)
    finally:
        server.stop()
    db = sqlite3.connect(data / "server.sqlite3")
    assert [row[0] for row in db.execute("SELECT version FROM schema_migrations")] == [1, 2, 3]
    assert db.execute("SELECT version FROM circles").fetchone()[0] > 0
    db.close()


async def test_a_database_upgraded_by_a_newer_version_is_refused(tmp_path):
    data = _old_server_data(tmp_path / "server")
    store = await open_store_at(data)
    await store.close()
    db = sqlite3.connect(data / "server.sqlite3")
    db.execute("INSERT INTO schema_migrations VALUES (99, 0)")
    db.commit()
    db.close()
    with pytest.raises(StorageError, match="upgraded by a newer studycircle"):
        await open_store_at(data)


def test_a_community_migrated_from_sqlite_to_postgresql_is_served_the_same(
    tmp_path, pg_cluster, capsys
):
    data = _old_server_data(tmp_path / "server")
    server = ServerProcess(data)
    try:
        served = whole_log(server.url, _member("lead"))
    finally:
        server.stop()
    target = pg_cluster.database()
    try:
        argv = ["server", "migrate", "--from", f"sqlite:{data}", "--to", target]
        assert cli.main(argv) == 0
        said = capsys.readouterr().out
        # 12 ops, the answer and suggestion kept, 3 members (the founding lead's row),
        # 2 tokens and 3 invites, the same on both sides; and the server's signing key.
        assert "Biology 101" in said and "     12     2       2      2       3  same" in said
        assert "1 circles: counts and digests match" in said
        assert "the server's signing key: same" in said
        assert cli.main(argv) == 1  # not twice into the same database
        assert "already holds circles" in capsys.readouterr().err
        server = ServerProcess(tmp_path / "pg", database=target)
        try:
            assert _serves_the_community(server.url) == served
        finally:
            server.stop()
    finally:
        pg_cluster.drop(target)
