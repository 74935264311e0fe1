"""A wrong clock or a hostile member cannot break a file circle with a far-future stamp.

Ops stamped more than a day ahead of the reader's clock are held back (not folded, not
observed) and reported; they fold once the reader's clock reaches them. Nothing that does
not decode is ever written to the outbox or to the file.
"""

import asyncio
import os
import random

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from circles import circle_ops, join_file_circle, key_of, new_file_circle, until
from studycircle_tui.core import hlc, reducer
from studycircle_tui.core.ops import OpError, decode_op, encode_op
from studycircle_tui.core.replica import Replica
from studycircle_tui.store.db import Store
from studycircle_tui.sync.circles import open_service
from studycircle_tui.sync.engine import CircleService, Notice
from studycircle_tui.sync.file import FileTransport, append_ops, read_lines

DAY = 86_400_000
LAST = "ffffffffffffffff"
YEAR_10082 = hlc.encode(255_000_000_000_000, 0)


def _stamped(op, stamp, key=None):
    """``op`` stamped ``stamp``, signed again by ``key`` (its author's) when given."""
    op = msgspec.structs.replace(op, hlc=stamp)
    return key.sign(op) if key is not None else op


def _reader(tmp_path, lead, clock: dict[str, int]) -> CircleService:
    """Another app on the lead's circle file whose wall clock is ``clock["ms"]``."""
    return CircleService(
        Store(tmp_path / "reader.sqlite3"),
        lead.record,
        FileTransport(tmp_path / "circle.jsonl"),
        now_ms=lambda: clock["ms"],
    )


def _write_lines(path, ops):
    with path.open("ab") as handle:
        handle.write(b"".join(encode_op(op) + b"\n" for op in ops))


def test_a_far_future_stamp_is_held_back_reported_and_never_observed(tmp_path):
    lead = new_file_circle(tmp_path)
    channel = lead.submit("channel.create", {"name": "general"}).id
    asyncio.run(lead.sync_once())
    ayu = join_file_circle(tmp_path, "Ayu")
    now = ayu.now_ms()
    made = [
        ayu.replica.make(
            ayu.me,
            "thread.create",
            {"channel": channel, "title": title, "kind": "discussion", "text": "t"},
            now,
            os.urandom(10),
        )
        for title in ("end of time", "year 10082")
    ]
    key = key_of(ayu)
    future = [_stamped(made[0], LAST, key), _stamped(made[1], YEAR_10082, key)]
    _write_lines(tmp_path / "circle.jsonl", future)  # as a hostile writer would

    asyncio.run(lead.sync_once())
    heard = []
    lead.subscribe(heard.append)
    assert not {op.id for op in future} & set(lead.state.threads)
    assert {op.id for op in lead.replica.held} == {op.id for op in future}
    held_notice = [
        e.text for e in heard if isinstance(e, Notice) and "held back 2 changes" in e.text
    ]
    assert held_notice and "by Ayu" in held_notice[0] and "8,8" in held_notice[0]

    # The clock did not move: the next op is stamped now, not after the end of time.
    post = lead.submit("channel.create", {"name": "after"})
    assert abs(hlc.physical_ms(post.hlc) - lead.now_ms()) < 60_000
    assert [decode_op(encode_op(op)).id for op in lead.store.outbox(lead.record.id)] == [post.id]
    asyncio.run(lead.sync_once())
    assert read_lines(tmp_path / "circle.jsonl").problems == []

    # The circle still opens (it once failed with a traceback), and still holds them back.
    reopened = open_service(Store(tmp_path / "Lead-replica.sqlite3"), lead.record)
    assert {op.id for op in reopened.replica.held} == {op.id for op in future}
    assert reopened.state.channels.keys() == lead.state.channels.keys()


