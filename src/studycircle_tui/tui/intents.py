"""What the member asked for, carried out in order and off the key handlers; and the one
place a "no" is shown.

A key handler (or a dialog's answer) calls ``ask(node, intent, *args, done=...)``. The
intent (a coroutine method of the service or the quiz runner, see ``sync/intents.py``)
joins the app's queue and runs once those asked before it have finished, so each one
decides from the circle as the one before left it, exactly as if they ran inline; but
the key handler has returned, and keys pressed meanwhile are handled. ``done`` gets the
intent's result once it is on disk (a post is shown as sent only then).

A refusal goes back to the node that asked: its ``refused`` callback if it gave one (a
dialog that keeps what was typed), and ``say_no`` on its screen, the one presenter of
every "no": the reason in the member's words, on the screen's message line when it has
one (next to the form filled in), else as a toast. Whether to offer something at all is
``may``: the core's own rule (``permissions.may``) for the service's member, now.
"""

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from textual.content import Content
from textual.dom import DOMNode
from textual.widgets import Input, Label, TextArea

from ..core import permissions
from ..i18n import N_, _, error_text, message
from ..sync.engine import CircleService
from ..sync.intents import Refused
from .actions import binding_id, keymap_of, scope_actions

if TYPE_CHECKING:
    from .app import StudyCircleApp

MESSAGE_LINE = "message-line"
NOT_DONE = N_("Not done")  # the class of a screen's own line for what happened


def may(service: CircleService, op_type: str, **data: object) -> permissions.Verdict:
    """Whether the service's member may make an ``op_type`` op now: the core's rule, the
    one the reducer applies (a verdict that is False carries the reason)."""
    return permissions.may(service.state, service.me, op_type, service.now_ms(), **data)


def say_no(node: DOMNode, reason: str, heading: str = NOT_DONE) -> None:
    """Show why something was not done, on the screen of ``node`` (or the one on top, if
    that screen is gone): its message line if it has one, else a toast. The reason and
    the heading (marked sentences, ``core.messages``) are said in the member's language."""
    screen = node.screen if node.is_attached else node.app.screen
    reason = message(reason)
    text = f"{_(heading)}: {reason}" if heading else reason
    lines = screen.query(f".{MESSAGE_LINE}")
    if lines:
        line = lines.first(Label)
        line.update(Content(text))  # as text: a reason may quote what someone typed
        line.scroll_visible()  # below the fold on a 24-row terminal
        return
    screen.notify(text, severity="error", timeout=10, markup=False)


@dataclass(slots=True)
class _Asked:
    node: DOMNode
    intent: Callable[..., Awaitable[Any]]
    args: tuple[Any, ...]
    done: Callable[[Any], object] | None
    refused: Callable[[str], object] | None
    heading: str


class IntentQueue:
    """The app's queue of asked intents, served one at a time by one worker, which runs
    while there is something to do (``settled()`` waits until it is done)."""

    def __init__(self, app: "StudyCircleApp") -> None:
        self._app = app
        self._queue: deque[_Asked] = deque()
        self._serving = False
        self._settled = asyncio.Event()
        self._settled.set()

    def ask(
        self,
        node: DOMNode,
        intent: Callable[..., Awaitable[Any]],
        *args: Any,
        done: Callable[[Any], object] | None = None,
        refused: Callable[[str], object] | None = None,
        heading: str = NOT_DONE,
    ) -> None:
        self._queue.append(_Asked(node, intent, args, done, refused, heading))
        self._settled.clear()
        if not self._serving:
            self._serving = True
            self._app.run_worker(
                self._serve(), name="intents", group="intents", exit_on_error=False
            )

    async def settled(self) -> None:
        """Wait until everything asked so far has been carried out (or refused)."""
        await self._settled.wait()

    async def _serve(self) -> None:
        try:
            while self._queue:
                await self._carry_out(self._queue.popleft())
        finally:
            # No await between the last look at the queue and here: an intent asked
            # meanwhile found the worker gone and started another.
            self._serving = False
            self._queue.clear()  # only if cancelled (the app is closing)
            self._settled.set()

    async def _carry_out(self, asked: _Asked) -> None:
        try:
            result = await asked.intent(*asked.args)
        except Refused as refusal:
            reason = error_text(refusal)
            if asked.refused is not None and asked.node.is_attached:
                asked.refused(reason)
            say_no(asked.node, reason, asked.heading)
            return
        except Exception as error:  # a bug or bad luck: said once, and the queue goes on
            self._app.report_failure(error)
            return
        if asked.done is not None and asked.node.is_attached:
            asked.done(result)


def ask(
    node: DOMNode,
    intent: Callable[..., Awaitable[Any]],
    *args: Any,
    done: Callable[[Any], object] | None = None,
    refused: Callable[[str], object] | None = None,
    heading: str = NOT_DONE,
) -> None:
    """Carry out ``intent(*args)`` after those asked before it (see the module's
    docstring); ``done(result)`` when it is done, if ``node`` is still there."""
    app = cast("StudyCircleApp", node.app)
    app.intents.ask(node, intent, *args, done=done, refused=refused, heading=heading)


def say_why_not(node: DOMNode, key: str, scopes: tuple[str, ...]) -> bool:
    """A key of ``scopes`` whose action is not offered here now (its ``check_action`` is
    False, so it is in no footer and the key does nothing) says why, through ``say_no``:
    the node's ``why_not(action)`` reason. True when it did. Keys typed into a text
    field are the field's, never an action's."""
    if isinstance(node.screen.focused, Input | TextArea):
        return False
    why_not = getattr(node, "why_not", None)
    if why_not is None:
        return False
    keymap = keymap_of(node)
    for scope in scopes:
        for action in scope_actions(scope):
            keys = keymap.get(binding_id(action)) or action.keys
            if not action.bound or key not in keys.split(","):
                continue
            name = action.name.split("(", 1)[0]
            reason = why_not(name)
            if reason:
                say_no(node, reason)
                return True
    return False
