"""Members, their roles and the moderator rota; the lead grants and removes roles and
sets the rota; moderators and the lead also see the moderation log.

Each member's key shows as a safety number (core/signing.py), for two people to compare
by voice; a member makes themselves a new key here, and a lead gives a member who lost
theirs the key of the member their new device joined as (two steps: the member, then
the new device's member)."""

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...core import permissions
from ...core.ops import SERVER_ACTOR, OpError
from ...core.rota import moderator_at, turns
from ...core.signing import safety_number
from ...core.state import ModerationEntry
from ...i18n import N_
from ...localzone import local_zone_name
from ...sync.engine import CircleService, Refused
from ..actions import bindings_for
from ..intents import MESSAGE_LINE, ask, may, say_no, say_why_not
from ..messages import CircleChanged
from ..timefmt import relative
from ..visible import name_of, visible_line
from ..widgets.pick_list import PickList
from .help import HelpScreen

ACTIONS = {
    "verify": "verified",
    "hide": "hid",
    "unhide": "unhid",
    "remove": "removed",
    "rota": "set the rota:",
    "key:first": "announced a key for",
    "key:rotate": "made a new key:",
    "key:lost": "gave a new key (lost) to",
    "signatures": "made signatures",
}
KEY_REASONS = {"rotate": "they made a new one", "lost": "a lead gave it after theirs was lost"}


