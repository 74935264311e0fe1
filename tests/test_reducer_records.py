"""What the reducer records when an op applies, beyond whether it may: the moderation log,
quiz updates, the schedule and the rota, circle settings, practice results, and a
sealed answer taken back. ``make mutants`` showed these details could change unseen."""

import msgspec

from studycircle_tui.core import hlc, reducer
from studycircle_tui.core.ops import op_time_ms
from studycircle_tui.core.state import ModerationEntry, Rota
from test_reducer import START_MS, Circle

QUESTIONS = [{"kind": "multiple_choice", "text": "2+2?", "choices": ["3", "4"]}]


def test_the_moderation_log_says_who_did_what_to_whom_and_when():
    circle = Circle()
    budi, citra = circle.join("Budi"), circle.join("Citra")
    channel = circle.do(circle.lead, "channel.create", name="limits")
    question = circle.thread(budi, channel, "question")
    answer = circle.do(citra, "post.create", thread=question, text="Gap is 0.")
    steps = [
        ("member.role", {"member": budi, "role": "moderator"}, "role:moderator", budi),
        ("answer.verify", {"post": answer}, "verify", answer),
        ("post.hide", {"post": answer, "reason": "spoiler"}, "hide", answer),
        ("post.hide", {"post": answer, "hidden": False}, "unhide", answer),
        (
            "moderator.rota",
            {"volunteers": [budi, citra], "start": "2024-07-01"},
            "rota",
            f"{budi},{citra}",
        ),
        ("member.remove", {"member": citra}, "remove", citra),
    ]
    for type_name, data, action, target in steps:
        op = circle.make(circle.lead, type_name, **data)
        assert reducer.apply(circle.state, op)
        entry = circle.state.moderation_log[-1]
        assert entry == ModerationEntry(op.id, circle.lead, action, target, op_time_ms(op))
    assert len(circle.state.moderation_log) == len(steps)


def test_a_verification_and_a_hide_name_who_made_them():
    circle = Circle()
    mod, helper = circle.join("Eko", "moderator"), circle.join("Citra")
    channel = circle.do(circle.lead, "channel.create", name="limits")
    question = circle.thread(circle.lead, channel, "question")
    answer = circle.do(helper, "post.create", thread=question, text="Gap is 0.")
    circle.do(mod, "answer.verify", post=answer)
    circle.do(mod, "post.hide", post=answer, reason="spoiler")
    post = circle.state.posts[answer]
    assert post.verified_by == mod and circle.state.threads[question].verified_posts == {answer}
    assert (post.hidden, post.hidden_by, post.hide_reason) == (True, mod, "spoiler")
    circle.do(mod, "post.hide", post=answer, hidden=False)
    assert (post.hidden, post.hidden_by, post.hide_reason) == (False, None, "")


def test_a_quiz_update_changes_only_what_it_names():
    circle = Circle()
    quiz_id = circle.do(
        circle.lead, "quiz.create", title="Week 1", questions=QUESTIONS, key_hash="ab" * 8
    )
    quiz = circle.state.quizzes[quiz_id]
    circle.do(circle.lead, "quiz.update", quiz=quiz_id, title="Week 1 (fixed)")
    assert (quiz.title, quiz.key_hash, quiz.keys) == ("Week 1 (fixed)", "ab" * 8, None)
    assert quiz.questions[0].text == "2+2?"
    more = [*QUESTIONS, {"kind": "true_false", "text": "1 = 0.999…?"}]
    circle.do(circle.lead, "quiz.update", quiz=quiz_id, questions=more, keys=[{"choices": [1]}, {}])
    assert [q.text for q in quiz.questions] == ["2+2?", "1 = 0.999…?"]
    assert quiz.keys is not None and quiz.keys[0].choices == [1]
    assert quiz.title == "Week 1 (fixed)" and quiz.key_hash == "ab" * 8
    circle.do(circle.lead, "quiz.update", quiz=quiz_id, key_hash=None)  # null clears it
    assert quiz.key_hash is None and quiz.keys is not None


def test_a_schedule_and_a_rota_are_replaced_whole():
    circle = Circle()
    budi = circle.join("Budi")
    first = {"title": "Review", "weekday": 1, "time": "19:30", "tz": "Asia/Jakarta"}
    circle.do(circle.lead, "schedule.set", sessions=[first, {**first, "weekday": 3}])
    assert [(s.title, s.weekday, s.tz) for s in circle.state.schedule] == [
        ("Review", 1, "Asia/Jakarta"),
        ("Review", 3, "Asia/Jakarta"),
    ]
    circle.do(circle.lead, "schedule.set", sessions=[])
    assert circle.state.schedule == []
    rota = {"start": "2024-07-01", "period_days": 14, "tz": "Asia/Jakarta"}
    circle.do(circle.lead, "moderator.rota", volunteers=[budi], **rota)
    assert circle.state.rota == Rota([budi], "2024-07-01", 14, "Asia/Jakarta")


