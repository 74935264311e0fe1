"""Circle histories for property tests: made the way real ones are.

A handful of people, each with their own replica and their own (skewed, sometimes
backwards) wall clock, act on what their replica shows them and sync now and then. So
ops are mostly plausible (replies to posts that exist, edits of one's own posts, a quiz
run step by step by its host while players answer), concurrent ops really are
concurrent, and some ops are refused: by strangers who never joined, by members without
the role, by a removed member, by anyone editing someone else's post, by a player
answering a closed question (or one asked before they joined the quiz), and by the
loser of a concurrent race (two leads demoting each other). Every op type of the schema
is made (``test_histories_are_rich``), the server's own ``quiz.answered`` included.

Ops are signed as the app signs them (core/signing.py). Most circles are born signed
(keys in circle.create and each join, sometimes signatures required from the start);
the rest are made the way a circle from before signing was, and their members upgrade
one by one (a first ``member.key``) while the lead may come to require signatures. People
rotate their keys (proving the new key; in a circle from before proofs, sometimes as the
previous version did, without), one loses theirs and is re-keyed by the lead from the
member id their new device joined as, and some write in another member's name with their
own key, leave a signature out, or announce another member's key as their own
(``History.forged``: certain to be refused and reported).

Long (about 700 lines) because one ``Maker`` holds what every kind of op needs to see of
its author's replica; it is test code, read alongside ``test_reducer_properties.py``.
"""

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import msgspec
from hypothesis import strategies as st

from studycircle_tui.core import reducer
from studycircle_tui.core.ids import ulid
from studycircle_tui.core.ops import SERVER_ACTOR, Op
from studycircle_tui.core.replica import Replica
from studycircle_tui.core.signing import Signatures, SigningKey
from studycircle_tui.core.state import CircleState, QuizSession

# One set of verdicts for every fold and replica the tests make: each op object is then
# verified once, however many times it is folded (verdicts are tied to the op object).
SIGNATURES = Signatures()
REPORTS = ("forged", "unsigned")  # what the fold writes for an op not signed by its author

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
    "verify": 4,  # often refused: members may not, and no one verifies their own answer
    "flag": 1,
    "hide": 1,
    "read": 2,
    "channel": 1,
    "channel_update": 1,
    "archive": 1,
    "role": 2,
    "remove": 1,
    "rules": 2,
    "update": 1,
    "step_down": 1,
    "note": 1,
    "revise": 2,
    "restore": 2,
    "suggest": 1,
    "resolve": 3,
    "schedule": 1,
    "rota": 1,
    "quiz": 6,  # a step of a quiz's life: see Maker.quiz_kind
}
ACTIONS = [action for action, weight in WEIGHTS.items() for _ in range(weight)]
# Ops that need at least a moderator (or the lead, or the post's author / thread's asker).
PRIVILEGED = {
    "channel.create",
    "channel.update",
    "channel.archive",
    "circle.update",
    "answer.verify",
    "post.hide",
    "member.role",
    "member.remove",
    "quiz.create",
    "quiz.update",
    "schedule.set",
    "suggestion.resolve",
    "moderator.rota",
}
NOTE_TEXTS = ("# Limits\n\nlim x->0 sin x / x = 1\n", "# Limits\n\nUse epsilon.\n", "Series.\n")
ZONES = ("UTC", "Asia/Jakarta", "Mars/Olympus")  # the last is no zone: refused
# A quiz of two questions, and what a player may answer to each.
QUESTIONS = [
    {"kind": "multiple_choice", "text": "2+2?", "choices": ["3", "4"]},
    {"kind": "short_answer", "text": "Capital of Indonesia?"},
]
KEYS = [{"choices": [1]}, {"accept": ["Jakarta"]}]
ANSWERS = ([[0], [1]], ["Jakarta", "Bandung"])


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
    key: SigningKey | None = None  # None: an app from before signing (until they upgrade)


