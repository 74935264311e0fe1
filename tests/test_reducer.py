"""Who may do what, as the reducer enforces it: an op that is not allowed changes nothing.

Each refusal is checked two ways: ``apply`` says it did not apply, and a deep copy of the
state taken before is still equal to the state after, so a handler that half-ran before
failing (or a rule that let the op through) would show.
"""

import copy

import msgspec
import pytest

from studycircle_tui.core import hlc, permissions, reducer
from studycircle_tui.core.ids import ulid
from studycircle_tui.core.ops import OP_TYPES, SERVER_ACTOR, Op, validate_data, version_for
from studycircle_tui.core.state import CircleState

START_MS = 1_720_000_000_000


class Circle:
    """A circle built op by op, each op a millisecond after the last.

    Made by hand rather than through a Replica so that every op's time, id and order are
    plain to see in a failing test.
    """

    def __init__(self, **options: object) -> None:
        self._count = 0
        self.made: dict[str, Op] = {}  # every op made, by id (a post's texts are there)
        self.id = ""
        self.lead = self.person()
        create = self.make(
            self.lead, "circle.create", name="Calculus I", lead_name="Ana", **options
        )
        self.id = create.id
        self.state = CircleState(self.id)
        assert reducer.apply(self.state, create)

    def person(self) -> str:
        self._count += 1
        return ulid(START_MS, self._count.to_bytes(10, "big"))

    def make(self, actor: str, type_name: str, **data: object) -> Op:
        self._count += 1
        ms = START_MS + self._count
        op_id = ulid(ms, self._count.to_bytes(10, "big"))
        op = OP_TYPES[type_name](
            v=1,
            id=op_id,
            circle=self.id or op_id,
            actor=actor,
            hlc=hlc.encode(ms, 0),
            data=validate_data(type_name, data),
        )
        self.made[op_id] = op
        return op

    def text(self, op_id: str) -> str:
        """The text an op carried (a post's state names the op; the store keeps it)."""
        return self.made[op_id].data.text  # type: ignore[attr-defined]

    def do(self, actor: str, type_name: str, **data: object) -> str:
        """Apply an op that must be allowed; return its id (the id of what it made)."""
        op = self.make(actor, type_name, **data)
        assert permissions.refusal(self.state, op) is None
        assert reducer.apply(self.state, op)
        return op.id

    def refused(self, actor: str, type_name: str, **data: object) -> str:
        """Apply an op that must be refused and change nothing; return the reason."""
        op = self.make(actor, type_name, **data)
        before = copy.deepcopy(self.state)
        reason = permissions.refusal(self.state, op)
        assert reason is not None, f"{type_name} by {actor} was allowed"
        assert reducer.apply(self.state, op) is False
        assert self.state == before, f"refused {type_name} changed the state"
        return reason

    def thread(self, actor: str, channel: str, kind: str = "discussion", title: str = "t") -> str:
        return self.do(actor, "thread.create", channel=channel, title=title, kind=kind, text="x")

    def join(self, name: str, role: str = "member") -> str:
        member = self.person()
        self.do(member, "member.join", name=name)
        if role != "member":
            self.do(self.lead, "member.role", member=member, role=role)
        return member


@pytest.fixture
def circle() -> Circle:
    return Circle()


@pytest.fixture
def qa(circle: Circle) -> dict[str, str]:
    """A question thread with two answers, and the people around it."""
    people = {
        "asker": circle.join("Budi"),
        "helper": circle.join("Citra"),
        "other": circle.join("Dewi"),
        "mod": circle.join("Eko", "moderator"),
    }
    channel = circle.do(circle.lead, "channel.create", name="limits")
    question = circle.thread(people["asker"], channel, "question", "0.999…=1?")
    answer = circle.do(people["helper"], "post.create", thread=question, text="Gap is 0.")
    second = circle.do(people["other"], "post.create", thread=question, text="Geometric sum.")
    return {**people, "channel": channel, "question": question, "answer": answer, "second": second}


def test_every_op_type_has_a_rule_and_a_handler():
    # A type without a rule would raise KeyError inside the reducer, not refuse cleanly.
    assert set(permissions.RULES) == set(OP_TYPES) == set(reducer.HANDLERS)


