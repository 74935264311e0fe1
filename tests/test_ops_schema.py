"""The op schema: every type round-trips, and bad input is refused with a message naming
the field at fault, because that message is what a server answers and what a file
circle reports for a skipped line."""

import json

import pytest

from studycircle_tui.core import ops
from studycircle_tui.core.ops import OP_TYPES, OpError, decode_op, decode_ops, encode_op

ID = "01HZX5K3M8Q2V7W9Y4B6C1D0EF"
OTHER = "01HZX5K3M8Q2V7W9Y4B6C1D0EG"
HLC = "0190a1b2c3d40001"

# One plausible payload per op type. test_every_op_type_has_a_sample keeps this in step
# with OP_TYPES, so a new op type cannot slip in without a round-trip test.
SAMPLES: dict[str, dict[str, object]] = {
    "circle.create": {"name": "Calculus I", "lead_name": "Ana", "goal": "pass", "rules": "be kind"},
    "circle.update": {"goal": "pass with a B"},
    "member.join": {"name": "Budi", "key": "M" * 42 + "A"},
    "member.key": {"member": ID, "key": "Q" * 43, "reason": "lost", "joined_as": OTHER},
    "member.update": {"name": "Budi S."},
    "member.role": {"member": OTHER, "role": "moderator"},
    "member.remove": {"member": OTHER},
    "rules.accept": {"version": 2},
    "channel.create": {"name": "limits", "goal": "epsilon-delta"},
    "channel.update": {"channel": ID, "name": "limits & continuity"},
    "channel.archive": {"channel": ID, "archived": False},
    "thread.create": {"channel": ID, "title": "Why 0.999… = 1?", "kind": "question", "text": "?"},
    "post.create": {"thread": ID, "text": "Because the gap is 0.", "reply_to": OTHER},
    "post.edit": {"post": ID, "text": "Because the gap is smaller than any ε."},
    "post.delete": {"post": ID},
    "post.react": {"post": ID, "reaction": "helpful", "on": False},
    "answer.accept": {"post": ID},
    "answer.verify": {"post": ID},
    "post.flag": {"post": ID, "reason": "incorrect", "comment": "sign error"},
    "post.hide": {"post": ID, "reason": "spoiler"},
    "read.mark": {"thread": ID, "post": OTHER},
    "note.create": {"title": "Limits cheat sheet", "text": "lim…", "channel": ID},
    "note.revise": {"note": ID, "base": OTHER, "text": "lim x→0", "title": "Limits"},
    "note.restore": {"note": ID, "revision": OTHER},
    "quiz.create": {
        "title": "Week 1",
        "questions": [{"kind": "multiple_choice", "text": "2+2?", "choices": ["3", "4"]}],
        "keys": [{"choices": [1]}],
    },
    "quiz.update": {"quiz": ID, "title": "Week 1 (fixed)", "key_hash": None, "key_hashes": None},
    "quiz.start": {
        "quiz": ID,
        "mode": "live",
        "scoring": "speed",
        "streak": True,
        "top_n": 3,
        "hands_free": 8,
    },
    "quiz.open": {"session": ID, "question": 0, "deadline": 1_720_000_000_000},
    "quiz.join": {"session": ID},
    "quiz.leave": {"session": ID},
    "quiz.answer": {"session": ID, "question": 0, "answer": [1]},
    "quiz.answered": {"session": ID, "question": 0, "player": OTHER},
    "quiz.close": {"session": ID, "question": 0},
    "quiz.reveal": {"session": ID, "question": 0, "key": {"choices": [1]}, "salt": "abc"},
    "quiz.finish": {"session": ID},
    "quiz.result": {"quiz": ID, "score": 3.5, "max_score": 4.0},
    "schedule.set": {
        "sessions": [
            {"title": "Weekly review", "weekday": 2, "time": "19:30", "tz": "Asia/Jakarta"}
        ]
    },
    "suggestion.create": {"text": "More practice quizzes", "anonymous": True},
    "suggestion.resolve": {"suggestion": ID, "status": "planned", "reply": "next week"},
    "moderator.rota": {"volunteers": [ID, OTHER], "start": "2025-01-06", "period_days": 14},
}


