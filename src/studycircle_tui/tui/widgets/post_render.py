"""One post as lines of terminal cells (``Strip``s): header, the post replied to, the
text as Markdown (code highlighted, lists, links, quotes), reactions.

Kept apart from the scrolling widget so it can be cached per post and measured only
when a post comes into view. Plain text skips the Markdown parser (imported only for the
first post that needs it): most chat is plain.

Texts are handed in: they live in the local store, read by the service
(``sync/reading.py``); a text not read yet is drawn as a "…" line until it is.
"""

import io
import re
from dataclasses import dataclass

from rich.color import Color as RichColor
from rich.console import Console, Group, RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.color import Color, ColorParseError
from textual.strip import Strip

from ...core.discussion import may_see
from ...core.folding import MENTION, fold, names_for
from ...core.permissions import moderates
from ...core.state import CircleState, Post
from ...i18n import N_, _, ngettext
from ..timefmt import relative
from ..visible import name_of, visible, visible_line

# In the order the react dialog numbers them (keys 1 to 5) and a post's line shows them.
REACTIONS = ("+1", "helpful", "thanks", "question", "celebrate")
# Marked, and translated where shown (``_(REACTION_LABELS[kind])``).
REACTION_LABELS = {
    "+1": "👍 +1",
    "helpful": N_("💡 helpful"),
    "thanks": N_("🙏 thanks"),
    "question": N_("🙋 same question"),
    "celebrate": N_("🎉 well done"),
}
# Without the emoji: the words of the react keys' help in ``?``, the palette and the key
# list. Marked apart from the labels: a translation need not keep "emoji, space, word".
REACTION_NAMES = {
    "+1": "+1",
    "helpful": N_("helpful"),
    "thanks": N_("thanks"),
    "question": N_("same question"),
    "celebrate": N_("well done"),
}
ROLES = {"lead": N_("lead"), "moderator": N_("moderator"), "member": N_("member")}
# Markdown syntax worth a parse: emphasis, code, headings, quotes, links, lists, tables.
_MARKDOWN = re.compile(r"[*_`#>\[|~]|^\s*(?:[-+]|\d+[.)])\s|\n\s*\n|https?://", re.MULTILINE)
GUTTER = 2
# One rendered line: its segments and its width in cells.
Line = tuple[tuple[Segment, ...], int]


@dataclass(frozen=True, slots=True)
class Palette:
    """Rich styles for the theme's colours (``$accent``, ``$verified``, …)."""

    name: str
    accent: Style
    muted: Style
    unread: Style
    accepted: Style
    verified: Style
    mention: Style
    hidden: Style
    flagged: Style

    @classmethod
    def from_variables(cls, name: str, variables: dict[str, str]) -> "Palette":
        def color(key: str, fallback: str) -> RichColor | None:
            for name in (key, fallback):
                value = variables.get(name)
                if value:
                    try:
                        return Color.parse(value).rich_color
                    except ColorParseError:
                        continue
            return None

        return cls(
            name=name,
            accent=Style(color=color("accent", "primary"), bold=True),
            muted=Style(dim=True),
            unread=Style(color=color("unread", "warning"), bold=True),
            accepted=Style(color=color("accepted", "success"), bold=True),
            verified=Style(color=color("verified", "primary"), bold=True),
            mention=Style(color=color("mention", "accent"), bold=True, reverse=True),
            hidden=Style(color=color("hidden-post", "warning"), italic=True),
            flagged=Style(color=color("error", "warning")),
        )


def replied_to(state: CircleState, post: Post) -> Post | None:
    """The post it replies to, if any (read only: drawing never makes a post live)."""
    return state.posts.peek(post.reply_to) if post.reply_to else None


