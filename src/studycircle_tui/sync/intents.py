"""What a member asks of their circle, named as they would say it: ``hide_post(post,
reason)``, not ``submit("post.hide", {...})``. Screens call these; how an intent becomes
an op (its type, its payload, what it reads of the state) is said once, here.

Each intent is a coroutine that returns the op once it is on disk and applied, or raises
``Refused`` with the reason in the member's words (the circle's own rule, or what is
wrong with what they typed), having stored nothing. Intents read the state when they
run, so one asked right after another sees what the first did. ``CircleService`` is
the one implementation; quizzes have their own (``quizrun.QuizRunner``).
"""

from abc import ABC, abstractmethod
from collections.abc import Mapping

from msgspec import structs

from ..core import notetext
from ..core.messages import N_
from ..core.ops import Op
from ..core.state import CircleState


class Refused(Exception):
    """Not done: the text says why, in the member's words (not allowed, no such post, the
    post is too long, the store is busy…). Nothing was stored."""


class NotStored(Refused):
    """Not done: this computer's copy of the circle could not be written (the disk said
    no, tried again). Unlike a rule's no, the same thing asked again may be done."""


class StoreBusy(NotStored):
    """Not done *yet*: another program holds this computer's copy of the circle. The
    same thing asked again once it lets go can be done."""


