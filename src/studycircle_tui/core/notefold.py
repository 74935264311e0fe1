"""The reducer's handlers for shared notes: a note, its revisions and their merges.

Kept apart from ``reducer.py`` for their size: a revision may be a whole text or a
patch (notetext.py), and one made from an older revision is merged into the head.
"""

from . import notemerge, notetext
from .ops import NoteCreate, NoteRestore, NoteRevise
from .state import CircleState, Note, Revision


def note_create(state: CircleState, op: NoteCreate, at: int) -> None:
    data = op.data
    note = Note(op.id, data.title, data.channel, op.actor)
    state.notes[op.id] = note
    size = notemerge.utf8_size(data.text)
    _add_revision(note, Revision(op.id, op.actor, at, data.title, (), size=size, full=data.text))
    note.texts.reset(op.id, data.text)


def _add_revision(note: Note, revision: Revision, head: bool = True) -> None:
    note.revisions[revision.id] = revision
    note.order.append(revision.id)
    if head:
        note.head = revision.id
        note.title = revision.title


def _keeps(revision: Revision) -> bool:
    """Whether the fold keeps this revision's text: one in ``notetext.KEEP_EVERY`` along a
    chain of patches, so rebuilding any revision's text never takes more patches."""
    depth = revision.depth
    return revision.full is None and depth > 0 and depth % notetext.KEEP_EVERY == 0


def _keep_text(note: Note, revision: Revision, text: str | None = None) -> None:
    if _keeps(revision):
        revision.full = text if text is not None else note.text_of(revision.id)


def note_revise(state: CircleState, op: NoteRevise, at: int) -> None:
    """A revision made from the head replaces it; one made from an older revision (an
    edit concurrent with what is folded before it) is kept as written, and the head
    becomes the three-way merge of (its base, the head, it), as a revision of its own.

    A revision carries its whole text (v1) or a patch (v2) against its base or a revision
    before it: the same texts and merges come of either (notetext.py says how texts are
    kept).

    Known limit: a merge's text depends on what was folded before it, so when an op that
    sorts earlier arrives late, a merge someone already saved from can change under them;
    a save made from that merge then drops the late op's change from the head (its
    revision stays in the history). Closing it needs the op to say what its author saw.
    """
    data = op.data
    note = state.notes[data.note]
    base = note.revisions[data.base]
    title = data.title if isinstance(data.title, str) else base.title
    if isinstance(data.text, str):
        _revise_with_text(state, note, op, at, base, title, data.text)
    elif isinstance(data.patch, list):  # the schema holds exactly one of the two
        _revise_with_patch(state, note, op, at, base, title, data.patch)


def _revise_with_text(
    state: CircleState, note: Note, op: NoteRevise, at: int, base: Revision, title: str, text: str
) -> None:
    known = note.texts.known(note.revisions, base.id)
    revision = Revision(
        op.id,
        op.actor,
        at,
        title,
        (base.id,),
        size=notemerge.utf8_size(text, known, base.size)
        if known is not None
        else notemerge.utf8_size(text),
        # Saving from a text with conflict blocks resolves those the author removed.
        conflicts=notemerge.count_conflicts(text) if base.conflicts else 0,
        full=text,
    )
    if base.id == note.head:
        _add_revision(note, revision)
        note.texts.reset(op.id, text)
    else:
        _merge_into_head(state, note, op, at, base, revision, theirs=text)


