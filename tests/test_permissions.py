"""Who may do what (core/permissions.py): every rule's every refusal, with the sentence a
member is shown (a server answers with it), and the edge just inside each limit.

The random histories of test_reducer_properties.py and test_invariants.py rarely reach
some of these corners; ``make mutants`` found the ones a plausible bug would move.
"""

import msgspec
import pytest

from studycircle_tui.core.ops import SERVER_ACTOR, Op
from studycircle_tui.core.permissions import refusal
from studycircle_tui.core.state import CircleState
from test_reducer import START_MS, Circle

OTHER_ID = "01HZX5K3M8Q2V7W9Y4B6C1D0EF"  # an id nothing in the circle has
NOT_MEMBER = "you are not a member of this circle"
LEAD_ONLY = "only the circle's lead may do this"
MODERATOR_ONLY = "only a moderator or the lead may do this"
LATER = START_MS + 3_600_000  # a deadline an hour after the circle began


@pytest.fixture
def circle() -> Circle:
    return Circle()


def quiz_session(circle: Circle, mode: str = "live") -> tuple[str, str]:
    """A quiz of two questions and a session of it run by the lead."""
    questions = [
        {"kind": "multiple_choice", "text": "2+2?", "choices": ["3", "4"]},
        {"kind": "short_answer", "text": "Capital of Indonesia?"},
    ]
    quiz = circle.do(circle.lead, "quiz.create", title="Week 1", questions=questions)
    return quiz, circle.do(circle.lead, "quiz.start", quiz=quiz, mode=mode)


# --- the circle and its members -------------------------------------------------------


def test_circle_create_is_refused_once_there_is_one_and_to_the_server(circle):
    assert circle.refused(circle.lead, "circle.create", name="C", lead_name="A") == (
        "the circle already exists"
    )

    def create(actor: str, circle_id: str | None = None) -> Op:
        op = circle.make(actor, "circle.create", name="C", lead_name="A")
        return msgspec.structs.replace(op, circle=circle_id or op.id)

    by_server = create(SERVER_ACTOR)
    assert refusal(CircleState(by_server.id), by_server) == "the server cannot lead a circle"
    foreign = create(circle.lead, OTHER_ID)
    assert refusal(CircleState(OTHER_ID), foreign) == (
        "circle.create must carry the circle's own id"
    )
    join = msgspec.structs.replace(
        circle.make(circle.lead, "member.join", name="A"), circle=OTHER_ID
    )
    assert refusal(CircleState(OTHER_ID), join) == "the circle does not exist yet"


def test_an_op_of_another_circle_is_refused(circle):
    op = circle.make(circle.lead, "channel.create", name="limits")
    elsewhere = msgspec.structs.replace(op, circle=OTHER_ID)
    assert refusal(circle.state, elsewhere) == "the op belongs to another circle"


def test_joining_is_refused_to_the_server_members_and_removed_members(circle):
    assert circle.refused(SERVER_ACTOR, "member.join", name="Server") == (
        "the server cannot join a circle"
    )
    budi = circle.join("Budi")
    assert circle.refused(budi, "member.join", name="Budi") == "already a member"
    circle.do(circle.lead, "member.remove", member=budi)
    assert circle.refused(budi, "member.join", name="Budi") == "removed members cannot rejoin"


def test_rules_are_accepted_up_to_the_current_version(circle):
    budi = circle.join("Budi")
    circle.do(circle.lead, "circle.update", rules="Be kind.")
    assert circle.refused(budi, "rules.accept", version=2) == "no such version of the rules"
    circle.do(budi, "rules.accept", version=1)  # the current one
    assert circle.refused(OTHER_ID, "rules.accept", version=1) == NOT_MEMBER


def test_roles_are_given_by_the_lead_to_members_only(circle):
    circle.do(circle.lead, "member.role", member=circle.lead, role="lead")  # stays lead: fine
    budi = circle.join("Budi")
    assert circle.refused(budi, "member.role", member=budi, role="lead") == LEAD_ONLY
    assert circle.refused(circle.lead, "member.role", member=OTHER_ID, role="moderator") == (
        "that person is not a member"
    )
    assert circle.refused(circle.lead, "member.remove", member=OTHER_ID) == (
        "that person is not a member"
    )
    assert circle.refused(budi, "member.remove", member=circle.lead) == LEAD_ONLY


def test_a_removed_lead_does_not_count_as_the_lead_the_circle_keeps(circle):
    """Mutation testing's survivor: a count of the leads left that included removed ones
    let the last real lead step down, leaving a circle with no lead."""
    second = circle.join("Budi", "lead")
    circle.do(circle.lead, "member.remove", member=second)
    needs = "a circle needs a lead: make someone else lead first"
    assert circle.refused(circle.lead, "member.role", member=circle.lead, role="member") == needs
    assert circle.refused(circle.lead, "member.remove", member=circle.lead) == needs