def raw(type_name: str, data: object, **fields: object) -> dict[str, object]:
    """An op as the JSON object a transport carries."""
    return {
        "v": 1,
        "id": ID,
        "circle": OTHER,
        "actor": ID,
        "hlc": HLC,
        "type": type_name,
        "data": data,
        **fields,
    }


def refusal_of(value: dict[str, object]) -> str:
    with pytest.raises(OpError) as caught:
        decode_op(json.dumps(value))
    return str(caught.value)


def test_every_op_type_has_a_sample():
    assert set(SAMPLES) == set(OP_TYPES)
    # docs/architecture.md lists these; a typo in a tag would leave one without a struct.
    assert {"post.hide", "answer.verify", "quiz.reveal", "moderator.rota"} <= set(OP_TYPES)


@pytest.mark.parametrize("type_name", sorted(SAMPLES))
def test_round_trip(type_name):
    sent = raw(type_name, SAMPLES[type_name])
    op = decode_op(json.dumps(sent))
    assert type(op) is OP_TYPES[type_name]
    assert op.type == type_name
    # Encoding gives back exactly what was sent (defaults left out), and decoding that
    # gives an equal op: nothing is lost or invented on the way through.
    assert json.loads(encode_op(op)) == sent
    assert decode_op(encode_op(op)) == op


@pytest.mark.parametrize("type_name", sorted(SAMPLES))
def test_round_trip_of_payload_built_in_python(type_name):
    payload = ops.validate_data(type_name, SAMPLES[type_name])
    op = OP_TYPES[type_name](v=1, id=ID, circle=OTHER, actor=ID, hlc=HLC, data=payload)
    assert decode_op(encode_op(op)) == op


def test_server_fields_are_optional_and_left_out_when_absent():
    op = decode_op(json.dumps(raw("post.delete", {"post": ID})))
    assert op.seq is None and op.at is None
    encoded = json.loads(encode_op(op))
    # A client's op must not carry seq/at at all: the server is the one to set them.
    assert "seq" not in encoded and "at" not in encoded

    confirmed = decode_op(json.dumps(raw("post.delete", {"post": ID}, seq=7, at=1_720_000_000_000)))
    assert (confirmed.seq, confirmed.at) == (7, 1_720_000_000_000)
    assert decode_op(encode_op(confirmed)) == confirmed


def test_decode_ops_reads_an_array_in_one_go():
    array = json.dumps([raw("post.delete", {"post": ID}), raw("member.join", {"name": "Cy"})])
    decoded = decode_ops(array.encode())
    assert [op.type for op in decoded] == ["post.delete", "member.join"]


def test_wrong_type_names_the_field():
    message = refusal_of(raw("post.create", {"thread": ID, "text": 42}))
    assert "`$.data.text`" in message
    assert "str" in message


def test_wrong_type_of_envelope_field_names_it():
    assert "`$.seq`" in refusal_of(raw("post.delete", {"post": ID}, seq="7"))
    assert "`$.seq`" in refusal_of(raw("post.delete", {"post": ID}, seq=0))  # seqs start at 1


def test_missing_field_names_its_full_path():
    data = dict(SAMPLES["thread.create"])
    del data["title"]
    assert "missing required field `$.data.title`" in refusal_of(raw("thread.create", data))

    envelope = raw("post.delete", {"post": ID})
    del envelope["hlc"]
    assert "missing required field `$.hlc`" in refusal_of(envelope)


def test_missing_field_deep_inside_names_its_full_path():
    data = {"sessions": [{"weekday": 1, "time": "09:00"}]}
    assert "`$.data.sessions[0].title`" in refusal_of(raw("schedule.set", data))


def test_oversized_field_names_the_field():
    data = {**SAMPLES["thread.create"], "title": "x" * 201}
    message = refusal_of(raw("thread.create", data))
    assert "`$.data.title`" in message
    assert "200" in message  # says what the limit is
    # The limit itself is allowed: the bound is inclusive.
    decode_op(json.dumps(raw("thread.create", {**data, "title": "x" * 200})))

    assert "`$.data.text`" in refusal_of(raw("post.create", {"thread": ID, "text": "x" * 20_001}))


