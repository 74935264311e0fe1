"""Op schema (v1 to v3): one typed struct per op type, decoded and validated by msgspec.

Every op is a JSON object ``{"v": 1, "id", "circle", "actor", "hlc", "type", "data"}``;
``seq`` and ``at`` (receive time, ms) are set by a server and never trusted from a client.
An op made by this version also carries ``sig``, its author's Ed25519 signature over
every other field (``core/signing.py``), and, when a server signed it on a member's
behalf (their admission), ``signer: "@server"``. Both are optional, so ops written
before signing still read, and older versions read signed ops (they ignore the fields).
The ``type`` field selects the struct, so one decode both parses and validates, and an
error names the field it is about (``$.data.title``). msgspec was chosen over pydantic
for this: it is several times faster on the load path (100k ops at start-up) and its
errors already carry the JSON path.

Every string a member writes is one of ``core.text``'s two kinds (free text, one line),
neither admitting a terminal control character. This module is long (one struct per op
type, 40 of them) because an op's payload and its tag belong side by side.

``v`` is the schema version a reader needs to fold the op as its author meant, so ops
stay readable by the oldest app that can take them. v2 adds key proofs (a rotation's
``proof``, ``core/signing.py``): a ``member.key`` carrying one is v2, and so is the
``circle.create`` of every circle made since, because a v1 app would fold its
rotations without checking their proofs (and so differ from the others); a v1 app
says "unsupported schema version" instead. v2 also lets a ``note.revise`` carry a
patch instead of the whole text (``NoteRevise``): one that does is v2, one that carries
the text stays v1. v3 adds reactions (``NEWER_REACTIONS``): a ``post.react`` giving one
is v3, so an app from before them says it needs a newer version rather than that the
reaction is invalid. Every other op is written as v1.

The entity an op creates (channel, thread, post, note, quiz, session, suggestion) takes
the op's own id, so ids are chosen by authors and retries can never create twins.
"""

import re
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Union

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from .hlc import HLC_PATTERN
from .ids import ULID_CHARS, ULID_PATTERN
from .messages import N_
from .text import explain, free_text, one_line, refused_kind, repaired

SCHEMA_VERSION = 3  # the newest this app reads (see above)
SCHEMA_VERSIONS = (1, 2, 3)
SERVER_ACTOR = "@server"

Id = Annotated[str, Meta(pattern=ULID_PATTERN)]
# The whole alternation is anchored: "^ULID|^@server$" let any text follow a ULID.
Actor = Annotated[str, Meta(pattern=rf"^(?:{ULID_CHARS}|{SERVER_ACTOR})\Z")]
# Every string a member writes is one of core.text's two kinds: free text, or one line
# (names, titles, answers), neither with a control character (see text.py for why).
Name = Annotated[str, one_line(80, 1)]
Title = Annotated[str, one_line(200, 1)]
Goal = Annotated[str, free_text(500)]
Rules = Annotated[str, free_text(10_000)]
POST_MAX = 20_000  # characters in a post (the composer counts down to it)
Text = Annotated[str, free_text(POST_MAX, 1)]
NoteText = Annotated[str, free_text(1_000_000)]
Reason = Annotated[str, free_text(500)]
# An IANA time zone name; permissions checks it names a real one.
Zone = Annotated[str, one_line(64, 1)]
Role = Literal["lead", "moderator", "member"]
# An Ed25519 public key (32 bytes) and signature (64 bytes) in unpadded base64url. The
# last character is limited to those whose unused low bits are zero, so each key and
# signature has exactly one spelling (two texts never decode to the same bytes).
PublicKey = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]\Z")]
Signature = Annotated[str, Meta(pattern=r"^[A-Za-z0-9_-]{85}[AQgw]\Z")]


# gc=False: ops are trees of plain values and never form cycles, so the cyclic garbage
# collector need not track the hundred thousand of them a big circle loads.
class Data(Struct, omit_defaults=True, gc=False):
    """Base of every op's payload."""


class Op(Struct, tag_field="type", kw_only=True, omit_defaults=True, gc=False):
    v: Literal[1, 2, 3]
    id: Id
    circle: Id
    actor: Actor
    hlc: Annotated[str, Meta(pattern=HLC_PATTERN)]
    seq: Annotated[int, Meta(ge=1)] | None = None
    at: Annotated[int, Meta(ge=0)] | None = None
    sig: Signature | None = None  # over every field but seq, at and sig (core/signing.py)
    signer: Literal["@server"] | None = None  # a server signed it for a member (admission)

    # Ops that stay in the local replica and never travel to other members.
    LOCAL_ONLY: ClassVar[bool] = False

    @property
    def type(self) -> str:
        """The op type, e.g. ``post.create`` (msgspec keeps it as the struct's tag)."""
        return self.__struct_config__.tag  # type: ignore[return-value]