def test_the_server_gives_roles_only_in_a_circle_it_hosts():
    """Mutation testing's survivor: "@server" vouching in a file circle, where anyone can
    write "@server" as an op's actor."""
    hosted, file_circle = Circle(hosted=True), Circle()
    for circle in (hosted, file_circle):
        budi = circle.join("Budi")
        if circle is hosted:
            circle.do(SERVER_ACTOR, "member.role", member=budi, role="moderator")
            assert circle.state.role_of(budi) == "moderator"
        else:
            refused = circle.refused(SERVER_ACTOR, "member.role", member=budi, role="lead")
            assert refused == NOT_MEMBER


def test_an_anonymous_suggestion_from_the_server_only_where_it_hosts():
    hosted, file_circle = Circle(hosted=True), Circle()
    hosted.do(SERVER_ACTOR, "suggestion.create", text="More quizzes", anonymous=True)
    assert hosted.refused(SERVER_ACTOR, "suggestion.create", text="Signed", anonymous=False) == (
        NOT_MEMBER
    )
    assert (
        file_circle.refused(SERVER_ACTOR, "suggestion.create", text="More quizzes", anonymous=True)
        == NOT_MEMBER
    )


# --- discussion -----------------------------------------------------------------------


def test_channel_changes_need_a_moderator_and_a_channel(circle):
    budi = circle.join("Budi")
    channel = circle.do(circle.lead, "channel.create", name="limits")
    assert circle.refused(budi, "channel.update", channel=channel, name="x") == MODERATOR_ONLY
    assert circle.refused(circle.lead, "channel.update", channel=OTHER_ID, name="x") == (
        "no such channel"
    )
    assert circle.refused(circle.lead, "channel.archive", channel=OTHER_ID) == "no such channel"
    assert circle.refused(budi, "thread.create", channel=OTHER_ID, title="t", kind="question",
                          text="?") == "no such channel"  # fmt: skip


def test_an_archived_channel_takes_no_threads(circle):
    channel = circle.do(circle.lead, "channel.create", name="limits")
    circle.do(circle.lead, "channel.archive", channel=channel)
    thread = {"channel": channel, "title": "t", "kind": "question", "text": "?"}
    assert circle.refused(circle.lead, "thread.create", **thread) == "the channel is archived"


def test_posts_need_a_thread_and_a_reply_in_the_same_thread(circle):
    budi = circle.join("Budi")
    channel = circle.do(circle.lead, "channel.create", name="limits")
    first = circle.thread(budi, channel)
    second = circle.thread(budi, channel)
    assert circle.refused(budi, "post.create", thread=OTHER_ID, text="x") == "no such thread"
    wrong = "the post replied to is not in this thread"
    assert circle.refused(budi, "post.create", thread=first, text="x", reply_to=second) == wrong
    assert circle.refused(budi, "post.create", thread=first, text="x", reply_to=OTHER_ID) == wrong
    circle.do(budi, "post.create", thread=first, text="x", reply_to=first)
    assert circle.refused(budi, "post.react", post=OTHER_ID, reaction="+1") == "no such post"
    assert circle.refused(OTHER_ID, "post.react", post=first, reaction="+1") == NOT_MEMBER


def test_only_the_author_changes_a_post_and_not_once_deleted(circle):
    budi, citra = circle.join("Budi"), circle.join("Citra")
    channel = circle.do(circle.lead, "channel.create", name="limits")
    thread = circle.thread(budi, channel)
    assert circle.refused(citra, "post.edit", post=thread, text="mine") == (
        "only its author may change a post"
    )
    circle.do(budi, "post.delete", post=thread)
    assert circle.refused(budi, "post.edit", post=thread, text="back") == "the post is deleted"
    assert circle.refused(budi, "post.delete", post=thread) == "the post is deleted"


def test_accepting_and_verifying_answers(circle):
    asker, helper = circle.join("Budi"), circle.join("Citra")
    mod = circle.join("Eko", "moderator")
    channel = circle.do(circle.lead, "channel.create", name="limits")
    talk = circle.thread(asker, channel, "discussion")
    reply = circle.do(helper, "post.create", thread=talk, text="x")
    question = circle.thread(asker, channel, "question")
    answer = circle.do(helper, "post.create", thread=question, text="Gap is 0.")
    gone = circle.do(helper, "post.create", thread=question, text="Oops.")
    circle.do(helper, "post.delete", post=gone)

    assert circle.refused(asker, "answer.accept", post=reply) == (
        "only answers in a question thread can be accepted or verified"
    )
    assert circle.refused(asker, "answer.accept", post=question) == (
        "the question itself is not an answer"
    )
    assert circle.refused(asker, "answer.accept", post=gone) == "the post is deleted"
    assert circle.refused(helper, "answer.accept", post=answer) == (
        "only the asker may accept an answer"
    )
    assert circle.refused(helper, "answer.verify", post=answer) == MODERATOR_ONLY
    circle.do(mod, "answer.verify", post=answer)
    assert circle.refused(circle.lead, "answer.verify", post=answer) == "it is verified already"
    assert circle.refused(mod, "post.hide", post=OTHER_ID) == "no such post"
    assert circle.refused(asker, "read.mark", thread=talk, post=answer) == (
        "no such post in that thread"
    )