def test_empty_required_text_is_refused():
    assert "`$.data.text`" in refusal_of(raw("post.create", {"thread": ID, "text": ""}))


def test_unknown_op_type_is_named():
    message = refusal_of(raw("post.explode", {"post": ID}))
    assert message.startswith("unknown op type 'post.explode'")
    assert "`$.type`" in message


def test_value_outside_an_enum_names_the_field():
    data = {**SAMPLES["thread.create"], "kind": "poll"}
    assert "`$.data.kind`" in refusal_of(raw("thread.create", data))


def test_unsupported_schema_version_says_so():
    message = refusal_of({**raw("post.delete", {"post": ID}), "v": 4})
    assert "unsupported schema version" in message
    assert "`$.v`" in message
    assert "this app reads v1 to v3" in message


def test_a_newer_reaction_is_a_v3_op_and_round_trips():
    data = {"post": ID, "reaction": "question"}
    assert ops.version_for("post.react", ops.validate_data("post.react", data)) == 3
    old = ops.validate_data("post.react", {"post": ID, "reaction": "thanks"})
    assert ops.version_for("post.react", old) == 1  # still read by apps before v3
    op = decode_op(json.dumps(raw("post.react", data, v=3)))
    assert op.v == 3 and op.data.reaction == "question"
    assert decode_op(encode_op(op)) == op


@pytest.mark.parametrize(
    "text", ["{", '{"v": 1,', "", "not json", '{"v": 1 "id": 2}', "{'v': 1}"], ids=repr
)
def test_malformed_json_gives_a_clear_message(text):
    with pytest.raises(OpError) as caught:
        decode_op(text)
    assert str(caught.value).startswith("not valid JSON: ")


def test_non_object_is_refused():
    with pytest.raises(OpError, match="object"):
        decode_op("[]")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", ID.lower()),  # Crockford base32 is upper case here
        ("id", ID[:-1] + "U"),  # U is not in the alphabet
        ("id", ID + "\n"),  # would be a second id for the same op
        ("circle", ID[:-1]),
        ("actor", ID + "-and-more"),  # a ULID prefix is not a member id
        ("actor", "@server2"),
        ("hlc", HLC + "\n"),
        ("hlc", HLC.upper()),
    ],
)
def test_ids_and_stamps_must_match_exactly(field, value):
    assert f"`$.{field}`" in refusal_of({**raw("post.delete", {"post": ID}), field: value})


def test_server_actor_is_accepted():
    op = decode_op(json.dumps(raw("quiz.answered", SAMPLES["quiz.answered"], actor="@server")))
    assert op.actor == ops.SERVER_ACTOR


def test_decode_ops_names_the_index_of_the_bad_op():
    array = [raw("post.delete", {"post": ID}), raw("member.join", {})]
    with pytest.raises(OpError, match=r"`\$\[1\]\.data\.name`"):
        decode_ops(json.dumps(array).encode())


def test_validate_data_names_fields_under_data():
    with pytest.raises(OpError, match=r"missing required field `\$\.data\.title`"):
        ops.validate_data("thread.create", {"channel": ID, "kind": "question", "text": "?"})
    with pytest.raises(OpError, match=r"`\$\.data\.name`"):
        ops.validate_data("channel.create", {"name": "x" * 81})
    with pytest.raises(OpError, match=r"`\$\.data`"):
        ops.validate_data("channel.create", "limits")
    with pytest.raises(OpError, match=r"unknown op type 'channel.explode'"):
        ops.validate_data("channel.explode", {})


def test_op_time_prefers_the_server_receive_time():
    local = decode_op(json.dumps(raw("post.delete", {"post": ID})))
    assert ops.op_time_ms(local) == int(HLC[:12], 16)
    confirmed = decode_op(json.dumps(raw("post.delete", {"post": ID}, seq=3, at=5)))
    assert ops.op_time_ms(confirmed) == 5


def test_only_read_marks_stay_local():
    assert {name for name, cls in OP_TYPES.items() if cls.LOCAL_ONLY} == {"read.mark"}


