"""What a live quiz's screen says at each stage, as lines of Textual markup made from the
circle's state: the lobby (who came, who left), the answering ("N of M answered" among
those in), the reveal (the key's check, the player's mark and place, how the group did),
the end (the podium's words and the whole quiz's key check).

Kept apart from the screen (quiz_live.py), which lays these out and takes the keys: here
is only what a room reads, in plain words, the same for every member from the same log.
"""

from collections.abc import Callable, Iterable

from ...core import quizkeys, quizscore
from ...core.ops import Question
from ...core.quizkeys import Check
from ...core.sessionscore import SessionScore, Standing
from ...core.state import CircleState, Quiz, QuizSession
from ...sync.quizrun import players_expected, seat
from ..visible import markup_line

NAMES_SHOWN = 40  # a lobby of 200 lists this many names, then "and 160 more"


def ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


def name_list(names: Iterable[str], limit: int = NAMES_SHOWN) -> str:
    """Names in alphabetical order, as markup; past ``limit`` only how many more."""
    ordered = sorted(names, key=str.casefold)
    shown = ", ".join(markup_line(name) for name in ordered[:limit])
    rest = len(ordered) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown


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
            seats.setdefault(seat(session, player), []).append(who.get(player, "someone"))
    lines = []
    if seats["in"]:
        lines.append(f"[b]In the lobby ({len(seats['in'])}):[/b] {name_list(seats['in'])}")
    else:
        lines.append("[b]No one has joined yet.[/b] Members join from their Quiz pane (z).")
    if seats["left"]:
        lines.append(f"[dim]Left: {name_list(seats['left'])}[/dim]")
    lines.append("")
    if session.host == me:
        lines.append(f"[b]{key('advance')}[/b]: ask question 1")
        if session.hands_free:
            lines.append(f"[dim]Then it goes on by itself ({_hands_free(session)}).[/dim]")
    else:
        host = who.get(session.host, "the lead")
        lines.append(f"You are in. Waiting for {markup_line(host)} to ask the first question…")
        lines.append(
            f"[dim]{key('leave')}: leave the quiz (you can join again from the Quiz pane)[/dim]"
        )
    return lines


def _hands_free(session: QuizSession) -> str:
    return f"{session.hands_free} s of leaderboard between questions"


def settings_line(session: QuizSession) -> str:
    text = "speed scoring" if session.scoring == "speed" else "accuracy scoring"
    if session.streak:
        text += " · streak bonus"
    text += f" · top {session.top_n} on the leaderboard"
    if session.hands_free:
        text += f" · hands-free, {_hands_free(session)}"
    return text


# --- a question being asked ------------------------------------------------------------------


def answered_line(state: CircleState, session: QuizSession, index: int) -> str:
    """ "N of M answered", M being the players of this question, not every member."""
    expected = players_expected(state, session, index)
    answered = [p for p in session.answered.get(index, ()) if p != session.host]
    return f"{len(answered)} of {len(expected)} answered"


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
        line += f" · waiting for {name_list(who.get(p, 'someone') for p in waiting)}"
    lines = [line]
    gone = [who.get(p, "someone") for p in session.left if state.role_of(p) is not None]
    if gone:
        lines.append(f"[dim]Left: {name_list(gone)}[/dim]")
    keys = [key(name) for name in ("skip", "pause", "add_time", "end")]
    lines.append("[dim]{}: close it now · {}: pause · {}: more time · {}: end[/dim]".format(*keys))
    return lines


def sent_line(question: Question, answer: object) -> str:
    """A player's own answer, once sent: what they gave, never read as a count."""
    given = quizscore.answer_text(question, answer, letters=True)  # type: ignore[arg-type]
    return f"[b $success]✓ Answer sent:[/] {markup_line(given)}"


def queued_line(question: Question, answer: object) -> str:
    """A player's own answer, given but still waiting to be sent (offline): not "sent"."""
    given = quizscore.answer_text(question, answer, letters=True)  # type: ignore[arg-type]
    return (
        f"[b $warning]⧗ Answer queued:[/] {markup_line(given)}. It will send when the "
        "server is back."
    )


def late_line(session: QuizSession, me: str) -> str | None:
    """For a player who came in while this question was being asked."""
    first = session.joined.get(me)
    if first is None or first <= session.current or me in session.left:
        return None
    return f"[$warning]You came in during this question: you play from question {first + 1}.[/]"


