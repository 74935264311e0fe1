"""The salted hash a live quiz publishes instead of its keys (core/quizkeys.py)."""

from quiz_helpers import MC
from studycircle_tui.core import quizkeys
from studycircle_tui.core.ops import Key
from studycircle_tui.core.quizkeys import Check
from studycircle_tui.core.state import Quiz, QuizSession


def test_the_key_hash_checks_out_only_with_every_key_as_published():
    keys = [Key(choices=[1]), Key(number=8), Key(accept=["x"])]
    salts = ["s1", "s2", "s3"]
    published = quizkeys.key_hash(salts, keys)
    assert published.startswith("sha256:") and len(published) <= 128
    assert quizkeys.keys_verified(published, list(zip(salts, keys, strict=True))) is True
    changed = [("s1", keys[0]), ("s2", Key(number=9)), ("s3", keys[2])]
    assert quizkeys.keys_verified(published, changed) is False
    assert quizkeys.keys_verified(published, [("s1", keys[0]), None, ("s3", keys[2])]) is None
    assert quizkeys.keys_verified(None, list(zip(salts, keys, strict=True))) is None
    # An int where the schema has a float hashes as the float the log will carry.
    assert quizkeys.key_hash(["s"], [Key(number=8)]) == quizkeys.key_hash(["s"], [Key(number=8.0)])
    # One question's salt and key say nothing about another question's key.
    assert quizkeys.key_leaf("s1", keys[0]) != quizkeys.key_leaf("s2", keys[0])


def _revealed(quiz: Quiz, pairs: dict[int, tuple[str, Key]]) -> QuizSession:
    session = QuizSession("s", quiz.id, "host", "live", "accuracy", False, 5, 0)
    for index, (salt, key) in pairs.items():
        session.revealed[index], session.salts[index] = key, salt
    return session


def _quiz(**published) -> Quiz:
    return Quiz("q", "Q", None, "host", [MC, MC, MC], None, None, 0, **published)


KEYS = [Key(choices=[1]), Key(choices=[2]), Key(choices=[0])]
SALTS = ["s1", "s2", "s3"]


def test_each_reveal_is_checked_against_its_own_hash_as_it_arrives():
    leaves = quizkeys.key_hashes(SALTS, KEYS)
    quiz = _quiz(key_hashes=leaves)
    quiz.key_hash = quizkeys.root_of(leaves)
    assert quiz.key_hash == quizkeys.key_hash(SALTS, KEYS)  # what older apps check at the end
    # Question 1 alone is out: it is checked now, not once the last one is.
    session = _revealed(quiz, {0: ("s1", KEYS[0])})
    assert quizkeys.reveal_check(quiz, session, 0) is Check.MATCHES
    # A different key (or the right key with another salt) is caught at its reveal.
    session = _revealed(quiz, {0: ("s1", KEYS[0]), 1: ("s2", Key(choices=[3]))})
    assert quizkeys.reveal_check(quiz, session, 1) is Check.DIFFERS
    session = _revealed(quiz, {2: ("s1", KEYS[2])})
    assert quizkeys.reveal_check(quiz, session, 2) is Check.DIFFERS
    # Hashes per question that do not make the quiz's hash are not trusted either.
    quiz.key_hash = quizkeys.root_of(reversed(leaves))
    session = _revealed(quiz, {0: ("s1", KEYS[0])})
    assert quizkeys.reveal_check(quiz, session, 0) is Check.DIFFERS


def test_an_older_quiz_with_one_hash_is_checked_at_the_end_and_a_shared_key_by_itself():
    older = _quiz()
    older.key_hash = quizkeys.key_hash(SALTS, KEYS)
    session = _revealed(older, {0: ("s1", KEYS[0])})
    assert quizkeys.reveal_check(older, session, 0) is Check.AT_THE_END
    shared = _quiz()
    shared.keys = KEYS
    session = _revealed(shared, {0: ("", Key(choices=[1])), 1: ("", Key(choices=[0]))})
    assert quizkeys.reveal_check(shared, session, 0) is Check.MATCHES
    assert quizkeys.reveal_check(shared, session, 1) is Check.DIFFERS
    assert quizkeys.reveal_check(_quiz(), session, 0) is Check.NOTHING
