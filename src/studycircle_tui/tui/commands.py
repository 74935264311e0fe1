"""The command palette's entries for whatever screen it is opened over, read from the
key table (``actions.py``): the actions of the screen's ``KEY_SCOPES`` that are offered
right now (its ``check_action``), each run where its binding lives."""

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode

from .actions import Action, key_label, keymap_of, scope_actions


class KeyCommands(Provider):
    def offered(self) -> list[tuple[Action, DOMNode, str]]:
        """The entries now: each action offered, the node it runs on, its name and key."""
        screen = self.screen
        owner_of = getattr(screen, "action_owner", lambda action: screen)
        keymap = keymap_of(screen)
        offered = []
        for scope in getattr(screen, "KEY_SCOPES", ()):
            for action in scope_actions(scope):
                if not (action.palette and action.bound):
                    continue
                owner = owner_of(action)
                if owner.check_action(action.name, ()) is not False:
                    offered.append((action, owner, f"{action.title} ({key_label(action, keymap)})"))
        return offered

    def _run(self, action: Action, owner: DOMNode) -> None:
        self.app.call_later(self.app.run_action, action.name, owner)

    async def discover(self) -> Hits:
        for action, owner, name in self.offered():
            yield DiscoveryHit(name, partial(self._run, action, owner), help=action.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action, owner, name in self.offered():
            score = matcher.match(f"{name} {action.help}")
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(name),
                    partial(self._run, action, owner),
                    help=action.help,
                )
