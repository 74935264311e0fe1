"""Command palette entries read from an action table: the discussion screen's, and (by
subclassing ActionCommands) any other screen's table."""

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from .actions import Action, key_label, palette_actions


class ActionCommands(Provider):
    """Palette entries for ``_offered()`` actions; each runs as the screen's action."""

    def _offered(self) -> list[Action]:
        raise NotImplementedError

    def _run(self, action: Action) -> None:
        owner = getattr(self.screen, "action_owner", None)
        node = owner(action) if owner is not None else self.screen
        self.app.call_later(self.app.run_action, action.name, node)

    async def discover(self) -> Hits:
        for action in self._offered():
            yield DiscoveryHit(
                f"{action.title} ({key_label(action)})",
                partial(self._run, action),
                help=action.help,
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action in self._offered():
            name = f"{action.title} ({key_label(action)})"
            score = matcher.match(f"{name} {action.help}")
            if score > 0:
                yield Hit(
                    score, matcher.highlight(name), partial(self._run, action), help=action.help
                )


class DiscussionCommands(ActionCommands):
    def _offered(self) -> list[Action]:
        # Only what makes sense now: the screen's check_action hides the rest
        # (another member's post cannot be edited; only moderators hide).
        screen = self.screen
        return [
            action
            for action in palette_actions()
            if screen.action_owner(action).check_action(action.name, ()) is not False
        ]
