"""ULID ids: 48 bits of milliseconds then 80 random bits, in Crockford base32.

Written here rather than taken from a package because it is twenty lines, and the core
wants the time and the randomness handed in (so tests and replays are deterministic).
"""

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID_CHARS = "[0-9A-HJKMNP-TV-Z]{26}"
# \Z, not $: msgspec checks patterns with re.search, where $ also matches before a
# trailing newline, so "ID\n" would pass as a second, distinct id for the same op.
ULID_PATTERN = rf"^{ULID_CHARS}\Z"


def ulid(ms: int, random80: bytes) -> str:
    """Return the ULID for wall time ``ms`` and ten random bytes."""
    if len(random80) != 10:
        raise ValueError("a ULID needs exactly 10 random bytes")
    value = (ms & 0xFFFF_FFFF_FFFF) << 80 | int.from_bytes(random80, "big")
    chars = []
    for _ in range(26):
        chars.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def ulid_ms(ulid_text: str) -> int:
    """The millisecond timestamp a ULID carries."""
    value = 0
    for char in ulid_text[:10]:
        value = value * 32 + ALPHABET.index(char)
    return value
