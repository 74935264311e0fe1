"""Whatever a client sends, the server answers with JSON and never with a 500.

Bodies, query strings, headers and paths come from hypothesis: random bytes, random
JSON, and real ops with fields swapped for random values (the likeliest way to reach
deep code with bad input).
"""

import asyncio
import gzip
import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server_helpers import Site
from studycircle_tui.core.ops import encode_op

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = ["v", "id", "circle", "actor", "hlc", "type", "data", "seq", "at"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """One loop, one server and two members for every example (state may pile up)."""
    loop = asyncio.new_event_loop()
    site = loop.run_until_complete(
        Site.start(
            tmp_path_factory.mktemp("fuzz"), rate=1e9, burst=1e9, join_rate=1e9, join_burst=1e9
        )
    )
    circle, lead = loop.run_until_complete(site.circle_with_lead())
    channel = lead.make("channel.create", {"name": "general"})
    loop.run_until_complete(site.push(lead, channel))
    samples = [
        json.loads(encode_op(op))
        for op in (
            lead.make("post.create", {"thread": channel.id, "text": "hi"}),
            lead.make(
                "thread.create",
                {"channel": channel.id, "title": "t", "kind": "question", "text": "x"},
            ),
            lead.make("quiz.answer", {"session": channel.id, "question": 0, "answer": [1]}),
            lead.make("member.role", {"member": lead.id, "role": "member"}),
            lead.make("suggestion.create", {"text": "s", "anonymous": True}),
        )
    ]
    yield loop, site, circle, lead, samples
    loop.run_until_complete(site.close())
    loop.close()


def _check(loop, site, method, path, **kwargs):
    response = loop.run_until_complete(site.client.request(method, path, **kwargs))
    assert response.status_code < 500, response.text
    answer = response.json()
    if response.status_code >= 400:
        assert set(answer["error"]) == {"code", "message"}
    return answer


@st.composite
def mutated_ops(draw, samples):
    op = dict(draw(st.sampled_from(samples)))
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=3)):
        if draw(st.booleans()):
            op.pop(name, None)
        else:
            op[name] = draw(json_values)
    if draw(st.booleans()) and isinstance(op.get("data"), dict):
        data = dict(op["data"])
        data[draw(st.sampled_from([*data, "x"]))] = draw(json_values)
        op["data"] = data
    return op


SLOW = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SLOW
@given(data=st.data())
def test_pushed_bodies_never_make_a_500(world, data):
    loop, site, circle, lead, samples = world
    kind = data.draw(st.sampled_from(["bytes", "json", "ops"]))
    if kind == "bytes":
        content = data.draw(st.binary(max_size=200))
    elif kind == "json":
        content = json.dumps(data.draw(json_values)).encode()
    else:
        ops = data.draw(st.lists(mutated_ops(samples), max_size=4))
        content = json.dumps({"ops": ops}).encode()
    headers = dict(lead.auth)
    encoding = data.draw(st.sampled_from([None, "gzip", "gzip-broken", "deflate", "GZIP "]))
    if encoding == "gzip":
        content, headers["content-encoding"] = gzip.compress(content), "gzip"
    elif encoding == "gzip-broken":
        content, headers["content-encoding"] = gzip.compress(content)[:-5], "gzip"
    elif encoding is not None:
        headers["content-encoding"] = encoding
    answer = _check(
        loop, site, "POST", f"/api/v1/circles/{circle}/ops", content=content, headers=headers
    )
    if "results" in answer and kind == "ops":
        assert len(answer["results"]) == len(ops)


@SLOW
@given(body=st.binary(max_size=100) | json_values)
def test_join_bodies_never_make_a_500(world, body):
    loop, site, *_ = world
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    _check(loop, site, "POST", "/api/v1/join", content=content)
    if isinstance(body, dict):
        content = json.dumps({"invite": "A", **body}).encode()
        _check(loop, site, "POST", "/api/v1/join", content=content)


@SLOW
@given(
    params=st.dictionaries(
        st.sampled_from(["since", "limit", "wait", "beat", "budget", "x"]),
        st.text(max_size=12),
        max_size=4,
    ),
    path=st.text(max_size=30),
    token=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=30),
)
def test_queries_paths_and_tokens_never_make_a_500(world, params, path, token):
    loop, site, circle, lead, _ = world
    # Long-polls that could wait long are left out (with beat, a wait may be minutes).
    short = len(params.get("wait", "")) < 3 and "beat" not in params
    params = {key: value for key, value in params.items() if key != "wait" or short}
    _check(loop, site, "GET", f"/api/v1/circles/{circle}/ops", params=params, headers=lead.auth)
    preview = f"/api/v1/circles/{circle}/preview"
    _check(loop, site, "GET", preview, params=params, headers=lead.auth)
    _check(
        loop,
        site,
        "GET",
        f"/api/v1/circles/{circle}/ops",
        headers={"authorization": f"Bearer {token}"},
    )
    response = loop.run_until_complete(
        site.client.get(f"/api/v1/circles/{quote(path, safe='')}/ops", headers=lead.auth)
    )
    assert response.status_code < 500


def test_deeply_nested_json_is_a_400_in_every_endpoint(world, caplog):
    """msgspec gives up on deep nesting with a RecursionError, not a decode error."""
    loop, site, circle, lead, samples = world
    deep = b"[" * 5_000 + b"]" * 5_000  # 10 kB: under every size limit
    op = json.dumps({**samples[0], "data": "DEEP"}).encode().replace(b'"DEEP"', deep)
    path = f"/api/v1/circles/{circle}/ops"
    bodies = [
        ("/api/v1/join", deep, {}),
        ("/api/v1/join", b'{"invite": "A", "display_name": ' + deep + b"}", {}),
        (path, deep, lead.auth),
        (path, b'{"ops": ' + deep + b"}", lead.auth),
        (path, b'{"ops": [' + op + b"]}", lead.auth),
        (path, b'{"ops": [' + deep + b"]}", lead.auth),
    ]
    for target, content, headers in bodies:
        response = loop.run_until_complete(
            site.client.post(target, content=content, headers=headers)
        )
        assert response.status_code == 400, (target, response.text)
        assert response.json()["error"]["code"] == "bad_request"
    assert not [record for record in caplog.records if record.exc_info]
