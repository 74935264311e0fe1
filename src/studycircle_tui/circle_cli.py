"""The ``studycircle circle`` and ``studycircle channel`` commands: a lead sets up a circle
from the command line (its name, goal and rules; its channels), as in the app.

Each change is an op made through the circle's service, like ``notes import``: checked
by the same rules (only the lead changes the circle, moderators and the lead its
channels), stored, then sent at once if the circle can be reached, else at the next
sync. What a person typed is checked first and any problem said in their words. A
failure is one line on stderr and exit code 1, never a traceback.
"""

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .command_line import Failed, checked, circle_service, emit, failure, send_now
from .i18n import N_, _, error_text, os_error

if TYPE_CHECKING:
    from .core.state import CircleState
    from .sync.engine import CircleService

# The circle's fields as a sentence names them.
FIELDS = {"name": N_("name"), "goal": N_("goal"), "rules": N_("rules")}
ROLES = {"member": N_("member"), "moderator": N_("moderator"), "lead": N_("lead")}
MAX_RULES_FILE = 1 << 20  # far above the rules' 10,000 characters: read, then say the size


def add_commands(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    circle = subparsers.add_parser(
        "circle",
        help=_("show or change a circle's name, goal and rules (the lead)"),
        description=_(
            "Show a circle (its goal, rules, channels), or change its name, goal "
            "and rules (the lead). A change to the rules is shown to every member once, to "
            "accept again."
        ),
    )
    commands = circle.add_subparsers(dest="circle_command", required=True, metavar="{show,set}")
    show = commands.add_parser("show", help=_("print the circle's goal, rules and channels"))
    _circle_option(show)
    show.set_defaults(func=run_show)
    change = commands.add_parser(
        "set",
        help=_("change the circle's name, goal or rules"),
        description=_(
            "Change the circle's name, goal or rules (the lead only). An empty "
            "--goal or --rules clears it."
        ),
    )
    _circle_option(change)
    change.add_argument("--name", help=_("the circle's new name"))
    change.add_argument("--goal", help=_("what the circle is for, in a sentence or two"))
    rules = change.add_mutually_exclusive_group()
    rules.add_argument("--rules", metavar=_("TEXT"), help=_("the circle's rules"))
    rules.add_argument(
        "--rules-file", metavar=_("FILE"), help=_("read the rules from a UTF-8 file ('-': stdin)")
    )
    change.set_defaults(func=run_set)

    channel = subparsers.add_parser(
        "channel",
        help=_("list, add, rename, describe and archive a circle's channels"),
        description=_(
            "A circle's channels: list them, or (moderators and the lead) add, "
            "rename, give a goal line, archive and unarchive them. An archived channel keeps "
            "its threads to read; no one can post in it."
        ),
    )
    verbs = channel.add_subparsers(
        dest="channel_command",
        required=True,
        metavar="{list,add,rename,goal,archive,unarchive}",
    )
    listing = verbs.add_parser("list", help=_("list the channels, archived ones too"))
    _circle_option(listing)
    listing.set_defaults(func=run_list)
    add = verbs.add_parser("add", help=_("add a channel"))
    add.add_argument("name", metavar=_("NAME"), help=_("the new channel's name"))
    add.add_argument("--goal", default="", help=_("its goal line, shown under its name"))
    _circle_option(add)
    add.set_defaults(func=run_add)
    rename = verbs.add_parser("rename", help=_("rename a channel"))
    rename.add_argument("channel", metavar=_("CHANNEL"), help=_("the channel's name (or id)"))
    rename.add_argument("new_name", metavar=_("NEW"), help=_("its new name"))
    _circle_option(rename)
    rename.set_defaults(func=run_rename)
    goal = verbs.add_parser("goal", help=_("set a channel's goal line ('' clears it)"))
    goal.add_argument("channel", metavar=_("CHANNEL"), help=_("the channel's name (or id)"))
    goal.add_argument("goal", metavar=_("GOAL"), help=_("its goal line"))
    _circle_option(goal)
    goal.set_defaults(func=run_goal)
    for verb, what in (
        ("archive", N_("archive a channel")),
        ("unarchive", N_("reopen an archived one")),
    ):
        parser = verbs.add_parser(verb, help=_(what))
        parser.add_argument("channel", metavar=_("CHANNEL"), help=_("the channel's name (or id)"))
        _circle_option(parser)
        parser.set_defaults(func=run_archive, archived=verb == "archive")


def _circle_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--circle", metavar=_("NAME"), help=_("the circle's name or id (default: the last opened)")
    )


