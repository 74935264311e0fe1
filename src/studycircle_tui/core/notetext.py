"""Note revisions as line patches (``note.revise`` v2), and a note's texts without keeping
every revision's text.

A v2 revision carries ``patch``: a list of changes ``(line, removed, text)`` against its
base revision's lines, in order: from base line ``line``, ``removed`` lines are replaced
by ``text`` (whole lines; only a change that ends the note may leave its last line
without a line break). A one-line edit of a 100 KB note is so a few hundred bytes, not
the note. An author writes the whole text instead (a v1 revision: a checkpoint) when
the patch would be as large as the text, or every ``CHECKPOINT_EVERY`` revisions along
a chain of patches, so a reader of the log alone never needs more than that many
patches to rebuild a revision's text.

Lines are ``notemerge.split_lines``'s: each keeps its ``\\n``, only the last may lack it.
The rules on a patch (``refusal``) keep that true after it applies, so a text rebuilt
by patching a list of lines and one split afresh always number their lines alike.

What a replica keeps (``NoteTexts``, one per note), since a 1 MB note with a thousand
revisions must not cost a gigabyte of memory: the head's lines, a list the fold patches
in place; for the last ``TRAIL`` moves of the head, what each change took out, so a
recent revision (the base of a concurrent edit, a row in the history) is the head's
lines with a few changes undone; the texts ops carry (v1 revisions, checkpoints, the
first revision); the text of one revision in ``KEEP_EVERY`` along a chain of patches;
and the last few texts read. Any other revision is rebuilt forward from the nearest of
those, through at most ``KEEP_EVERY`` patches.
"""

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from .messages import N_, Message
from .notemerge import END, MIDDLE, START, count_conflicts, diff, split_lines

if TYPE_CHECKING:  # state.py holds a NoteTexts per note: it imports this module
    from .state import Note

Change = tuple[int, int, str]  # (first base line, base lines removed, text put there)
Patch = Sequence[Change]
# (position in the patched lines, how many lines the change put there, the lines it took)
Undo = list[tuple[int, int, list[str]]]

CHECKPOINT_EVERY = 500  # revisions along a chain of patches before a full text again
KEEP_EVERY = 100  # a replica keeps the text of one revision in this many along a chain
TRAIL = 64  # moves of the head that can be undone
RECENT = 4  # texts read lately, kept


class RevisionLike(Protocol):
    """What rebuilding a text reads of a revision (``state.Revision``)."""

    restored_from: str | None
    full: str | None
    patch: Patch | None
    source: str | None
    depth: int
    settled: bool


