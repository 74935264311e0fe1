"""Property tests of the reducer and the replica: docs/architecture.md's "same state everywhere".

Histories (tests/histories.py) are made the way real ones are, with every op type of the
schema; test_invariants.py checks what must hold in every state they reach.

The properties:

(a) a file circle (hlc order): any permutation, duplication or split into batches gives
    the state of the fold of the ops sorted by (hlc, id), and every author's replica ends
    in that state too;
(b) a server circle: ops carrying seqs give the state of the fold in seq order, however
    they arrive;
(c) a member's pending ops applied on top, then rebased on newly confirmed ops (and some
    rejected by the server), give the state of a fresh fold of confirmed-then-pending;
(d) ops by non-members or by members without the needed role change nothing: the fold
    with and without them is equal (but for the report of an op not signed by its
    author, which (e) is about);
(e) an op not signed by whom it claims to be by (another member's name, a signature left
    out, an unknown key where signatures are required) changes nothing but the
    moderation log's line about it: the fold without every reported op is the same
    state less those lines; and the ops certain to be forged are all reported.

Every history signs its ops as the app does (see histories.py), so (a)-(c) hold with
signatures on: keys that rotate, are lost and given back, and circles from before
signing that upgrade.

CircleState is a dataclass, so ``==`` compares every field, index and nested entity.
"""

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from histories import (
    REPORTS,
    START_MS,
    HypothesisDraws,
    Maker,
    RandomDraws,
    deliveries,
    fold,
    histories,
    make_history,
    pick,
    server_order,
    with_seqs,
    without_reports,
)
from studycircle_tui.core import reducer
from studycircle_tui.core.ops import OP_TYPES, Op
from studycircle_tui.core.replica import Replica
from studycircle_tui.core.state import CircleState

# How many examples: the profile's (conftest.py): a modest number in `make test`, more
# with HYPOTHESIS_PROFILE=thorough. No deadline: a history is built op by op, and timing
# varies on a busy machine.
PROPERTY_SETTINGS = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


# --- (a) file circles: hlc order ------------------------------------------------------


@PROPERTY_SETTINGS
@given(histories(), st.data())
def test_hlc_order_any_arrival_gives_the_sorted_fold(history, data):
    expected = fold(history.circle_id, history.sorted_ops())

    replica = Replica(history.circle_id, "hlc")
    for batch in deliveries(HypothesisDraws(data.draw), history.ops):
        replica.add(batch)
    assert replica.state == expected
    assert replica.ops() == history.sorted_ops()
    assert len(replica) == len(history.ops)

    # Every author's own replica, once it has seen everything, agrees too: the
    # incremental path (ops made locally, applied on top) and the refolds meet.
    for person in history.people:
        person.replica.add(history.ops)
        assert person.replica.state == expected, person.kind


# --- (b) server circles: seq order ----------------------------------------------------


@PROPERTY_SETTINGS
@given(histories(), st.data())
def test_seq_order_decides_however_ops_arrive(history, data):
    draws = HypothesisDraws(data.draw)
    # Read marks never leave the replica, so a server never gives them a seq.
    shared = [op for op in history.ops if not op.LOCAL_ONLY]
    confirmed = with_seqs(server_order(draws, shared))
    expected = fold(history.circle_id, confirmed)

    replica = Replica(history.circle_id, "seq")
    for batch in deliveries(draws, confirmed):
        replica.add(batch)
    assert replica.state == expected
    assert [op.seq for op in replica.ops()] == list(range(1, len(confirmed) + 1))


# --- (c) pending ops rebased on newly confirmed ones ----------------------------------


@PROPERTY_SETTINGS
@given(histories(), st.data())
def test_pending_ops_rebase_like_a_fresh_fold(history, data):
    draws = HypothesisDraws(data.draw)
    circle_id = history.circle_id
    shared = [op for op in history.ops if not op.LOCAL_ONLY]
    authors = sorted({op.actor for op in shared})
    me = pick(draws, authors)

    # The server has confirmed a prefix of what was made; the rest of my ops are pending.
    split = draws.integer(1, len(shared))
    confirmed = with_seqs(shared[:split])
    pending = [op for op in shared[split:] if op.actor == me]
    rejected = {op.id for op in pending if draws.integer(0, 4) == 0}
    # Later the server takes the rest (not the ops it refuses) in an order of its own.
    later = [op for op in shared[split:] if op.id not in rejected]
    arriving = with_seqs(server_order(draws, later), first=split + 1)
    # My read marks: local-only, made on posts my replica shows at that point.
    marks = [op for op in history.ops if op.LOCAL_ONLY and op.actor == me]

    replica = Replica(circle_id, "seq")
    replica.add(confirmed)
    local: list[Op] = []
    for op in [*pending, *marks]:
        if op.LOCAL_ONLY and op.data.post not in replica.state.posts:
            continue
        replica.add_local(op)
        if op.LOCAL_ONLY:
            local.append(op)

    arrived: list[Op] = list(confirmed)
    unresolved = list(pending)  # pending ops neither confirmed nor rejected yet

    def expected() -> CircleState:
        return fold(circle_id, [*arrived, *local, *unresolved])

    assert replica.state == expected()
    position = 0
    while position < len(arriving) or any(op.id in rejected for op in unresolved):
        refused = [op for op in unresolved if op.id in rejected]
        if refused and (position == len(arriving) or draws.integer(0, 2) == 0):
            victim = pick(draws, refused)
            replica.reject(victim.id)
            unresolved.remove(victim)
        else:
            size = draws.integer(1, max(1, len(arriving) - position))
            batch = arriving[position : position + size]
            position += size
            if draws.integer(0, 3) == 0:
                batch = [*batch, *arrived[-2:]]  # a retried poll brings some ops again
            replica.add(batch)
            arrived = arrived + [op for op in batch if op.seq > len(arrived)]
            confirmed_ids = {op.id for op in batch}
            unresolved = [op for op in unresolved if op.id not in confirmed_ids]
        assert replica.state == expected()
        assert [op.id for op in replica.pending] == [op.id for op in unresolved]

    assert replica.pending == []
    assert replica.state == fold(circle_id, [*confirmed, *arriving, *local])


