"""Shared notes: three-way line merge and line diff (blame is in noteblame.py).

Why our own and not the ``merge3`` package (breezy's): merge3 is GPL-2.0-or-later, and
this MIT project would have to ship under the GPL to depend on it; the algorithm is
small, so it is written here on top of difflib's SequenceMatcher (stdlib, deterministic:
it only iterates dicts in insertion order, so PYTHONHASHSEED cannot change a result).

The merge is diff3's: both sides are diffed against the base; changes that neither
overlap nor touch in the base are all applied; where they overlap or touch, identical
changes are taken once and different ones are both kept between conflict markers.

Speed comes from never splitting a whole 1 MB text into lines when an edit is small:
the common prefix and suffix are found at character level with C string comparisons,
snapped to line boundaries, and only the lines in between go to SequenceMatcher. A merge
of two one-line edits of a 1 MB note so costs about 0.3 ms, most of it comparing
memory; edits spread all through it cost what SequenceMatcher takes on the span between.

A "line" ends with ``\\n`` (its last one may not); no other character splits lines, so
line numbers agree with what an editor shows, CRLF text included.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from difflib import SequenceMatcher
from hashlib import blake2b
from itertools import accumulate
from typing import NamedTuple

from . import ids
from .messages import Message

MAX_NOTE_BYTES = 1_000_000  # "1 MB" as a user reads a file's size: UTF-8 bytes, SI mega

START = "<<<<<<< "
MIDDLE = "=======\n"
END = ">>>>>>> "
# A start marker the reducer wrote: "<<<<<<< Ana (2024-07-03 09:41 UTC)". The time makes
# it specific enough that a note quoting git's own markers ("<<<<<<< HEAD") is not
# mistaken for an unresolved merge.
_OUR_START = re.compile(r"^<<<<<<< .* \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)$", re.MULTILINE)

# First comparisons are this many characters; each equal chunk doubles the next, so a
# long common prefix costs a few large comparisons and a short one a few small ones.
# Measured on 1 MB revisions: smaller chunks cost more Python steps, larger ones more
# memory traffic for slices that are thrown away.
_FIRST_CHUNK = 16_384
_MAX_CHUNK = 65_536


class Hunk(NamedTuple):
    """One changed region: ``a[a0:a1]`` became ``b[b0:b1]`` (character offsets, at line
    starts); ``la0``.. are the same bounds in lines, or -1 when not asked for."""

    a0: int
    a1: int
    b0: int
    b1: int
    la0: int = -1
    la1: int = -1
    lb0: int = -1
    lb1: int = -1


@dataclass(frozen=True, slots=True)
class Merge:
    text: str
    conflicts: int  # how many conflict blocks the merge wrote
    grown: int = 0  # UTF-8 bytes the text has beyond ``ours`` (negative when shorter)


# --- character-level trimming -----------------------------------------------------------


def _common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix, found with C comparisons of growing chunks."""
    if a is b:
        return len(a)
    n = min(len(a), len(b))
    i, step = 0, _FIRST_CHUNK
    while i < n:
        j = min(i + step, n)
        if not a.startswith(b[i:j], i):
            while j - i > 1:  # a[:i] == b[:i], and they differ before j
                mid = (i + j) // 2
                if a.startswith(b[i:mid], i):
                    i = mid
                else:
                    j = mid
            return i
        i, step = j, min(step * 2, _MAX_CHUNK)
    return n


def _common_suffix(a: str, b: str, limit: int) -> int:
    """Length of the longest common suffix, at most ``limit``."""
    la, lb = len(a), len(b)
    i, step = 0, _FIRST_CHUNK
    while i < limit:
        j = min(i + step, limit)
        if not a.endswith(b[lb - j : lb - i], 0, la - i):
            while j - i > 1:  # the last i characters agree, and they differ within j
                mid = (i + j) // 2
                if a.endswith(b[lb - mid : lb - i], 0, la - i):
                    i = mid
                else:
                    j = mid
            return i
        i, step = j, min(step * 2, _MAX_CHUNK)
    return limit


def split_lines(text: str) -> list[str]:
    """The lines of ``text``, each keeping its ``\\n``; splits on ``\\n`` only."""
    lines = text.split("\n")
    last = lines.pop()
    lines = [line + "\n" for line in lines]
    if last:
        lines.append(last)
    return lines


