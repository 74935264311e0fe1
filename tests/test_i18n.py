"""The member's language: how it is chosen, that each session keeps its own, and that
the command line speaks it throughout (docs/architecture.md, "Languages")."""

import argparse
import asyncio
import re
from datetime import datetime

import pytest

from studycircle_tui import cli, config, i18n
from studycircle_tui.core.messages import Message
from studycircle_tui.core.permissions import NOT_MEMBER


def test_the_environment_is_read_as_gettext_reads_it():
    env = i18n.from_environment
    assert env({"LANG": "id_ID.UTF-8"}) == "id"
    assert env({"LANG": "en_GB.UTF-8"}) == "en"
    assert env({"LANG": "in_ID"}) == "id"  # Indonesian's old code, still seen
    assert env({"LANG": "fr_FR.UTF-8"}) == "en"  # a language we lack: English
    assert env({}) == "en"
    # LC_ALL before LC_MESSAGES before LANG; LANGUAGE's list first, its first we have.
    assert env({"LC_ALL": "id_ID", "LANG": "en_US"}) == "id"
    assert env({"LC_MESSAGES": "en_US", "LANG": "id_ID"}) == "en"
    assert env({"LANGUAGE": "fr:id:en", "LANG": "en_US.UTF-8"}) == "id"
    # GNU gettext ignores LANGUAGE under the C locale.
    assert env({"LANGUAGE": "id", "LANG": "C"}) == "en"


def test_the_flag_wins_over_the_setting_which_wins_over_the_environment():
    environment = {"LANG": "id_ID.UTF-8"}
    assert i18n.choose(None, "auto", environment) == "id"
    assert i18n.choose(None, "en", environment) == "en"
    assert i18n.choose("id", "en", {"LANG": "en_US"}) == "id"
    assert i18n.choose("en", "id", environment) == "en"


