"""No string a member writes carries a terminal control character (core/text.py).

One test walks every string field of every op type, nested structs and list elements
included, by introspecting the msgspec schema: a field added later is walked too, and
fails here if nothing guards it. Each field is refused with the path named, whether the
op arrives as JSON (a push, a file line) or is built in Python (``validate_data``); and
an op from a log written before the rules is read with U+FFFD in place, never lost.
"""

import json

import msgspec
import msgspec.inspect as mi
import pytest

from studycircle_tui.core import ops, text
from studycircle_tui.core.hlc import HLC_PATTERN
from studycircle_tui.core.ids import ULID_PATTERN
from studycircle_tui.core.ops import OP_TYPES, OpError, decode_op, decode_ops, read_op

ID = "01HZX5K3M8Q2V7W9Y4B6C1D0EF"
HLC = "0190a1b2c3d40001"
# Strings whose pattern admits only a fixed alphabet (ids, stamps, clock times, dates): a
# control character can never match them. A new pattern needs an example here.
EXACT = {
    ULID_PATTERN: ID,
    mi.type_info(ops.Actor).pattern: ID,
    HLC_PATTERN: HLC,
    mi.type_info(ops.Session).fields[2].type.pattern: "19:30",
    mi.type_info(ops.ModeratorRotaData).fields[1].type.pattern: "2025-01-06",
    mi.type_info(ops.PublicKey).pattern: "A" * 43,
    mi.type_info(ops.Signature).pattern: "A" * 86,
}
FREE = {text.TEXT_PATTERN: "free", text.LINE_PATTERN: "line"}

Path = tuple[str | int, ...]


def _number(info: mi.IntType | mi.FloatType) -> float:
    low = info.ge if info.ge is not None else (info.gt + 1 if info.gt is not None else 0)
    return low if info.le is None else min(low, info.le)


def documents(info: mi.Type) -> list[tuple[object, list[tuple[Path, str]]]]:
    """Valid values of a type, each with the paths of its strings and their kind, such
    that every string the type can hold appears in one of them."""
    if isinstance(info, mi.StrType):
        kind = FREE.get(info.pattern) or ("exact" if info.pattern in EXACT else "unguarded")
        value = EXACT.get(info.pattern, "x" * max(1, info.min_length or 0))
        return [(value, [((), kind)])]
    if isinstance(info, (mi.IntType, mi.FloatType)):
        number = _number(info)
        return [(float(number) if isinstance(info, mi.FloatType) else int(number), [])]
    if isinstance(info, mi.BoolType):
        return [(False, [])]
    if isinstance(info, mi.LiteralType):
        return [(info.values[0], [])]
    if isinstance(info, mi.NoneType):
        return [(None, [])]
    if isinstance(info, mi.ListType):
        return [([value], [((0, *path), kind) for path, kind in paths]) for value, paths in
                documents(info.item_type)]  # fmt: skip
    if isinstance(info, mi.UnionType):
        usable = [t for t in info.types if not isinstance(t, mi.NoneType)]
        return [doc for t in usable or info.types for doc in documents(t)]
    if isinstance(info, mi.TupleType):  # as a struct whose fields are numbered
        items = [documents(item) for item in info.item_types]
        base = [docs[0][0] for docs in items]
        result = [(base, [((i, *p), k) for i, docs in enumerate(items) for p, k in docs[0][1]])]
        for i, docs in enumerate(items):
            for value, paths in docs[1:]:
                changed = [*base[:i], value, *base[i + 1 :]]
                result.append((changed, [((i, *p), k) for p, k in paths]))
        return result
    if isinstance(info, mi.StructType):
        options = {f.encode_name: documents(f.type) for f in info.fields}
        base = {name: docs[0][0] for name, docs in options.items()}
        base_paths = [((name, *p), k) for name, docs in options.items() for p, k in docs[0][1]]
        result = [(base, base_paths)]
        for name, docs in options.items():
            for value, paths in docs[1:]:
                result.append(({**base, name: value}, [((name, *p), k) for p, k in paths]))
        return result
    raise AssertionError(f"the walk does not know {info!r}: teach it")