def test_circle_settings_and_a_new_version_of_the_rules():
    circle = Circle()
    budi = circle.join("Budi")
    circle.do(circle.lead, "circle.update", name="Calculus II", goal="Pass.", shared_board=True)
    state = circle.state
    settings = (state.name, state.goal, state.shared_board, state.rules_version)
    assert settings == ("Calculus II", "Pass.", True, 0)
    circle.do(circle.lead, "circle.update", rules="Be kind.")
    circle.do(circle.lead, "circle.update", rules="Be kind.")  # the same text: no new version
    assert (state.rules, state.rules_version) == ("Be kind.", 1)
    assert state.members[circle.lead].rules_accepted == 1  # its author agrees
    assert state.members[budi].rules_accepted == -1
    circle.do(budi, "rules.accept", version=1)
    circle.do(budi, "rules.accept", version=0)  # an older version never lowers it
    assert state.members[budi].rules_accepted == 1


def test_a_practice_result_keeps_each_try_and_the_best_ratio():
    circle = Circle()
    budi = circle.join("Budi")
    quiz_id = circle.do(circle.lead, "quiz.create", title="Q", questions=QUESTIONS, keys=[{}])
    circle.do(budi, "quiz.result", quiz=quiz_id, score=3, max_score=4)
    circle.do(budi, "quiz.result", quiz=quiz_id, score=1, max_score=4)
    circle.do(budi, "quiz.result", quiz=quiz_id, score=0, max_score=0)  # nothing to score
    quiz = circle.state.quizzes[quiz_id]
    assert [ratio for _, _, ratio in quiz.results] == [0.75, 0.25, 0.0]
    assert quiz.best == {budi: 0.75}


def test_a_sealed_answer_taken_back_leaves_who_answered():
    circle = Circle()
    budi, citra = circle.join("Budi"), circle.join("Citra")
    quiz_id = circle.do(circle.lead, "quiz.create", title="Q", questions=QUESTIONS)
    session_id = circle.do(circle.lead, "quiz.start", quiz=quiz_id, mode="live")
    circle.do(circle.lead, "quiz.open", session=session_id, question=0, deadline=START_MS + 10**6)
    mine = circle.make(budi, "quiz.answer", session=session_id, question=0, answer=[1])
    assert reducer.apply(circle.state, mine)
    circle.do(citra, "quiz.answer", session=session_id, question=0, answer=[0])
    session = circle.state.sessions[session_id]
    assert session.answers[0][budi] == ([1], op_time_ms(mine))

    reducer.retract_answer(circle.state, mine)
    assert budi not in session.answers[0] and citra in session.answers[0]
    assert session.answered[0] == {budi, citra}
    # Nothing to take back: a question nobody answered, a session not (yet) folded.
    other = circle.make(budi, "quiz.answer", session=session_id, question=1, answer=[1])
    reducer.retract_answer(circle.state, other)
    elsewhere = circle.make(budi, "quiz.answer", session=quiz_id, question=0, answer=[1])
    reducer.retract_answer(circle.state, elsewhere)
    assert session.answers == {0: {citra: ([0], session.answers[0][citra][1])}}


def test_the_receive_time_is_an_ops_time_when_there_is_one():
    circle = Circle()
    op = circle.make(circle.lead, "channel.create", name="limits")

    received = msgspec.structs.replace(op, seq=1, at=START_MS + 5_000)
    assert reducer.apply(circle.state, received)
    assert circle.state.channels[op.id].created_ms == START_MS + 5_000
    assert op_time_ms(op) == hlc.physical_ms(op.hlc)


def test_what_each_new_thing_records_of_the_op_that_made_it():
    """Channels, members, threads, notes, suggestions and flags keep their op's data and
    time (the views sort and label by them)."""
    circle = Circle()
    state = circle.state
    lead = state.members[circle.lead]
    assert (lead.role, lead.joined_ms, lead.rules_accepted) == ("lead", START_MS + 2, 0)
    join = circle.make(circle.person(), "member.join", name="Budi")
    assert reducer.apply(state, join)
    budi = state.members[join.actor]
    assert (budi.name, budi.role, budi.joined_ms) == ("Budi", "member", op_time_ms(join))

    make = circle.make(circle.lead, "channel.create", name="limits", goal="epsilon-delta")
    assert reducer.apply(state, make)
    channel = state.channels[make.id]
    assert (channel.id, channel.name, channel.goal) == (make.id, "limits", "epsilon-delta")
    assert channel.created_ms == op_time_ms(make) and state.channel_order == [make.id]
    circle.do(circle.lead, "channel.update", channel=make.id, name="series")
    assert (channel.name, channel.goal) == ("series", "epsilon-delta")
    circle.do(circle.lead, "channel.update", channel=make.id, goal="sums")
    assert (channel.name, channel.goal) == ("series", "sums")

    opening = circle.make(
        join.actor, "thread.create", channel=make.id, title="t", kind="question", text="?"
    )
    assert reducer.apply(state, opening)
    thread = state.threads[opening.id]
    assert thread.last_activity_ms == channel.last_activity_ms == op_time_ms(opening)
    reply = circle.make(circle.lead, "post.create", thread=opening.id, text="Gap is 0.")
    assert reducer.apply(state, reply)
    assert thread.last_activity_ms == channel.last_activity_ms == op_time_ms(reply)
    flag = circle.make(join.actor, "post.flag", post=reply.id, reason="unkind", comment="rude")
    assert reducer.apply(state, flag)
    (record,) = state.posts[reply.id].flags
    assert (record.by, record.reason, record.comment, record.at_ms) == (
        join.actor,
        "unkind",
        "rude",
        op_time_ms(flag),
    )
    delete = circle.make(circle.lead, "post.delete", post=reply.id)
    assert reducer.apply(state, delete)
    assert state.posts[reply.id].edited_ms == op_time_ms(delete)

    note = circle.make(join.actor, "note.create", title="Sums", text="x", channel=make.id)
    assert reducer.apply(state, note)
    made = state.notes[note.id]
    assert (made.id, made.title, made.channel_id, made.created_by) == (
        note.id,
        "Sums",
        make.id,
        join.actor,
    )
    idea = circle.make(join.actor, "suggestion.create", text="More quizzes", anonymous=True)
    assert reducer.apply(state, idea)
    suggestion = state.suggestions[idea.id]
    assert (suggestion.id, suggestion.author, suggestion.text, suggestion.anonymous) == (
        idea.id,
        join.actor,
        "More quizzes",
        True,
    )
    assert (suggestion.created_ms, suggestion.status) == (op_time_ms(idea), "open")