def test_the_language_setting_is_read_checked_and_saved(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('language = "id"\n', encoding="utf-8")
    assert config.load_settings(path).language == "id"
    path.write_text('language = "klingon"\n', encoding="utf-8")
    settings = config.load_settings(path)
    assert settings.language == "auto"
    assert "'language' should be one of 'auto', 'en', 'id'" in settings.problems[0]
    # Said in the member's language wherever it is shown.
    assert i18n.language("id").message(settings.problems[0]) == (
        f"{path}: 'language' harus salah satu dari 'auto', 'en', 'id'; memakai nilai bawaan"
    )
    settings.language = "id"
    config.save_settings(settings, path)
    assert 'language = "id"' in path.read_text(encoding="utf-8")


async def test_each_session_speaks_its_own_language_in_one_process():
    """ssh-serve runs many players' apps in one process: the language is per context,
    so two sessions at once each hear their own."""
    heard = {}
    both_set = asyncio.Event()
    ready = []

    async def session(code):
        i18n.use(code)
        ready.append(code)
        if len(ready) == 2:
            both_set.set()
        await both_set.wait()  # both have chosen before either speaks
        heard[code] = i18n.message(NOT_MEMBER)

    await asyncio.gather(session("id"), session("en"))
    assert heard == {
        "id": "Anda bukan anggota lingkar ini",
        "en": "you are not a member of this circle",
    }
    assert i18n.current().code == "en"  # the tasks' choices stayed in their tasks


def test_a_message_from_below_is_translated_with_its_fields():
    indonesian = i18n.language("id")
    refusal = Message("unknown time zone '{zone}'", zone="Mars/Olympus")
    assert refusal == "unknown time zone 'Mars/Olympus'"  # English where it is made
    assert indonesian.message(refusal) == "zona waktu 'Mars/Olympus' tidak dikenal"
    nested = Message("not sent: {reason}", reason=Message("sync stopped: {reason}", reason="x"))
    assert indonesian.message(nested) == "tidak terkirim: sinkronisasi berhenti: x"
    assert indonesian.error(ValueError(refusal)) == "zona waktu 'Mars/Olympus' tidak dikenal"


def test_dates_times_and_plurals_follow_the_language():
    wednesday_evening = datetime(2026, 12, 2, 19, 0)
    indonesian, english = i18n.language("id"), i18n.language("en")
    day_time = f"{indonesian.weekday(wednesday_evening)} {indonesian.clock(wednesday_evening)}"
    assert day_time == "Rab 19.00"
    assert f"{english.weekday(wednesday_evening)} {english.clock(wednesday_evening)}" == (
        "Wed 19:00"
    )
    assert indonesian.ago(300) == "5 menit yang lalu"
    assert english.ago(300) == "5 minutes ago"
    assert indonesian.number(1234.5) == "1.234,5"
    one, many = (
        "imported '{title}' ({count} question) into #{channel} of '{circle}'",
        ("imported '{title}' ({count} questions) into #{channel} of '{circle}'"),
    )
    assert english.ngettext(one, many, 1) == one and english.ngettext(one, many, 2) == many
    # Indonesian has one plural form: "3 soal", "1 soal".
    assert indonesian.ngettext(one, many, 1) == indonesian.ngettext(one, many, 3)
    assert "soal" in indonesian.ngettext(one, many, 3)


# English words no Indonesian sentence holds. Command and option names (open,
# --name) are typed, not read, and stay as they are; they are taken out first.
ENGLISH = re.compile(
    r"\b(the|and|of|to|is|are|your|you|with|for|from|this|that|its|or|an|by|show|print|"
    r"default|which|what|when|not|one|be|as|at|on|no|into|only|here|usage|options|"
    r"arguments|required|expected|invalid|choose|help|message|exit)\b",
    re.IGNORECASE,
)
TYPED = re.compile(r"X-Forwarded-For|-{1,2}[a-z][a-z-]*|\{[^}]*\}|`[^`]*`|name=\"Ayu\"[^\n]*")


def _helps(parser, words=()):
    """Each command's words and its parser, the whole tree."""
    yield words, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _helps(child, (*words, name))


def _english_left(text, commands):
    text = re.sub(r"\b(" + "|".join(map(re.escape, commands)) + r")\b", " ", text)
    text = TYPED.sub(" ", text)
    return sorted({match.group(0) for match in ENGLISH.finditer(text)})


def test_every_help_page_of_the_command_line_is_in_indonesian(capsys):
    with i18n.speaking("id"):
        parser = cli.build_parser()
    pages = list(_helps(parser))
    commands = {word for words, _parser in pages for word in words} | {"studycircle"}
    assert len(pages) > 25  # every command and subcommand
    for words, _parser in pages:
        with pytest.raises(SystemExit):
            cli.main(["--lang", "id", *words, "--help"])
        page = capsys.readouterr().out
        assert page.startswith("penggunaan: studycircle")
        assert _english_left(page, commands) == [], f"studycircle {' '.join(words)} --help"


@pytest.mark.parametrize(
    "argv",
    [
        ["circle", "show"],  # no circle yet
        ["open", "no-such-circle.jsonl"],
        ["new", "Klub"],  # --file is required: argparse's own sentence
        ["new", "   ", "--file", "c.jsonl"],
        ["quiz", "check", "missing.toml"],
        ["notes", "export"],
        ["circle", "set", "--bogus"],
        ["--color-depth", "7"],
    ],
)
def test_the_command_line_answers_in_indonesian(argv, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LANG", "id_ID.UTF-8")  # the environment alone chooses
    try:
        code = cli.main(argv)
    except SystemExit as exit:
        code = exit.code
    said = capsys.readouterr()
    assert code != 0
    text = said.err + said.out
    assert text.startswith("studycircle")
    assert _english_left(text, {"studycircle", *argv}) == [], text


def test_the_setting_and_the_flag_choose_the_command_lines_language(capsys):
    path = config.config_file()
    path.parent.mkdir(parents=True)
    path.write_text('language = "id"\n', encoding="utf-8")
    assert cli.main(["circle", "show"]) == 1
    assert "belum ada lingkar" in capsys.readouterr().err
    assert cli.main(["--lang", "en", "circle", "show"]) == 1
    assert "no circle yet" in capsys.readouterr().err


def _demo_texts(translate):
    """Every piece of text a member reads in the demo circle."""
    import msgspec

    from studycircle_tui.core.demo import demo_ops
    from studycircle_tui.core.ids import ulid
    from studycircle_tui.core.signing import SigningKey

    drawn = iter(range(1, 1000))

    def random80():
        return next(drawn).to_bytes(10, "big")

    start = 1_780_000_000_000
    _circle, ops = demo_ops(
        "Rani", ulid(start, random80()), start, random80, SigningKey(bytes(32)), translate
    )
    texts = []

    def collect(value, field=""):
        if isinstance(value, dict):
            for key, inner in value.items():
                collect(inner, key)
        elif isinstance(value, list):
            for inner in value:
                collect(inner, field)
        elif isinstance(value, str) and field in TEXT_FIELDS:
            texts.append(value)

    for op in ops:
        collect(msgspec.to_builtins(op.data))
    return texts


TEXT_FIELDS = {"name", "goal", "rules", "title", "text", "choices"}
# What stays the same in every language: people's names, numbers, and what the demo
# has in Indonesian to begin with (a channel for it, a reply, a language question).
SAME_IN_EVERY_LANGUAGE = {"Rani", "Ayu", "Budi", "Sam", "2", "3", "4", "bahasa"}


def test_the_demo_circle_is_told_in_the_chosen_language():
    english = _demo_texts(i18n.language("en").gettext)
    indonesian = _demo_texts(i18n.language("id").gettext)
    assert len(english) == len(indonesian) > 30
    kept = {
        text
        for text, said in zip(english, indonesian, strict=True)
        if text == said and text not in SAME_IN_EVERY_LANGUAGE
    }
    already_indonesian = {t for t in kept if re.search(r"Bahasa Indonesia|Bagus|pergi|Saya", t)}
    assert kept == already_indonesian, "demo text left in English in the Indonesian demo"
    assert "Klub Python (Contoh)" in indonesian and "umum" in indonesian
    assert "#dasar-python" in next(t for t in indonesian if t.startswith("1. "))


def test_an_ssh_player_speaks_their_setting_else_their_clients_language():
    # What an SSH client sent (OpenSSH: SendEnv LANG LC_*), or nothing.
    assert i18n.sent_by_client({"LANG": "id_ID.UTF-8", "TERM": "xterm"}) == "id"
    assert i18n.sent_by_client({"LC_ALL": "en_AU.UTF-8"}) == "en"
    assert i18n.sent_by_client({"TERM": "xterm"}) == ""
    # Their own setting, then their client's, then English: never the host's.
    assert i18n.for_session("auto", "id") == "id"
    assert i18n.for_session("en", "id") == "en"
    assert i18n.for_session("auto", "") == "en"


def test_the_hello_carries_the_clients_language_to_the_worker():
    from studycircle_tui.remote import wire

    hello = wire.Hello("key", "Ayu", False, "xterm-256color", 80, 24, "id")
    payload = wire.hello(hello)[wire._HEADER.size :]
    assert wire.read_hello(payload).language == "id"
