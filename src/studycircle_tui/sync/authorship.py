"""What the service tells a member about authorship: ops refused as not signed by whom
they claim (the moderation log keeps them for moderators and the lead; every member
hears of them as they arrive), keys that changed, and a member given back their place.
"""

from collections.abc import Iterable, Sequence

from ..core.ops import SERVER_ACTOR, MemberKey, Op
from ..core.state import CircleState, ModerationEntry

REPORTS = ("forged", "unsigned")  # the moderation log's actions for such ops
# Arriving ops are checked in this many worker threads once a batch is this big (a few
# ops are checked sooner than a thread starts).
THREADS = 2
THREAD_FROM = 32
SAID_ONE_BY_ONE = 3  # more refused at once are said in one notice

SERVER_KEY_CHANGED = (
    "the server signs this circle with another key than the one it gave when you joined: "
    "what it writes (admissions, who has answered) may not be its own; ask its host"
)


def name_in(state: CircleState, member: str) -> str:
    if member == SERVER_ACTOR:
        return "the server"
    found = state.members.get(member)
    return found.name if found is not None else "someone not (yet) a member"


def reports(state: CircleState, entries: Sequence[ModerationEntry]) -> list[str]:
    """Notices for the refused ops among ``entries`` (the moderation log's newest)."""
    return refusals(
        state,
        [(entry.target, entry.actor, entry.note) for entry in entries if entry.action in REPORTS],
    )


def refusals(state: CircleState, refused: Sequence[tuple[str, str, str]]) -> list[str]:
    """Notices for ops refused as not their claimed author's: (op type, claimed author,
    why) each; the moderation log's, or far-future ones refused before being held."""
    if len(refused) > SAID_ONE_BY_ONE:
        names = sorted({name_in(state, actor) for _, actor, _ in refused})
        return [
            f"refused {len(refused)} changes not signed by whom they claim to be by "
            f"({', '.join(names)}); the moderation log lists them"
        ]
    return [
        f"refused a change ({type_name}) claiming to be by {name_in(state, actor)}: {why}"
        for type_name, actor, why in refused
    ]


def key_changes(state: CircleState, applied: Iterable[Op], me: str) -> list[str]:
    """Notices for others' new keys among ``applied``: a rotation, or a lead's re-key."""
    said = []
    for op in applied:
        if not isinstance(op, MemberKey) or op.data.member in (me, SERVER_ACTOR):
            continue
        who = name_in(state, op.data.member)
        if op.data.reason == "rotate":
            said.append(f"{who} has a new key (they made it); Members shows it")
        elif op.data.reason == "lost":
            said.append(
                f"{name_in(state, op.actor)} gave {who} a new key: {who} lost theirs and "
                "joined again from another device; compare it with them (Members)"
            )
    return said


def welcome_back(state: CircleState, member: str) -> str:
    return (
        f"you are {name_in(state, member)} in this circle again: a lead gave you back "
        "your place with this device's key"
    )
