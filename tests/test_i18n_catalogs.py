"""The catalogs: every marked sentence translated, with the English's fields, and the
compiled .mo that ships saying what the .po says (tools/i18n.py, `make i18n`)."""

import importlib.util
import io
from gettext import GNUTranslations
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from studycircle_tui import i18n

TOOLS = Path(__file__).resolve().parent.parent / "tools" / "i18n.py"
spec = importlib.util.spec_from_file_location("i18n_tool", TOOLS)
tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tool)

OTHERS = [code for code in i18n.LANGUAGES if code != i18n.SOURCE]


@pytest.fixture(scope="module")
def source():
    return tool.template()


def test_extraction_finds_the_sentences_of_each_layer(source):
    ids = {m.id for m in source if m.id}
    # One sentence from each place that marks them: the CLI, a core refusal (N_), a
    # sentence with fields (Message), a server error code's sentence, a plural.
    assert "start a new circle in a shared file" in ids
    assert "only the circle's lead may do this" in ids
    assert "unknown time zone '{zone}'" in ids
    assert "this invite has expired; ask for a new one" in ids
    assert any(isinstance(i, tuple) and i[0].startswith("imported '{title}'") for i in ids)


@pytest.mark.parametrize("code", OTHERS)
def test_every_marked_sentence_is_translated_with_its_fields(source, code):
    assert tool.problems(source, tool.read(code)) == []


def test_the_check_finds_a_missing_sentence_and_a_broken_field(source):
    """The positive control for the test above: a catalog with one sentence left out,
    one fuzzy, one whose field was renamed, one with its braces broken, is refused."""
    broken = Catalog(locale="id")
    entries = [m for m in tool.read("id") if m.id]
    renamed = next(m for m in entries if m.id == "no circle named {name!r} (yours: {known})")
    braces = next(m for m in entries if m.id == "sync stopped: {reason}")
    fuzzy = next(m for m in entries if m.id == "the post is deleted")
    left_out = next(m for m in entries if m.id == "no such quiz")
    for m in entries:
        if m is left_out:
            continue
        string = m.string
        if m is renamed:
            string = "tidak ada lingkar bernama {nama!r} (milik Anda: {known})"
        if m is braces:
            string = "sinkronisasi berhenti: {reason"
        flags = {"fuzzy"} if m is fuzzy else set()
        broken.add(m.id, string, flags=flags)
    found = "\n".join(tool.problems(source, broken))
    assert "not in the catalog: 'no such quiz'" in found
    assert "not translated (fuzzy): 'the post is deleted'" in found
    assert "fields differ from the English" in found and "{nama!r}" in found
    assert "broken braces" in found and "sync stopped" in found


@pytest.mark.parametrize("code", OTHERS)
def test_the_shipped_mo_says_what_the_po_says(code):
    """The .mo files are committed (no build step at install, and an editable install
    works): each must be the compilation of its .po as it is now."""
    shipped = tool.po_path(code).with_suffix(".mo").read_bytes()
    from_po = tool.compiled(tool.read(code))
    assert GNUTranslations(io.BytesIO(shipped))._catalog == (
        GNUTranslations(io.BytesIO(from_po))._catalog
    ), f"run `make i18n`: {code}'s .mo is older than its .po"


def test_the_package_loads_the_compiled_catalog():
    indonesian = i18n.language("id")
    assert indonesian.gettext("the circle already exists") == "lingkar ini sudah ada"
    assert indonesian.gettext("a sentence no catalog holds") == "a sentence no catalog holds"