def test_the_creator_is_the_first_lead(circle):
    assert circle.state.created
    assert circle.state.role_of(circle.lead) == "lead"
    assert circle.refused(circle.lead, "circle.create", name="Again", lead_name="Ana")


# --- channels -------------------------------------------------------------------------


def test_a_member_cannot_create_channels(circle):
    member = circle.join("Budi")
    assert "moderator" in circle.refused(member, "channel.create", name="off-topic")
    assert circle.state.channels == {}


def test_moderators_and_leads_create_channels(circle):
    mod = circle.join("Eko", "moderator")
    first = circle.do(mod, "channel.create", name="limits")
    second = circle.do(circle.lead, "channel.create", name="series")
    assert circle.state.channel_order == [first, second]
    assert circle.state.channels[first].name == "limits"


def test_a_member_cannot_rename_or_archive_a_channel(circle):
    member = circle.join("Budi")
    channel = circle.do(circle.lead, "channel.create", name="limits")
    assert (
        circle.refused(member, "channel.update", channel=channel, name="mine")
        == "only a moderator or the lead may do this"
    )
    assert (
        circle.refused(member, "channel.archive", channel=channel)
        == "only a moderator or the lead may do this"
    )


def test_an_archived_channel_takes_no_new_threads_or_posts(qa, circle):
    circle.do(qa["mod"], "channel.archive", channel=qa["channel"])
    assert "archived" in circle.refused(
        qa["asker"], "thread.create", channel=qa["channel"], title="t", kind="discussion", text="x"
    )
    assert "archived" in circle.refused(
        qa["helper"], "post.create", thread=qa["question"], text="x"
    )
    circle.do(qa["mod"], "channel.archive", channel=qa["channel"], archived=False)
    circle.do(qa["helper"], "post.create", thread=qa["question"], text="x")


# --- accepted and verified answers ----------------------------------------------------


def test_the_asker_accepts_an_answer(qa, circle):
    circle.do(qa["asker"], "answer.accept", post=qa["answer"])
    thread = circle.state.threads[qa["question"]]
    assert thread.accepted_post == qa["answer"]
    assert thread.answered
    assert circle.state.posts[qa["answer"]].accepted


def test_accepting_another_answer_moves_the_acceptance(qa, circle):
    circle.do(qa["asker"], "answer.accept", post=qa["answer"])
    circle.do(qa["asker"], "answer.accept", post=qa["second"])
    assert circle.state.threads[qa["question"]].accepted_post == qa["second"]
    assert not circle.state.posts[qa["answer"]].accepted
    assert circle.state.posts[qa["second"]].accepted


@pytest.mark.parametrize("who", ["helper", "other", "mod", "lead"])
def test_only_the_asker_accepts(qa, circle, who):
    actor = circle.lead if who == "lead" else qa[who]
    assert "asker" in circle.refused(actor, "answer.accept", post=qa["answer"])
    assert circle.state.threads[qa["question"]].accepted_post is None


def test_the_question_itself_is_not_an_answer(qa, circle):
    assert (
        circle.refused(qa["asker"], "answer.accept", post=qa["question"])
        == "the question itself is not an answer"
    )
    assert (
        circle.refused(qa["mod"], "answer.verify", post=qa["question"])
        == "the question itself is not an answer"
    )


def test_nothing_is_accepted_in_a_discussion(qa, circle):
    thread = circle.thread(qa["asker"], qa["channel"])
    reply = circle.do(qa["helper"], "post.create", thread=thread, text="hello")
    assert (
        circle.refused(qa["asker"], "answer.accept", post=reply)
        == "only answers in a question thread can be accepted or verified"
    )
    assert (
        circle.refused(qa["mod"], "answer.verify", post=reply)
        == "only answers in a question thread can be accepted or verified"
    )


def test_a_deleted_answer_cannot_be_accepted(qa, circle):
    circle.do(qa["helper"], "post.delete", post=qa["answer"])
    assert circle.refused(qa["asker"], "answer.accept", post=qa["answer"]) == "the post is deleted"


@pytest.mark.parametrize("who", ["asker", "helper", "other"])
def test_a_member_cannot_verify(qa, circle, who):
    assert "moderator" in circle.refused(qa[who], "answer.verify", post=qa["answer"])
    assert not circle.state.threads[qa["question"]].answered