def _utf8(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


# --- patches ----------------------------------------------------------------------------


def make_patch(old: str, new: str) -> list[Change]:
    """The changes that turn ``old`` into ``new`` (``notemerge.diff``'s hunks, by line)."""
    return [(h.la0, h.la1 - h.la0, new[h.b0 : h.b1]) for h in diff(old, new, lines=True)]


def patch_bytes(patch: Patch) -> int:
    """About what a patch costs in an op: its texts, and a few bytes for each change."""
    return sum(_utf8(text) + 12 for _, _, text in patch)


def wants_checkpoint(patch: Patch, text: str, base_depth: int) -> bool:
    """Whether a revision of ``text`` should carry it whole rather than ``patch``."""
    return base_depth + 1 >= CHECKPOINT_EVERY or patch_bytes(patch) >= _utf8(text)


def patch_source(note: "Note", base_id: str) -> str:
    """The revision a patch made from ``base_id`` applies to: the nearest one, going back
    from it, whose text is the same on every replica (``Revision.settled``)."""
    at = base_id
    while not note.revisions[at].settled:
        revision = note.revisions[at]
        at = revision.restored_from or revision.parents[0]
    return at


def revise_payload(note: "Note", base_id: str, text: str) -> dict[str, object]:
    """What a ``note.revise`` of ``note`` from ``base_id`` to ``text`` carries.

    A patch; or the whole text when a checkpoint is due (``wants_checkpoint``). A patch
    must apply to the very text its author had: when the base is a merge whose text may
    still change (``Revision.settled``), it is made against the nearest revision before
    it whose text cannot (``against``), which costs the merge's changes and no more.
    """
    against = patch_source(note, base_id)
    patch = make_patch(note.text_of(against), text)
    if wants_checkpoint(patch, text, note.revisions[against].depth):
        return {"text": text}
    payload: dict[str, object] = {"patch": [list(change) for change in patch]}
    if against != base_id:
        payload["against"] = against
    return payload


def refusal(lines: list[str], patch: Patch) -> str | None:
    """Why ``patch`` cannot apply to ``lines``, or None."""
    count = len(lines)
    end = 0
    last = len(patch) - 1
    for index, (line, removed, text) in enumerate(patch):
        if line < end:
            return N_("they overlap or are out of order")
        end = line + removed
        if end > count:
            return Message(
                "they change line {end} of a note of {count} lines", end=end, count=count
            )
        if not removed and not text:
            return N_("one of them changes nothing")
        if text and not text.endswith("\n") and (index != last or end != count):
            return N_("a changed line lacks its line break, and it is not the note's last")
        if text and line == count and count and not lines[-1].endswith("\n"):
            return N_("they add lines after a last line that has no line break")
    return None


def effect(lines: list[str], patch: Patch, size: int, conflicts: int) -> tuple[int, int]:
    """The UTF-8 size and conflict count of ``lines`` (of ``size`` and ``conflicts``)
    once ``patch`` is applied, from the changed lines only. Conflicts are counted only
    when there were some (a save can resolve them, not make new ones: see the reducer)."""
    for line, removed, text in patch:
        size += _utf8(text) - sum(map(_utf8, lines[line : line + removed]))
    return size, recount(lines, patch, conflicts) if conflicts else 0


def recount(lines: list[str], patch: Patch, conflicts: int) -> int:
    """The conflict blocks in ``lines`` (``conflicts`` of them) once patched."""
    for line, removed, text in patch:
        taken = "".join(lines[line : line + removed])
        conflicts += count_conflicts(text) - count_conflicts(taken)
    return conflicts


def apply(lines: list[str], patch: Patch) -> Undo:
    """Patch ``lines`` in place (``refusal`` said yes); what undoes it (``undo``)."""
    undo: Undo = []
    for line, removed, text in reversed(patch):  # later changes first: earlier lines stay put
        added = split_lines(text)
        undo.append((line, len(added), lines[line : line + removed]))
        lines[line : line + removed] = added
    # Positions so far are the base's: shift each by what the changes before it did.
    shift = 0
    for index in range(len(undo) - 1, -1, -1):
        line, count, taken = undo[index]
        undo[index] = (line + shift, count, taken)
        shift += count - len(taken)
    return undo


def undo(lines: list[str], undone: Undo) -> None:
    """Take back, in place, what ``apply`` did to ``lines``."""
    for position, added, taken in undone:  # the last change first, as apply listed them
        lines[position : position + added] = taken


def grows(patch: Patch) -> int:
    """How many lines a patch adds, less those it removes."""
    return sum(len(split_lines(text)) - removed for _, removed, text in patch)


def _side(base: list[str], changes: Patch, start: int, end: int) -> str:
    """What a side made of ``base[start:end]``, given its changes inside that span."""
    parts, at = [], start
    for line, removed, text in changes:
        parts += base[at:line]
        parts.append(text)
        at = line + removed
    parts += base[at:end]
    return "".join(parts)


def _with_newline(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def merge_patches(
    base: list[str], ours: Patch, theirs: Patch, ours_label: str, theirs_label: str
) -> tuple[list[Change], int, int]:
    """``notemerge.merge3`` of two patches against the same ``base`` lines, reading only
    the lines they change: (the changes that turn *ours* into the merge, the conflict
    blocks written, the UTF-8 bytes the merge adds to ours).

    The merged text is merge3's of the three texts when each patch is what
    ``make_patch`` makes of base → its side, for merge3 diffs them the same way; each
    group of overlapping changes is then merged as merge3 merges it. The changes to ours
    are diffed group by group (so a conflict keeps our lines as ours, for blame).
    """
    changes: list[Change] = []
    conflicts = grown = shift = i = j = 0
    while i < len(ours) or j < len(theirs):
        if j == len(theirs) or (i < len(ours) and ours[i][0] <= theirs[j][0]):
            start, end = ours[i][0], ours[i][0] + ours[i][1]
        else:
            start, end = theirs[j][0], theirs[j][0] + theirs[j][1]
        first_i, first_j = i, j
        # Every change, from either side, that overlaps or touches the span so far.
        while True:
            if i < len(ours) and ours[i][0] <= end:
                end = max(end, ours[i][0] + ours[i][1])
                i += 1
            elif j < len(theirs) and theirs[j][0] <= end:
                end = max(end, theirs[j][0] + theirs[j][1])
                j += 1
            else:
                break
        mine = _side(base, ours[first_i:i], start, end)
        other = _side(base, theirs[first_j:j], start, end) if first_j != j else mine
        if other != mine:
            if first_i == i:
                chosen = other
            else:
                conflicts += 1
                chosen = (
                    f"{START}{ours_label}\n{_with_newline(mine)}{MIDDLE}"
                    f"{_with_newline(other)}{END}{theirs_label}\n"
                )
            grown += _utf8(chosen) - _utf8(mine)
            at = start + shift  # where the group begins in ours
            changes += [(at + line, n, text) for line, n, text in make_patch(mine, chosen)]
        shift += grows(ours[first_i:i])
    return changes, conflicts, grown


# --- a note's texts ---------------------------------------------------------------------


class NoteTexts:
    """The texts of one note's revisions, kept as little as the fold and the views allow
    (see the module's doc). ``revisions`` is the note's own mapping of id to revision."""

    __slots__ = ("_lines", "_recent", "_spare", "_text", "_trail", "head")

    def __init__(self) -> None:
        self.head = ""  # the revision the head text is
        self._text: str | None = None  # once read or given
        self._lines: list[str] | None = None  # once a patch needed them; patched in place
        self._trail: list[tuple[str, Undo]] = []  # (revision before a move, its undo)
        self._recent: OrderedDict[str, str] = OrderedDict()
        self._spare: tuple[str, list[str]] | None = None  # lines rebuilt for a check

    def copy(self) -> "NoteTexts":
        """One a thread may read while the fold moves this one's head."""
        other = NoteTexts()
        other.head, other._text = self.head, self._text
        other._lines = None if self._lines is None else list(self._lines)
        other._trail = list(self._trail)
        other._recent = OrderedDict(self._recent)
        return other

    # --- in a snapshot (core/snapshot.py) ----------------------------------------------

    def saved(self) -> tuple[str, str | None]:
        """What a snapshot keeps: the head and its text. The rest is kept from reading
        and is rebuilt from the revisions (their whole texts and patches) when asked."""
        if not self.head:
            return "", None
        text = self._text if self._text is not None else "".join(self.head_lines())
        return self.head, text

    @classmethod
    def restored(cls, head: str, text: str | None) -> "NoteTexts":
        texts = cls()
        if head:
            texts.reset(head, text)
        return texts

    # --- reading ------------------------------------------------------------------------

    def head_lines(self) -> list[str]:
        """The head's lines (the fold's own list: read it, do not change it)."""
        if self._lines is None:
            self._lines = split_lines(self._text or "")
        return self._lines

    def known(self, revisions: Mapping[str, RevisionLike], revision_id: str) -> str | None:
        """The text of a revision if it is at hand without rebuilding it."""
        if revision_id == self.head:
            return self.text(revisions, revision_id)
        return self._recent.get(revision_id) or revisions[revision_id].full

    def text(self, revisions: Mapping[str, RevisionLike], revision_id: str) -> str:
        if revision_id == self.head:
            if self._text is None:
                self._text = "".join(self.head_lines())
            return self._text
        text = self._recent.get(revision_id)
        if text is not None:
            self._recent.move_to_end(revision_id)
            return text
        text = revisions[revision_id].full
        if text is None:
            text = "".join(self.peek(revisions, revision_id))
            self.remember(revision_id, text)
        return text

    def peek(self, revisions: Mapping[str, RevisionLike], revision_id: str) -> list[str]:
        """A revision's lines to read (not change): the head's own list, or rebuilt ones
        kept until ``lines`` takes them (a check and then the fold ask for the same)."""
        if revision_id == self.head:
            return self.head_lines()
        if self._spare is None or self._spare[0] != revision_id:
            self._spare = (revision_id, self._rebuild(revisions, revision_id))
        return self._spare[1]

    def lines(self, revisions: Mapping[str, RevisionLike], revision_id: str) -> list[str]:
        """A revision's lines in a list of the caller's own."""
        if revision_id == self.head:
            return list(self.head_lines())
        spare, self._spare = self._spare, None
        if spare is not None and spare[0] == revision_id:
            return spare[1]
        return self._rebuild(revisions, revision_id)

    def _rebuild(self, revisions: Mapping[str, RevisionLike], revision_id: str) -> list[str]:
        # Back from the revision to the nearest text at hand, keeping the patches passed.
        patches: list[Patch] = []
        at = revision_id
        while True:
            if at == self.head:
                lines = list(self.head_lines())
                break
            undone = self._undone_to(at)
            if undone is not None:
                lines = undone
                break
            text = self._recent.get(at) or revisions[at].full
            if text is not None:
                lines = split_lines(text)
                break
            revision = revisions[at]
            if revision.restored_from is not None:  # a restore is its old revision's text
                at = revision.restored_from
                continue
            assert revision.patch is not None and revision.source is not None, at
            patches.append(revision.patch)
            at = revision.source
        for patch in reversed(patches):
            apply(lines, patch)
        return lines

    def _undone_to(self, revision_id: str) -> list[str] | None:
        """The head's lines taken back to ``revision_id``, if the trail passes it."""
        for index in range(len(self._trail) - 1, -1, -1):
            if self._trail[index][0] == revision_id:
                lines = list(self.head_lines())
                for _, undone in reversed(self._trail[index:]):
                    undo(lines, undone)
                return lines
        return None

    # --- the fold moving the head -------------------------------------------------------

    def reset(self, revision_id: str, text: str | None, lines: list[str] | None = None) -> None:
        """The head is now ``revision_id``, whose whole text is ``text`` and whose lines
        (a list that is the fold's from now on) are ``lines``: one of them at least."""
        self.head, self._text, self._lines = revision_id, text, lines
        self._trail.clear()

    def advance(self, revision_id: str, patch: Patch, text: str | None = None) -> None:
        """The head is now ``revision_id``: the head's text with ``patch`` applied (and,
        when the caller has it anyway, ``text``). Patches the head's lines in place, and
        keeps what undoes it; without lines (every revision so far a whole text) the
        text given is taken as it is, splitting nothing."""
        if self._lines is None and text is not None:
            self.reset(revision_id, text)
            return
        undone = apply(self.head_lines(), patch)
        self._trail.append((self.head, undone))
        if len(self._trail) > TRAIL:
            del self._trail[0]
        self.head, self._text = revision_id, text

    def remember(self, revision_id: str, text: str) -> None:
        """Keep a text just read or made: the views and the next merge often ask again."""
        self._recent[revision_id] = text
        self._recent.move_to_end(revision_id)
        if len(self._recent) > RECENT:
            self._recent.popitem(last=False)
