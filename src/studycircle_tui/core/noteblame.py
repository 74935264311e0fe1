"""Who wrote each line of a note's revision ("blame"), over its revision graph.

A revision that carries a patch says itself which lines it changed, so its lines'
origins follow from its base's without reading either text; only whole-text revisions
(v1, checkpoints) and the second parent of a merge are diffed.
"""

from dataclasses import dataclass

from .notemerge import Hunk, diff, split_lines
from .notetext import Patch
from .state import Note, Revision


@dataclass(frozen=True, slots=True)
class BlameLine:
    text: str
    revision: str  # the revision that introduced this line
    author: str
    at_ms: int


def _sources(revision: Revision) -> tuple[str, ...]:
    """The revisions a revision's lines come from: a restore copies its old revision."""
    if revision.restored_from is not None:
        return (revision.restored_from,)
    return revision.parents


def _patch_hunks(patch: Patch) -> list[Hunk]:
    """A patch's changes as hunks in lines of both texts (only the line fields matter)."""
    hunks, shift = [], 0
    for line, removed, text in patch:
        added = len(split_lines(text))
        hunks.append(Hunk(0, 0, 0, 0, line, line + removed, line + shift, line + shift + added))
        shift += added - removed
    return hunks


def _inherit(origins: list[str | None], hunks: list[Hunk], fill: str | None) -> list[str | None]:
    """A revision's line origins: unchanged lines keep their origin, new ones get ``fill``."""
    result: list[str | None] = []
    at = 0
    for hunk in hunks:
        result += origins[at : hunk.la0]
        result += [fill] * (hunk.lb1 - hunk.lb0)
        at = hunk.la1
    result += origins[at:]
    return result


def blame(note: Note, revision_id: str | None = None) -> list[BlameLine]:
    """Who wrote each line of a revision (the head by default).

    Walks the revision graph from the first revision: a line unchanged from a parent keeps
    the parent's origin, a merge takes each line from whichever parent has it, a restore
    keeps the origins of the revision it restored, and every other line belongs to the
    revision that wrote it.
    """
    target = revision_id or note.head
    revisions = note.revisions
    needed = {target}
    stack = [target]
    while stack:
        for source in _sources(revisions[stack.pop()]):
            if source not in needed:
                needed.add(source)
                stack.append(source)
    # How many later revisions still need each one's origins, so they can be let go.
    uses: dict[str, int] = {}
    for rev_id in needed:
        for source in _sources(revisions[rev_id]):
            uses[source] = uses.get(source, 0) + 1
    origins: dict[str, list[str | None]] = {}
    for rev_id in note.order:
        if rev_id not in needed:
            continue
        revision = revisions[rev_id]
        sources = _sources(revision)
        if not sources:
            lines: list[str | None] = [rev_id] * len(split_lines(note.text_of(rev_id)))
        elif revision.restored_from is not None:
            lines = origins[sources[0]]
        else:
            first = sources[0]
            if revision.patch is not None and revision.source == first:  # a patch against it
                hunks = _patch_hunks(revision.patch)
            else:
                hunks = diff(note.text_of(first), note.text_of(rev_id), lines=True)
            lines = _inherit(origins[first], hunks, None)
            for source in sources[1:]:
                if None not in lines:
                    break
                other = diff(note.text_of(source), note.text_of(rev_id), lines=True)
                more = _inherit(origins[source], other, None)
                lines = [
                    mine if mine is not None else theirs
                    for mine, theirs in zip(lines, more, strict=True)
                ]
            lines = [origin if origin is not None else rev_id for origin in lines]
        origins[rev_id] = lines
        for source in sources:
            uses[source] -= 1
            if uses[source] == 0 and source != target:
                del origins[source]
    text_lines = split_lines(note.text_of(target))
    result = []
    for line, origin in zip(text_lines, origins[target], strict=True):
        by = revisions[origin]  # type: ignore[index]
        result.append(BlameLine(line, by.id, by.author, by.at_ms))
    return result
