"""The circle's own settings: its name, goal and rules, and its channels (add, rename,
archive or bring back). The lead changes the circle, moderators and the lead its
channels; everyone else reads the same screen with nothing to change (and is told who
can). Every change goes through the service's intents, so a "no" is the core's rule,
said on this screen's message line, and what was typed stays in the form."""

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, TextArea
from textual.widgets.option_list import Option

from ...i18n import N_, _
from ...sync.engine import CircleService
from ..actions import bindings_for, key_for
from ..intents import MESSAGE_LINE, ask, may, say_no, say_why_not
from ..messages import CircleChanged
from ..visible import visible_line
from ..widgets.footer import AppFooter
from .help import HelpScreen

CIRCLE_FIELDS = ("name", "goal", "rules")
CHANNEL_ACTIONS = ("new_channel", "rename_channel", "archive_channel")
NEW_CHANNEL = N_("a new channel's name: enter adds it")
PICK_FIRST = N_("pick a channel in the list first")


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
            yield Label(_("Circle settings") + f" · {visible_line(state.name)}", classes="title")
            if not leads:
                yield Label(
                    _("Only the circle's lead changes these; you can read them."), classes="hint"
                )
            name, goal = _("Name"), _("Goal")
            # The fields line up after the longer label, as the language words it (6 cells
            # in English, as the stylesheet says; "Tujuan" needs 8).
            width = max(6, cell_len(name) + 2, cell_len(goal) + 2)
            with Horizontal(classes="row"):
                yield Label(name, classes="field-label").set_styles(width=width)
                yield Input(state.name, id="circle-name", max_length=80, **fixed)
            with Horizontal(classes="row"):
                yield Label(goal, classes="field-label").set_styles(width=width)
                yield Input(state.goal, id="circle-goal", max_length=500, **fixed)
            yield Label(_("Rules (Markdown; members accept them again when they change)"))
            yield TextArea(
                state.rules, id="circle-rules", soft_wrap=True, read_only=not leads, compact=True
            )
            channels = _("Channels")
            if may(self.service, "channel.create"):
                add, rename, archive = (
                    key_for(self, "circle-settings", name) for name in CHANNEL_ACTIONS
                )
                channels += "  " + _(
                    "{add} adds · {rename} renames · {archive} archives or brings back"
                ).format(add=add, rename=rename, archive=archive)
            yield Label(channels, classes="heading")
            yield OptionList(id="circle-channels", compact=True)
            channel_field = Input(
                placeholder=_(NEW_CHANNEL),
                id="channel-field",
                max_length=80,
                select_on_focus=False,  # renaming goes on from the old name
                compact=True,
            )
            channel_field.display = bool(may(self.service, "channel.create"))
            yield channel_field
            yield Label("", id="circle-message", classes=MESSAGE_LINE)
        yield AppFooter()

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
                label.append("  " + _("(archived)"), style="italic")
            options.append(Option(label, id=channel_id))
        listed.set_options(options or [Option(_("No channel yet."), disabled=True)])
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
        field.placeholder = _(NEW_CHANNEL)
        field.value = ""
        field.focus()

    def action_rename_channel(self) -> None:
        channel_id = self._selected_channel()
        if channel_id is None:
            say_no(self, PICK_FIRST, heading="")
            return
        self._renaming = channel_id
        field = self.query_one("#channel-field", Input)
        name = self.service.state.channels[channel_id].name
        field.placeholder = _("a new name for #{name}: enter renames it").format(name=name)
        field.value = name  # so the placeholder is hidden: the message line says it
        field.focus()
        field.cursor_position = len(name)
        self._say(_("A new name for #{name}: enter renames it.").format(name=name))

    def action_archive_channel(self) -> None:
        channel_id = self._selected_channel()
        if channel_id is None:
            say_no(self, PICK_FIRST, heading="")
            return
        channel = self.service.state.channels[channel_id]
        said = (_("#{name} is back.") if channel.archived else _("#{name} is archived.")).format(
            name=channel.name
        )
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
            say_no(self, N_("type the channel's name first"), heading="")
            return
        if self._renaming is None:
            asked, said = (self.service.new_channel, name), _("#{name} added.").format(name=name)
        else:
            asked, said = (
                (self.service.rename_channel, self._renaming, name),
                _("Renamed to #{name}.").format(name=name),
            )
        ask(self, *asked, done=lambda _: self._channel_done(said))

    def _channel_done(self, said: str) -> None:
        self._renaming = None
        field = self.query_one("#channel-field", Input)
        field.value = ""
        field.placeholder = _(NEW_CHANNEL)
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
            self._say(_("Nothing changed."))
            return
        said = (
            _("Saved: members will be asked to accept the new rules.")
            if "rules" in changes
            else _("Saved.")
        )
        ask(self, self.service.update_circle, changes, done=lambda _: self._say(said))

    def _say(self, text: str) -> None:
        line = self.query_one("#circle-message", Label)
        line.update(text)
        line.scroll_visible()  # below the channels at 80x24, once there are a few

    def action_close(self) -> None:
        if self.changes() and not self._warned:
            self._warned = True  # a second esc leaves without them
            save, close = (key_for(self, "circle-settings", name) for name in ("save", "close"))
            unsaved = _("Unsaved changes: {save} saves them; {close} again leaves without them.")
            self._say(unsaved.format(save=save, close=close))
            return
        self.dismiss(None)
