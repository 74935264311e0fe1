"""The salted hash a live quiz publishes instead of its keys (core/quizkeys.py)."""

from studycircle_tui.core import quizkeys
from studycircle_tui.core.ops import Key


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