def diff(a: str, b: str, *, lines: bool = False) -> list[Hunk]:
    """The changed regions between ``a`` and ``b``, in order, at line granularity.

    With ``lines``, each hunk also carries its bounds as line numbers (counting the lines
    before the change costs a pass over them, which merges do not need).
    """
    if a == b:
        return []
    la, lb = len(a), len(b)
    prefix = _common_prefix(a, b)
    prefix = a.rfind("\n", 0, prefix) + 1  # back to the start of the first changed line
    suffix = _common_suffix(a, b, min(la, lb) - prefix)
    qa, qb = la - suffix, lb - suffix
    # The common tail must begin a line in both texts; else move it past its first \n.
    if not ((qa == prefix or a[qa - 1] == "\n") and (qb == prefix or b[qb - 1] == "\n")):
        newline = a.find("\n", qa)
        shift = la - qa if newline < 0 else newline + 1 - qa
        qa, qb = qa + shift, qb + shift
    first_line = a.count("\n", 0, prefix) if lines else 0
    if qa == prefix or qb == prefix:  # a pure insertion or deletion: nothing to align
        hunk = Hunk(prefix, qa, prefix, qb)
        if lines:
            n_a = a.count("\n", prefix, qa) + (qa == la and qa > prefix and a[-1] != "\n")
            n_b = b.count("\n", prefix, qb) + (qb == lb and qb > prefix and b[-1] != "\n")
            hunk = hunk._replace(
                la0=first_line, la1=first_line + n_a, lb0=first_line, lb1=first_line + n_b
            )
        return [hunk]
    a_lines = split_lines(a[prefix:qa])
    b_lines = split_lines(b[prefix:qb])
    a_at = list(accumulate(map(len, a_lines), initial=prefix))
    b_at = list(accumulate(map(len, b_lines), initial=prefix))
    hunks = []
    for tag, i1, i2, j1, j2 in _opcodes(a_lines, b_lines):
        if tag != "equal":
            hunks.append(
                Hunk(a_at[i1], a_at[i2], b_at[j1], b_at[j2], -1, -1, -1, -1)
                if not lines
                else Hunk(
                    a_at[i1],
                    a_at[i2],
                    b_at[j1],
                    b_at[j2],
                    first_line + i1,
                    first_line + i2,
                    first_line + j1,
                    first_line + j2,
                )
            )
    return hunks


def _opcodes(a_lines: list[str], b_lines: list[str]) -> list[tuple[str, int, int, int, int]]:
    # Lines become small ints first: SequenceMatcher hashes and compares each line many
    # times, and equal ints compare without reading the text (measured: 1.15-1.35x as
    # fast on a 1 MB note with a thousand changes all through it, same opcodes).
    codes: dict[str, int] = {}
    a_codes = [codes.setdefault(line, len(codes)) for line in a_lines]
    b_codes = [codes.setdefault(line, len(codes)) for line in b_lines]
    return list(SequenceMatcher(None, a_codes, b_codes).get_opcodes())


# --- merge ----------------------------------------------------------------------------


def _side(base: str, side: str, hunks: list[Hunk], start: int, end: int) -> str:
    """What one side made of ``base[start:end]``, given its hunks inside that span."""
    if not hunks:
        return base[start:end]
    first, last = hunks[0], hunks[-1]
    # Outside its hunks a side equals the base, so the span's ends map by plain offsets.
    return side[first.b0 - (first.a0 - start) : last.b1 + (end - last.a1)]