# --- the circle -----------------------------------------------------------------------------


def run_show(args: argparse.Namespace) -> int:
    try:
        service = circle_service(args.circle)
    except Failed as failed:
        return failure(str(failed))
    state = service.state
    where = {
        "file": _("a circle file at {location}"),
        "server": _("a server circle at {location}"),
    }.get(service.record.transport, _("at {location}"))
    me = state.members.get(service.me)
    lines = [
        f"{state.name}  ({where.format(location=service.record.location)})",
        _("you: {name}, {role}").format(name=me.name, role=_(ROLES.get(me.role, me.role)))
        if me
        else _("you: not a member yet"),
        _("goal: {goal}").format(
            goal=state.goal or _("(none: studycircle circle set --goal TEXT)")
        ),
        _("rules (version {version}):").format(version=state.rules_version)
        if state.rules
        else _("rules: (none)"),
        *(f"  {line}" for line in state.rules.splitlines()),
        _("channels:"),
        *_channel_lines(state),
        _("members: {count}").format(count=sum(not m.removed for m in state.members.values())),
    ]
    emit("\n".join(lines))
    return 0


def _read_rules(file: str) -> str:
    try:
        raw = sys.stdin.buffer.read(MAX_RULES_FILE + 1) if file == "-" else Path(file).read_bytes()
    except OSError as error:
        raise Failed(
            _("{file}: cannot read it: {error}").format(file=file, error=os_error(error))
        ) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise Failed(
            _("{file}:{line}: not UTF-8 text; save it as UTF-8").format(file=file, line=line)
        ) from None


def run_set(args: argparse.Namespace) -> int:
    from .core.ops import Goal, Name, Rules

    try:
        data: dict[str, object] = {}
        if args.name is not None:
            data["name"] = checked(args.name, _("the circle's name"), Name)
        if args.goal is not None:
            data["goal"] = checked(args.goal, _("the circle's goal"), Goal, empty=True)
        rules = args.rules if args.rules_file is None else _read_rules(args.rules_file)
        if rules is not None:
            data["rules"] = checked(rules, _("the rules"), Rules, empty=True)
        if not data:
            raise Failed(_("nothing to change: say --name, --goal, --rules or --rules-file"))
        service = circle_service(args.circle)
        state = service.state
        changed = {key: value for key, value in data.items() if getattr(state, key) != value}
        if not changed:
            emit(
                _("{circle!r} already has that {what}; nothing changed").format(
                    circle=state.name, what=_(" and ").join(_(FIELDS[k]) for k in data)
                )
            )
            return 0
        _submit(service, "circle.update", changed)
    except Failed as failed:
        return failure(str(failed))
    sent = send_now(service)
    what = _(" and ").join(
        _("the rules (every member sees them once)") if k == "rules" else _(FIELDS[k])
        for k in changed
    )
    emit(_("changed {what} of {circle!r}").format(what=what, circle=service.state.name) + sent)
    return 0


# --- channels -------------------------------------------------------------------------------


def _channel_lines(state: "CircleState") -> list[str]:
    lines = []
    for channel_id in state.channel_order:
        channel = state.channels[channel_id]
        archived = " " + _("(archived)") if channel.archived else ""
        goal = f"  {channel.goal}" if channel.goal else ""
        lines.append(f"  #{channel.name}{archived}{goal}")
    return lines or ["  " + _("(none: studycircle channel add NAME)")]


def _find(state: "CircleState", wanted: str, *, archived: bool | None = None) -> str:
    """A channel's id by its id or its name (with or without #, any case); ``archived``
    True or False keeps only channels archived or not."""
    name = wanted.strip().removeprefix("#").casefold()
    found = [
        channel.id
        for channel in (state.channels[c] for c in state.channel_order)
        if (wanted == channel.id or channel.name.casefold() == name)
        and archived in (None, channel.archived)
    ]
    if len(found) == 1:
        return found[0]
    if found:
        raise Failed(
            _("{count} channels are named {name!r}: name one by id").format(
                count=len(found), name=wanted
            )
        )
    shown = ", ".join(
        f"#{state.channels[c].name}"
        for c in state.channel_order
        if archived in (None, state.channels[c].archived)
    )
    sentence = {
        True: _("no archived channel {name!r} in {circle!r} (there: {shown})"),
        False: _("no open channel {name!r} in {circle!r} (there: {shown})"),
        None: _("no channel {name!r} in {circle!r} (there: {shown})"),
    }[archived]
    raise Failed(sentence.format(name=wanted, circle=state.name, shown=shown or _("none")))


