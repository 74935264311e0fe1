"""The demo circle a newcomer sees on the very first run: a living group, not an empty one.

Built as ordinary ops (so it exercises the same reducer as any circle): a few channels,
a question thread with an accepted and a verified answer, a discussion thread, a note
and a practice quiz. Some of it is in Bahasa Indonesia, as many first groups are.

It is written in the language of whoever starts it: ``_`` is handed in (the front end's
translation, like time and randomness: the core loads no catalog), and the sentences are
marked with it for ``make i18n``. Code and names stay as they are.
"""

import hashlib
from collections.abc import Callable

from .ids import ulid
from .messages import N_
from .ops import Op
from .replica import Replica
from .signing import SigningKey

MINUTE_MS = 60_000


def demo_ops(
    my_name: str,
    my_id: str,
    start_ms: int,
    random80: Callable[[], bytes],
    my_key: SigningKey,
    _: Callable[[str], str] = N_,
) -> tuple[str, list[Op]]:
    """Return the demo circle's id and its ops; ``my_id`` becomes the circle's lead,
    signing with ``my_key``.

    ``start_ms`` is when the story starts (a few days ago); member ids and op ids are
    drawn from ``random80``, so the caller chooses between real and fixed randomness.
    Signed like any new circle; the other members' keys are ``member_key``'s.
    """
    clock = {"ms": start_ms}
    circle_data = {
        "key": my_key.public,
        "signatures_required": True,
        "name": _("Python Club Demo"),
        "lead_name": my_name,
        "goal": _("Learn Python together, one small program a week."),
        "rules": _(
            "1. Be kind; disagree with the idea, never the person.\n"
            "2. Ask questions in #python-basics; mark them as questions.\n"
            "3. Accept the answer that helped you, so others can trust it.\n"
            "4. We meet on Wednesdays at 19:00."
        ),
    }
    # circle.create takes its own id as the circle's, so it is made before the replica.
    circle = Replica("0" * 26).make(
        my_id, "circle.create", circle_data, start_ms, random80(), my_key
    )
    replica = Replica(circle.id)
    replica.add([circle])
    ops: list[Op] = [circle]
    keys = {my_id: my_key}

    def later(minutes: int) -> None:
        clock["ms"] += minutes * MINUTE_MS

    def do(actor: str, type_name: str, **data: object) -> Op:
        op = replica.make(actor, type_name, data, clock["ms"], random80(), keys[actor])
        replica.add([op])
        ops.append(op)
        return op

    ayu, budi, sam = (ulid(start_ms, random80()) for _ in range(3))
    for member, name in ((ayu, "Ayu"), (budi, "Budi"), (sam, "Sam")):
        later(5)
        keys[member] = member_key(my_key, member)
        do(member, "member.join", name=name, key=keys[member].public)
    do(my_id, "member.role", member=ayu, role="moderator")
    general = do(
        my_id, "channel.create", name=_("general"), goal=_("Say hello; plan our sessions.")
    )
    basics = do(
        my_id,
        "channel.create",
        name=_("python-basics"),
        goal=_("Questions about the week's topic."),
    )
    do(my_id, "channel.create", name="bahasa", goal="Diskusi dalam Bahasa Indonesia.")

    later(60)
    hello = do(
        budi,
        "thread.create",
        channel=general.id,
        kind="discussion",
        title=_("What should we build this month?"),
        text=_("I'd like a small **to-do app** in the terminal. Ideas? 🙂"),
    )
    later(12)
    do(sam, "post.create", thread=hello.id, text=_("A quiz game! We could use it in this circle."))
    later(3)
    do(
        ayu,
        "post.create",
        thread=hello.id,
        text="Bagus! Kita bisa mulai dari *list* dan `dict` dulu.",
    )

    later(90)
    question = do(
        sam,
        "thread.create",
        channel=basics.id,
        kind="question",
        title=_("Why does my default list keep growing?"),
        text=(
            _("Each call remembers the old items:") + "\n\n"
            "```python\ndef add(item, items=[]):\n    items.append(item)\n    return items\n```"
        ),
    )
    later(8)
    answer = do(
        ayu,
        "post.create",
        thread=question.id,
        text=(
            _("Default values are made **once**, when `def` runs. Use `None`:") + "\n\n"
            "```python\ndef add(item, items=None):\n    if items is None:\n"
            "        items = []\n    items.append(item)\n    return items\n```"
        ),
    )
    later(2)
    do(budi, "post.create", thread=question.id, text=_("Same trap bit me last week!"))
    later(20)
    do(sam, "answer.accept", post=answer.id)
    do(my_id, "answer.verify", post=answer.id)
    do(budi, "post.react", post=answer.id, reaction="helpful")

    later(30)
    do(
        budi,
        "thread.create",
        channel=basics.id,
        kind="question",
        title=_("Is a tuple faster than a list?"),
        text=_("For reading only, should I prefer `tuple`?"),
    )

    later(45)
    do(
        ayu,
        "note.create",
        channel=basics.id,
        title=_("Week 1 summary"),
        text=_(
            "# Week 1: lists and dicts\n\n"
            "- A list keeps order; a dict maps keys to values.\n"
            "- Never use a mutable default argument.\n"
            "- `len()` counts items.\n"
        ),
    )
    later(10)
    do(
        my_id,
        "quiz.create",
        channel=basics.id,
        title=_("Python basics warm-up"),
        questions=[
            {
                "kind": "multiple_choice",
                "text": _("What does `len([1, 2, 3])` return?"),
                "choices": ["2", "3", "4", _("An error")],
            },
            {
                "kind": "true_false",
                "text": _("A tuple can be changed after it is made."),
                "choices": [_("True"), _("False")],
            },
            {
                "kind": "multiple_choice",
                "text": 'Pilih kata yang tepat: "Saya ___ ke pasar kemarin."',
                "choices": ["pergi", "pergilah", "bepergian"],
            },
        ],
        keys=[{"choices": [1]}, {"choices": [1]}, {"choices": [0]}],
    )
    do(
        my_id,
        "schedule.set",
        sessions=[{"title": _("Weekly session"), "weekday": 2, "time": "19:00", "tz": "UTC"}],
    )
    return circle.id, ops


def member_key(my_key: SigningKey, member: str) -> SigningKey:
    """A demo member's key: made from the user's (the members are made up, and act
    only in the story), so tests can act as them too."""
    return SigningKey(hashlib.sha256(my_key.seed + member.encode()).digest())
