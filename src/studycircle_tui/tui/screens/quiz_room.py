"""What a live quiz's screen says at each stage, as lines of Textual markup made from the
circle's state: the lobby (who came, who left), the answering ("N of M answered" among
those in), the reveal (the key's check, the player's mark and place, how the group did),
the end (the podium's words and the whole quiz's key check).

Kept apart from the screen (quiz_live.py), which lays these out and takes the keys: here
is only what a room reads, in plain words, the same for every member from the same log.
"""

from collections.abc import Callable, Iterable

from babel.numbers import format_decimal

from ...core import quizkeys, quizscore
from ...core.ops import Question
from ...core.quizkeys import Check
from ...core.sessionscore import SessionScore, Standing
from ...core.state import CircleState, Quiz, QuizSession
from ...i18n import N_, _, current, ngettext
from ...sync.quizrun import players_expected, seat
from ..visible import markup_line

NAMES_SHOWN = 40  # a lobby of 200 lists this many names, then "and 160 more"


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 11th in English; each language says its own ("ke-1")."""
    if 10 <= number % 100 <= 20:
        form = _("{number}th")
    else:
        form = {1: _("{number}st"), 2: _("{number}nd"), 3: _("{number}rd")}.get(
            number % 10, _("{number}th")
        )
    return form.format(number=number)


def tenths(value: float) -> str:
    """4.0 in English, 4,0 in Indonesian: one decimal, as the member's language writes it."""
    return format_decimal(round(value, 1), "0.0", locale=current().locale)


def questions(number: int) -> str:
    return ngettext("{count} question", "{count} questions", number).format(count=number)


def players(number: int) -> str:
    return ngettext("{count} player", "{count} players", number).format(count=number)


def answers(number: int) -> str:
    return ngettext("{count} answer", "{count} answers", number).format(count=number)


def name_list(names: Iterable[str], limit: int = NAMES_SHOWN) -> str:
    """Names in alphabetical order, as markup; past ``limit`` only how many more."""
    ordered = sorted(names, key=str.casefold)
    shown = ", ".join(markup_line(name) for name in ordered[:limit])
    rest = len(ordered) - limit
    return _("{names} and {count} more").format(names=shown, count=rest) if rest > 0 else shown


def moved(standing: Standing) -> str:
    """A rank change since the last question: ↑2, ↓1, or nothing."""
    if standing.moved > 0:
        return f"[$success]↑{standing.moved}[/]"
    if standing.moved < 0:
        return f"[$error]↓{-standing.moved}[/]"
    return ""


# --- the lobby -------------------------------------------------------------------------------


def lobby_lines(
    state: CircleState,
    session: QuizSession,
    who: dict[str, str],
    me: str,
    key: Callable[[str], str],
) -> list[str]:
    """Who is in the lobby and who left, and what happens next (``key``: the key of a
    live-quiz action, as the member's keymap has it)."""
    seats: dict[str, list[str]] = {"in": [], "left": []}
    for player in session.joined:
        if state.role_of(player) is not None:
            seats.setdefault(seat(session, player), []).append(who.get(player, _("someone")))
    lines = []
    if seats["in"]:
        lobby = _("In the lobby ({count}):").format(count=len(seats["in"]))
        lines.append(f"[b]{lobby}[/b] {name_list(seats['in'])}")
    else:
        none_yet = _("No one has joined yet.")
        lines.append(f"[b]{none_yet}[/b] " + _("Members join from their Quiz pane (z)."))
    if seats["left"]:
        lines.append("[dim]" + _("Left: {names}").format(names=name_list(seats["left"])) + "[/dim]")
    lines.append("")
    if session.host == me:
        lines.append(f"[b]{key('advance')}[/b]: " + _("ask question 1"))
        if session.hands_free:
            then = _("Then it goes on by itself ({pace}).").format(pace=_hands_free(session))
            lines.append(f"[dim]{then}[/dim]")
    else:
        host = markup_line(who.get(session.host, _("the lead")))
        waiting = _("You are in. Waiting for {host} to ask the first question…")
        lines.append(waiting.format(host=host))
        leave = _("leave the quiz (you can join again from the Quiz pane)")
        lines.append(f"[dim]{key('leave')}: {leave}[/dim]")
    return lines