@pytest.mark.parametrize("who", ["mod", "lead"])
def test_moderators_and_leads_verify(qa, circle, who):
    actor = circle.lead if who == "lead" else qa[who]
    circle.do(actor, "answer.verify", post=qa["answer"])
    assert circle.state.posts[qa["answer"]].verified_by == actor
    assert circle.state.threads[qa["question"]].verified_posts == {qa["answer"]}
    assert circle.state.moderation_log[-1].action == "verify"
    logged = len(circle.state.moderation_log)
    assert "verified already" in circle.refused(circle.lead, "answer.verify", post=qa["answer"])
    assert len(circle.state.moderation_log) == logged  # once in the log, not once per key


@pytest.mark.parametrize("who", ["mod", "lead"])
def test_no_one_verifies_their_own_answer(qa, circle, who):
    actor = circle.lead if who == "lead" else qa[who]
    own = circle.do(actor, "post.create", thread=qa["question"], text="my own answer")
    assert "your own answer" in circle.refused(actor, "answer.verify", post=own)
    assert circle.state.posts[own].verified_by is None


# --- hiding, flagging -----------------------------------------------------------------


def test_a_member_cannot_hide(qa, circle):
    assert "moderator" in circle.refused(qa["asker"], "post.hide", post=qa["answer"])


def test_a_moderator_hides_and_unhides(qa, circle):
    circle.do(qa["mod"], "post.hide", post=qa["answer"], reason="spoiler")
    post = circle.state.posts[qa["answer"]]
    assert (post.hidden, post.hidden_by, post.hide_reason) == (True, qa["mod"], "spoiler")
    circle.do(qa["mod"], "post.hide", post=qa["answer"], hidden=False)
    assert (post.hidden, post.hidden_by) == (False, None)
    assert [entry.action for entry in circle.state.moderation_log[-2:]] == ["hide", "unhide"]


def test_members_flag_posts(qa, circle):
    circle.do(qa["other"], "post.flag", post=qa["answer"], reason="incorrect", comment="sign")
    flags = circle.state.posts[qa["answer"]].flags
    assert [(flag.by, flag.reason, flag.comment) for flag in flags] == [
        (qa["other"], "incorrect", "sign")
    ]


# --- editing and deleting -------------------------------------------------------------


def test_the_author_edits_and_keeps_history(qa, circle):
    circle.do(qa["helper"], "post.edit", post=qa["answer"], text="The gap is smaller than any ε.")
    post = circle.state.posts[qa["answer"]]
    assert circle.text(post.text_op) == "The gap is smaller than any ε."
    assert [circle.text(op_id) for op_id in post.history] == ["Gap is 0."]
    assert post.edited_ms > post.created_ms


@pytest.mark.parametrize("who", ["asker", "other", "mod", "lead"])
def test_only_the_author_edits_or_deletes(qa, circle, who):
    actor = circle.lead if who == "lead" else qa[who]
    assert "author" in circle.refused(actor, "post.edit", post=qa["answer"], text="mine now")
    assert "author" in circle.refused(actor, "post.delete", post=qa["answer"])
    assert circle.text(circle.state.posts[qa["answer"]].text_op) == "Gap is 0."


def test_a_deleted_post_stays_deleted(qa, circle):
    circle.do(qa["helper"], "post.delete", post=qa["answer"])
    assert circle.state.posts[qa["answer"]].deleted
    assert (
        circle.refused(qa["helper"], "post.edit", post=qa["answer"], text="back")
        == "the post is deleted"
    )
    assert circle.refused(qa["helper"], "post.delete", post=qa["answer"]) == "the post is deleted"


# --- non-members ----------------------------------------------------------------------