@pytest.mark.parametrize("bad", ["\x1b[2J", "bell\x07", "nul\x00", "c1\x9b31m", "del\x7f"])
def test_text_with_terminal_control_characters_is_refused(bad):
    # An escape sequence in a post would reach every member's terminal.
    data = {"thread": "01JD0000000000000000000000", "text": f"hello {bad}"}
    with pytest.raises(ops.OpError, match=r"control character .*\$\.data\.text"):
        ops.validate_data("post.create", data)


def test_text_keeps_tabs_line_breaks_accents_and_emoji():
    text = "Baris satu\r\nbaris\tdua — café, naïve, 日本語 🎉"
    data = ops.validate_data("post.create", {"thread": "01JD0000000000000000000000", "text": text})
    assert data.text == text


# --- note.revise: v1 carries the whole text, v2 a patch ------------------------------------

PATCH = [[3, 1, "lim x→0 of sin x / x = 1\n"]]


def test_a_v2_revision_carries_a_patch_and_round_trips():
    value = raw("note.revise", {"note": ID, "base": OTHER, "patch": PATCH}, v=2)
    op = decode_op(json.dumps(value))
    assert op.v == 2 and op.data.patch == [(3, 1, "lim x→0 of sin x / x = 1\n")]
    assert decode_op(encode_op(op)) == op
    against = {"note": ID, "base": OTHER, "patch": PATCH, "against": ID}
    assert decode_op(json.dumps(raw("note.revise", against, v=2))).data.against == ID


@pytest.mark.parametrize(
    ("version", "data", "says"),
    [
        (1, {"patch": PATCH}, "a v1 note.revise carries the whole `text`"),
        (2, {"text": "x", "patch": PATCH}, "its changed lines, not both or neither"),
        (1, {}, "its changed lines, not both or neither"),
        (2, {"patch": PATCH[0]}, "`$.data.patch[0]`"),
        (2, {"patch": [[-1, 0, "x\n"]]}, "`$.data.patch[0][0]`"),
        (2, {"patch": [[0, 0, "x\n"]], "against": "nope"}, "`$.data.against`"),
        # A patch's text passes the checks a note's whole text does (core/text.py).
        (
            2,
            {"patch": [[0, 0, "\x1b[2J\n"]]},
            "control character (not allowed in text) - at `$.data.patch[0][2]`",
        ),
        (1, {"text": "x", "against": ID}, "but has no changed lines"),
    ],
)
def test_a_revision_that_does_not_fit_its_version_is_refused(version, data, says):
    value = raw("note.revise", {"note": ID, "base": OTHER, **data}, v=version)
    assert says in refusal_of(value)


def test_a_later_version_reads_both_kinds_of_revision():
    # v3 (reactions) changed nothing about notes: a v3 app may write either kind.
    for data in ({"patch": PATCH}, {"text": "x"}):
        value = raw("note.revise", {"note": ID, "base": OTHER, **data}, v=3)
        assert decode_op(json.dumps(value)).v == 3


def test_a_revision_of_an_unknown_version_is_refused():
    for version in (0, 4):
        data = {"note": ID, "base": OTHER, "patch": PATCH}
        assert "unsupported schema version" in refusal_of(raw("note.revise", data, v=version))


def test_a_bad_revision_in_a_batch_names_its_index():
    good = raw("note.revise", {"note": ID, "base": OTHER, "patch": PATCH}, v=2)
    bad = raw("note.revise", {"note": ID, "base": OTHER, "patch": PATCH}, v=1)
    with pytest.raises(OpError, match=r"carries the whole `text`.* - at `\$\[1\]`"):
        decode_ops(json.dumps([good, bad]).encode())


def test_the_oldest_version_that_can_carry_a_payload_is_written():
    text = ops.validate_data("note.revise", {"note": ID, "base": OTHER, "text": "x"})
    patch = ops.validate_data("note.revise", {"note": ID, "base": OTHER, "patch": PATCH})
    versions = (ops.version_for("note.revise", text), ops.version_for("note.revise", patch))
    assert versions == (1, 2)
    assert ops.version_for("post.delete", ops.validate_data("post.delete", {"post": ID})) == 1