def test_a_local_read_mark_survives_the_readers_removal_arriving_later():
    """Found by (c): a read mark applied on top, then the reader's removal confirmed.

    Applied incrementally the mark had counted; a fresh fold (read marks on top of the
    log) refused it as a non-member's, so the next refold silently changed the state.
    """
    maker = Maker(RandomDraws(0), strict=False)
    lead, reader = maker.person_id(), maker.person_id()
    world = Replica("0" * 26)

    def make(actor: str, type_name: str, **data: object) -> Op:
        return world.make(actor, type_name, data, START_MS + maker.count, maker.random80())

    create = make(lead, "circle.create", name="C", lead_name="Ana")
    world.circle_id = create.id
    join = make(reader, "member.join", name="Budi")
    channel = make(lead, "channel.create", name="general")
    thread = make(lead, "thread.create", channel=channel.id, title="t", kind="question", text="?")
    mark = make(reader, "read.mark", thread=thread.id, post=thread.id)
    removal = make(lead, "member.remove", member=reader)

    replica = Replica(create.id, "seq")
    replica.add(with_seqs([create, join, channel, thread]))
    replica.add_local(mark)
    replica.add(with_seqs([removal], first=5))
    assert replica.state == fold(create.id, replica.ops())
    assert replica.state.read_upto[reader] == {thread.id: 1}


# --- (d) ops without permission change nothing ----------------------------------------


@PROPERTY_SETTINGS
@given(histories(strict=True), st.data())
def test_ops_without_permission_change_nothing(history, data):
    circle_id = history.circle_id
    in_order = history.sorted_ops()
    allowed = [op for op in in_order if op.id not in history.bad]
    assert without_reports(fold(circle_id, in_order)) == without_reports(fold(circle_id, allowed))

    # The ops refused whatever their place (strangers, plain members acting as
    # moderators, edits of others' posts) change nothing in a server's order either.
    draws = HypothesisDraws(data.draw)
    anyhow = server_order(draws, in_order)
    kept = [op for op in anyhow if not history.bad.get(op.id, False)]
    assert without_reports(fold(circle_id, anyhow)) == without_reports(fold(circle_id, kept))


# --- (e) ops not signed by their author change nothing but their report --------------


@PROPERTY_SETTINGS
@given(histories(), st.data())
def test_ops_not_signed_by_their_author_are_reported_and_change_nothing_else(history, data):
    circle_id = history.circle_id
    draws = HypothesisDraws(data.draw)
    in_order = history.sorted_ops()
    # Not in any server's order: there an op may come before the circle it belongs to.
    reported = {e.op_id for e in fold(circle_id, in_order).moderation_log if e.action in REPORTS}
    # A forgery in the name of someone who is no member then (gone, or not yet joined) has
    # no key to be checked against: it is refused as a non-member's op, not reported.
    for op_id in history.forged - reported:
        at = next(i for i, op in enumerate(in_order) if op.id == op_id)
        before = fold(circle_id, in_order[:at])
        assert before.role_of(in_order[at].actor) is None, in_order[at]
    for order in (in_order, with_seqs(server_order(draws, history.ops))):
        state = fold(circle_id, order)
        reported = {e.op_id for e in state.moderation_log if e.action in REPORTS}
        honest = [op for op in order if op.id not in reported]
        assert without_reports(state) == without_reports(fold(circle_id, honest))


# --- the histories are worth testing with ---------------------------------------------


def test_histories_are_rich_and_mostly_allowed():
    """Guards the properties above against passing on empty or all-refused histories."""
    applied: Counter[str] = Counter()
    refused = 0
    bad = 0
    total = 0
    for seed in range(80):
        history = make_history(RandomDraws(seed), strict=seed % 2 == 0, max_steps=80)
        state = CircleState(history.circle_id)
        for op in history.sorted_ops():
            if reducer.apply(state, op):
                applied[op.type] += 1
            else:
                refused += 1
        total += len(history.ops)
        bad += len(history.bad)
        assert state.created
    # Every op type of the schema is made, and applied at least once.
    wanted = set(OP_TYPES)
    assert wanted <= set(applied), wanted - set(applied)
    assert sum(applied.values()) > total / 2  # mostly plausible...
    assert refused > total / 20  # ...with a fair share of refusals
    assert bad > total / 20  # strict histories do carry ops marked bad