def signature(state: CircleState, post: Post, me: str, now_ms: int) -> tuple:
    """Everything a post's look depends on (besides width and whether its texts have been
    read): its cache key."""
    reactions = tuple(sorted((kind, len(who), me in who) for kind, who in post.reactions.items()))
    reply = replied_to(state, post)
    return (
        post.text_op,
        post.deleted,
        post.hidden,
        post.accepted,
        post.verified_by,
        len(post.flags),
        reactions,
        name_of(state, post.author),
        state.role_of(post.author),
        relative(post.created_ms, now_ms),
        (reply.text_op, reply.deleted, reply.hidden) if reply else None,
        may_see(state, me, post),
        moderates(state, me, now_ms),  # flags show only to who moderates
    )


def _header(
    state: CircleState, post: Post, me: str, now_ms: int, palette: Palette, queued: bool
) -> Text:
    header = Text()
    header.append(name_of(state, post.author), style="bold")
    role = state.role_of(post.author)
    if role in ("lead", "moderator"):
        header.append(f" · {_(ROLES[role])}", style=palette.muted)
    header.append(f" · {relative(post.created_ms, now_ms)}", style=palette.muted)
    if post.edited_ms and not post.deleted:
        header.append(" · " + _("edited"), style=palette.muted + Style(italic=True))
    if queued:  # written here, not sent yet (offline, the server or the file away)
        header.append("  ⧗ " + _("queued"), style=palette.unread)
    if post.accepted:
        header.append("  ✓ " + _("accepted"), style=palette.accepted)
    if post.verified_by:
        verifier = name_of(state, post.verified_by)
        header.append("  ✔ " + _("verified by {name}").format(name=verifier), palette.verified)
    if post.hidden:
        header.append("  ⊘ " + _("hidden"), style=palette.hidden)
    if post.flags and moderates(state, me, now_ms):
        count = len(post.flags)
        flags = ngettext("{count} flag", "{count} flags", count).format(count=count)
        header.append(f"  ⚑ {flags}", style=palette.flagged)
    return header


# Markdown's marks, left out of one line of a post (a snippet, a quote): code fences,
# backticks, bold, and a single * or _ hugging a word (not "2 * 3", not my_var).
_MARKUP = re.compile(r"```\w*|\*\*|__|`|(?<![\w*])[*_](?=\S)|(?<=\S)[*_](?![\w*])")


def plain_line(text: str, width: int | None = None) -> str:
    """A post's text on one line without its Markdown marks, cut with "…" to ``width``."""
    line = visible_line(" ".join(_MARKUP.sub("", text).split()))
    if width is not None and len(line) > width:
        line = line[: width - 1] + "…"
    return line


def _reply_context(
    state: CircleState, post: Post, me: str, palette: Palette, quoted: str | None
) -> Text | None:
    replied = replied_to(state, post)
    if replied is None:
        return None
    if replied.deleted:
        quote = _("[deleted]")
    elif not may_see(state, me, replied):
        quote = _("[hidden by a moderator]")
    else:
        quote = plain_line(quoted, 120) if quoted is not None else "…"
    text = Text("┃ ↩ ", style=palette.muted)
    text.append(name_of(state, replied.author), style=palette.muted + Style(bold=True))
    text.append(f": {quote}", style=palette.muted)
    text.no_wrap, text.overflow = True, "ellipsis"
    return text


def _body(text: str | None, palette: Palette) -> RenderableType:
    if text is None:  # not read from the store yet: drawn again when it is
        return Text("…", style=palette.muted)
    text = visible(text)
    if _MARKDOWN.search(text):
        from rich.markdown import Markdown  # the parser loads with the first Markdown post

        return Markdown(text, code_theme="ansi_dark", hyperlinks=False)
    return Text(text)


def warm_up() -> None:
    """Load what the first thread's Markdown needs (rich's Markdown, its parser, a code
    block's lexer and style: ~200 ms of imports), off the UI thread after the first frame,
    so opening the first thread does not pay it (bench/big_channel.py's pty figure)."""
    from rich.markdown import Markdown

    sample = Markdown("*a* `b`\n\n```python\nc = 1\n```", code_theme="ansi_dark")
    Console(width=40, file=io.StringIO()).print(sample)