# --- circle ---------------------------------------------------------------------------


class CircleCreateData(Data):
    name: Name
    lead_name: Name  # the creator's display name: the creator is the circle's first lead
    goal: Goal = ""
    rules: Rules = ""
    # Set only by a server creating a circle it hosts: there "@server" may give roles
    # from invites and stand in for an anonymous suggestion's author (permissions.py).
    hosted: bool = False
    key: PublicKey | None = None  # the creator's key (a circle made before signing: none)
    server_key: PublicKey | None = None  # a hosted circle's: the server's own key
    signatures_required: bool = False  # an op that is not signed is refused (and reported)


class CircleUpdateData(Data):
    name: Name | UnsetType = UNSET
    goal: Goal | UnsetType = UNSET
    rules: Rules | UnsetType = UNSET
    shared_board: bool | UnsetType = UNSET  # everyone's participation visible to all
    signatures_required: bool | UnsetType = UNSET


class MemberJoinData(Data):
    name: Name
    key: PublicKey | None = None  # the joiner's key (an older version's join: none)


class MemberUpdateData(Data):
    name: Name


class MemberRoleData(Data):
    member: Actor
    role: Role


class MemberRemoveData(Data):
    member: Actor


class MemberKeyData(Data):
    """A member's key from now on: their ``first`` (a member from before signing, or a
    hosted circle's founder, given by the server), a ``rotate`` (signed with the old
    key, and carrying ``proof``: the new key's signature over the circle, the member and
    the key, so no one announces a key they do not hold), or ``lost``: a lead gives the
    member the key of the member id their new device joined as (``joined_as``, which
    ends: it was the same person, whose join that key signed)."""

    member: Actor
    key: PublicKey
    reason: Literal["first", "rotate", "lost"]
    joined_as: Id | None = None
    proof: Signature | None = None  # a rotation's (schema v2; core/signing.py)


class RulesAcceptData(Data):
    version: Annotated[int, Meta(ge=0)]


# --- discussion -----------------------------------------------------------------------


class ChannelCreateData(Data):
    name: Name
    goal: Goal = ""


class ChannelUpdateData(Data):
    channel: Id
    name: Name | UnsetType = UNSET
    goal: Goal | UnsetType = UNSET


class ChannelArchiveData(Data):
    channel: Id
    archived: bool = True


class ThreadCreateData(Data):
    """A thread and its opening post, which takes the thread's id."""

    channel: Id
    title: Title
    kind: Literal["discussion", "question"]
    text: Text


class PostCreateData(Data):
    thread: Id
    text: Text
    reply_to: Id | None = None


class PostEditData(Data):
    post: Id
    text: Text


class PostRefData(Data):
    post: Id


# The reactions v1 knew, and those v3 added (a study group's "I have the same question"
# and "well done"); an op giving a newer one needs v3 (``version_for``).
Reaction = Literal["+1", "helpful", "thanks", "question", "celebrate"]
NEWER_REACTIONS = frozenset({"question", "celebrate"})


class PostReactData(Data):
    post: Id
    reaction: Reaction
    on: bool = True


class PostFlagData(Data):
    post: Id
    reason: Literal["incorrect", "off-topic", "unkind"]
    comment: Reason = ""


class PostHideData(Data):
    post: Id
    hidden: bool = True
    reason: Reason = ""


class ReadMarkData(Data):
    thread: Id
    post: Id


# --- notes ----------------------------------------------------------------------------


class NoteCreateData(Data):
    title: Title
    text: NoteText
    channel: Id | None = None


# A v2 revision's changes against its base's lines: (first line, lines removed, the text
# put in their place). See core/notetext.py for the rules a patch must follow.
LinePatch = Annotated[
    list[tuple[Annotated[int, Meta(ge=0)], Annotated[int, Meta(ge=0)], NoteText]],
    Meta(max_length=100_000),
]