class MembersScreen(ModalScreen[None]):
    CSS_PATH = "circle_life.tcss"
    BINDINGS = bindings_for("members")
    KEY_SCOPES = ("members",)

    def __init__(self, service: CircleService) -> None:
        super().__init__()
        self.service = service
        self._lost_by: str | None = None  # a lead's "give key": the member who lost theirs

    def compose(self) -> ComposeResult:
        state, me, now = self.service.state, self.service.me, self.service.now_ms()
        with VerticalScroll(id="members-box"):
            yield Label("Members and roles", classes="title")
            yield OptionList(id="members")
            yield Static(id="member-key")
            yield Static(self._signing_line(), id="signing")
            yield Label("Moderator rota", classes="heading")
            yield Static(id="rota")
            if may(self.service, "moderator.rota"):
                with Vertical(id="rota-form"):
                    yield Label("Volunteers (space to pick), first day, days per turn, zone:")
                    yield PickList(id="volunteers")
                    with Horizontal():
                        today = datetime.fromtimestamp(self.service.now_ms() / 1000).date()
                        yield Input(today.isoformat(), id="rota-start")
                        yield Input("7", id="rota-period")
                        yield Input(local_zone_name(), id="rota-tz")
                        yield Button("Set rota", id="set-rota", variant="primary")
            if permissions.moderates(state, me, now):
                yield Label("Moderation log", classes="heading")
                yield Static(id="moderation-log")
            yield Label("", id="members-message", classes=MESSAGE_LINE)
        yield Footer()

    def on_mount(self) -> None:
        members = self.query_one("#members", OptionList)
        members.focus()
        self._show()
        shown = [option.id for option in members.options]
        if self.service.me in shown:  # one's own key first: the one others ask about
            members.highlighted = shown.index(self.service.me)

    def why_not(self, action: str) -> str | None:
        """Why giving roles or removing is not offered (only the lead); None when it is."""
        op_type = {"role": "member.role", "remove": "member.remove"}.get(action)
        if op_type is None:
            return None
        return may(self.service, op_type).reason

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.why_not(action) is None

    def on_key(self, event: Key) -> None:
        if say_why_not(self, event.key, self.KEY_SCOPES):
            event.stop()

    def on_circle_changed(self, message: CircleChanged) -> None:
        self._show()  # a role given, a member removed, the rota set: by anyone

    def _member_name(self, member_id: str) -> str:
        return name_of(self.service.state, member_id)

    def _show(self) -> None:
        state, now = self.service.state, self.service.now_ms()
        on_duty = moderator_at(state.rota, now)
        options = []
        for member in sorted(state.members.values(), key=lambda m: m.name.casefold()):
            if member.removed:
                continue
            label = Text.assemble(visible_line(member.name), (f"  {member.role}", "dim"))
            if member.id == on_duty:
                label.append("  moderating this turn (rota)", style="bold cyan")
            if member.id == self.service.me:
                label.append("  (you)", style="dim")
            options.append(Option(label, id=member.id))
        listed = self.query_one("#members", OptionList)
        selected = self._selected_member()
        listed.set_options(options)
        ids = [option.id for option in options]
        if selected in ids:
            listed.highlighted = ids.index(selected)  # the selection stays on its member
        self._show_rota()
        if self.query("#volunteers"):
            volunteers = self.query_one("#volunteers", PickList)
            chosen = set(state.rota.volunteers) if state.rota else set()
            if volunteers.option_count:
                chosen = set(volunteers.selected)  # what the lead is picking stays picked
            volunteers.clear_options()
            volunteers.add_options(
                [(o.prompt, o.id, o.id in chosen) for o in options]  # type: ignore[misc]
            )
        if self.query("#moderation-log"):
            entries = [self._log_line(e, now) for e in reversed(state.moderation_log[-50:])]

            self.query_one("#moderation-log", Static).update("\n".join(entries) or "Nothing yet.")
        self._show_key(self._selected_member())

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_list.id == "members":
            self._show_key(event.option.id)

    def _show_key(self, member_id: str | None) -> None:
        """The highlighted member's key, as a safety number to compare by voice."""
        state = self.service.state
        if member_id is None:
            return
        name = self._member_name(member_id)
        history = state.keys.get(member_id)
        if not history:
            text = f"{name} has no key: an older app's changes are not signed."
        else:
            latest = history[-1]
            whose = "Your" if member_id == self.service.me else f"{name}'s"
            text = f"{whose} key: {safety_number(latest.key)}"
            if latest.reason in KEY_REASONS:
                when = relative(latest.at_ms, self.service.now_ms())
                text += f"\n(new {when}: {KEY_REASONS[latest.reason]})"
        self.query_one("#member-key", Static).update(Text(visible_line(text)))

    def _signing_line(self) -> str:
        state = self.service.state
        if state.signatures_required:
            return "Every change must be signed by its author."
        unsigned = [m for m in state.members.values() if not m.removed and m.id not in state.keys]
        if unsigned:
            return f"Unsigned circle: {len(unsigned)} member(s) sign nothing yet (older apps)."
        return "Every member signs; the lead may require signatures."

    def _log_line(self, entry: ModerationEntry, now: int) -> str:
        when, who = relative(entry.at_ms, now), self._member_name(entry.actor)
        if entry.action in ("forged", "unsigned"):  # refused: what it claimed to be
            return f"{when} REFUSED {entry.target} claiming to be by {who}: {entry.note}"
        return (
            f"{when} {who} {self._action(entry.action)} {self._target(entry.action, entry.target)}"
        )

    @staticmethod
    def _action(action: str) -> str:
        if action.startswith("role:"):
            return f"made {action.removeprefix('role:')}:"
        return ACTIONS.get(action, action)

    def _target(self, action: str, target: str) -> str:
        state = self.service.state
        if action == "signatures":
            return target
        if target == SERVER_ACTOR:
            return "the server"
        if action == "rota":
            return ", ".join(self._member_name(member) for member in target.split(",") if member)
        if target in state.posts:
            post = state.posts[target]
            return f"a post by {self._member_name(post.author)}"
        return self._member_name(target)

    def _show_rota(self) -> None:
        rota = self.service.state.rota
        if rota is None or not rota.volunteers:
            text = "No rota: moderators are only those the lead names."
        else:
            upcoming = turns(rota, self.service.now_ms(), 4)
            text = (
                "\n".join(
                    f"from {day:%a %d %b}: {self._member_name(member)}" for day, member in upcoming
                )
                + f"\n(every {rota.period_days} days, dates in {visible_line(rota.tz)})"
            )
        self.query_one("#rota", Static).update(text)

    def _selected_member(self) -> str | None:
        option = self.query_one("#members", OptionList).highlighted_option
        return option.id if option else None

    def action_role(self, role: str) -> None:
        member = self._selected_member()
        if member:
            ask(self, self.service.set_role, member, role, done=self._done)

    def action_remove(self) -> None:
        member = self._selected_member()
        if member and member != self.service.me:
            ask(self, self.service.remove_member, member, done=self._done)

    def action_new_key(self) -> None:
        """Sign from now on with a new key (the old one signs the change)."""
        self._act(self.service.rotate_key, "Your new key is in the log; compare it again.")

    def action_give_key(self) -> None:
        """A lead: first the member who lost their key, then the member their new device
        joined as; that device's key becomes theirs."""
        member = self._selected_member()
        if member is None or self.service.state.role_of(self.service.me) != "lead":
            self._say("Only the lead gives a member who lost their key a new one.")
            return
        if self._lost_by is None or self._lost_by == member:
            self._lost_by = member
            self._say(
                f"{self._member_name(member)} lost their key: now highlight the member their "
                "new device joined as, compare its key with them, and press g again."
            )
            return
        lost, self._lost_by = self._lost_by, None
        self._act(lambda: self.service.rekey(lost, member), "Done: their new device is them now.")

    def _say(self, text: str) -> None:
        """The answer to a key action (g, n, …), on the line under the keys."""
        self.query_one("#members-message", Label).update(text)

    def _act(self, do: Callable[[], object], done: str) -> None:
        try:
            do()
        except (Refused, OpError) as error:
            self._say(f"Not done: {error}")
            return
        self._say(done)
        self.query_one("#signing", Static).update(self._signing_line())
        self._show()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "set-rota":
            return
        try:
            period = int(self.query_one("#rota-period", Input).value)
        except ValueError:
            say_no(self, N_("days per turn must be a whole number"))
            return
        ask(
            self,
            self.service.set_rota,
            list(self.query_one("#volunteers", PickList).selected),
            self.query_one("#rota-start", Input).value.strip(),
            period,
            self.query_one("#rota-tz", Input).value.strip(),
            done=self._done,
        )

    def _done(self, _op: object) -> None:
        self._say("Done.")
        self._show()

    def _say(self, text: str) -> None:
        """On the screen's message line (main's merge called it but had lost it)."""
        self.query_one("#members-message", Label).update(text)

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen.of(self))