def _with_newline(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def merge3(
    base: str, ours: str, theirs: str, ours_label: str = "ours", theirs_label: str = "theirs"
) -> Merge:
    """Merge the changes ``base → ours`` and ``base → theirs`` into one text.

    Conflicting changes are both kept, ours first::

        <<<<<<< ours_label
        …ours…
        =======
        …theirs…
        >>>>>>> theirs_label
    """
    if ours == theirs or theirs == base:
        return Merge(ours, 0)
    if ours == base:
        return Merge(theirs, 0, _utf8(theirs) - _utf8(ours))
    left, right = diff(base, ours), diff(base, theirs)
    parts: list[str] = []
    conflicts = pos = i = j = grown = 0
    while i < len(left) or j < len(right):
        if j == len(right) or (i < len(left) and left[i].a0 <= right[j].a0):
            start, end = left[i].a0, left[i].a1
        else:
            start, end = right[j].a0, right[j].a1
        first_i, first_j = i, j
        # Gather every hunk, from either side, that overlaps or touches the span so far:
        # diff3 has no unchanged line between them to anchor them apart.
        while True:
            if i < len(left) and left[i].a0 <= end:
                end = max(end, left[i].a1)
                i += 1
            elif j < len(right) and right[j].a0 <= end:
                end = max(end, right[j].a1)
                j += 1
            else:
                break
        parts.append(base[pos:start])
        mine = _side(base, ours, left[first_i:i], start, end)
        other = _side(base, theirs, right[first_j:j], start, end)
        if first_j == j or mine == other:
            parts.append(mine)
        else:
            if first_i == i:
                chosen = [other]
            else:
                conflicts += 1
                chosen = [
                    f"{START}{ours_label}\n",
                    _with_newline(mine),
                    MIDDLE,
                    _with_newline(other),
                    f"{END}{theirs_label}\n",
                ]
            parts += chosen
            # Only what differs from ours is encoded: the size costs next to nothing.
            grown += sum(map(_utf8, chosen)) - _utf8(mine)
        pos = end
    parts.append(base[pos:])
    return Merge("".join(parts), conflicts, grown)


def _utf8(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def revision_label(name: str, at_ms: int) -> str:
    """How a conflict marker names a side: its author and time, on one line."""
    when = datetime.fromtimestamp(at_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")
    return f"{' '.join(name.split()) or '?'} ({when} UTC)"


def count_conflicts(text: str) -> int:
    """How many conflict blocks written by ``revision_label`` markers remain in ``text``."""
    if START not in text:  # a C search: the usual answer without a regex pass
        return 0
    return sum(1 for _ in _OUR_START.finditer(text))


def merge_revision_id(revision_id: str) -> str:
    """The id of the merge a revision causes: a ULID with the same time, derived by hash.

    A merge is not an op, but later revisions name it as their base, so every replica
    must give it the same valid id.
    """
    digest = blake2b(revision_id.encode(), digest_size=10, person=b"note-merge").digest()
    return ids.ulid(ids.ulid_ms(revision_id), digest)


# --- size -----------------------------------------------------------------------------

_last_size: tuple[str, str | None, int, int] | None = None


def utf8_size(text: str, base_text: str | None = None, base_size: int = 0) -> int:
    """Bytes of ``text`` in UTF-8; ``base_text`` (of ``base_size`` bytes) speeds it up.

    Encoding a non-ASCII 1 MB revision costs about 0.7 ms, and a fold checks every
    revision: from the revision it was based on, only the changed middle is encoded.
    """
    global _last_size
    if text.isascii():  # O(1): CPython keeps the flag
        return len(text)
    # The permission check and the handler ask about the same text back to back.
    last = _last_size
    if last is not None and last[0] is text and last[1] is base_text and last[2] == base_size:
        return last[3]
    if base_text is None or len(text) < 65_536:
        size = len(text.encode("utf-8", "surrogatepass"))
    else:
        prefix = _common_prefix(text, base_text)
        suffix = _common_suffix(text, base_text, min(len(text), len(base_text)) - prefix)
        removed = base_text[prefix : len(base_text) - suffix]
        added = text[prefix : len(text) - suffix]
        size = (
            base_size
            - len(removed.encode("utf-8", "surrogatepass"))
            + len(added.encode("utf-8", "surrogatepass"))
        )
    _last_size = (text, base_text, base_size, size)
    return size


def size_refusal(size: int) -> str | None:
    """Why a note of ``size`` UTF-8 bytes is refused, or None."""
    if size <= MAX_NOTE_BYTES:
        return None
    return Message(
        "this note is {size:,} bytes ({megabytes:.3f} MB) as UTF-8 text; "
        "notes are limited to 1 MB ({limit:,} bytes)",
        size=size,
        megabytes=size / 1_000_000,
        limit=MAX_NOTE_BYTES,
    )


# --- display diff ---------------------------------------------------------------------


def line_diff(old: str, new: str, context: int | None = 3) -> list[tuple[str, str]]:
    """``old → new`` as ``(tag, line)`` rows for a coloured view.

    Tags: ``" "`` unchanged, ``"-"`` removed, ``"+"`` added, and ``"@"`` for a hunk header
    (``"@@ -12,7 +12,8 @@"``, 1-based, as in a unified diff). With ``context=None`` every
    line is shown and there are no headers; else only ``context`` lines around changes.
    """
    hunks = diff(old, new, lines=True)
    old_lines, new_lines = split_lines(old), split_lines(new)
    if context is None:
        rows: list[tuple[str, str]] = []
        at = 0
        for hunk in hunks:
            rows += [(" ", line) for line in old_lines[at : hunk.la0]]
            rows += [("-", line) for line in old_lines[hunk.la0 : hunk.la1]]
            rows += [("+", line) for line in new_lines[hunk.lb0 : hunk.lb1]]
            at = hunk.la1
        rows += [(" ", line) for line in old_lines[at:]]
        return rows
    groups: list[list[Hunk]] = []
    for hunk in hunks:
        if groups and hunk.la0 - groups[-1][-1].la1 <= 2 * context:
            groups[-1].append(hunk)
        else:
            groups.append([hunk])
    rows = []
    for group in groups:
        first, last = group[0], group[-1]
        a0 = max(0, first.la0 - context)
        a1 = min(len(old_lines), last.la1 + context)
        b0 = first.lb0 - (first.la0 - a0)
        b1 = last.lb1 + (a1 - last.la1)
        rows.append(("@", f"@@ -{a0 + 1},{a1 - a0} +{b0 + 1},{b1 - b0} @@"))
        at = a0
        for hunk in group:
            rows += [(" ", line) for line in old_lines[at : hunk.la0]]
            rows += [("-", line) for line in old_lines[hunk.la0 : hunk.la1]]
            rows += [("+", line) for line in new_lines[hunk.lb0 : hunk.lb1]]
            at = hunk.la1
        rows += [(" ", line) for line in old_lines[at:a1]]
    return rows