def one_form(type_name: str, docs: list) -> list:
    """A revision carries its whole ``text`` (v1) or a ``patch`` (v2), never both: each
    document the walk made with both becomes one of each."""
    if type_name != "note.revise":
        return docs
    forms = []
    for data, paths in docs:
        for dropped in (("patch", "against"), ("text",)):
            kept = [(path, kind) for path, kind in paths if path[0] not in dropped]
            forms.append(({k: v for k, v in data.items() if k not in dropped}, kept))
    return forms


def at(document: object, path: Path) -> object:
    for step in path:
        document = document[step]  # type: ignore[index]
    return document


def put(document: object, path: Path, value: object) -> object:
    copy = json.loads(json.dumps(document))
    holder = at(copy, path[:-1])
    holder[path[-1]] = value  # type: ignore[index]
    return copy


def shown(path: Path) -> str:
    """A path as msgspec's errors write it: ``$.data.questions[0].name``."""
    return "$" + "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)


def envelope(type_name: str, data: object) -> dict[str, object]:
    v = 2 if isinstance(data, dict) and "patch" in data else 1  # note.revise's v2
    return {"v": v, "id": ID, "circle": ID, "actor": ID, "hlc": HLC, "type": type_name,
            "data": data}  # fmt: skip


CONTROL = ["\x1b]0;pwned\x07", "\x9b31m", "\x7f", "\x00", "\x08", "\x0c"]
NOT_ON_ONE_LINE = ["\n", "\r", "\t", "\u202e", "\u202a", "\u2066", "\u2069", "\u2028"]


@pytest.mark.parametrize("type_name", sorted(OP_TYPES))
def test_every_string_field_refuses_control_characters(type_name):
    data_info = mi.type_info(OP_TYPES[type_name].__annotations__["data"])
    walked: dict[Path, str] = {}
    for data, paths in one_form(type_name, documents(data_info)):
        assert decode_op(json.dumps(envelope(type_name, data)))  # the walk builds valid ops
        for path, kind in paths:
            walked[path] = kind
            assert kind != "unguarded", f"{shown(('data', *path))} takes any string"
            bad_chars = CONTROL + (NOT_ON_ONE_LINE if kind in ("line", "exact") else [])
            for bad in bad_chars:
                written = f"{at(data, path)}{bad}"
                sent = envelope(type_name, put(data, path, written))
                where = f"`{shown(('data', *path))}`"
                with pytest.raises(OpError) as refused:
                    decode_op(json.dumps(sent))
                assert where in str(refused.value), (bad, str(refused.value))
                if kind != "exact":
                    assert "contains a control character" in str(refused.value)
                with pytest.raises(OpError, match=where.replace("$", r"\$").replace("[", r"\[")):
                    ops.validate_data(type_name, put(data, path, written))

                # Read from a log (written before the rules): kept, each character shown.
                if kind == "exact":
                    with pytest.raises(OpError):
                        read_op(json.dumps(sent))
                    continue
                op, report = read_op(json.dumps(sent))
                value = at(msgspec.to_builtins(op.data), path)
                replaced = "".join(c if c.isprintable() else "\ufffd" for c in bad)
                assert value == f"{at(data, path)}{replaced}"
                assert "\ufffd" in value and bad[0] not in value
                assert report is not None and where in report
    # The walk reached nested structs and list elements, not only the top level.
    if type_name == "quiz.reveal":
        assert {("key", "numbers", 0, "feedback"), ("key", "accept", 0), ("salt",)} <= set(walked)
    if type_name == "note.revise":
        assert {("text",), ("patch", 0, 2)} <= set(walked)
    if type_name == "quiz.create":
        assert ("questions", 0, "name") in walked and ("questions", 0, "choices", 0) in walked


# --- one-line fields, and the scripts that must keep working --------------------------