def test_whoevers_turn_it_is_on_the_rota_moderates(circle):
    budi, citra = circle.join("Budi"), circle.join("Citra")
    channel = circle.do(circle.lead, "channel.create", name="limits")
    # The circle's clock is 2024-07-03: a weekly rota from 2024-07-01 gives Budi the week.
    circle.do(circle.lead, "moderator.rota", volunteers=[budi, citra], start="2024-07-01")
    thread = circle.thread(citra, channel)
    circle.do(budi, "post.hide", post=thread)
    assert circle.refused(citra, "post.hide", post=thread) == MODERATOR_ONLY
    assert circle.refused(budi, "moderator.rota", volunteers=[budi], start="2024-07-01") == (
        LEAD_ONLY
    )


# --- notes ----------------------------------------------------------------------------


def test_notes_need_their_channel_note_and_revision(circle):
    budi = circle.join("Budi")
    assert circle.refused(budi, "note.create", title="t", text="x", channel=OTHER_ID) == (
        "no such channel"
    )
    note = circle.do(budi, "note.create", title="t", text="x")
    assert circle.refused(budi, "note.revise", note=OTHER_ID, base=note, text="y") == (
        "no such note"
    )
    missing = "no such revision of that note"
    assert circle.refused(budi, "note.revise", note=note, base=OTHER_ID, text="y") == missing
    assert circle.refused(budi, "note.restore", note=note, revision=OTHER_ID) == missing
    assert circle.refused(OTHER_ID, "note.revise", note=note, base=note, text="y") == NOT_MEMBER
    assert circle.refused(OTHER_ID, "note.create", title="t", text="x") == NOT_MEMBER


# --- quizzes --------------------------------------------------------------------------


def test_quizzes_are_made_by_moderators_with_one_key_per_question(circle):
    budi = circle.join("Budi")
    questions = [{"kind": "true_false", "text": "1 = 0.999…?"}]
    assert circle.refused(budi, "quiz.create", title="Q", questions=questions) == MODERATOR_ONLY
    assert circle.refused(circle.lead, "quiz.create", title="Q", questions=questions,
                          keys=[]) == "a quiz needs one key per question"  # fmt: skip
    assert circle.refused(circle.lead, "quiz.create", title="Q", questions=questions,
                          channel=OTHER_ID) == "no such channel"  # fmt: skip
    quiz = circle.do(circle.lead, "quiz.create", title="Q", questions=questions, keys=[{}])
    assert circle.refused(budi, "quiz.update", quiz=quiz, title="Mine") == MODERATOR_ONLY
    assert circle.refused(circle.lead, "quiz.update", quiz=OTHER_ID, title="Q2") == "no such quiz"


def test_live_quizzes_are_started_by_moderators_practice_by_anyone(circle):
    budi = circle.join("Budi")
    quiz, _ = quiz_session(circle)
    assert circle.refused(budi, "quiz.start", quiz=quiz, mode="live") == MODERATOR_ONLY
    circle.do(budi, "quiz.start", quiz=quiz, mode="practice")
    assert circle.refused(budi, "quiz.start", quiz=OTHER_ID, mode="practice") == "no such quiz"
    assert circle.refused(OTHER_ID, "quiz.start", quiz=quiz, mode="practice") == NOT_MEMBER


def test_only_its_host_runs_a_session_until_it_finishes(circle):
    mod = circle.join("Eko", "moderator")
    _, session = quiz_session(circle)
    open_ = {"session": session, "deadline": LATER}
    assert circle.refused(mod, "quiz.open", question=0, **open_) == (
        "only the quiz's host may run it"
    )
    assert circle.refused(circle.lead, "quiz.open", question=2, **open_) == "no such question"
    assert circle.refused(circle.lead, "quiz.open", question=0, session=OTHER_ID,
                          deadline=LATER) == "no such quiz session"  # fmt: skip
    circle.do(circle.lead, "quiz.open", question=1, **open_)  # the last question is there
    circle.do(circle.lead, "quiz.finish", session=session)
    assert circle.refused(circle.lead, "quiz.open", question=0, **open_) == "the quiz has finished"
    assert circle.refused(mod, "quiz.finish", session=session) == "only the quiz's host may run it"