class NoteReviseData(Data):
    """A new revision made from ``base``; concurrent revisions of one base are merged.

    It carries the whole new ``text`` (schema v1, and a v2 author's checkpoints), or
    (schema v2) a ``patch`` against the base's text: exactly one of the two.
    """

    note: Id
    base: Id
    text: NoteText | UnsetType = UNSET
    title: Title | UnsetType = UNSET
    patch: LinePatch | UnsetType = UNSET
    # The revision the patch applies to, when not the base (the base is a merge whose text
    # may still change: see core/notetext.py, revise_payload).
    against: Id | UnsetType = UNSET

    def __post_init__(self) -> None:
        if (self.text is UNSET) == (self.patch is UNSET):
            raise ValueError(
                N_(
                    "a change to a note carries either its whole text or its changed lines,"
                    " not both or neither"
                )
            )
        if self.against is not UNSET and self.patch is UNSET:
            raise ValueError(
                N_(
                    "a change to a note names the version its changed lines apply to,"
                    " but has no changed lines"
                )
            )


class NoteRestoreData(Data):
    note: Id
    revision: Id


# --- quizzes --------------------------------------------------------------------------

QuestionKind = Literal[
    "multiple_choice", "multiple_answer", "true_false", "short_answer", "numerical", "matching"
]


class Question(Struct, omit_defaults=True, gc=False):
    """What players see of a question; the key travels separately."""

    kind: QuestionKind
    text: Annotated[str, free_text(5_000, 1)]
    choices: list[Annotated[str, free_text(1_000)]] = []
    prompts: list[Annotated[str, free_text(1_000)]] = []  # left side of a matching
    seconds: Annotated[int, Meta(ge=5, le=3_600)] = 30
    points: Annotated[float, Meta(ge=0, le=1_000)] = 1.0
    # Carried over from quiz files (GIFT ``::name::``, ``$CATEGORY:``, ``[markdown]``) so a
    # quiz exported again keeps them. No text format (GIFT's default) is shown as plain text.
    name: Annotated[str, one_line(255)] = ""
    category: Annotated[str, one_line(1_000)] = ""
    text_format: Literal["markdown", "html", "plain"] | None = None


class NumberAnswer(Struct, omit_defaults=True, gc=False):
    """One accepted answer of a numerical question: ``value`` ± ``tolerance``, or the range
    ``low``..``high``; with neither it matches any other number (GIFT's ``~#feedback``)."""

    value: float | None = None
    tolerance: Annotated[float, Meta(ge=0)] = 0.0
    low: float | None = None
    high: float | None = None
    weight: Annotated[float, Meta(ge=-100, le=100)] = 100.0  # percent of the points
    feedback: Annotated[str, free_text(2_000)] = ""


class Key(Struct, omit_defaults=True, gc=False):
    """The answer to one question: which fields apply depends on the question's kind."""

    choices: list[int] = []  # correct choice indices
    # per choice (or per ``accept`` entry), -100..100 (GIFT weights), for partial credit
    weights: list[float] = []
    accept: list[Annotated[str, free_text(1_000)]] = []  # short answers
    number: float | None = None
    tolerance: float = 0.0
    low: float | None = None
    high: float | None = None
    matches: list[int] = []  # for prompt i, the index of its choice
    # per choice (or per ``accept`` entry; true_false: [if True chosen, if False chosen])
    feedback: list[Annotated[str, free_text(2_000)]] = []
    # A numerical question with several answers, partial credit or feedback lists them all
    # here, and then leaves number/tolerance/low/high unset.
    numbers: list[NumberAnswer] = []
    general_feedback: Annotated[str, free_text(5_000)] = ""  # shown to all at reveal


# A short answer is drawn as a label (a bar of the reveal's chart): one line.
AnswerValue = list[int] | Annotated[str, one_line(1_000)] | float
KeyHash = Annotated[str, one_line(128)]


class QuizCreateData(Data):
    title: Title
    questions: Annotated[list[Question], Meta(min_length=1, max_length=500)]
    channel: Id | None = None
    # Practice quizzes carry their key openly; live ones carry only salted hashes of it:
    # one per question (``key_hashes``, each checked at its reveal) and the whole quiz's
    # (``key_hash``, a hash of those, which quizzes made before per-question hashes carry
    # alone). See core/quizkeys.py.
    keys: list[Key] | None = None
    key_hash: KeyHash | None = None
    key_hashes: Annotated[list[KeyHash], Meta(max_length=500)] | None = None