def test_a_far_future_forgery_is_refused_never_held_in_its_claimed_authors_name(tmp_path):
    """Ayu writes far-future lines in the lead's name: one signed with her own key, one
    unsigned. Their signatures are checked before anything is held back: no app says it
    held back a change by the lead (a wrong clock of the lead's?); each says it refused a
    change claiming to be by the lead. Ayu's own far-future line is still held back as
    hers, and the forgeries never fold, even when their time comes."""
    lead = new_file_circle(tmp_path)
    asyncio.run(lead.sync_once())
    ayu = join_file_circle(tmp_path, "Ayu")
    clock = {"ms": ayu.now_ms()}
    reader = _reader(tmp_path, lead, clock)

    def made(actor, name):
        return ayu.replica.make(
            actor, "channel.create", {"name": name}, clock["ms"], os.urandom(10)
        )

    forged = _stamped(made(lead.me, "forged"), YEAR_10082, key_of(ayu))
    unsigned = _stamped(made(lead.me, "unsigned"), YEAR_10082)
    renamed = ayu.replica.make(
        ayu.me, "member.update", {"name": "Ayu later"}, clock["ms"], os.urandom(10)
    )
    own = _stamped(renamed, YEAR_10082, key_of(ayu))
    _write_lines(tmp_path / "circle.jsonl", [forged, unsigned, own])

    for service in (lead, reader):
        heard = []
        service.subscribe(heard.append)
        asyncio.run(service.sync_once())
        said = [e.text for e in heard if isinstance(e, Notice)]
        assert not any("Lead" in text and "held back" in text for text in said), said
        assert any("held back a change by Ayu" in text for text in said), said
        refused = [t for t in said if "(channel.create) claiming to be by Lead" in t]
        assert len(refused) == 2 and "does not match its author's key" in refused[0], said
        assert "not signed" in refused[1], said
    clock["ms"] = hlc.physical_ms(YEAR_10082)  # their time comes: the fold refuses them too
    asyncio.run(reader.sync_once())
    assert forged.id not in reader.state.channels and unsigned.id not in reader.state.channels
    assert reader.state.members[ayu.me].name == "Ayu later"


def test_held_ops_fold_once_the_readers_clock_reaches_them(tmp_path):
    lead = new_file_circle(tmp_path)
    clock = {"ms": lead.now_ms()}
    reader = _reader(tmp_path, lead, clock)
    soon = lead.replica.make(
        lead.me, "channel.create", {"name": "soon"}, clock["ms"], os.urandom(10)
    )
    # A clock two days fast:
    soon = _stamped(soon, hlc.encode(clock["ms"] + 2 * DAY, 0), key_of(lead))
    _write_lines(tmp_path / "circle.jsonl", [soon])
    asyncio.run(reader.sync_once())
    assert soon.id not in reader.state.channels
    clock["ms"] += DAY + 1  # the reader's clock is now within a day of the stamp
    asyncio.run(reader.sync_once())  # nothing new in the file: the held op folds anyway
    assert soon.id in reader.state.channels
    assert reader.replica.held == []
    # Observed now that it is folded: the reader's next op sorts after it.
    later = reader.replica.make(reader.me, "channel.create", {"name": "x"}, clock["ms"], b"0" * 10)
    assert later.hlc > soon.hlc


def test_a_running_reader_folds_a_held_op_when_its_time_comes_with_the_file_quiet(tmp_path):
    """The sync loop waits for the file to change; a held op's time coming is no change
    to the file, so the loop also wakes when the first held op comes due."""
    lead = new_file_circle(tmp_path)
    time_ms = lead.now_ms  # the real clock, as it runs
    reader = CircleService(
        Store(tmp_path / "reader.sqlite3"), lead.record, FileTransport(tmp_path / "circle.jsonl")
    )
    soon = lead.replica.make(lead.me, "channel.create", {"name": "soon"}, time_ms(), b"1" * 10)
    # Due in 5 s: long enough to arrive while still held however busy the machine is.
    soon = _stamped(soon, hlc.encode(time_ms() + DAY + 5_000, 0), key_of(lead))

    async def folds_while_running() -> bool:
        await reader.sync_once()
        running = asyncio.ensure_future(reader.run())
        try:
            await asyncio.sleep(0.1)  # idle, the file quiet
            _write_lines(tmp_path / "circle.jsonl", [soon])
            assert await until(lambda: soon.id in {op.id for op in reader.replica.held})
            return await until(lambda: soon.id in reader.state.channels, limit=20)
        finally:
            running.cancel()
            await reader.transport.close()

    assert asyncio.run(folds_while_running())
    assert reader.transport.watch.mode == "notify"  # it did not fall back to polling