def _name_taken(state: "CircleState", name: str, but: str = "") -> None:
    for channel_id in state.channel_order:
        channel = state.channels[channel_id]
        if channel_id != but and channel.name.casefold() == name.casefold():
            if channel.archived:
                raise Failed(
                    _(
                        "{circle!r} already has a #{channel}: it is archived "
                        "(studycircle channel unarchive {channel})"
                    ).format(circle=state.name, channel=channel.name)
                )
            raise Failed(
                _("{circle!r} already has a #{channel}").format(
                    circle=state.name, channel=channel.name
                )
            )


def _submit(service: "CircleService", type_name: str, data: dict[str, object]) -> None:
    from .core.ops import OpError
    from .sync.engine import Refused

    try:
        service.submit(type_name, data)
    except Refused as error:
        raise Failed(_("not done: {reason}").format(reason=error_text(error))) from None
    except OpError as error:  # checked before, so only what the checks cannot know
        raise Failed(_("not done: {reason}").format(reason=str(error).split(" - at ")[0])) from None


def run_list(args: argparse.Namespace) -> int:
    try:
        service = circle_service(args.circle)
    except Failed as failed:
        return failure(str(failed))
    emit(_("channels of {circle!r}:").format(circle=service.state.name))
    emit("\n".join(_channel_lines(service.state)))
    return 0


def run_add(args: argparse.Namespace) -> int:
    from .core.ops import Goal, Name

    try:
        name = checked(args.name.lstrip("#"), _("the channel's name"), Name)
        goal = checked(args.goal, _("the channel's goal"), Goal, empty=True)
        service = circle_service(args.circle)
        _name_taken(service.state, name)
        data: dict[str, object] = {"name": name, "goal": goal} if goal else {"name": name}
        _submit(service, "channel.create", data)
    except Failed as failed:
        return failure(str(failed))
    emit(
        _("added #{channel} to {circle!r}").format(channel=name, circle=service.state.name)
        + send_now(service)
    )
    return 0


def run_rename(args: argparse.Namespace) -> int:
    from .core.ops import Name

    try:
        new = checked(args.new_name.lstrip("#"), _("the channel's new name"), Name)
        service = circle_service(args.circle)
        channel_id = _find(service.state, args.channel)
        old = service.state.channels[channel_id].name
        _name_taken(service.state, new, but=channel_id)
        _submit(service, "channel.update", {"channel": channel_id, "name": new})
    except Failed as failed:
        return failure(str(failed))
    emit(
        _("renamed #{old} to #{new} in {circle!r}").format(
            old=old, new=new, circle=service.state.name
        )
        + send_now(service)
    )
    return 0


def run_goal(args: argparse.Namespace) -> int:
    from .core.ops import Goal

    try:
        goal = checked(args.goal, _("the channel's goal"), Goal, empty=True)
        service = circle_service(args.circle)
        channel_id = _find(service.state, args.channel)
        _submit(service, "channel.update", {"channel": channel_id, "goal": goal})
    except Failed as failed:
        return failure(str(failed))
    name = service.state.channels[channel_id].name
    done = (
        _("set the goal of #{channel} in {circle!r}")
        if goal
        else _("cleared the goal of #{channel} in {circle!r}")
    )
    emit(done.format(channel=name, circle=service.state.name) + send_now(service))
    return 0


def run_archive(args: argparse.Namespace) -> int:
    from .core.discussion import channels_in_order

    try:
        service = circle_service(args.circle)
        state = service.state
        channel_id = _find(state, args.channel, archived=not args.archived)
        if args.archived and channels_in_order(state) == [channel_id]:
            raise Failed(
                _(
                    "#{channel} is the last open channel of {circle!r}: members need one "
                    "to post in; add another first"
                ).format(channel=state.channels[channel_id].name, circle=state.name)
            )
        _submit(service, "channel.archive", {"channel": channel_id, "archived": args.archived})
    except Failed as failed:
        return failure(str(failed))
    done = (
        _("archived #{channel} in {circle!r}")
        if args.archived
        else _("reopened #{channel} in {circle!r}")
    )
    name = service.state.channels[channel_id].name
    emit(done.format(channel=name, circle=service.state.name) + send_now(service))
    return 0