def test_non_members_change_nothing(qa, circle):
    stranger = circle.person()
    attempts = [
        ("circle.update", {"name": "Mine"}),
        ("member.update", {"name": "Eve"}),
        ("member.role", {"member": stranger, "role": "lead"}),
        ("member.remove", {"member": qa["helper"]}),
        ("rules.accept", {"version": 0}),
        ("channel.create", {"name": "spam"}),
        ("channel.archive", {"channel": qa["channel"]}),
        (
            "thread.create",
            {"channel": qa["channel"], "title": "t", "kind": "question", "text": "x"},
        ),
        ("post.create", {"thread": qa["question"], "text": "spam"}),
        ("post.react", {"post": qa["answer"], "reaction": "+1"}),
        ("post.flag", {"post": qa["answer"], "reason": "unkind"}),
        ("post.hide", {"post": qa["answer"]}),
        ("answer.verify", {"post": qa["answer"]}),
        ("note.create", {"title": "n", "text": "x"}),
        ("suggestion.create", {"text": "x"}),
        ("schedule.set", {"sessions": []}),
    ]
    for type_name, data in attempts:
        assert circle.refused(stranger, type_name, **data) == permissions.NOT_MEMBER


def test_a_removed_member_changes_nothing_and_cannot_rejoin(qa, circle):
    circle.do(circle.lead, "member.remove", member=qa["helper"])
    assert circle.state.role_of(qa["helper"]) is None
    assert (
        circle.refused(qa["helper"], "post.create", thread=qa["question"], text="still here?")
        == "you are not a member of this circle"
    )
    assert (
        circle.refused(qa["helper"], "post.edit", post=qa["answer"], text="my own post")
        == "you are not a member of this circle"
    )
    assert (
        circle.refused(qa["helper"], "post.react", post=qa["second"], reaction="+1")
        == "you are not a member of this circle"
    )
    assert "rejoin" in circle.refused(qa["helper"], "member.join", name="Citra again")


def test_a_removed_host_cannot_run_their_quiz(circle):
    host = circle.join("Eko", "moderator")
    question = {"kind": "true_false", "text": "1=0.999…", "choices": ["true", "false"]}
    quiz = circle.do(host, "quiz.create", title="Week 1", questions=[question])
    session = circle.do(host, "quiz.start", quiz=quiz, mode="live")
    circle.do(host, "quiz.open", session=session, question=0, deadline=START_MS + 60_000)
    circle.do(circle.lead, "member.remove", member=host)
    assert circle.refused(host, "quiz.close", session=session, question=0) == (
        permissions.NOT_MEMBER
    )
    assert circle.refused(host, "quiz.finish", session=session) == permissions.NOT_MEMBER


def test_the_server_actor_cannot_join(circle):
    assert (
        circle.refused(SERVER_ACTOR, "member.join", name="server")
        == "the server cannot join a circle"
    )
    assert circle.state.role_of(SERVER_ACTOR) is None


def test_an_op_for_another_circle_is_refused(circle):
    op = circle.make(circle.lead, "channel.create", name="elsewhere")
    foreign = msgspec.structs.replace(op, circle=op.id)
    assert "another circle" in permissions.refusal(circle.state, foreign)
    assert reducer.apply(circle.state, foreign) is False


# --- roles and leads ------------------------------------------------------------------


def test_a_member_cannot_change_roles(circle):
    member = circle.join("Budi")
    other = circle.join("Citra")
    assert "lead" in circle.refused(member, "member.role", member=member, role="moderator")
    assert (
        circle.refused(member, "member.remove", member=other)
        == "only the circle's lead may do this"
    )


def test_a_moderator_cannot_change_roles(circle):
    mod = circle.join("Eko", "moderator")
    member = circle.join("Budi")
    assert (
        circle.refused(mod, "member.role", member=member, role="moderator")
        == "only the circle's lead may do this"
    )
    assert (
        circle.refused(mod, "member.remove", member=member) == "only the circle's lead may do this"
    )


def test_the_last_lead_cannot_be_demoted_or_removed(circle):
    circle.join("Budi")
    assert "needs a lead" in circle.refused(
        circle.lead, "member.role", member=circle.lead, role="moderator"
    )
    assert "needs a lead" in circle.refused(circle.lead, "member.remove", member=circle.lead)
    assert circle.state.role_of(circle.lead) == "lead"


