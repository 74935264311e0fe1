"""What a hostile member tries from a client written from the protocol alone, and the
clear 4xx the server answers with, storing nothing."""

import json
import os

import httpx

from server_helpers import (
    Member,
    ServerProcess,
    join_over_http,
    now_ms,
    server_circle,
    whole_log,
)
from studycircle_tui.core.ids import ulid
from studycircle_tui.core.ops import encode_op
from studycircle_tui.core.signing import SigningKey


async def test_a_join_announcing_another_members_key_is_refused(site):
    # The server writes a joiner's key with no proof they hold it: a second member
    # announcing the lead's public key would share the lead's safety number.
    circle, lead = await site.circle_with_lead()
    code = await site.invite(circle)
    before = await site.everything(lead)
    response = await site.client.post(
        "/api/v1/join", json={"invite": code, "display_name": "Mal", "key": lead.key.public}
    )
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "key_taken"
    assert await site.everything(lead) == before  # nothing stored
    assert (await site.join(code, "Ana")).id  # and the invite's use was not taken


def test_a_real_server_answers_each_refused_push_with_its_stable_code(tmp_path):
    """Each way a pushed op can be wrong, sent to a real ``serve`` process as JSON: it is
    answered with its own ``code`` (what a client shows its member in their language),
    and the log keeps none of them."""
    data = tmp_path / "server"
    circle, (founding, invite) = server_circle(data, invites=1)
    server = ServerProcess(data)
    try:
        lead = join_over_http(server.url, founding, "Lea")
        mal = join_over_http(server.url, invite, "Mal")
        taken = lead.make("channel.create", {"name": "umum"})
        assert "seq" in _push(server.url, lead, _json(taken))[0]
        before = whole_log(server.url, lead)

        unsigned = _json(mal.make("suggestion.create", {"text": "lagi"}))
        del unsigned["sig"]
        elsewhere = Member(ulid(now_ms(), os.urandom(10)), mal.id, mal.token, mal.key)
        as_the_lead = Member(circle, lead.id, mal.token, mal.key)
        wrong_key = Member(circle, mal.id, mal.token, SigningKey(os.urandom(32)))
        ahead = Member(circle, mal.id, mal.token, mal.key)  # its clock runs on from there
        tomorrow = now_ms() + 2 * 86_400_000
        attacks = {
            "invalid_op": {"type": "post.create", "id": "X", "v": 1},
            "unsupported_version": {**_json(mal.make("suggestion.create", {"text": "a"})), "v": 9},
            "duplicate_id": _json(taken),
            "wrong_circle": _json(elsewhere.make("suggestion.create", {"text": "b"})),
            "local_only": _json(mal.make("read.mark", {"thread": taken.id, "post": taken.id})),
            "clock_ahead": _json(ahead.make("suggestion.create", {"text": "c"}, tomorrow)),
            "not_yours": _json(as_the_lead.make("suggestion.create", {"text": "d"})),
            "forged": _json(wrong_key.make("suggestion.create", {"text": "e"})),
            "unsigned": unsigned,
            "forbidden": _json(mal.make("channel.create", {"name": "punyaku"})),
        }
        results = _push(server.url, mal, *attacks.values())
        answered = {code: result.get("code") for code, result in zip(attacks, results, strict=True)}
        assert answered == {code: code for code in attacks}, results
        assert all(result["error"] and "seq" not in result for result in results), results
        assert whole_log(server.url, lead) == before
    finally:
        server.stop()


def _json(op) -> dict:
    return json.loads(encode_op(op))


def _push(url: str, member: Member, *ops: dict) -> list[dict]:
    answer = httpx.post(
        f"{url}/api/v1/circles/{member.circle}/ops", json={"ops": list(ops)}, headers=member.auth
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["results"]