class QuizUpdateData(Data):
    quiz: Id
    title: Title | UnsetType = UNSET
    questions: Annotated[list[Question], Meta(min_length=1, max_length=500)] | UnsetType = UNSET
    keys: list[Key] | UnsetType | None = UNSET
    key_hash: KeyHash | UnsetType | None = UNSET
    key_hashes: Annotated[list[KeyHash], Meta(max_length=500)] | UnsetType | None = UNSET


class QuizStartData(Data):
    quiz: Id
    mode: Literal["live", "practice"]
    scoring: Literal["accuracy", "speed"] = "accuracy"
    streak: bool = False
    top_n: Annotated[int, Meta(ge=1, le=100)] = 5
    # Hands-free: the lead's app reveals each question as soon as it closes, shows the
    # leaderboard this many seconds, then asks the next one (0: the lead goes on by hand).
    # In the log, so every player's screen can count down and a restarted app goes on.
    hands_free: Annotated[int, Meta(ge=0, le=600)] = 0


class QuizSessionRefData(Data):
    """A live session as a whole: a player joins it or leaves it, its host finishes it."""

    session: Id


class QuizOpenData(Data):
    session: Id
    question: Annotated[int, Meta(ge=0)]
    deadline: Annotated[int, Meta(ge=0)]  # ms since the epoch


class QuizAnswerData(Data):
    session: Id
    question: Annotated[int, Meta(ge=0)]
    answer: AnswerValue


class QuizAnsweredData(Data):
    session: Id
    question: Annotated[int, Meta(ge=0)]
    player: Id


class QuizQuestionRefData(Data):
    session: Id
    question: Annotated[int, Meta(ge=0)]


class QuizRevealData(Data):
    session: Id
    question: Annotated[int, Meta(ge=0)]
    key: Key
    salt: Annotated[str, one_line(64)] = ""


class QuizResultData(Data):
    quiz: Id
    score: Annotated[float, Meta(ge=0)]
    max_score: Annotated[float, Meta(ge=0)]


# --- community ------------------------------------------------------------------------


class Session(Struct, omit_defaults=True, gc=False):
    """A recurring meeting: weekly on ``weekday`` (0 = Monday) at ``time`` in ``tz``."""

    title: Title
    weekday: Annotated[int, Meta(ge=0, le=6)]
    time: Annotated[str, Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]\Z")]
    tz: Zone = "UTC"
    minutes: Annotated[int, Meta(ge=1, le=1_440)] = 60
    channel: Id | None = None


class ScheduleSetData(Data):
    sessions: Annotated[list[Session], Meta(max_length=100)]


class SuggestionCreateData(Data):
    text: Text
    anonymous: bool = False


def hides_author(data: Data) -> bool:
    """An anonymous suggestion's data: its id carries no clock (replica.Replica.make) and a
    server serves it without its author (server/circle.served) after holding it (hub)."""
    return isinstance(data, SuggestionCreateData) and data.anonymous


class SuggestionResolveData(Data):
    suggestion: Id
    status: Literal["planned", "done", "declined"]
    reply: Reason = ""