def _revise_with_patch(
    state: CircleState,
    note: Note,
    op: NoteRevise,
    at: int,
    base: Revision,
    title: str,
    patch: notetext.Patch,
) -> None:
    texts = note.texts
    # The patch applies to ``against`` when its author named one (the base was a merge
    # whose text may still change: see Revision.settled), else to the base.
    against = op.data.against
    source = note.revisions[against] if isinstance(against, str) else base
    at_head = base.id == note.head
    in_place = at_head and source is base
    lines = texts.head_lines() if in_place else texts.lines(note.revisions, source.id)
    size, conflicts = notetext.effect(
        lines, patch, source.size, base.conflicts if source is base else 0
    )
    revision = Revision(
        op.id,
        op.actor,
        at,
        title,
        (base.id,),
        size=size,
        conflicts=conflicts,
        patch=patch,
        source=source.id,
        depth=source.depth + 1,
        settled=source.settled,
    )
    if in_place:  # the common case: patch the head's lines where they are
        _add_revision(note, revision)
        texts.advance(op.id, patch)
        _keep_text(note, revision)
        return
    if not at_head and source is base and note.last.source == base.id:
        # A concurrent edit, the head also a patch of the same base: merge the patches.
        _merge_into_head(state, note, op, at, base, revision, base_lines=lines)
        return
    notetext.apply(lines, patch)
    # Patched from another revision than its base: its conflicts are counted afresh, as
    # for a whole text (counting from the base needs the patch to be against the base).
    recount = source is not base and base.conflicts > 0
    text = "".join(lines) if recount or _keeps(revision) or not at_head else None
    if recount and text is not None:
        revision.conflicts = notemerge.count_conflicts(text)
    _keep_text(note, revision, text)
    if at_head:
        _add_revision(note, revision)
        texts.reset(op.id, text, lines)
    else:
        _merge_into_head(state, note, op, at, base, revision, theirs=text)


def _merge_into_head(
    state: CircleState,
    note: Note,
    op: NoteRevise,
    at: int,
    base: Revision,
    revision: Revision,
    theirs: str | None = None,
    base_lines: list[str] | None = None,
) -> None:
    """Make the merge revision of (``base``, the head, ``revision``): of the texts (its
    own is ``theirs``), or with ``base_lines``, of the patches the head and ``revision``
    both made of them (notetext.merge_patches: the same merge, reading only what the
    patches change rather than three whole texts)."""
    texts = note.texts
    head = note.revisions[note.head]
    _add_revision(note, revision, head=False)
    labels = (
        # Both wrote as members (permissions), and members are never taken out of the state.
        notemerge.revision_label(state.members[head.author].name, head.at_ms),
        notemerge.revision_label(state.members[op.actor].name, at),
    )
    if base_lines is not None:
        # Called so only when the head and the revision are both patches of the base.
        assert head.patch is not None and revision.patch is not None
        patch, made, grown = notetext.merge_patches(base_lines, head.patch, revision.patch, *labels)
        if _keeps(revision):
            notetext.apply(base_lines, revision.patch)
            revision.full = "".join(base_lines)
        merged_text = None
    else:
        ours = note.text_of(head.id)
        merged = notemerge.merge3(note.text_of(base.id), ours, theirs or "", *labels)
        patch, made, grown = notetext.make_patch(ours, merged.text), merged.conflicts, merged.grown
        merged_text = merged.text
    conflicts = 0
    if made or head.conflicts or revision.conflicts:
        if merged_text is not None:
            conflicts = notemerge.count_conflicts(merged_text)
        else:  # the head's count (all of it), less what the merge took out, plus its own
            counted = head.conflicts or notemerge.count_conflicts(note.text_of(head.id))
            conflicts = notetext.recount(texts.head_lines(), patch, counted)
    # The merge is a revision too: later revisions made from it name it as their base, so
    # its id must be the same on every replica, and must not be taken.
    merge_id = notemerge.merge_revision_id(op.id)
    while merge_id in note.revisions:
        merge_id = notemerge.merge_revision_id(merge_id)
    title = revision.title if revision.title != base.title else head.title
    # Kept as a patch against the head it was merged into, like a revision from the head.
    merge = Revision(
        merge_id,
        op.actor,
        at,
        title,
        (head.id, op.id),
        size=head.size + grown,
        conflicts=conflicts,
        patch=patch,
        source=head.id,
        depth=head.depth + 1,
        # Only in the server's seq order is what was folded before it final.
        settled=op.seq is not None,
    )
    _add_revision(note, merge)
    texts.advance(merge_id, patch, merged_text)
    _keep_text(note, merge, merged_text)


def note_restore(state: CircleState, op: NoteRestore, at: int) -> None:
    """A copy of an old revision becomes the head: a new revision, so nothing is lost."""
    note = state.notes[op.data.note]
    old = note.revisions[op.data.revision]
    restored = Revision(
        op.id,
        op.actor,
        at,
        old.title,
        (note.head,),
        old.id,
        size=old.size,
        conflicts=old.conflicts,
        depth=old.depth,
        settled=old.settled,
    )
    text = note.text_of(old.id)
    _add_revision(note, restored)
    note.texts.reset(op.id, text)
