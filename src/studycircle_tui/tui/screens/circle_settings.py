"""The circle's own settings: its name, goal and rules, and its channels (add, rename,
archive or bring back). The lead changes the circle, moderators and the lead its
channels; everyone else reads the same screen with nothing to change (and is told who
can). Every change goes through the service's intents, so a "no" is the core's rule,
said on this screen's message line, and what was typed stays in the form."""

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, OptionList, TextArea
from textual.widgets.option_list import Option

from ...sync.engine import CircleService
from ..actions import bindings_for, key_for
from ..intents import MESSAGE_LINE, ask, may, say_no, say_why_not
from ..messages import CircleChanged
from ..visible import visible_line
from .help import HelpScreen

CIRCLE_FIELDS = ("name", "goal", "rules")
CHANNEL_ACTIONS = ("new_channel", "rename_channel", "archive_channel")


class CircleSettingsScreen(ModalScreen[None]):
    CSS_PATH = "circle_life.tcss"
    BINDINGS = bindings_for("circle-settings")
    KEY_SCOPES = ("circle-settings",)

    def __init__(self, service: CircleService) -> None:
        super().__init__()
        self.service = service
        self._renaming: str | None = None  # the channel the channel field renames
        self._warned = False  # about leaving unsaved changes

    def compose(self) -> ComposeResult:
        state = self.service.state
        leads = bool(may(self.service, "circle.update"))
        fixed = {"compact": True, "disabled": not leads}
        with VerticalScroll(id="circle-box"):
            yield Label(f"Circle settings · {visible_line(state.name)}", classes="title")
            if not leads:
                yield Label(
                    "Only the circle's lead changes these; you can read them.", classes="hint"
                )
            with Horizontal(classes="row"):
                yield Label("Name", classes="field-label")
                yield Input(state.name, id="circle-name", max_length=80, **fixed)
            with Horizontal(classes="row"):
                yield Label("Goal", classes="field-label")
                yield Input(state.goal, id="circle-goal", max_length=500, **fixed)
            yield Label("Rules (Markdown; members accept them again when they change)")
            yield TextArea(
                state.rules, id="circle-rules", soft_wrap=True, read_only=not leads, compact=True
            )
            channels = "Channels"
            if may(self.service, "channel.create"):
                add, rename, archive = (
                    key_for(self, "circle-settings", name) for name in CHANNEL_ACTIONS
                )
                channels += f"  {add} adds · {rename} renames · {archive} archives or brings back"
            yield Label(channels, classes="heading")
            yield OptionList(id="circle-channels", compact=True)
            channel_field = Input(
                placeholder="a new channel's name: enter adds it",
                id="channel-field",
                max_length=80,
                select_on_focus=False,  # renaming goes on from the old name
                compact=True,
            )
            channel_field.display = bool(may(self.service, "channel.create"))
            yield channel_field
            yield Label("", id="circle-message", classes=MESSAGE_LINE)
        yield Footer()

    def on_mount(self) -> None:
        self._show_channels()
        leads = bool(may(self.service, "circle.update"))
        self.query_one("#circle-name" if leads else "#circle-channels").focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.why_not(action) is None

    def why_not(self, action: str) -> str | None:
        """Why saving or a channel key is not offered (the core's rule); pressed anyway,
        its key says this."""
        if action == "save":
            return may(self.service, "circle.update").reason
        if action in CHANNEL_ACTIONS:
            return may(self.service, "channel.create").reason  # the channel rules are the same
        return None

    def on_key(self, event: Key) -> None:
        if say_why_not(self, event.key, self.KEY_SCOPES):
            event.stop()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen.of(self))

    def on_circle_changed(self, message: CircleChanged) -> None:
        self._show_channels()  # what was typed in the form stays as it is

    # --- the channels -----------------------------------------------------------------

    def _show_channels(self) -> None:
        state = self.service.state
        listed = self.query_one("#circle-channels", OptionList)
        highlighted = listed.highlighted
        options = []
        for channel_id in state.channel_order:
            channel = state.channels[channel_id]
            label = Text(f"#{visible_line(channel.name)}")
            if channel.goal:
                label.append(f"  {visible_line(channel.goal)}", style="dim")
            if channel.archived:
                label.append("  (archived)", style="italic")
            options.append(Option(label, id=channel_id))
        listed.set_options(options or [Option("No channel yet.", disabled=True)])
        if options:
            listed.highlighted = min(highlighted or 0, len(options) - 1)

    def _selected_channel(self) -> str | None:
        listed = self.query_one("#circle-channels", OptionList)
        if listed.highlighted is None:
            return None
        channel_id = listed.get_option_at_index(listed.highlighted).id
        return channel_id if channel_id in self.service.state.channels else None

    def action_new_channel(self) -> None:
        self._renaming = None
        field = self.query_one("#channel-field", Input)
        field.placeholder = "a new channel's name: enter adds it"
        field.value = ""
        field.focus()

    def action_rename_channel(self) -> None:
        channel_id = self._selected_channel()
        if channel_id is None:
            say_no(self, "pick a channel in the list first", heading="")
            return
        self._renaming = channel_id
        field = self.query_one("#channel-field", Input)
        name = self.service.state.channels[channel_id].name
        field.placeholder = f"a new name for #{name}: enter renames it"
        field.value = name
        field.focus()
        field.cursor_position = len(name)

    def action_archive_channel(self) -> None:
        channel_id = self._selected_channel()
        if channel_id is None:
            say_no(self, "pick a channel in the list first", heading="")
            return
        channel = self.service.state.channels[channel_id]
        said = f"#{channel.name} {'is back' if channel.archived else 'is archived'}."
        ask(
            self,
            self.service.archive_channel,
            channel_id,
            not channel.archived,
            done=lambda _: self._say(said),
        )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "channel-field":
            return
        event.stop()
        name = event.value.strip().lstrip("#")
        if not name:
            say_no(self, "type the channel's name first", heading="")
            return
        if self._renaming is None:
            asked, said = (self.service.new_channel, name), f"#{name} added."
        else:
            asked, said = (
                (self.service.rename_channel, self._renaming, name),
                f"Renamed to #{name}.",
            )
        ask(self, *asked, done=lambda _: self._channel_done(said))

    def _channel_done(self, said: str) -> None:
        self._renaming = None
        field = self.query_one("#channel-field", Input)
        field.value = ""
        field.placeholder = "a new channel's name: enter adds it"
        self._say(said)
        self.query_one("#circle-channels").focus()

    # --- the circle -------------------------------------------------------------------

    def _typed(self) -> dict[str, str]:
        return {
            "name": self.query_one("#circle-name", Input).value.strip(),
            "goal": self.query_one("#circle-goal", Input).value.strip(),
            "rules": self.query_one("#circle-rules", TextArea).text.strip(),
        }

    def changes(self) -> dict[str, str]:
        """What the form says that the circle does not, field by field."""
        state = self.service.state
        now = {"name": state.name, "goal": state.goal, "rules": state.rules}
        return {key: value for key, value in self._typed().items() if value != now[key]}

    def action_save(self) -> None:
        changes = self.changes()
        if not changes:
            self._say("Nothing changed.")
            return
        said = (
            "Saved: members will be asked to accept the new rules."
            if "rules" in changes
            else "Saved."
        )
        ask(self, self.service.update_circle, changes, done=lambda _: self._say(said))

    def _say(self, text: str) -> None:
        self.query_one("#circle-message", Label).update(text)

    def action_close(self) -> None:
        if self.changes() and not self._warned:
            self._warned = True  # a second esc leaves without them
            save, close = (key_for(self, "circle-settings", name) for name in ("save", "close"))
            self._say(f"Unsaved changes: {save} saves them; {close} again leaves without them.")
            return
        self.dismiss(None)