def post_parts(
    state: CircleState,
    post: Post,
    me: str,
    now_ms: int,
    palette: Palette,
    text: str | None,
    quoted: str | None = None,
    queued: bool = False,
) -> list[RenderableType]:
    """The post's parts: ``text`` is its text, ``quoted`` that of the post it replies
    to (either None while not read yet); ``queued`` marks one not sent yet."""
    parts: list[RenderableType] = [_header(state, post, me, now_ms, palette, queued)]
    context = _reply_context(state, post, me, palette, quoted)
    if context is not None:
        parts.append(context)
    if post.deleted:
        parts.append(Text(_("[deleted by its author]"), style=palette.muted + Style(italic=True)))
        return parts
    if not may_see(state, me, post):
        parts.append(Text(_("[hidden by a moderator]"), style=palette.muted + Style(italic=True)))
        return parts
    if post.hidden:
        why = f": {visible_line(post.hide_reason)}" if post.hide_reason else ""
        hider = name_of(state, post.hidden_by)
        if post.author == me:
            said = _("Hidden by {name}{why}. Only you and moderators see this text.")
        else:
            said = _("Hidden by {name}{why}. Only its author and moderators see this text.")
        parts.append(Text(said.format(name=hider, why=why), style=palette.hidden))
    parts.append(_body(text, palette))
    reactions = Text()
    for kind in REACTIONS:
        who = post.reactions.get(kind)
        if who:
            if reactions:
                reactions.append("  ")
            style = palette.accent if me in who else palette.muted
            reactions.append(f"{_(REACTION_LABELS[kind])} {len(who)}", style=style)
    if reactions:
        parts.append(reactions)
    return parts


def highlight_mentions(strips: list[Strip], names: set[str], style: Style) -> list[Strip]:
    """Restyle every ``@name`` of ``names`` (folded) in the rendered lines."""
    if not names:
        return strips
    result = []
    for strip in strips:
        text = strip.text
        if "@" not in text:
            result.append(strip)
            continue
        cuts: list[tuple[int, int]] = []
        for match in MENTION.finditer(text):
            if fold(match.group(1)).rstrip(".-") in names:
                start = strip.index_to_cell_position(match.start())
                end = strip.index_to_cell_position(match.end())
                cuts.append((start, end))
        if not cuts:
            result.append(strip)
            continue
        pieces, position = [], 0
        for start, end in cuts:
            pieces.append(strip.crop(position, start))
            pieces.append(strip.crop(start, end).apply_style(style))
            position = end
        pieces.append(strip.crop(position))
        result.append(Strip.join(pieces))
    return result


def render_post(
    console: Console,
    state: CircleState,
    post: Post,
    me: str,
    now_ms: int,
    width: int,
    palette: Palette,
    text: str | None,
    quoted: str | None = None,
    divider: bool = False,
    queued: bool = False,
) -> list[Line]:
    """The post's lines at ``width`` cells (gutter excluded), ending with a blank line.

    Kept as plain segment tuples rather than ``Strip``s: a Strip carries seven caches of
    its own, which for every line of hundreds of cached posts adds up to megabytes.
    """
    options = console.options.update_width(max(10, width))
    parts = post_parts(state, post, me, now_ms, palette, text, quoted, queued)
    lines = console.render_lines(Group(*parts), options, pad=False)
    strips = [Strip(line) for line in lines]
    member = state.members.get(me)
    if member is not None and post.mentions:
        strips = highlight_mentions(strips, names_for(member.name), palette.mention)
    result = [(tuple(strip), strip.cell_length) for strip in strips]
    if divider:
        label = " " + _("new") + " "  # (f-strings hide a sentence from the extractor)
        side = max(0, width - len(label)) // 2
        rule = "─" * side + label + "─" * max(0, width - side - len(label))
        result.insert(0, ((Segment(rule, palette.unread),), len(rule)))
    result.append(((), 0))
    return result