@dataclass
class History:
    circle_id: str
    ops: list[Op]  # in the order they were made
    people: list[Person]
    # Ops certain to be refused wherever they fall (True), or wherever they fall in
    # (hlc, id) order (False: a removed member's op, refused only after the removal).
    bad: dict[str, bool] = field(default_factory=dict)
    # Ops certain to be refused and reported wherever they fall: written in another
    # member's name, or left unsigned by someone whose key is known.
    forged: set[str] = field(default_factory=set)

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
        self.forged: set[str] = set()
        self.people: list[Person] = []
        # Most circles are born signed; the rest as an older version made them.
        self.signed = draws.integer(0, 2) > 0

    # --- people and clocks ------------------------------------------------------------

    def random80(self) -> bytes:
        # Unique per op, so ids never collide by accident; the ULID's time part still
        # comes from the (skewed) wall clock.
        self.count += 1
        return self.count.to_bytes(10, "big")

    def person_id(self) -> str:
        return ulid(START_MS - 10**6, self.random80())

    def new_key(self) -> SigningKey:
        return SigningKey(self.random80() + bytes(22))

    def replica(self, circle_id: str) -> Replica:
        return Replica(circle_id, signatures=SIGNATURES)

    def wall(self, person: Person) -> int:
        self.now += pick(self.draws, TIME_STEPS)
        return max(0, self.now + person.skew + pick(self.draws, JITTERS))

    def emit(
        self,
        person: Person,
        type_name: str,
        data: dict,
        bad: bool | None = None,
        *,
        actor: str | None = None,
        unsigned: bool = False,
        v1: bool = False,
    ) -> Op:
        """``person`` makes an op and applies it; ``actor``: in someone else's name;
        ``v1``: as the previous version wrote it (schema v1)."""
        key = None if unsigned else person.key
        wall = self.wall(person)
        op = person.replica.make(actor or person.id, type_name, data, wall, self.random80(), key)
        if v1:
            op = msgspec.structs.replace(op, v=1, sig=None)
            op = key.sign(op) if key is not None else op
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
        created = {"name": "Calculus I", "lead_name": "Ana", "rules": "Be kind."}
        if self.signed:
            founder.key = self.new_key()
            created["key"] = founder.key.public
            created["signatures_required"] = draws.integer(0, 2) == 0
        create = founder.replica.make(
            founder_id, "circle.create", created, self.wall(founder), self.random80(), founder.key
        )
        if not self.signed:  # made by an older version: schema v1, rotations without proofs
            create = msgspec.structs.replace(create, v=1)
        circle_id = create.id
        self.ops.append(create)
        founder.replica = self.replica(circle_id)
        founder.replica.add([create])
        # A founder's first act: a channel or two, so there is somewhere to talk.
        for name in ("general", "week 1")[: draws.integer(1, 2)]:
            self.emit(founder, "channel.create", {"name": name})
        if draws.integer(0, 1):  # and often a quiz, run live from the start
            quiz = self.emit(founder, *self.choose_quiz("quiz", founder, founder.replica.state))
            self.emit(founder, "quiz.start", {"quiz": quiz.id, "mode": "live"})
        kinds = ["member", "member", "plain", "outsider"]
        kinds += [pick(draws, ("member", "plain", "outsider", "leaver"))]
        self.people = [founder]
        self.server = Person(SERVER_ACTOR, "server", self.replica(circle_id), 0)
        for kind in kinds:
            key = self.new_key() if self.signed else None
            self.people.append(
                Person(self.person_id(), kind, self.replica(circle_id), pick(draws, SKEWS), key=key)
            )
        for person in self.people[1:]:
            person.replica.add(self.ops)  # everyone starts from the circle file

        if self.strict:
            self._remove_leavers(founder)

        # The founder does more than anyone: leads run their circles.
        actors = [founder, *self.people]
        for _ in range(steps):
            person = pick(draws, actors)
            if draws.integer(0, 20) == 0:
                self.server_reports()
            elif draws.integer(0, 12) == 0:
                self.keys(person, founder)
            elif draws.integer(0, 3) == 0:
                # Sync up to some point: people see the log at different moments.
                self.sync(person, draws.integer(len(self.ops) // 2, len(self.ops)))
            else:
                self.act(person)
        return History(circle_id, self.ops, self.people, self.bad, self.forged)

    def join_data(self, person: Person, name: str) -> dict:
        return {"name": name, "key": person.key.public} if person.key else {"name": name}

    def _remove_leavers(self, founder: Person) -> None:
        for leaver in [p for p in self.people if p.kind == "leaver"]:
            self.emit(leaver, "member.join", self.join_data(leaver, "Leaver"))
            self.sync(founder)
            self.emit(founder, "member.remove", {"member": leaver.id})
            self.sync(leaver)
            leaver.removed_seen = True

    def act(self, person: Person) -> None:
        view = person.replica.state
        me = person.id
        if person.kind != "outsider" and me not in view.members and not person.removed_seen:
            self.emit(person, "member.join", self.join_data(person, pick(self.draws, NAMES)))
            return
        if person.removed_seen and self.draws.integer(0, 3) == 0:
            # A removed member trying to come back: refused, wherever it falls after
            # the removal.
            self.emit(person, "member.join", self.join_data(person, "Back again"), bad=False)
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
        if person.kind == "plain" and type_name == "quiz.start" and data["mode"] == "live":
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
        step = self.quiz_step(person, view)
        if isinstance(step, tuple):
            return step
        first = step or pick(draws, ACTIONS)
        if first == "quiz":
            first = self.quiz_kind(person, view)
        for kind in (first, "post", "thread", "channel"):
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
                    "reaction": pick(draws, ("+1", "helpful", "thanks", "question", "celebrate")),
                    "on": draws.integer(0, 2) > 0,
                }
            if kind in ("accept", "verify") and answers:
                # Someone else's answer to verify: no one verifies their own (refused).
                others = [a for a in answers if view.posts[a].author != me]
                post = pick(draws, others if others and kind == "verify" else answers)
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
            if kind == "step_down" and view.role_of(me) == "lead" and not self.strict:
                # A lead handing over: refused while no other (current) lead is left.
                return "member.role", {"member": me, "role": pick(draws, ("moderator", "member"))}
            if kind == "update":
                return "member.update", {"name": pick(draws, NAMES)}
            chosen = self.choose_more(kind, person, view)
            if chosen is not None:
                return chosen
        return None

    def quiz_step(self, person: Person, view: CircleState) -> tuple[str, dict] | str | None:
        """A live quiz, once running, is where the action is: its host mostly takes the
        next step (open, close, reveal, open the next, finish), players answer."""
        draws = self.draws
        live = [s for s in view.sessions.values() if s.mode == "live" and not s.finished]
        hosted = [s for s in live if s.host == person.id]
        if hosted and draws.integer(0, 3):
            session = pick(draws, hosted)
            count = len(view.quizzes[session.quiz_id].questions)
            current = session.current
            if draws.integer(0, 9) == 0:  # now and then anything, refused or not
                kind = pick(draws, ("open", "close", "reveal", "finish"))
            elif current < 0:
                kind = "open"
            elif current not in session.closed:  # more time, a pause, a resume, or close
                kind = pick(draws, ("open", "close", "close"))
            elif current not in session.revealed:
                kind = "reveal"
            else:
                kind = "open" if current + 1 < count else "finish"
            return self.host_op(kind, session, view)
        if live and draws.integer(0, 2) == 0:
            return pick(draws, ("answer", "answer", "answer", "join", "join", "leave"))
        return None

    def quiz_kind(self, person: Person, view: CircleState) -> str:
        """The step of a quiz's life this person takes: make one, start it, run it, answer."""
        draws = self.draws
        live = [s for s in view.sessions.values() if s.mode == "live" and not s.finished]
        roll = draws.integer(0, 9)
        if any(s.host == person.id for s in live) and roll < 6:
            return pick(draws, ("open", "open", "close", "close", "reveal", "finish"))
        if live and roll < 8:
            return pick(draws, ("answer", "answer", "join", "leave"))
        if view.quizzes and (roll < 9 or not view.is_at_least(person.id, "moderator")):
            return pick(draws, ("start", "start", "start", "quiz_update", "result"))
        return "quiz"

    def choose_more(self, kind: str, person: Person, view: CircleState) -> tuple[str, dict] | None:
        """Channels, notes, suggestions, schedule, rota and quizzes."""
        draws = self.draws
        channels = list(view.channels)
        if kind == "channel_update" and channels:
            field = pick(draws, ("name", "goal"))
            value = pick(draws, ("limits", "Exam prep", "series"))
            return "channel.update", {"channel": pick(draws, channels), field: value}
        if kind == "note":
            data: dict[str, object] = {"title": "Cheat sheet", "text": pick(draws, NOTE_TEXTS)}
            if channels and draws.integer(0, 1):
                data["channel"] = pick(draws, channels)
            return "note.create", data
        if kind in ("revise", "restore") and view.notes:
            note = view.notes[pick(draws, list(view.notes))]
            if kind == "restore":
                return "note.restore", {"note": note.id, "revision": pick(draws, note.order)}
            # Mostly from the head; sometimes from an older revision, which merges.
            base = note.head if draws.integer(0, 2) else pick(draws, note.order)
            data = {"note": note.id, "base": base, "text": pick(draws, NOTE_TEXTS)}
            if draws.integer(0, 3) == 0:
                data["title"] = "Limits, revised"
            return "note.revise", data
        if kind == "suggest":
            return "suggestion.create", {
                "text": pick(draws, TEXTS),
                "anonymous": draws.integer(0, 1) == 1,
            }
        if kind == "resolve" and view.suggestions:
            return "suggestion.resolve", {
                "suggestion": pick(draws, list(view.suggestions)),
                "status": pick(draws, ("planned", "done", "declined")),
                "reply": pick(draws, ("", "Next week.")),
            }
        if kind == "schedule":
            sessions = [
                {
                    "title": "Weekly review",
                    "weekday": draws.integer(0, 6),
                    "time": pick(draws, ("09:00", "19:30")),
                    "tz": pick(draws, ZONES),
                }
                for _ in range(draws.integer(0, 2))
            ]
            return "schedule.set", {"sessions": sessions}
        if kind == "rota":
            # Whoever's turn it is moderates: in strict histories only those who may be
            # promoted anyway, so a plain member's moderation stays certain to be refused.
            pool = [m for m, member in view.members.items() if not member.removed]
            if self.strict:
                pool = [m for m in pool if self._kind(m) in ("founder", "member")]
            volunteers = [pick(draws, pool) for _ in range(draws.integer(1, 2))] if pool else []
            return "moderator.rota", {
                "volunteers": volunteers,
                "start": "2024-07-01",
                "period_days": draws.integer(1, 3),
                "tz": pick(draws, ZONES),
            }
        return self.choose_quiz(kind, person, view)

    def choose_quiz(self, kind: str, person: Person, view: CircleState) -> tuple[str, dict] | None:
        draws = self.draws
        quizzes = list(view.quizzes)
        if kind == "quiz":
            count = draws.integer(1, len(QUESTIONS))
            data: dict[str, object] = {"title": "Week 1", "questions": QUESTIONS[:count]}
            if draws.integer(0, 1):
                data["keys"] = KEYS[:count]  # practice: the key travels openly
            else:
                data["key_hash"] = "0" * 64  # live: only a hash of it
            if view.channels and draws.integer(0, 1):
                data["channel"] = pick(draws, list(view.channels))
            return "quiz.create", data
        if kind == "quiz_update" and quizzes:
            return "quiz.update", {"quiz": pick(draws, quizzes), "title": "Week 1 (fixed)"}
        if kind == "start" and quizzes:
            mode = pick(draws, ("live", "live", "practice"))
            return "quiz.start", {"quiz": pick(draws, quizzes), "mode": mode}
        if kind == "result" and quizzes:
            score = draws.integer(0, 5)  # sometimes over the maximum: refused
            return "quiz.result", {"quiz": pick(draws, quizzes), "score": score, "max_score": 4}
        live = [s for s in view.sessions.values() if s.mode == "live" and not s.finished]
        if kind in ("join", "leave") and live:
            # Into the lobby or mid-quiz (from the next question), out, and in again;
            # sometimes the host, or twice (refused).
            return f"quiz.{kind}", {"session": pick(draws, live).id}
        if kind == "answer" and live:
            session = pick(draws, live)
            # Mostly the open question; sometimes one that is closed or never opened.
            question = session.current if draws.integer(0, 4) else draws.integer(0, 1)
            if question < 0:
                return None
            answers = ANSWERS[question % len(ANSWERS)]
            return "quiz.answer", {
                "session": session.id,
                "question": question,
                "answer": pick(draws, answers),
            }
        hosted = [s for s in live if s.host == person.id]
        if kind not in ("open", "close", "reveal", "finish") or not hosted:
            return None
        return self.host_op(kind, pick(draws, hosted), view)

    def host_op(self, kind: str, session: QuizSession, view: CircleState) -> tuple[str, dict]:
        draws = self.draws
        count = len(view.quizzes[session.quiz_id].questions)
        current = session.current
        if kind == "open":
            # The next question; or the open one again: more time, a pause (deadline 0)
            # or a resume; or any (a closed one: refused).
            how = draws.integer(0, 3)
            question = current + 1 if how < 2 and current + 1 < count else max(current, 0)
            if how == 3:
                question = draws.integer(0, count - 1)
            deadline = pick(draws, (0, self.now + 20_000, self.now + 600_000))
            return "quiz.open", {"session": session.id, "question": question, "deadline": deadline}
        if kind == "close":
            return "quiz.close", {"session": session.id, "question": max(current, 0)}
        if kind == "reveal":
            closed = sorted(session.closed)
            # A closed question, or sometimes the open one (refused: close before reveal).
            question = pick(draws, closed) if closed and draws.integer(0, 3) else max(current, 0)
            key = KEYS[question % len(KEYS)]
            return "quiz.reveal", {"session": session.id, "question": question, "key": key}
        return "quiz.finish", {"session": session.id}

    # --- keys and signatures -----------------------------------------------------------

    def keys(self, person: Person, founder: Person) -> None:
        """A step about keys: a new key (a rotation, or an older app's member upgrading),
        signatures required or not, an op in another's name or left unsigned, or a lost
        key given back by the lead."""
        draws, view, me = self.draws, person.replica.state, person.id
        if view.role_of(me) is None:
            return
        what = draws.integer(0, 6)
        if what <= 1:
            key = self.new_key()
            data = {"member": me, "key": key.public, "reason": "first"}
            # A rotation proves the new key, but for one made by the previous version in
            # a circle from then (schema v1), which proved nothing.
            legacy = view.schema == 1 and draws.integer(0, 1) == 0
            if view.key_of(me):
                data["reason"] = "rotate"
                if not legacy:
                    data["proof"] = key.prove(view.id, me)
            else:
                person.key = key  # a first key signs its own announcement
            self.emit(person, "member.key", data, v1=legacy)
            person.key = key
        elif what == 6 and view.key_of(me) is not None:
            # Another member's key announced as one's own, unproven or proven by a key
            # of one's own: refused and reported wherever it falls.
            others = [m for m in view.keys if m not in (me, SERVER_ACTOR)]
            if not others:
                return
            claimed = view.key_of(pick(draws, others))
            data = {"member": me, "key": claimed, "reason": "rotate"}
            # (In a circle from before proofs only a proof that fails is certain to be
            # refused: there a v1 rotation without one is taken, as it was then.)
            if view.schema == 1 or draws.integer(0, 1):
                data["proof"] = self.new_key().prove(view.id, me)
            self.forged.add(self.emit(person, "member.key", data).id)
        elif what == 2:
            wanted = {"signatures_required": draws.integer(0, 2) > 0}
            bad = self.classify(person, view, "circle.update", wanted)
            self.emit(person, "circle.update", wanted, bad)
        elif what == 3:
            # Someone else's name on an op: a role for oneself, or a post.
            victims = [m for m in view.members if m != me and view.key_of(m) is not None]
            if not victims:
                return
            victim = pick(draws, victims)
            threads = list(view.threads)
            if threads and draws.integer(0, 1):
                data = {"thread": pick(draws, threads), "text": "I was wrong."}
                op = self.emit(person, "post.create", data, actor=victim)
            else:
                data = {"member": me, "role": "lead"}
                op = self.emit(person, "member.role", data, actor=victim)
            self.forged.add(op.id)
        elif what == 4 and view.key_of(me) is not None:
            choice = self.choose(person, view)
            if choice is not None and choice[0] != "read.mark":  # left unsigned: refused
                self.forged.add(self.emit(person, *choice, unsigned=True).id)
        elif what == 5 and person is not founder and self.signed:
            self.lose_key(person, founder)

    def lose_key(self, person: Person, founder: Person) -> None:
        """``person`` loses their key: their new device joins as a new member, the lead
        gives them that device's key (and ends the new member), and they go on as
        themselves with it once they have seen it."""
        device = Person(self.person_id(), "device", self.replica(person.replica.circle_id), 0)
        device.key = self.new_key()
        self.sync(device)
        self.emit(device, "member.join", self.join_data(device, "New laptop"))
        self.sync(founder)
        data = {
            "member": person.id,
            "key": device.key.public,
            "reason": "lost",
            "joined_as": device.id,
        }
        self.emit(founder, "member.key", data)
        self.sync(person)
        if person.replica.state.key_of(person.id) == device.key.public:
            person.key = device.key

    def server_reports(self) -> None:
        """The server says who has answered a live question (quiz.answered)."""
        server = self.server
        self.sync(server)
        view = server.replica.state
        open_now = [
            s
            for s in view.sessions.values()
            if s.mode == "live" and not s.finished and s.current >= 0
        ]
        members = [m for m, member in view.members.items() if not member.removed]
        if open_now and members:
            session = pick(self.draws, open_now)
            data = {
                "session": session.id,
                "question": session.current,
                "player": pick(self.draws, members),
            }
            self.emit(server, "quiz.answered", data)

    def _kind(self, member_id: str) -> str:
        # A new device's member (lose_key) is no person of the story: "device" keeps it
        # out of strict picks while the lead's re-key has not ended it.
        return next((p.kind for p in self.people if p.id == member_id), "device")


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
    return reducer.fold(circle_id, ops, SIGNATURES)


def without_reports(state: CircleState) -> CircleState:
    """``state`` without the moderation log's lines about ops refused as not signed by
    their author (the one thing such an op changes)."""
    state.moderation_log = [e for e in state.moderation_log if e.action not in REPORTS]
    return state


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
