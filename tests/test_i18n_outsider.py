"""Languages under hostile input: a member's name or text full of format fields shown in
a translated sentence, and a language asked for that does not exist (a flag, the
environment, the config file). No crash, no field filled from another, a clear answer."""

import importlib.util
import os
import string
import subprocess
import sys
from pathlib import Path

import pytest

from studycircle_tui import cli, config, i18n
from studycircle_tui.core.messages import Message

TOOLS = Path(__file__).resolve().parent.parent / "tools" / "i18n.py"
spec = importlib.util.spec_from_file_location("i18n_tool", TOOLS)
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)

# What a hostile member names themselves or writes (one line of plain text: allowed).
HOSTILE = "{member} %s %(name)s {0} {} {!r} }{ {name.__class__} {{x}}"


def _simple_fields(template: str) -> list[str] | None:
    """The fields of ``template`` if each is a plain name (``{name}``, ``{name!r}``);
    None for one with a number format (``{count:,}``), which takes no text."""
    names = []
    for _text, name, spec_, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier() or spec_ or conversion not in (None, "r"):
            return None
        names.append(name)
    return names


def _templates() -> list[str]:
    found = []
    for message in tool.read("id"):
        if isinstance(message.id, str) and message.id:
            fields = _simple_fields(message.id)
            if fields:
                found.append(message.id)
    return found


@pytest.mark.parametrize("code", list(i18n.LANGUAGES))
def test_hostile_text_in_any_field_of_any_sentence_is_shown_as_it_is(code):
    """Every sentence with fields in the catalog, each field holding hostile text (as a
    plain value and as a sentence passed on, ``Message(text)``): said in the language,
    the text appears verbatim, and nothing in it is taken for a field."""
    language = i18n.language(code)
    templates = _templates()
    assert len(templates) > 50  # the catalog's sentences with fields, not an empty list
    for template in templates:
        names = _simple_fields(template)
        for value in (HOSTILE, Message(HOSTILE)):
            said = language.message(Message(template, **dict.fromkeys(names, value)))
            assert HOSTILE in said or repr(HOSTILE) in said, (template, said)
            assert "{" + "member}" in said  # never filled in from anything


def test_a_hostile_member_name_in_an_indonesian_command_line_answer(tmp_path, capsys):
    circle_file = tmp_path / "c.jsonl"
    made = ["new", "Klub", "--file", str(circle_file), "--name", HOSTILE, "--no-open"]
    assert cli.main(made) == 0
    capsys.readouterr()
    assert cli.main(["--lang", "id", "circle", "show"]) == 0
    out, err = capsys.readouterr()
    assert HOSTILE in out, out
    assert "Traceback" not in out + err


def test_a_language_that_does_not_exist_is_refused_in_one_line(capsys):
    with pytest.raises(SystemExit) as ended:
        cli.main(["--lang", "xx", "circle", "show"])
    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'xx'" in err and "'id'" in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize("value", ["5", '"xx"', "[1, 2]", '"id\\u0000"'])
def test_a_config_language_of_the_wrong_kind_is_reported_and_english_spoken(capsys, value):
    path = config.config_file()
    path.parent.mkdir(parents=True)
    path.write_text(f"language = {value}\n", encoding="utf-8")
    settings = config.load_settings()
    assert settings.language == "auto"
    [problem] = settings.problems
    assert "'language' should be one of 'auto', 'en', 'id'" in problem, problem
    assert cli.main(["circle", "show"]) == 1
    err = capsys.readouterr().err
    assert "no circle yet" in err and "Traceback" not in err, err


@pytest.mark.parametrize(
    "environment",
    [
        {"LANG": "garbage"},
        {"LANG": "\u00ff\u00fe.@@;:"},
        {"LANGUAGE": "::xx:", "LANG": "id"},
        {"LC_ALL": "C", "LANGUAGE": "id"},
        {"LANG": "_", "LC_MESSAGES": "."},
    ],
)
def test_a_garbage_locale_runs_the_command_line_without_a_traceback(tmp_path, environment):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
    }
    env.update(environment)
    done = subprocess.run(
        [sys.executable, "-m", "studycircle_tui.cli", "circle", "show"],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    # Indonesian only when the environment really names it; English otherwise.
    wanted = i18n.from_environment(environment)
    assert ("belum ada lingkar" in done.stderr) == (wanted == "id"), done.stderr
