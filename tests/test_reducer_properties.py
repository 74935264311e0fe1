"""Property tests of the reducer and the replica: DESIGN.md's "same state everywhere".

Histories are made the way real ones are: a handful of people, each with their own
replica and their own (skewed, sometimes backwards) wall clock, who act on what their
replica shows them and sync now and then. So ops are mostly plausible (replies to posts
that exist, edits of one's own posts), concurrent ops really are concurrent, and some ops
are refused: by strangers who never joined, by members without the role, by a removed
member, by anyone editing someone else's post, and by the loser of a concurrent race
(two leads demoting each other).

The properties:

(a) a file circle (hlc order): any permutation, duplication or split into batches gives
    the state of the fold of the ops sorted by (hlc, id), and every author's replica ends
    in that state too;
(b) a server circle: ops carrying seqs give the state of the fold in seq order, however
    they arrive;
(c) a member's pending ops applied on top, then rebased on newly confirmed ops (and some
    rejected by the server), give the state of a fresh fold of confirmed-then-pending;
(d) ops by non-members or by members without the needed role change nothing: the fold
    with and without them is equal.

CircleState is a dataclass, so ``==`` compares every field, index and nested entity.
"""

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studycircle_tui.core import reducer
from studycircle_tui.core.ids import ulid
from studycircle_tui.core.ops import Op
from studycircle_tui.core.replica import Replica
from studycircle_tui.core.state import CircleState

T = TypeVar("T")

START_MS = 1_720_000_000_000
# Coarse steps, so that two people often stamp the same millisecond and the op id has to
# break the tie; and clocks that are minutes off, or jump back.
TIME_STEPS = (0, 0, 1, 1_000, 60_000)
SKEWS = (-120_000, -1_000, 0, 0, 0, 700, 30_000)
JITTERS = (0, 0, 0, -5_000, 2)

NAMES = ("Ana", "Budi", "Citra", "Dewi", "Eko", "Fajar", "Gita")
TEXTS = ("Why?", "Because the gap is 0.", "See p. 42.", "Thanks!", "I disagree: …")
# What people do, as often as they do it: mostly talk, sometimes moderate.
WEIGHTS = {
    "post": 5,
    "thread": 2,
    "edit": 1,
    "delete": 1,
    "react": 2,
    "accept": 2,
    "verify": 1,
    "flag": 1,
    "hide": 1,
    "read": 2,
    "channel": 1,
    "archive": 1,
    "role": 2,
    "remove": 1,
    "rules": 1,
    "update": 1,
}
ACTIONS = [action for action, weight in WEIGHTS.items() for _ in range(weight)]
# Ops that need at least a moderator (or the lead, or the post's author / thread's asker).
PRIVILEGED = {
    "channel.create",
    "channel.archive",
    "circle.update",
    "answer.verify",
    "post.hide",
    "member.role",
    "member.remove",
}


class Draws(Protocol):
    """Where a history's choices come from: hypothesis (to shrink) or a seeded Random."""

    def integer(self, low: int, high: int) -> int: ...


class HypothesisDraws:
    def __init__(self, draw: Callable[[st.SearchStrategy[int]], int]) -> None:
        self.draw = draw  # a @composite's draw, or a DataObject's .draw

    def integer(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))


class RandomDraws:
    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def integer(self, low: int, high: int) -> int:
        return self.random.randint(low, high)


def pick(draws: Draws, options: Sequence[T]) -> T:
    # By index, so hypothesis shrinks towards the first option.
    return options[draws.integer(0, len(options) - 1)]


@dataclass
class Person:
    id: str
    kind: str  # founder | member | plain (never promoted) | outsider (never joins) | leaver
    replica: Replica
    skew: int
    removed_seen: bool = False  # leaver: has synced their own removal


@dataclass
class History:
    circle_id: str
    ops: list[Op]  # in the order they were made
    people: list[Person]
    # Ops certain to be refused wherever they fall (True), or wherever they fall in
    # (hlc, id) order (False: a removed member's op, refused only after the removal).
    bad: dict[str, bool] = field(default_factory=dict)

    def sorted_ops(self) -> list[Op]:
        return sorted(self.ops, key=lambda op: (op.hlc, op.id))