def _hands_free(session: QuizSession) -> str:
    return _("{seconds} s of leaderboard between questions").format(seconds=session.hands_free)


def settings_line(session: QuizSession) -> str:
    parts = [_("speed scoring") if session.scoring == "speed" else _("accuracy scoring")]
    if session.streak:
        parts.append(_("streak bonus"))
    parts.append(_("top {count} on the leaderboard").format(count=session.top_n))
    if session.hands_free:
        parts.append(_("hands-free, {pace}").format(pace=_hands_free(session)))
    return " · ".join(parts)


# --- a question being asked ------------------------------------------------------------------


def answered_line(state: CircleState, session: QuizSession, index: int) -> str:
    """ "N of M answered", M being the players of this question, not every member."""
    expected = players_expected(state, session, index)
    answered = [p for p in session.answered.get(index, ()) if p != session.host]
    return _("{answered} of {expected} answered").format(
        answered=len(answered), expected=len(expected)
    )


def host_status(
    state: CircleState,
    session: QuizSession,
    index: int,
    who: dict[str, str],
    key: Callable[[str], str],
) -> list[str]:
    """What the host sees while a question is open: who answered, who is still to."""
    expected = players_expected(state, session, index)
    answered = {p for p in session.answered.get(index, ()) if p != session.host}
    line = f"[b]{answered_line(state, session, index)}[/b]"
    waiting = expected - answered
    if waiting and len(waiting) <= 12:
        names = name_list(who.get(p, _("someone")) for p in waiting)
        line += " · " + _("waiting for {names}").format(names=names)
    lines = [line]
    gone = [who.get(p, _("someone")) for p in session.left if state.role_of(p) is not None]
    if gone:
        lines.append("[dim]" + _("Left: {names}").format(names=name_list(gone)) + "[/dim]")
    hints = {"skip": _("close it now"), "pause": _("pause"), "add_time": _("more time")}
    hints["end"] = _("end")
    shown = " · ".join(f"{key(name)}: {hint}" for name, hint in hints.items())
    lines.append(f"[dim]{shown}[/dim]")
    return lines


def sent_line(question: Question, answer: object) -> str:
    """A player's own answer, once sent: what they gave, never read as a count."""
    given = quizscore.answer_text(question, answer, letters=True)  # type: ignore[arg-type]
    return "[b $success]✓ " + _("Answer sent:") + f"[/] {markup_line(given)}"


def queued_line(question: Question, answer: object) -> str:
    """A player's own answer, given but still waiting to be sent (offline): not "sent"."""
    given = quizscore.answer_text(question, answer, letters=True)  # type: ignore[arg-type]
    queued = _("Answer queued:")
    later = _("It will send when the server is back.")
    return f"[b $warning]⧗ {queued}[/] {markup_line(given)}. {later}"


def late_line(session: QuizSession, me: str) -> str | None:
    """For a player who came in while this question was being asked."""
    first = session.joined.get(me)
    if first is None or first <= session.current or me in session.left:
        return None
    late = _("You came in during this question: you play from question {number}.")
    return f"[$warning]{late.format(number=first + 1)}[/]"


def place_line(score: SessionScore, me: str, who: dict[str, str]) -> str | None:
    """The player's own place and points, however far down the board."""
    if not score.counted:
        return None
    standings = score.standings(who)
    mine = next((s for s in standings if s.player == me), None)
    if mine is None:
        return None
    change = moved(mine)
    place = _("You: {place} of {count} · {points} pts").format(
        place=ordinal(mine.rank), count=len(standings), points=mine.points
    )
    return place + (f" {change}" if change else "")


# --- the reveal ------------------------------------------------------------------------------


def key_check_line(check: Check, quiz: Quiz) -> str:
    """Whether the revealed answer is the one fixed when the quiz was published."""
    if check is Check.MATCHES:
        if quiz.keys is not None:
            return "[$success]✓ " + _("The same answer as in the quiz shared for practice.") + "[/]"
        return "[$success]✓ " + _("Checked: the answer fixed when the quiz was published.") + "[/]"
    if check is Check.DIFFERS:
        differs = _(
            "This is NOT the answer fixed when the quiz was published: it was changed after "
            "the quiz started (or damaged on the way). Scores use it anyway."
        )
        return f"[b $error]✗ {differs}[/]"
    if check is Check.AT_THE_END:
        later = _(
            "This quiz's answers are checked together, once the last one is revealed (it "
            "was published before answers could be checked one by one)."
        )
        return f"[dim]{later}[/dim]"
    return f"[dim]{_(UNCHECKED)}[/dim]"