# A circle and some of its ops re-stamped up to three days ahead: delivered in any order,
# in batches, to a reader whose clock moves forward, the replica always equals the fold of
# exactly the ops within a day of its clock, and in the end the fold of all of them.
_, BASE = circle_ops(12, wall_ms=1_800_000_000_000)
NOW = 1_800_000_000_000 + 100


@settings(max_examples=60, deadline=None)
@given(
    ahead=st.lists(st.integers(0, 3 * DAY), min_size=len(BASE) - 3, max_size=len(BASE) - 3),
    seed=st.integers(0, 2**32),
    steps=st.lists(st.integers(0, DAY), min_size=1, max_size=6),
)
def test_a_reader_folds_exactly_the_ops_within_a_day_of_its_clock(ahead, seed, steps):
    ops = BASE[:3] + [
        _stamped(op, hlc.encode(hlc.physical_ms(op.hlc) + extra, 0))
        for op, extra in zip(BASE[3:], ahead, strict=True)
    ]
    rng = random.Random(seed)
    shuffled = rng.sample(ops, len(ops))
    replica = Replica(ops[0].id)
    now = NOW
    cuts = sorted(rng.sample(range(len(ops)), min(len(steps), len(ops))))
    for start, end, step in zip([0, *cuts], [*cuts, len(ops)], [0, *steps], strict=False):
        now += step
        replica.add(shuffled[start:end], now)
        arrived = shuffled[:end]
        due = [op for op in arrived if not hlc.too_far_ahead(op.hlc, now)]
        expected = reducer.fold(ops[0].id, sorted(due, key=lambda op: (op.hlc, op.id)))
        assert replica.state == expected
        assert {op.id for op in replica.held} == {op.id for op in arrived} - {op.id for op in due}
    replica.add([], now + 3 * DAY)
    assert replica.state == reducer.fold(ops[0].id, sorted(ops, key=lambda op: (op.hlc, op.id)))


def test_an_op_that_would_not_decode_never_enters_the_outbox(tmp_path):
    lead = new_file_circle(tmp_path)
    op = lead.replica.make(lead.me, "channel.create", {"name": "x"}, lead.now_ms(), os.urandom(10))
    broken = _stamped(op, "1" + "0" * 16)  # seventeen digits, as the old clock overflowed to
    before = lead.store.count_ops(lead.record.id)
    with pytest.raises(OpError, match="hlc"):
        lead.store.add_ops(lead.record.id, [broken], outbox=True)
    assert lead.store.count_ops(lead.record.id) == before
    assert lead.store.outbox_size(lead.record.id) == 0


def test_an_op_that_would_not_decode_is_never_appended_to_the_file(tmp_path):
    lead = new_file_circle(tmp_path)
    path = tmp_path / "circle.jsonl"
    op = lead.replica.make(lead.me, "channel.create", {"name": "x"}, lead.now_ms(), os.urandom(10))
    good = lead.replica.make(lead.me, "channel.create", {"name": "y"}, lead.now_ms(), b"1" * 10)
    before = path.read_bytes()
    refused = append_ops(path, [_stamped(op, "1" + "0" * 16), good])
    assert list(refused) == [op.id] and "not written" in refused[op.id]
    assert path.read_bytes() == before + encode_op(good) + b"\n"


def test_a_store_from_before_the_fix_still_opens(tmp_path):
    # The old clock wrote a 17-digit stamp into the store and its outbox; the circle then
    # failed to open with a traceback. Now that op is left out, and said so.
    lead = new_file_circle(tmp_path)
    op = lead.replica.make(lead.me, "channel.create", {"name": "x"}, lead.now_ms(), os.urandom(10))
    body = encode_op(_stamped(op, "1" + "0" * 16))
    store = lead.store
    store.db.execute(
        "INSERT INTO ops (circle, id, hlc, seq, body) VALUES (?, ?, ?, NULL, ?)",
        (lead.record.id, op.id, "1" + "0" * 16, body),
    )
    store.db.execute("INSERT INTO outbox VALUES (?, ?, 99)", (lead.record.id, op.id))
    reopened = open_service(Store(tmp_path / "Lead-replica.sqlite3"), lead.record)
    texts = [notice.text for notice in reopened.notices]
    assert any("cannot be read" in text and op.id in text for text in texts)
    assert reopened.store.outbox_size(lead.record.id) == 0  # it can never be sent
    assert read_lines(tmp_path / "circle.jsonl").problems == []