class Maker:
    """Builds one history. ``strict`` keeps roles simple enough that every op marked bad
    is certain to be refused: the founder stays lead, "plain" members are never
    promoted, and a "leaver" is removed before doing anything else."""

    def __init__(self, draws: Draws, strict: bool) -> None:
        self.draws = draws
        self.strict = strict
        self.now = START_MS
        self.count = 0
        self.ops: list[Op] = []
        self.bad: dict[str, bool] = {}
        self.people: list[Person] = []

    # --- people and clocks ------------------------------------------------------------

    def random80(self) -> bytes:
        # Unique per op, so ids never collide by accident; the ULID's time part still
        # comes from the (skewed) wall clock.
        self.count += 1
        return self.count.to_bytes(10, "big")

    def person_id(self) -> str:
        return ulid(START_MS - 10**6, self.random80())

    def wall(self, person: Person) -> int:
        self.now += pick(self.draws, TIME_STEPS)
        return max(0, self.now + person.skew + pick(self.draws, JITTERS))

    def emit(self, person: Person, type_name: str, data: dict, bad: bool | None = None) -> Op:
        op = person.replica.make(person.id, type_name, data, self.wall(person), self.random80())
        person.replica.add_local(op)
        self.ops.append(op)
        if bad is not None:
            self.bad[op.id] = bad
        return op

    def sync(self, person: Person, upto: int | None = None) -> None:
        person.replica.add(self.ops if upto is None else self.ops[:upto])

    # --- the history ------------------------------------------------------------------

    def build(self, steps: int) -> History:
        draws = self.draws
        founder_id = self.person_id()
        founder = Person(founder_id, "founder", Replica("0" * 26), pick(draws, SKEWS))
        create = founder.replica.make(
            founder_id,
            "circle.create",
            {"name": "Calculus I", "lead_name": "Ana", "rules": "Be kind."},
            self.wall(founder),
            self.random80(),
        )
        circle_id = create.id
        self.ops.append(create)
        founder.replica = Replica(circle_id)
        founder.replica.add([create])
        # A founder's first act: a channel or two, so there is somewhere to talk.
        for name in ("general", "week 1")[: draws.integer(1, 2)]:
            self.emit(founder, "channel.create", {"name": name})
        kinds = ["member", "member", "plain", "outsider"]
        kinds += [pick(draws, ("member", "plain", "outsider", "leaver"))]
        self.people = [founder]
        for kind in kinds:
            self.people.append(
                Person(self.person_id(), kind, Replica(circle_id), pick(draws, SKEWS))
            )
        for person in self.people[1:]:
            person.replica.add(self.ops)  # everyone starts from the circle file

        if self.strict:
            self._remove_leavers(founder)

        # The founder does more than anyone: leads run their circles.
        actors = [founder, *self.people]
        for _ in range(steps):
            person = pick(draws, actors)
            if draws.integer(0, 3) == 0:
                # Sync up to some point: people see the log at different moments.
                self.sync(person, draws.integer(len(self.ops) // 2, len(self.ops)))
            else:
                self.act(person)
        return History(circle_id, self.ops, self.people, self.bad)

    def _remove_leavers(self, founder: Person) -> None:
        for leaver in [p for p in self.people if p.kind == "leaver"]:
            self.emit(leaver, "member.join", {"name": "Leaver"})
            self.sync(founder)
            self.emit(founder, "member.remove", {"member": leaver.id})
            self.sync(leaver)
            leaver.removed_seen = True

    def act(self, person: Person) -> None:
        view = person.replica.state
        me = person.id
        if person.kind != "outsider" and me not in view.members and not person.removed_seen:
            self.emit(person, "member.join", {"name": pick(self.draws, NAMES)})
            return
        if person.removed_seen and self.draws.integer(0, 3) == 0:
            # A removed member trying to come back: refused, wherever it falls after
            # the removal.
            self.emit(person, "member.join", {"name": "Back again"}, bad=False)
            return
        choice = self.choose(person, view)
        if choice is None:
            return
        type_name, data = choice
        self.emit(person, type_name, data, self.classify(person, view, type_name, data))

    def classify(self, person: Person, view: CircleState, type_name: str, data: dict):
        """True/False when the op is certain to be refused (see History.bad), else None."""
        me = person.id
        if not self.strict or type_name == "read.mark":
            return None  # a read mark needs only its post (see permissions._read_mark)
        if person.kind == "outsider":
            return True
        if person.kind == "leaver" and person.removed_seen:
            return False
        if person.kind == "plain" and type_name in PRIVILEGED:
            return True
        if type_name in ("post.edit", "post.delete") and view.posts[data["post"]].author != me:
            return True
        if type_name == "answer.verify" and view.posts[data["post"]].author == me:
            return True
        if type_name == "answer.accept":
            post = view.posts[data["post"]]
            if view.threads[post.thread_id].author != person.id:
                return True
        return None

    def choose(self, person: Person, view: CircleState) -> tuple[str, dict] | None:
        draws = self.draws
        me = person.id
        channels = list(view.channels)
        threads = list(view.threads)
        posts = list(view.posts)
        own = [post_id for post_id in posts if view.posts[post_id].author == me]
        answers = [
            post_id
            for post_id in posts
            if view.threads[view.posts[post_id].thread_id].kind == "question"
            and view.posts[post_id].index > 0
        ]
        members = [m for m in view.members if not view.members[m].removed]
        # Who may be the target of a role change or removal in strict mode: never the
        # founder (who must stay lead), a plain member (never promoted) or a leaver.
        targets = [m for m in members if not self.strict or self._kind(m) == "member"]
        # What was picked, or, when there is nothing to do it to, something to say.
        for kind in (pick(draws, ACTIONS), "post", "thread", "channel"):
            if kind == "channel":
                return "channel.create", {"name": pick(draws, ("limits", "series", "off-topic"))}
            if kind == "archive" and channels:
                archived = draws.integer(0, 2) == 0  # mostly unarchive: keep channels usable
                return "channel.archive", {"channel": pick(draws, channels), "archived": archived}
            if kind == "thread" and channels:
                return "thread.create", {
                    "channel": pick(draws, channels),
                    "title": pick(draws, ("0.999… = 1?", "Week 1", "Study plan")),
                    "kind": pick(draws, ("question", "discussion")),
                    "text": pick(draws, TEXTS),
                }
            if kind == "post" and threads:
                thread = view.threads[pick(draws, threads)]
                data: dict[str, object] = {"thread": thread.id, "text": pick(draws, TEXTS)}
                if draws.integer(0, 2) == 0:
                    data["reply_to"] = pick(draws, thread.post_ids)
                return "post.create", data
            if kind in ("edit", "delete") and posts:
                # Mostly one's own posts; sometimes someone else's (refused).
                post = pick(draws, own) if own and draws.integer(0, 3) else pick(draws, posts)
                if kind == "edit":
                    return "post.edit", {"post": post, "text": pick(draws, TEXTS)}
                return "post.delete", {"post": post}
            if kind == "react" and posts:
                return "post.react", {
                    "post": pick(draws, posts),
                    "reaction": pick(draws, ("+1", "helpful", "thanks")),
                    "on": draws.integer(0, 2) > 0,
                }
            if kind in ("accept", "verify") and answers:
                # Mostly someone else's answer: no one verifies their own (refused).
                others = [a for a in answers if view.posts[a].author != me]
                post = pick(draws, others if others and draws.integer(0, 3) else answers)
                return ("answer.accept" if kind == "accept" else "answer.verify"), {"post": post}
            if kind == "flag" and posts:
                reason = pick(draws, ("incorrect", "off-topic", "unkind"))
                return "post.flag", {"post": pick(draws, posts), "reason": reason}
            if kind == "hide" and posts:
                hidden = draws.integer(0, 2) > 0
                return "post.hide", {"post": pick(draws, posts), "hidden": hidden}
            if kind == "role" and targets:
                role = pick(draws, ("moderator", "lead", "member"))
                return "member.role", {"member": pick(draws, targets), "role": role}
            if kind == "remove" and targets and draws.integer(0, 2) == 0:
                return "member.remove", {"member": pick(draws, targets)}
            if kind == "read" and threads:
                thread = view.threads[pick(draws, threads)]
                return "read.mark", {"thread": thread.id, "post": pick(draws, thread.post_ids)}
            if kind == "rules":
                if draws.integer(0, 1):
                    return "circle.update", {"rules": pick(draws, ("Be kind.", "No spoilers."))}
                return "rules.accept", {"version": view.rules_version}
            if kind == "update":
                return "member.update", {"name": pick(draws, NAMES)}
        return None

    def _kind(self, member_id: str) -> str:
        return next(p.kind for p in self.people if p.id == member_id)


def make_history(draws: Draws, *, strict: bool = False, max_steps: int = 100) -> History:
    return Maker(draws, strict).build(draws.integer(max_steps // 4, max_steps))


@st.composite
def drawn_histories(draw, strict: bool, max_steps: int) -> History:
    return make_history(HypothesisDraws(draw), strict=strict, max_steps=max_steps)


def histories(strict: bool = False, max_steps: int = 100) -> st.SearchStrategy[History]:
    """Histories hypothesis builds choice by choice (so a failure shrinks to a short
    story), and histories from a seeded Random (far more varied than hypothesis's
    mutations of one choice sequence; a failure names its seed)."""
    seeded = st.integers(0, 2**32).map(
        lambda seed: make_history(RandomDraws(seed), strict=strict, max_steps=max_steps)
    )
    return st.one_of(drawn_histories(strict, max_steps), seeded)


def fold(circle_id: str, ops: Sequence[Op]) -> CircleState:
    return reducer.fold(circle_id, ops)


def shuffled(draws: Draws, ops: Sequence[Op]) -> list[Op]:
    result = list(ops)
    for i in range(len(result) - 1, 0, -1):  # Fisher-Yates, driven by draws
        j = draws.integer(0, i)
        result[i], result[j] = result[j], result[i]
    return result


def deliveries(draws: Draws, ops: Sequence[Op]) -> list[list[Op]]:
    """The ops shuffled, some sent twice, cut into batches: how a sync might bring them."""
    shuffled_ops = shuffled(draws, ops)
    for _ in range(draws.integer(0, 3)):
        if ops:
            shuffled_ops.insert(draws.integer(0, len(shuffled_ops)), pick(draws, ops))
    batches: list[list[Op]] = [[]]
    for op in shuffled_ops:
        if batches[-1] and draws.integer(0, 3) == 0:
            batches.append([])
        batches[-1].append(op)
    return batches


def with_seqs(ops: Sequence[Op], first: int = 1) -> list[Op]:
    """The ops as a server confirms them: seq in this order, and a receive time."""
    return [
        msgspec.structs.replace(op, seq=seq, at=START_MS + 10 * seq)
        for seq, op in enumerate(ops, start=first)
    ]


def server_order(draws: Draws, ops: Sequence[Op]) -> list[Op]:
    """An order a server might receive ops in: as made, by stamp, or anyhow."""
    how = draws.integer(0, 2)
    if how == 0:
        return list(ops)
    if how == 1:
        return sorted(ops, key=lambda op: (op.hlc, op.id))
    return shuffled(draws, ops)


PROPERTY_SETTINGS = settings(
    max_examples=100,
    deadline=None,  # a history is built op by op; timing varies on a busy machine
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
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
    assert fold(circle_id, in_order) == fold(circle_id, allowed)

    # The ops refused whatever their place (strangers, plain members acting as
    # moderators, edits of others' posts) change nothing in a server's order either.
    draws = HypothesisDraws(data.draw)
    anyhow = server_order(draws, in_order)
    kept = [op for op in anyhow if not history.bad.get(op.id, False)]
    assert fold(circle_id, anyhow) == fold(circle_id, kept)


# --- the histories are worth testing with ---------------------------------------------


def test_histories_are_rich_and_mostly_allowed():
    """Guards the properties above against passing on empty or all-refused histories."""
    applied: Counter[str] = Counter()
    refused = 0
    bad = 0
    total = 0
    for seed in range(40):
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
    wanted = {
        "member.join",
        "member.role",
        "member.remove",
        "channel.create",
        "channel.archive",
        "thread.create",
        "post.create",
        "post.edit",
        "post.delete",
        "post.react",
        "answer.accept",
        "answer.verify",
        "post.flag",
        "post.hide",
        "read.mark",
        "circle.update",
        "rules.accept",
        "member.update",
    }
    assert wanted <= set(applied), wanted - set(applied)
    assert sum(applied.values()) > total / 2  # mostly plausible...
    assert refused > total / 20  # ...with a fair share of refusals
    assert bad > total / 20  # strict histories do carry ops marked bad