UNCHECKED = N_("Not checked: this quiz was published without a hash of its answers.")


def stats_line(stats: quizscore.QuestionStats, players: int, who: dict[str, str]) -> str:
    """How the group did on one question."""
    share = f" ({stats.right / players:.0%})" if players else ""
    right = ngettext(
        "{right} of {count} player right{share}", "{right} of {count} players right{share}", players
    )
    parts = [
        right.format(right=stats.right, count=players, share=share),
        _("{count} answered").format(count=stats.answered),
    ]
    if stats.average_seconds is not None:
        average = _("{seconds} s on average").format(seconds=tenths(stats.average_seconds))
        parts.append(average)
    if stats.fastest is not None:
        player, seconds = stats.fastest
        name = markup_line(who.get(player, _("someone")))
        fastest = _("fastest right: {name}, {seconds} s")
        parts.append(fastest.format(name=name, seconds=tenths(seconds)))
    return " · ".join(parts)


def mark_line(grade: quizscore.Grade, points: int, place: Standing | None, players: int) -> str:
    """A player's own mark: right, partly right or wrong, the points, and their place."""
    earned = "  " + _("+{points} pts").format(points=points)
    if place is not None:
        change = moved(place)
        you = _("you are {place} of {count}").format(place=ordinal(place.rank), count=players)
        earned += f" · {you}" + (f" {change}" if change else "")
    if grade.correct:
        return "[b $success]✓ " + _("Right") + f"[/]{earned}"
    if grade.credit > 0:
        partly = _("Partly right ({share})").format(share=f"{grade.credit:.0%}")
        return f"[b $warning]◐ {partly}[/]{earned}"
    return "[b $error]✗ " + _("Not right") + f"[/]{earned}"


# --- the end ---------------------------------------------------------------------------------


def final_check_line(quiz: Quiz, session: QuizSession) -> str:
    """The whole quiz's key check, in plain words."""
    total = len(quiz.questions)
    revealed = [i for i in range(total) if i in session.revealed]
    if quiz.keys is not None:
        shared = _("Its answers were shared with the quiz for practice: nothing to check.")
        return f"[dim]{shared}[/dim]"
    if quiz.key_hashes is not None:
        wrong = [
            i + 1 for i in revealed if quizkeys.reveal_check(quiz, session, i) is not Check.MATCHES
        ]
        if wrong:
            which = ", ".join(str(number) for number in wrong)
            wrong_answer = _(
                "The answer to question {which} is NOT the one fixed when the quiz was published."
            )
            return f"[b $error]✗ {wrong_answer.format(which=which)}[/]"
        if len(revealed) < total:
            checked = ngettext(
                "Checked: the {count} answer revealed is the one fixed at the start.",
                "Checked: the {count} answers revealed is the one fixed at the start.",
                len(revealed),
            ).format(count=len(revealed))
        else:
            checked = _("Checked: every answer revealed is the one fixed at the start.")
        return f"[$success]✓ {checked}[/]"
    if not quiz.key_hash:
        return f"[dim]{_(UNCHECKED)}[/dim]"
    pairs = [
        (session.salts.get(i, ""), session.revealed[i]) if i in session.revealed else None
        for i in range(total)
    ]
    verified = quizkeys.keys_verified(quiz.key_hash, pairs)
    if verified:
        return "[$success]✓ " + _("Checked: every answer is the one fixed at the start.") + "[/]"
    if verified is False:
        return (
            "[b $error]✗ " + _("The answers revealed are NOT the ones fixed at the start.") + "[/]"
        )
    missing = total - len(revealed)
    unchecked = ngettext(
        "Not checked: this quiz has one hash for all its answers, and {count} question "
        "ended unrevealed.",
        "Not checked: this quiz has one hash for all its answers, and {count} questions "
        "ended unrevealed.",
        missing,
    )
    return f"[dim]{unchecked.format(count=missing)}[/dim]"