def test_accepting_another_answer_unmarks_the_first():
    circle = Circle()
    asker, helper = circle.join("Budi"), circle.join("Citra")
    channel = circle.do(circle.lead, "channel.create", name="limits")
    question = circle.thread(asker, channel, "question")
    first = circle.do(helper, "post.create", thread=question, text="A")
    second = circle.do(circle.lead, "post.create", thread=question, text="B")
    circle.do(asker, "answer.accept", post=first)
    circle.do(asker, "answer.accept", post=second)
    assert circle.state.posts[first].accepted is False
    assert circle.state.posts[second].accepted is True
    circle.do(circle.lead, "circle.update", rules="One.")
    circle.do(circle.lead, "circle.update", rules="Two.")
    assert circle.state.rules_version == 2


def test_a_live_session_records_its_settings_opens_reveals_and_who_answered():
    circle = Circle()
    budi = circle.join("Budi")
    channel = circle.do(circle.lead, "channel.create", name="quizzes")
    create = circle.make(
        circle.lead,
        "quiz.create",
        title="Week 1",
        questions=QUESTIONS,
        keys=[{"choices": [1]}],
        channel=channel,
    )
    assert reducer.apply(circle.state, create)
    quiz = circle.state.quizzes[create.id]
    assert (quiz.id, quiz.title, quiz.channel_id, quiz.author) == (
        create.id,
        "Week 1",
        channel,
        circle.lead,
    )
    assert quiz.keys is not None and quiz.keys[0].choices == [1]
    assert quiz.created_ms == op_time_ms(create)
    start = circle.make(
        circle.lead,
        "quiz.start",
        quiz=create.id,
        mode="live",
        scoring="speed",
        streak=True,
        top_n=3,
    )
    assert reducer.apply(circle.state, start)
    session = circle.state.sessions[start.id]
    assert (session.quiz_id, session.host, session.mode, session.scoring) == (
        create.id,
        circle.lead,
        "live",
        "speed",
    )
    assert (session.streak, session.top_n, session.started_ms) == (True, 3, op_time_ms(start))
    assert quiz.session_ids == [start.id]

    deadline = START_MS + 60_000
    opened = circle.make(circle.lead, "quiz.open", session=start.id, question=0, deadline=deadline)
    assert reducer.apply(circle.state, opened)
    paused = circle.make(circle.lead, "quiz.open", session=start.id, question=0, deadline=0)
    # Received by a server half a second after its stamp: a pause still ends nothing.
    paused = msgspec.structs.replace(paused, seq=9, at=op_time_ms(paused) + 500)
    assert reducer.apply(circle.state, paused)
    assert session.current == 0 and session.deadline_ms == 0
    assert session.opened_ms == {0: op_time_ms(paused)}
    assert session.opens == {0: [(op_time_ms(opened), deadline), (op_time_ms(paused), 0)]}
    circle.do("@server", "quiz.answered", session=start.id, question=0, player=budi)
    assert session.answered == {0: {budi}} and session.answers == {}
    circle.do(circle.lead, "quiz.close", session=start.id, question=0)
    circle.do(
        circle.lead,
        "quiz.reveal",
        session=start.id,
        question=0,
        key={"choices": [1]},
        salt="pepper",
    )
    assert session.revealed[0].choices == [1] and session.salts == {0: "pepper"}
    circle.do(circle.lead, "quiz.finish", session=start.id)
    assert session.finished


def test_a_fold_gives_back_what_it_applied_and_leaves_the_collector_on():
    import gc

    circle = Circle()
    good = circle.make(circle.lead, "channel.create", name="limits")
    refused = circle.make(circle.person(), "channel.create", name="mine")
    assert gc.isenabled()
    assert reducer.apply_all(circle.state, [good, refused]) == [good]
    assert gc.isenabled()