ONE_LINE_FIELDS = [
    ("member.join", {"name": "{}"}, "name"),
    ("member.update", {"name": "{}"}, "name"),
    ("circle.create", {"name": "C", "lead_name": "{}"}, "lead_name"),
    ("channel.create", {"name": "{}"}, "name"),
    ("thread.create", {"channel": ID, "title": "{}", "kind": "question", "text": "?"}, "title"),
    ("quiz.answer", {"session": ID, "question": 0, "answer": "{}"}, "answer"),
    ("quiz.reveal", {"session": ID, "question": 0, "key": {}, "salt": "{}"}, "salt"),
]


def _filled(data: dict[str, object], value: str) -> dict[str, object]:
    return {key: value if item == "{}" else item for key, item in data.items()}


@pytest.mark.parametrize(("type_name", "data", "field"), ONE_LINE_FIELDS)
@pytest.mark.parametrize("bad", ["Budi\nAdmin", "Budi\r", "Budi\u202enimda", "\u2067Budi"])
def test_names_refuse_line_breaks_and_direction_overrides(type_name, data, field, bad):
    with pytest.raises(OpError, match=rf"direction override .* - at `\$\.data\.{field}`"):
        ops.validate_data(type_name, _filled(data, bad))


@pytest.mark.parametrize(
    "name",
    [
        "سارة أحمد",  # Arabic
        "דוד כהן",  # Hebrew
        "د. سارة (2)\u200f",  # a right-to-left mark settling the bracket and digit
        "Ana \u200eאנה",  # a left-to-right mark in a mixed name
        "Dewi 👩🏽‍💻",  # an emoji sequence joined by ZWJ
        "Nguyễn Thị Ánh",
    ],
)
def test_names_in_any_script_are_accepted(name):
    assert ops.validate_data("member.join", {"name": name}).name == name


def test_free_text_keeps_line_breaks_tabs_and_bidi_controls():
    text_ = "Baris satu\r\nbaris\tdua — \u202bمرحبا\u202c, café 🎉"
    data = ops.validate_data("post.create", {"thread": ID, "text": text_})
    assert data.text == text_


# --- ops written before the rules ---------------------------------------------------


def _old_join(name: str) -> ops.Op:
    # Built directly, as a log written before the rules may hold it: no validation.
    data = ops.MemberJoinData(name=name)
    return ops.MemberJoin(v=1, id=ID, circle=ID, actor=ID, hlc=HLC, data=data)


def test_a_store_written_before_the_rules_still_loads(tmp_path):
    from studycircle_tui.store.db import Store

    store = Store(tmp_path / "replica.sqlite3")
    old = _old_join("Budi\x1b]0;owned\x07\n")
    store.add_ops(ID, [old])
    (loaded,) = store.load_ops(ID)  # the fast one-pass decode refuses it, then reads it
    assert loaded.id == old.id
    assert loaded.data.name == "Budi\ufffd]0;owned\ufffd\ufffd"
    with pytest.raises(OpError):  # what a server admits is still strict
        decode_op(ops.encode_op(old))
    assert decode_ops(b"[" + ops.encode_op(old) + b"]") == [loaded]


def test_a_circle_file_line_from_before_the_rules_is_read_and_reported(tmp_path):
    from studycircle_tui.sync.file import read_lines

    path = tmp_path / "circle.jsonl"
    good = ops.encode_op(_old_join("Ana"))
    old = ops.encode_op(msgspec.structs.replace(_old_join("Cy\u202eadmin"), id=ID[:-1] + "G"))
    path.write_bytes(good + b"\n" + old + b"\n")
    result = read_lines(path)
    assert [op.data.name for op in result.ops] == ["Ana", "Cy\ufffdadmin"]
    (problem,) = result.problems
    assert "line 2" in problem and "U+FFFD" in problem and "`$.data.name`" in problem


def test_an_op_wrong_in_another_way_too_is_still_refused():
    raw = json.dumps(envelope("member.join", {"name": "Budi\x1b" + "x" * 80}))
    with pytest.raises(OpError, match=r"length <= 80 - at `\$\.data\.name`"):
        read_op(raw)
