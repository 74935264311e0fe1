"""Members, their roles and the moderator rota; the lead grants and removes roles and
sets the rota; moderators and the lead also see the moderation log."""

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, OptionList, SelectionList, Static
from textual.widgets.option_list import Option

from ...core.ops import OpError
from ...core.rota import moderator_at, turns
from ...localzone import local_zone_name
from ...sync.engine import CircleService, Refused
from ..timefmt import relative
from ..visible import name_of, visible_line

ACTIONS = {
    "verify": "verified",
    "hide": "hid",
    "unhide": "unhid",
    "remove": "removed",
    "rota": "set the rota:",
}


class MembersScreen(ModalScreen[None]):
    CSS_PATH = "circle_life.tcss"
    BINDINGS = [
        Binding("m", "role('moderator')", "Make moderator"),
        Binding("u", "role('member')", "Make member"),
        Binding("l", "role('lead')", "Make lead"),
        Binding("x", "remove", "Remove"),
        Binding("escape", "dismiss(None)", "Close"),
    ]

    def __init__(self, service: CircleService) -> None:
        super().__init__()
        self.service = service

    def compose(self) -> ComposeResult:
        state, me = self.service.state, self.service.me
        is_lead = state.role_of(me) == "lead"
        with VerticalScroll(id="members-box"):
            yield Label("Members and roles", classes="title")
            yield OptionList(id="members")
            yield Label("Moderator rota", classes="heading")
            yield Static(id="rota")
            if is_lead:
                with Vertical(id="rota-form"):
                    yield Label("Volunteers (space to pick), first day, days per turn, zone:")
                    yield SelectionList[str](id="volunteers")
                    with Horizontal():
                        today = datetime.fromtimestamp(self.service.now_ms() / 1000).date()
                        yield Input(today.isoformat(), id="rota-start")
                        yield Input("7", id="rota-period")
                        yield Input(local_zone_name(), id="rota-tz")
                        yield Button("Set rota", id="set-rota", variant="primary")
            if state.is_at_least(me, "moderator"):
                yield Label("Moderation log", classes="heading")
                yield Static(id="moderation-log")
            yield Label("", id="members-message")
        yield Footer()

    def on_mount(self) -> None:
        self._show()

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
        self.query_one("#members", OptionList).set_options(options)
        self._show_rota()
        if self.query("#volunteers"):
            volunteers = self.query_one("#volunteers", SelectionList)
            chosen = set(state.rota.volunteers) if state.rota else set()
            volunteers.clear_options()
            volunteers.add_options(
                [(o.prompt, o.id, o.id in chosen) for o in options]  # type: ignore[misc]
            )
        if self.query("#moderation-log"):
            entries = [
                f"{relative(e.at_ms, now)} {self._member_name(e.actor)} {self._action(e.action)}"
                f" {self._target(e.action, e.target)}"
                for e in reversed(state.moderation_log[-50:])
            ]

            self.query_one("#moderation-log", Static).update("\n".join(entries) or "Nothing yet.")

    @staticmethod
    def _action(action: str) -> str:
        if action.startswith("role:"):
            return f"made {action.removeprefix('role:')}:"
        return ACTIONS.get(action, action)

    def _target(self, action: str, target: str) -> str:
        state = self.service.state
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
            self._submit("member.role", {"member": member, "role": role})

    def action_remove(self) -> None:
        member = self._selected_member()
        if member and member != self.service.me:
            self._submit("member.remove", {"member": member})

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "set-rota":
            return
        try:
            period = int(self.query_one("#rota-period", Input).value)
        except ValueError:
            self._say("Days per turn must be a whole number.")
            return
        self._submit(
            "moderator.rota",
            {
                "volunteers": list(self.query_one("#volunteers", SelectionList).selected),
                "start": self.query_one("#rota-start", Input).value.strip(),
                "period_days": period,
                "tz": self.query_one("#rota-tz", Input).value.strip(),
            },
        )

    def _submit(self, type_name: str, data: dict) -> None:
        try:
            self.service.submit(type_name, data)
        except (Refused, OpError) as error:
            self._say(f"Not done: {error}")
            return
        self._say("Done.")
        self._show()

    def _say(self, text: str) -> None:
        self.query_one("#members-message", Label).update(text)