def test_with_a_second_lead_the_first_may_step_down(circle):
    second = circle.join("Budi", "lead")
    circle.do(circle.lead, "member.role", member=circle.lead, role="member")
    assert circle.state.role_of(circle.lead) == "member"
    # Now the second is the last lead, and is protected in turn.
    assert (
        circle.refused(second, "member.role", member=second, role="member")
        == "a circle needs a lead: make someone else lead first"
    )
    assert (
        circle.refused(second, "member.remove", member=second)
        == "a circle needs a lead: make someone else lead first"
    )
    # ...and the former lead has lost the power to change roles.
    assert (
        circle.refused(circle.lead, "member.role", member=circle.lead, role="lead")
        == "only the circle's lead may do this"
    )


def test_a_lead_removes_another_lead(circle):
    second = circle.join("Budi", "lead")
    circle.do(second, "member.remove", member=circle.lead)
    assert circle.state.role_of(circle.lead) is None
    assert circle.state.moderation_log[-1].action == "remove"


def test_roles_of_non_members_cannot_be_set(circle):
    stranger = circle.person()
    assert "not a member" in circle.refused(
        circle.lead, "member.role", member=stranger, role="moderator"
    )


# --- rules ----------------------------------------------------------------------------


def test_rules_are_accepted_up_to_the_current_version(circle):
    member = circle.join("Budi")
    circle.do(circle.lead, "circle.update", rules="Be kind.")
    assert circle.state.rules_version == 1
    circle.do(member, "rules.accept", version=1)
    assert circle.state.members[member].rules_accepted == 1
    # A version not yet written cannot be accepted in advance.
    assert "version" in circle.refused(member, "rules.accept", version=2)


# --- read marks and unread counts -----------------------------------------------------


def test_read_marks_and_unread_counts(qa, circle):
    reader = circle.join("Fajar")
    state = circle.state
    assert state.unread_in_thread(reader, qa["question"]) == 3
    assert state.unread_in_channel(reader, qa["channel"]) == 3

    circle.do(reader, "read.mark", thread=qa["question"], post=qa["answer"])
    assert state.unread_in_thread(reader, qa["question"]) == 1
    # Marking an older post does not mark the newer ones unread again.
    circle.do(reader, "read.mark", thread=qa["question"], post=qa["question"])
    assert state.unread_in_thread(reader, qa["question"]) == 1

    circle.do(qa["helper"], "post.create", thread=qa["question"], text="one more")
    assert state.unread_in_thread(reader, qa["question"]) == 2
    # Writing in a thread reads it up to one's own post.
    circle.do(reader, "post.create", thread=qa["question"], text="got it")
    assert state.unread_in_thread(reader, qa["question"]) == 0
    assert state.unread_in_channel(reader, qa["channel"]) == 0
    # Others' counts are their own.
    assert state.unread_in_thread(qa["other"], qa["question"]) == 2


def test_unread_counts_sum_over_a_channels_threads(qa, circle):
    reader = circle.join("Fajar")
    circle.thread(qa["helper"], qa["channel"])
    assert circle.state.unread_in_channel(reader, qa["channel"]) == 4


def test_a_read_mark_is_its_readers_own_business(qa, circle):
    # Local-only bookkeeping: it needs the post, not membership (so it commutes with a
    # removal arriving later), and it moves no one else's counts.
    circle.do(circle.lead, "member.remove", member=qa["other"])
    before = circle.state.unread_in_thread(qa["asker"], qa["question"])
    circle.do(qa["other"], "read.mark", thread=qa["question"], post=qa["second"])
    assert circle.state.read_upto[qa["other"]][qa["question"]] == 3
    assert circle.state.unread_in_thread(qa["asker"], qa["question"]) == before


def test_a_read_mark_must_name_a_post_in_that_thread(qa, circle):
    other_thread = circle.thread(qa["helper"], qa["channel"])
    assert (
        circle.refused(qa["asker"], "read.mark", thread=other_thread, post=qa["answer"])
        == "no such post in that thread"
    )


# --- reactions ------------------------------------------------------------------------