class CircleIntents(ABC):
    """Everything a member can ask of a circle, but quizzes. A subclass says how an op is
    sent (``send``) and what the circle looks like (``state``, ``me``, ``now_ms``)."""

    @property
    @abstractmethod
    def state(self) -> CircleState: ...

    @property
    @abstractmethod
    def me(self) -> str: ...

    @abstractmethod
    def now_ms(self) -> int: ...

    @abstractmethod
    async def send(self, type_name: str, data: Mapping[str, object]) -> Op:
        """Make, check, store and apply an op as this member; Refused if it may not."""

    # --- discussion -------------------------------------------------------------------

    async def start_thread(self, channel_id: str, title: str, kind: str, text: str) -> Op:
        """A discussion or a question (``kind``) with its opening post."""
        data = {"channel": channel_id, "title": title, "kind": kind, "text": text}
        return await self.send("thread.create", data)

    async def reply(self, thread_id: str, text: str, to_post: str | None = None) -> Op:
        """A post at the end of the thread; ``to_post`` shows what it answers."""
        data: dict[str, object] = {"thread": thread_id, "text": text}
        if to_post is not None:
            data["reply_to"] = to_post
        return await self.send("post.create", data)

    async def edit_post(self, post_id: str, text: str) -> Op:
        return await self.send("post.edit", {"post": post_id, "text": text})

    async def delete_post(self, post_id: str) -> Op:
        return await self.send("post.delete", {"post": post_id})

    async def react(self, post_id: str, reaction: str) -> Op:
        """Give the reaction, or take it back if it is already this member's."""
        post = self.state.posts.get(post_id)
        given = post is not None and self.me in post.reactions.get(reaction, set())
        return await self.send(
            "post.react", {"post": post_id, "reaction": reaction, "on": not given}
        )

    async def accept_answer(self, post_id: str) -> Op:
        return await self.send("answer.accept", {"post": post_id})

    async def verify_answer(self, post_id: str) -> Op:
        return await self.send("answer.verify", {"post": post_id})

    async def flag_post(self, post_id: str, reason: str, comment: str = "") -> Op:
        return await self.send("post.flag", {"post": post_id, "reason": reason, "comment": comment})

    async def hide_post(self, post_id: str, reason: str = "") -> Op:
        return await self.send("post.hide", {"post": post_id, "hidden": True, "reason": reason})

    async def unhide_post(self, post_id: str) -> Op:
        return await self.send("post.hide", {"post": post_id, "hidden": False})

    async def mark_read(self, thread_id: str) -> Op | None:
        """Record (locally only) that this member has read the thread to its last post;
        None when there was nothing new to mark."""
        thread = self.state.threads.get(thread_id)
        if thread is None or not self.state.unread_in_thread(self.me, thread_id):
            return None
        return await self.send("read.mark", {"thread": thread_id, "post": thread.post_ids[-1]})

    async def mark_all_read(self) -> int:
        """Mark every thread read to its last post; how many threads had unread posts."""
        marked = 0
        for thread_id in list(self.state.threads):
            if await self.mark_read(thread_id) is not None:
                marked += 1
        return marked

    # --- the circle's life ------------------------------------------------------------

    async def accept_rules(self) -> Op:
        """Accept the circle's rules as they are now."""
        return await self.send("rules.accept", {"version": self.state.rules_version})

    async def new_channel(self, name: str, goal: str = "") -> Op:
        return await self.send("channel.create", {"name": name, "goal": goal})

    async def update_circle(self, changes: dict[str, str]) -> Op:
        """Change the circle's ``name``, ``goal`` and/or ``rules`` (the lead); new rules
        are asked of every member again."""
        return await self.send("circle.update", dict(changes))

    async def rename_channel(self, channel_id: str, name: str, goal: str | None = None) -> Op:
        data: dict[str, object] = {"channel": channel_id, "name": name}
        if goal is not None:
            data["goal"] = goal
        return await self.send("channel.update", data)

    async def archive_channel(self, channel_id: str, archived: bool = True) -> Op:
        """Archive the channel (read-only, out of the list) or bring it back."""
        return await self.send("channel.archive", {"channel": channel_id, "archived": archived})

    async def rename_me(self, name: str) -> Op:
        """This member's display name in this circle."""
        return await self.send("member.update", {"name": name})

    async def set_role(self, member_id: str, role: str) -> Op:
        return await self.send("member.role", {"member": member_id, "role": role})

    async def remove_member(self, member_id: str) -> Op:
        return await self.send("member.remove", {"member": member_id})

    async def set_rota(self, volunteers: list[str], start: str, period_days: int, tz: str) -> Op:
        """Hand the moderator role around ``volunteers``, ``period_days`` each, from
        ``start`` (a date in ``tz``)."""
        data = {"volunteers": volunteers, "start": start, "period_days": period_days, "tz": tz}
        return await self.send("moderator.rota", data)

    async def add_session(
        self, title: str, weekday: int, time: str, tz: str, minutes: int = 60
    ) -> Op:
        """A recurring session, weekly on ``weekday`` (0 = Monday) at ``time`` in ``tz``."""
        session = {"title": title, "weekday": weekday, "time": time, "tz": tz, "minutes": minutes}
        sessions = [structs.asdict(s) for s in self.state.schedule]
        return await self.send("schedule.set", {"sessions": [*sessions, session]})

    async def remove_session(self, index: int) -> Op:
        """Drop the ``index``-th session of the schedule."""
        schedule = self.state.schedule
        if not 0 <= index < len(schedule):
            raise Refused(N_("that session is not in the schedule any more"))
        kept = [structs.asdict(s) for i, s in enumerate(schedule) if i != index]
        return await self.send("schedule.set", {"sessions": kept})

    async def suggest(self, text: str, anonymous: bool = False) -> Op:
        return await self.send("suggestion.create", {"text": text, "anonymous": anonymous})

    async def resolve_suggestion(self, suggestion_id: str, status: str, reply: str = "") -> Op:
        """Mark a suggestion planned, done or declined, with a reply to it."""
        data = {"suggestion": suggestion_id, "status": status, "reply": reply}
        return await self.send("suggestion.resolve", data)

    # --- notes ------------------------------------------------------------------------

    async def create_note(self, title: str, text: str, channel_id: str | None = None) -> Op:
        """A new note, in a channel or (``channel_id`` None or gone) for the whole circle."""
        data: dict[str, object] = {"title": title, "text": text}
        if channel_id in self.state.channels:
            data["channel"] = channel_id
        return await self.send("note.create", data)

    async def revise_note(self, note_id: str, base: str, text: str) -> Op:
        """A new revision made from ``base``: edits saved meanwhile by others are merged.
        Sent as a patch against the base (or the whole text when a checkpoint is due;
        see core/notetext.py)."""
        note = self.state.notes.get(note_id)
        if note is None or base not in note.revisions:
            raise Refused("no such revision of that note")
        payload = notetext.revise_payload(note, base, text)
        return await self.send("note.revise", {"note": note_id, "base": base, **payload})

    async def restore_note(self, note_id: str, revision_id: str) -> Op:
        """Make an old revision's text the note's again, as a new revision."""
        return await self.send("note.restore", {"note": note_id, "revision": revision_id})
