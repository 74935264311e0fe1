"""Text as search compares it, and the @names a text mentions.

Folding makes both sides of a comparison alike: case-folded, compatibility-decomposed
(NFKD) and stripped of accents and emoji presentation marks, so "cafe" finds "Café",
"STRASSE" finds "Straße", "❤" finds "❤️" and a full-width "ｐｙｔｈｏｎ" finds "python".

Kept apart from ``search.py`` because the fold needs it too: a post remembers the names
it mentions (``Post.mentions``), so mentions are found without reading post texts.
"""

import re
import unicodedata

# Zero-width joiner, text/emoji variation selectors, zero-width space, soft hyphen.
_IGNORABLE = frozenset("\u200d\ufe0e\ufe0f\u200b\u00ad")
SEPARATOR = "\x00"  # never inside folded text: free to join folded texts with

MENTION = re.compile(r"(?<![\w@])@([\w][\w.\-]*)")

_marks: re.Pattern[str] | None = None


def _mark_pattern() -> re.Pattern[str]:
    """Every combining mark (accents and the like) and the ignorable characters, as
    one regex character class: built once, on the first non-ASCII text (~30 ms)."""
    global _marks
    if _marks is None:
        ranges: list[str] = []
        start = None
        for code in range(0x30000 + 1):
            marked = code < 0x30000 and unicodedata.combining(chr(code)) != 0
            if marked and start is None:
                start = code
            elif not marked and start is not None:
                ranges.append(f"{chr(start)}-{chr(code - 1)}" if code - 1 > start else chr(start))
                start = None
        _marks = re.compile("[" + "".join(ranges) + "".join(sorted(_IGNORABLE)) + "]")
    return _marks


def fold(text: str) -> str:
    """Text as search compares it (see the module's docstring)."""
    if text.isascii():
        return text.lower().replace(SEPARATOR, " ")
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    # Casefolding can itself make a combining mark ("İ" gives "i" and a dot above), and
    # NFKD can make capitals (a "㎒" sign becomes "MHz"), hence the order and the second
    # casefold.
    return _mark_pattern().sub("", decomposed).casefold().replace(SEPARATOR, " ")


def fold_with_origins(text: str) -> tuple[str, list[int]]:
    """``fold(text)`` and, for each of its characters, the index in ``text`` it came from.

    Used to highlight a match in the original text; per character, so only for the few
    posts on screen.
    """
    folded: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):
        piece = fold(char)
        folded.append(piece)
        origins.extend([index] * len(piece))
    return "".join(folded), origins


def compact_name(name: str) -> str:
    """How a display name is written after an @: folded, without spaces."""
    return "".join(fold(name).split())


def mention_tokens(text: str) -> tuple[str, ...]:
    """The folded names a text @mentions ("@Ayu," gives "ayu"), sorted, each once."""
    if "@" not in text:
        return ()
    return tuple(sorted({fold(match.group(1)).rstrip(".-") for match in MENTION.finditer(text)}))


def names_for(member_name: str) -> set[str]:
    """What an @mention of this member may say: the whole name without spaces, or the
    first name ("Ayu Lestari" answers to @AyuLestari and @Ayu)."""
    words = fold(member_name).split()
    return {"".join(words), words[0]} if words else set()
