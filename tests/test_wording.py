"""Schema errors in the member's words (core/wording.py): no JSON paths, no msgspec."""

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studycircle_tui.core.ops import OP_TYPES, OpError, validate_data
from studycircle_tui.core.wording import in_words

ID = "01J1VZTC0E000000000000000E"


def words(op_type: str, data: object) -> str:
    with pytest.raises(OpError) as caught:
        validate_data(op_type, data)
    return in_words(op_type, caught.value)


@pytest.mark.parametrize(
    ("op_type", "data", "said"),
    [
        (
            "post.create",
            {"thread": ID, "text": "x" * 20_001},
            "the post is longer than 20,000 characters",
        ),
        ("post.create", {"thread": ID, "text": ""}, "the post is empty"),
        (
            "post.create",
            {"thread": ID, "text": "a\x1b[2Jb"},
            "the post contains a control character",
        ),
        ("thread.create", {"channel": ID, "kind": "question", "text": "x"}, "the title is missing"),
        ("suggestion.create", {"text": "y" * 20_001}, "the suggestion is longer than 20,000"),
        ("channel.create", {"name": "x" * 81}, "the channel's name is longer than 80 characters"),
        (
            "post.flag",
            {"post": ID, "reason": "incorrect", "comment": "c" * 501},
            "the comment for the moderators is longer than 500",
        ),
        (
            "schedule.set",
            {"sessions": [{"title": "a", "weekday": 1, "time": "7pm"}]},
            "the time must look like 19:30",
        ),
        (
            "schedule.set",
            {"sessions": [{"title": "a", "weekday": 1, "time": "19:00", "minutes": 0}]},
            "the session's length in minutes must be at least 1",
        ),
        (
            "moderator.rota",
            {"volunteers": [], "start": "soon"},
            "the first day must look like 2026-11-18",
        ),
        (
            "moderator.rota",
            {"volunteers": [], "start": "2026-11-18", "period_days": "x"},
            "the days per turn must be a whole number",
        ),
        (
            "thread.create",
            {"channel": ID, "title": "t", "kind": "poll", "text": "x"},
            "the kind is not one of the choices",
        ),
        (
            "note.revise",
            {"note": ID, "base": ID, "patch": [[]]},
            "the list of changed lines is not in the expected form",
        ),
        (
            "note.revise",
            {"note": ID, "base": ID},
            "a change to a note carries either its whole text or its changed lines",
        ),
    ],
)
def test_what_is_wrong_is_said_in_the_members_words(op_type, data, said):
    assert said in words(op_type, data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(OP_TYPES)), st.data())
def test_no_schema_path_or_type_name_reaches_the_member(op_type, drawn):
    fields = [f.name for f in msgspec.structs.fields(OP_TYPES[op_type].__annotations__["data"])]
    names = st.sampled_from(fields) | st.text(max_size=8) if fields else st.text(max_size=8)
    data = drawn.draw(st.dictionaries(names, json_values, max_size=len(fields) + 1))
    try:
        validate_data(op_type, data)
    except OpError as error:
        said = in_words(op_type, error)
        assert said and "$." not in said and "`" not in said and "Expected" not in said