def test_a_question_closes_once_and_is_revealed_only_after_its_close(circle):
    """Mutation testing's survivor: a reveal accepted before its close."""
    _, session = quiz_session(circle)
    ref = {"session": session}
    circle.do(circle.lead, "quiz.open", question=0, deadline=LATER, **ref)
    assert circle.refused(circle.lead, "quiz.close", question=1, **ref) == (
        "that question is not open"
    )
    assert circle.refused(circle.lead, "quiz.reveal", question=0, key={"choices": [1]}, **ref) == (
        "close the question before its reveal"
    )
    circle.do(circle.lead, "quiz.close", question=0, **ref)
    circle.do(circle.lead, "quiz.reveal", question=0, key={"choices": [1]}, **ref)
    assert circle.refused(circle.lead, "quiz.open", question=0, deadline=LATER, **ref) == (
        "that question is over; it cannot be opened again"
    )


def test_answers_go_to_the_open_question_of_a_live_session_once(circle):
    budi = circle.join("Budi")
    quiz, session = quiz_session(circle)
    _, practice = quiz_session(circle, "practice")
    answer = {"session": session, "answer": [1]}
    assert circle.refused(budi, "quiz.answer", question=0, **answer) == "that question is closed"
    circle.do(circle.lead, "quiz.open", session=session, question=0, deadline=LATER)
    assert circle.refused(budi, "quiz.answer", question=1, **answer) == "that question is closed"
    assert circle.refused(budi, "quiz.answer", session=practice, question=0, answer=[1]) == (
        "no such live quiz"
    )
    assert circle.refused(OTHER_ID, "quiz.answer", question=0, **answer) == NOT_MEMBER
    circle.do(budi, "quiz.answer", question=0, **answer)
    assert circle.refused(budi, "quiz.answer", question=0, **answer) == (
        "you have already answered this question"
    )
    circle.do(circle.lead, "quiz.close", session=session, question=0)
    citra = circle.join("Citra")
    assert circle.refused(citra, "quiz.answer", question=0, **answer) == "that question is closed"
    assert circle.refused(budi, "quiz.answered", session=session, question=0, player=budi) == (
        "only the server reports who has answered"
    )
    assert circle.refused(SERVER_ACTOR, "quiz.answered", session=OTHER_ID, question=0,
                          player=budi) == "no such quiz session"  # fmt: skip
    circle.do(SERVER_ACTOR, "quiz.answered", session=session, question=0, player=budi)
    assert quiz in circle.state.quizzes


def test_a_practice_score_is_at_most_its_maximum(circle):
    budi = circle.join("Budi")
    quiz, _ = quiz_session(circle, "practice")
    result = {"quiz": quiz, "max_score": 4}
    assert circle.refused(budi, "quiz.result", score=4.5, **result) == (
        "a score cannot exceed its maximum"
    )
    circle.do(budi, "quiz.result", score=4, **result)  # a full score is fine
    assert circle.refused(budi, "quiz.result", quiz=OTHER_ID, score=1, max_score=4) == (
        "no such quiz"
    )
    assert circle.refused(OTHER_ID, "quiz.result", score=1, **result) == NOT_MEMBER


# --- community ------------------------------------------------------------------------


def test_suggestions_are_resolved_by_the_lead(circle):
    budi = circle.join("Budi")
    suggestion = circle.do(budi, "suggestion.create", text="More quizzes")
    assert circle.refused(budi, "suggestion.resolve", suggestion=suggestion, status="done") == (
        LEAD_ONLY
    )
    assert circle.refused(circle.lead, "suggestion.resolve", suggestion=OTHER_ID,
                          status="done") == "no such suggestion"  # fmt: skip
    assert circle.refused(OTHER_ID, "suggestion.create", text="Hi") == NOT_MEMBER


def test_schedule_and_rota_need_real_zones_and_members(circle):
    budi = circle.join("Budi")
    session = {"title": "Review", "weekday": 1, "time": "19:30"}
    assert circle.refused(budi, "schedule.set", sessions=[session]) == MODERATOR_ONLY
    assert circle.refused(
        circle.lead, "schedule.set", sessions=[{**session, "tz": "Mars/Base"}]
    ) == ("unknown time zone 'Mars/Base'")
    circle.do(circle.lead, "schedule.set", sessions=[{**session, "tz": "Asia/Jakarta"}])
    rota = {"start": "2024-07-01"}
    assert circle.refused(circle.lead, "moderator.rota", volunteers=[budi], tz="Mars/Base",
                          **rota) == "unknown time zone 'Mars/Base'"  # fmt: skip
    assert circle.refused(circle.lead, "moderator.rota", volunteers=[budi, OTHER_ID], **rota) == (
        "every volunteer must be a member"
    )