def test_reactions_toggle(qa, circle):
    post = circle.state.posts[qa["answer"]]
    circle.do(qa["asker"], "post.react", post=qa["answer"], reaction="helpful")
    circle.do(qa["asker"], "post.react", post=qa["answer"], reaction="helpful")  # no double
    circle.do(qa["other"], "post.react", post=qa["answer"], reaction="helpful")
    circle.do(qa["other"], "post.react", post=qa["answer"], reaction="+1")
    assert post.reactions == {"helpful": {qa["asker"], qa["other"]}, "+1": {qa["other"]}}

    circle.do(qa["asker"], "post.react", post=qa["answer"], reaction="helpful", on=False)
    assert post.reactions == {"helpful": {qa["other"]}, "+1": {qa["other"]}}
    circle.do(qa["other"], "post.react", post=qa["answer"], reaction="helpful", on=False)
    circle.do(qa["other"], "post.react", post=qa["answer"], reaction="+1", on=False)
    # Taken back, the reactions leave no trace: not even an empty set.
    assert post.reactions == {}
    circle.do(qa["other"], "post.react", post=qa["answer"], reaction="thanks", on=False)
    assert post.reactions == {}


def _react_as_written(circle: Circle, actor: str, **data: object) -> Op:
    """A post.react at the schema version this app writes it with (v3 for a newer one)."""
    op = circle.make(actor, "post.react", **data)
    return msgspec.structs.replace(op, v=version_for("post.react", op.data))


def test_newer_reactions_fold_and_are_counted(qa, circle):
    post = circle.state.posts[qa["answer"]]
    answer = qa["answer"]
    for actor, kind in [("asker", "question"), ("other", "question"), ("asker", "celebrate")]:
        op = _react_as_written(circle, qa[actor], post=answer, reaction=kind)
        assert op.v == 3  # an older app says it needs a newer version, not "invalid"
        assert permissions.refusal(circle.state, op) is None
        assert reducer.apply(circle.state, op)
    assert post.reactions == {"question": {qa["asker"], qa["other"]}, "celebrate": {qa["asker"]}}
    assert len(post.reactions["question"]) == 2
    # Taken back like any other, and the reactions v1 knew are still v1 ops.
    op = _react_as_written(circle, qa["other"], post=answer, reaction="question", on=False)
    assert reducer.apply(circle.state, op)
    assert post.reactions["question"] == {qa["asker"]}
    assert _react_as_written(circle, qa["other"], post=answer, reaction="+1").v == 1


def test_a_newer_reaction_in_an_older_op_is_refused(qa, circle):
    # An app from before v3 cannot read this op; folding it here would differ from it.
    reason = circle.refused(qa["asker"], "post.react", post=qa["answer"], reaction="question")
    assert reason == "a reaction this schema version does not have"


def test_reacting_to_a_missing_post_is_refused(qa, circle):
    missing = circle.person()
    assert "no such post" in circle.refused(qa["asker"], "post.react", post=missing, reaction="+1")


# --- threads and replies --------------------------------------------------------------


def test_threads_and_replies_are_indexed(qa, circle):
    state = circle.state
    thread = state.threads[qa["question"]]
    assert state.channels[qa["channel"]].thread_ids == [qa["question"]]
    assert thread.post_ids == [qa["question"], qa["answer"], qa["second"]]
    assert [state.posts[p].index for p in thread.post_ids] == [0, 1, 2]
    assert thread.reply_count == 2
    reply = circle.do(
        qa["asker"], "post.create", thread=qa["question"], text="thanks", reply_to=qa["answer"]
    )
    assert state.posts[reply].reply_to == qa["answer"]
    assert thread.last_activity_ms == state.posts[reply].created_ms


def test_a_reply_must_answer_a_post_in_the_same_thread(qa, circle):
    other_thread = circle.thread(qa["helper"], qa["channel"])
    assert "not in this thread" in circle.refused(
        qa["asker"], "post.create", thread=other_thread, text="re", reply_to=qa["answer"]
    )


def test_deleting_the_accepted_answer_reopens_the_question():
    circle = Circle()
    asker, helper = circle.join("Asker"), circle.join("Helper")
    channel = circle.do(circle.lead, "channel.create", name="q")
    thread = circle.thread(asker, channel, kind="question")
    answer = circle.do(helper, "post.create", thread=thread, text="because")
    circle.do(asker, "answer.accept", post=answer)
    circle.do(circle.lead, "answer.verify", post=answer)
    assert circle.state.threads[thread].answered
    circle.do(helper, "post.delete", post=answer)
    assert not circle.state.threads[thread].answered
    tombstone = circle.state.posts[answer]  # shows no "accepted" or "verified" either
    assert not tombstone.accepted and tombstone.verified_by is None