def place_line(score: SessionScore, me: str, who: dict[str, str]) -> str | None:
    """The player's own place and points, however far down the board."""
    if not score.counted:
        return None
    standings = score.standings(who)
    mine = next((s for s in standings if s.player == me), None)
    if mine is None:
        return None
    change = moved(mine)
    return f"You: {ordinal(mine.rank)} of {len(standings)} · {mine.points} pts" + (
        f" {change}" if change else ""
    )


# --- the reveal ------------------------------------------------------------------------------


def key_check_line(check: Check, quiz: Quiz) -> str:
    """Whether the revealed answer is the one fixed when the quiz was published."""
    if check is Check.MATCHES:
        if quiz.keys is not None:
            return "[$success]✓ The same answer as in the quiz shared for practice.[/]"
        return "[$success]✓ Checked: the answer fixed when the quiz was published.[/]"
    if check is Check.DIFFERS:
        return (
            "[b $error]✗ This is NOT the answer fixed when the quiz was published: it was "
            "changed after the quiz started (or damaged on the way). Scores use it anyway.[/]"
        )
    if check is Check.AT_THE_END:
        return (
            "[dim]This quiz's answers are checked together, once the last one is "
            "revealed (it was published before answers could be checked one by one).[/dim]"
        )
    return "[dim]Not checked: this quiz was published without a hash of its answers.[/dim]"


def stats_line(stats: quizscore.QuestionStats, players: int, who: dict[str, str]) -> str:
    """How the group did on one question."""
    share = f" ({stats.right / players:.0%})" if players else ""
    parts = [
        f"{stats.right} of {count(players, 'player')} right{share}",
        f"{stats.answered} answered",
    ]
    if stats.average_seconds is not None:
        parts.append(f"{stats.average_seconds:.1f} s on average")
    if stats.fastest is not None:
        player, seconds = stats.fastest
        parts.append(f"fastest right: {markup_line(who.get(player, 'someone'))}, {seconds:.1f} s")
    return " · ".join(parts)


def mark_line(grade: quizscore.Grade, points: int, place: Standing | None, players: int) -> str:
    """A player's own mark: right, partly right or wrong, the points, and their place."""
    earned = f"  +{points} pts"
    if place is not None:
        change = moved(place)
        earned += f" · you are {ordinal(place.rank)} of {players}" + (
            f" {change}" if change else ""
        )
    if grade.correct:
        return f"[b $success]✓ Right[/]{earned}"
    if grade.credit > 0:
        return f"[b $warning]◐ Partly right ({grade.credit:.0%})[/]{earned}"
    return f"[b $error]✗ Not right[/]{earned}"


# --- the end ---------------------------------------------------------------------------------


def final_check_line(quiz: Quiz, session: QuizSession) -> str:
    """The whole quiz's key check, in plain words."""
    total = len(quiz.questions)
    revealed = [i for i in range(total) if i in session.revealed]
    if quiz.keys is not None:
        return "[dim]Its answers were shared with the quiz for practice: nothing to check.[/dim]"
    if quiz.key_hashes is not None:
        wrong = [
            i + 1 for i in revealed if quizkeys.reveal_check(quiz, session, i) is not Check.MATCHES
        ]
        if wrong:
            which = ", ".join(str(number) for number in wrong)
            return (
                f"[b $error]✗ The answer to question {which} is NOT the one fixed when the "
                "quiz was published.[/]"
            )
        every = "every answer"
        if len(revealed) < total:
            every = f"the {count(len(revealed), 'answer')}"
        return f"[$success]✓ Checked: {every} revealed is the one fixed at the start.[/]"
    if not quiz.key_hash:
        return "[dim]Not checked: this quiz was published without a hash of its answers.[/dim]"
    pairs = [
        (session.salts.get(i, ""), session.revealed[i]) if i in session.revealed else None
        for i in range(total)
    ]
    verified = quizkeys.keys_verified(quiz.key_hash, pairs)
    if verified:
        return "[$success]✓ Checked: every answer is the one fixed at the start.[/]"
    if verified is False:
        return "[b $error]✗ The answers revealed are NOT the ones fixed at the start.[/]"
    missing = total - len(revealed)
    return (
        "[dim]Not checked: this quiz has one hash for all its answers, and "
        f"{count(missing, 'question')} ended unrevealed.[/dim]"
    )