class ModeratorRotaData(Data):
    volunteers: Annotated[list[Id], Meta(max_length=100)]
    start: Annotated[str, Meta(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")]
    period_days: Annotated[int, Meta(ge=1, le=365)] = 7
    tz: Zone = "UTC"


# --- the op types: the tag is the ``type`` field -----------------------------------


class CircleCreate(Op, tag="circle.create"):
    data: CircleCreateData


class CircleUpdate(Op, tag="circle.update"):
    data: CircleUpdateData


class MemberJoin(Op, tag="member.join"):
    data: MemberJoinData


class MemberUpdate(Op, tag="member.update"):
    data: MemberUpdateData


class MemberRole(Op, tag="member.role"):
    data: MemberRoleData


class MemberRemove(Op, tag="member.remove"):
    data: MemberRemoveData


class MemberKey(Op, tag="member.key"):
    data: MemberKeyData


class RulesAccept(Op, tag="rules.accept"):
    data: RulesAcceptData


class ChannelCreate(Op, tag="channel.create"):
    data: ChannelCreateData


class ChannelUpdate(Op, tag="channel.update"):
    data: ChannelUpdateData


class ChannelArchive(Op, tag="channel.archive"):
    data: ChannelArchiveData


class ThreadCreate(Op, tag="thread.create"):
    data: ThreadCreateData


class PostCreate(Op, tag="post.create"):
    data: PostCreateData


class PostEdit(Op, tag="post.edit"):
    data: PostEditData


class PostDelete(Op, tag="post.delete"):
    data: PostRefData


class PostReact(Op, tag="post.react"):
    data: PostReactData


class AnswerAccept(Op, tag="answer.accept"):
    data: PostRefData


class AnswerVerify(Op, tag="answer.verify"):
    data: PostRefData


class PostFlag(Op, tag="post.flag"):
    data: PostFlagData


class PostHide(Op, tag="post.hide"):
    data: PostHideData


class ReadMark(Op, tag="read.mark"):
    data: ReadMarkData
    LOCAL_ONLY = True


class NoteCreate(Op, tag="note.create"):
    data: NoteCreateData


class NoteRevise(Op, tag="note.revise"):
    """v1 carries the whole text, v2 a patch. msgspec picks the struct by ``type``
    alone, so both versions share this one and the check that ``v`` and the payload
    agree runs inside the same single decoding pass. A later version (v3, reactions)
    reads both, so only a patch claiming v1 is refused: an app from before patches
    would take it for a broken revision rather than say it needs a newer version."""

    data: NoteReviseData

    def __post_init__(self) -> None:
        if self.v < version_for("note.revise", self.data):
            raise ValueError(
                f"a v{self.v} note.revise carries the whole `text` (`$.v` and `$.data`)"
            )


class NoteRestore(Op, tag="note.restore"):
    data: NoteRestoreData


class QuizCreate(Op, tag="quiz.create"):
    data: QuizCreateData


class QuizUpdate(Op, tag="quiz.update"):
    data: QuizUpdateData


class QuizStart(Op, tag="quiz.start"):
    data: QuizStartData


class QuizOpen(Op, tag="quiz.open"):
    data: QuizOpenData


class QuizJoin(Op, tag="quiz.join"):
    data: QuizSessionRefData


class QuizLeave(Op, tag="quiz.leave"):
    data: QuizSessionRefData


class QuizAnswer(Op, tag="quiz.answer"):
    data: QuizAnswerData


class QuizAnswered(Op, tag="quiz.answered"):
    data: QuizAnsweredData


class QuizClose(Op, tag="quiz.close"):
    data: QuizQuestionRefData


class QuizReveal(Op, tag="quiz.reveal"):
    data: QuizRevealData


class QuizFinish(Op, tag="quiz.finish"):
    data: QuizSessionRefData


class QuizResult(Op, tag="quiz.result"):
    data: QuizResultData


class ScheduleSet(Op, tag="schedule.set"):
    data: ScheduleSetData


class SuggestionCreate(Op, tag="suggestion.create"):
    data: SuggestionCreateData


class SuggestionResolve(Op, tag="suggestion.resolve"):
    data: SuggestionResolveData


class ModeratorRota(Op, tag="moderator.rota"):
    data: ModeratorRotaData


OP_TYPES: dict[str, type[Op]] = {
    cls.__struct_config__.tag: cls  # type: ignore[misc]
    for cls in Op.__subclasses__()
}
if TYPE_CHECKING:
    AnyOp = Op  # to a type checker any op is an Op; msgspec decodes by the tagged union
else:
    AnyOp = Union[tuple(OP_TYPES.values())]  # noqa: UP007

_decoder = msgspec.json.Decoder(AnyOp)
_list_decoder = msgspec.json.Decoder(list[AnyOp])
_encoder = msgspec.json.Encoder()

_UNKNOWN_TYPE = re.compile(r"^Invalid value (.*) - at `\$\.type`$")
_MISSING = re.compile(r"^Object missing required field `([^`]*)`(?: - at `\$([^`]*)`)?$")


class OpError(ValueError):
    """An op that is not valid JSON or does not match the schema; the text says why."""


class UnsupportedVersion(OpError):
    """An op of a schema version this app does not read (a newer app's, say)."""


TOO_DEEP = "not valid JSON: nested too deeply"


def _missing_path(text: str, prefix: str = "") -> str:
    """Name a missing field by its full path, like every other error does.

    msgspec says "Object missing required field `title` - at `$.data`"; this makes it
    "missing required field `$.data.title`", so a reader need not join the two halves.
    """
    missing = _MISSING.match(text)
    if missing is None:
        return text
    return f"missing required field `${prefix}{missing.group(2) or ''}.{missing.group(1)}`"


def _unsupported_version(text: str) -> bool:
    return text.startswith("Invalid enum value") and text.endswith("`$.v`")


def _explain(error: msgspec.MsgspecError) -> str:
    text = str(error)
    if refused_kind(text):
        return explain(text)
    if not isinstance(error, msgspec.ValidationError):
        return f"not valid JSON: {text}"
    unknown = _UNKNOWN_TYPE.match(text)
    if unknown:
        return f"unknown op type {unknown.group(1)} - at `$.type`"
    if _unsupported_version(text):
        known = f"v{SCHEMA_VERSIONS[0]} to v{SCHEMA_VERSIONS[-1]}"
        return f"unsupported schema version ({text}); this app reads {known}"
    return _missing_path(text)


def decode_op(raw: bytes | str) -> Op:
    """Parse and validate one op, raising OpError with a message naming the field."""
    try:
        return _decoder.decode(raw)
    except msgspec.MsgspecError as error:
        kind = UnsupportedVersion if _unsupported_version(str(error)) else OpError
        raise kind(_explain(error)) from None
    except RecursionError:  # how msgspec gives up on deeply nested arrays and objects
        raise OpError(TOO_DEEP) from None


def read_op(raw: bytes | str) -> tuple[Op, str | None]:
    """Read one op from a log (a circle file, a server's pull): like ``decode_op``, but an
    op written before text was checked as it is now is read with each refused character
    as U+FFFD (``text.repaired``), not dropped. Returns the op and, for such an op, a
    sentence saying so for the reader's report."""
    try:
        return _decoder.decode(raw), None
    except msgspec.MsgspecError as error:
        if not refused_kind(str(error)):
            raise OpError(_explain(error)) from None
        found = _explain(error)
    except RecursionError:
        raise OpError(TOO_DEEP) from None
    try:
        op = repaired(raw, _decoder.decode)
    except msgspec.MsgspecError as error:
        raise OpError(_explain(error)) from None
    return op, f"read with U+FFFD for each refused character: it {found}"  # type: ignore[return-value]


def decode_ops(raw_array: bytes) -> list[Op]:
    """Decode a JSON array of ops in one pass (the fast path for trusted local data).

    Stored ops were checked when they were taken; one stored before text was checked as
    it is now is read as ``read_op`` reads it, so an upgrade never loses a stored op."""
    try:
        return _list_decoder.decode(raw_array)
    except msgspec.MsgspecError as error:
        if not refused_kind(str(error)):
            raise OpError(_explain(error)) from None
    except RecursionError:
        raise OpError(TOO_DEEP) from None
    try:
        return [read_op(raw)[0] for raw in msgspec.json.decode(raw_array, type=list[msgspec.Raw])]
    except OpError as error:
        raise OpError(f"{error} (in a list of ops)") from None


def encode_op(op: Op) -> bytes:
    return _encoder.encode(op)


def validate_data(type_name: str, data: object) -> Data:
    """Check a payload built in Python (``{"title": ...}``) against its op type's schema."""
    cls = OP_TYPES.get(type_name)
    if cls is None:
        raise OpError(f"unknown op type {type_name!r} - at `$.type`")
    data_type: Any = cls.__annotations__["data"]
    try:
        payload: Data = msgspec.convert(data, data_type)
        return payload
    except msgspec.MsgspecError as error:
        text = str(error)
        if refused_kind(text):
            text = explain(text.replace("`$", "`$.data"))
        elif _MISSING.match(text):
            text = _missing_path(text, ".data")
        elif "`$" in text:
            text = text.replace("`$", "`$.data")
        else:  # the payload itself is wrong, e.g. not an object
            text += " - at `$.data`"
        raise OpError(text) from None


def version_for(type_name: str, payload: Data) -> int:
    """The schema version an op needs (see the module's docstring): 2 or 3 for what an
    older app would fold otherwise than this one or not read, else 1 so that older apps
    still read it."""
    if type_name == "circle.create":
        return 2
    if isinstance(payload, MemberKeyData) and payload.proof is not None:
        return 2
    if isinstance(payload, NoteReviseData) and payload.patch is not UNSET:
        return 2
    if isinstance(payload, PostReactData) and payload.reaction in NEWER_REACTIONS:
        return 3
    return 1


def op_time_ms(op: Op) -> int:
    """When an op happened: the server's receive time when there is one, else its HLC."""
    return op.at if op.at is not None else int(op.hlc[:12], 16)
