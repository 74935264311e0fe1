"""``studycircle notes export`` and ``notes import``: files out and in, safe file names,
and one clear line (never a traceback) for each thing that can go wrong."""

import pytest

from studycircle_tui import config
from studycircle_tui.cli import main
from studycircle_tui.notes_cli import note_title, safe_file_name
from studycircle_tui.store.db import Store
from studycircle_tui.sync.circles import create_demo_circle, open_service


@pytest.fixture
def demo():
    """The demo circle, made as on a first run, in this test's own home."""
    service = create_demo_circle(Store(config.store_file()), config.demo_circle_file(), "Tester")
    return service


def reopened():
    store = Store(config.store_file())
    return open_service(store, store.circles()[0])


def one_line_error(capsys, *parts: str) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("studycircle: "), err
    assert "Traceback" not in err
    for part in parts:
        assert part in err, err
    return err


def test_export_every_note(demo, tmp_path, capsys):
    out = tmp_path / "notes"
    assert main(["notes", "export", "--out", str(out)]) == 0
    files = sorted(path.name for path in out.iterdir())
    assert files == ["Week 1 summary.md"]
    note = next(iter(demo.state.notes.values()))
    assert (out / "Week 1 summary.md").read_text(encoding="utf-8") == note.text
    assert "exported 'Week 1 summary'" in capsys.readouterr().out


def test_exported_notes_end_with_one_line_break(demo, tmp_path):
    """Whatever the note ends with, the file ends with one line break, never two; an
    empty note stays empty. In a real process, as a person runs it."""
    import subprocess
    import sys

    for title, text in [("a", "no break"), ("b", "one\n"), ("c", "crlf\r\n"), ("d", "")]:
        demo.submit("note.create", {"title": title, "text": text})
    done = subprocess.run(
        [sys.executable, "-m", "studycircle_tui.cli", "notes", "export", "--out", str(tmp_path)],
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    read = {name: (tmp_path / f"{name}.md").read_bytes() for name in "abcd"}
    assert read == {"a": b"no break\n", "b": b"one\n", "c": b"crlf\r\n", "d": b""}


def test_export_one_note_by_title_or_id(demo, tmp_path, capsys):
    note = next(iter(demo.state.notes.values()))
    assert main(["notes", "export", "--note", "WEEK 1 summary", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "Week 1 summary.md").exists()
    other = tmp_path / "by-id"
    assert main(["notes", "export", "--note", note.id, "--out", str(other)]) == 0
    assert (other / "Week 1 summary.md").read_text(encoding="utf-8") == note.text


def test_export_does_not_overwrite_without_force(demo, tmp_path, capsys):
    target = tmp_path / "Week 1 summary.md"
    target.write_text("my own file", encoding="utf-8")
    assert main(["notes", "export", "--out", str(tmp_path)]) == 1
    one_line_error(capsys, "already there", "--force")
    assert target.read_text(encoding="utf-8") == "my own file"
    assert main(["notes", "export", "--out", str(tmp_path), "--force"]) == 0
    assert target.read_text(encoding="utf-8").startswith("# Week 1")


def test_export_names_files_safely_and_keeps_unicode(demo, tmp_path):
    for title in ("Catatan: bab 1/2 — ringkasan ✓", "Same", "same", "CON"):
        demo.submit("note.create", {"title": title, "text": f"# {title}\n"})
    assert main(["notes", "export", "--out", str(tmp_path)]) == 0
    names = sorted(path.name for path in tmp_path.iterdir())
    assert names == sorted(
        [
            "CON_.md",
            "Catatan- bab 1-2 — ringkasan ✓.md",
            "Same.md",
            "same (2).md",
            "Week 1 summary.md",
        ]
    )
    assert (tmp_path / "Catatan- bab 1-2 — ringkasan ✓.md").read_text(encoding="utf-8") == (
        "# Catatan: bab 1/2 — ringkasan ✓\n"
    )


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Week 1 summary", "Week 1 summary"),
        ('a/b\\c:d*e?f"g<h>i|j', "a-b-c-d-e-f-g-h-i-j"),
        ("  ..hidden.  ", "hidden"),
        ("tab\tand\nnewline", "tab and newline"),
        ("???", "note"),
        ("nul.txt", "nul.txt_"),
        ("Ringkasan Bab 3 — Turunan ∂f/∂x", "Ringkasan Bab 3 — Turunan ∂f-∂x"),
        ("日本語のノート", "日本語のノート"),
    ],
)
def test_safe_file_name(title, name):
    assert safe_file_name(title) == name


def test_safe_file_name_fits_a_file_system_name():
    name = safe_file_name("é" * 300)
    assert len(name.encode("utf-8")) <= 200 and set(name) == {"é"}


def test_export_errors_are_one_line(demo, tmp_path, capsys):
    assert main(["notes", "export", "--note", "no such note"]) == 1
    one_line_error(capsys, "no note titled 'no such note'", "Week 1 summary")
    assert main(["notes", "export", "--circle", "Elsewhere"]) == 1
    one_line_error(capsys, "no circle named 'Elsewhere'")
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert main(["notes", "export", "--out", str(a_file)]) == 1
    one_line_error(capsys, "not a folder")


def test_no_circle_yet(tmp_path, capsys):
    assert main(["notes", "export"]) == 1
    one_line_error(capsys, "no circle yet")


def test_import_a_markdown_file(demo, tmp_path, capsys):
    source = tmp_path / "bab-3.md"
    text = "# Turunan: ringkasan\n\n- d/dx x² = 2x ✓\n- Café résumé naïve\n"
    source.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))  # with a byte order mark
    assert main(["notes", "import", str(source), "--channel", "#python-basics"]) == 0
    assert "imported 'Turunan: ringkasan' into #python-basics" in capsys.readouterr().out
    state = reopened().state
    note = next(n for n in state.notes.values() if n.title == "Turunan: ringkasan")
    assert note.text == text
    assert state.channels[note.channel_id].name == "python-basics"
    # And out again, unchanged.
    assert main(["notes", "export", "--note", note.id, "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "Turunan- ringkasan.md").read_text(encoding="utf-8") == text


def test_import_title_from_option_or_file_name(demo, tmp_path):
    source = tmp_path / "kosakata minggu 2.md"
    source.write_text("no heading here\n", encoding="utf-8")
    assert main(["notes", "import", str(source)]) == 0
    assert main(["notes", "import", str(source), "--title", "  Vocabulary,   week 2 "]) == 0
    state = reopened().state
    titles = {note.title: note for note in state.notes.values()}
    assert "kosakata minggu 2" in titles and "Vocabulary, week 2" in titles
    assert titles["kosakata minggu 2"].channel_id is None  # the whole circle's


def test_note_title_is_cut_to_200():
    title = note_title("# " + "x" * 300 + "\n", "f.md", None)
    assert len(title) == 200 and title.endswith("…")


def test_import_over_one_megabyte_is_refused(demo, tmp_path, capsys):
    source = tmp_path / "big.md"
    source.write_text("a" * 1_000_001, encoding="utf-8")
    assert main(["notes", "import", str(source)]) == 1
    one_line_error(capsys, "big.md", "1,000,001 bytes", "limited to 1 MB")
    # Characters are not bytes: 400,000 "é" are 800,000 bytes, and fit.
    fits = tmp_path / "accents.md"
    fits.write_text("é" * 400_000, encoding="utf-8")
    assert main(["notes", "import", str(fits)]) == 0
    capsys.readouterr()
    over = tmp_path / "more-accents.md"
    over.write_text("é" * 500_001, encoding="utf-8")
    assert main(["notes", "import", str(over)]) == 1
    one_line_error(capsys, "1,000,002 bytes")
    assert len(reopened().state.notes) == 2  # the demo's, and the one that fits


def test_import_not_utf8_says_where(demo, tmp_path, capsys):
    source = tmp_path / "latin1.md"
    source.write_bytes("# Notes\n\nCafé\n".encode("latin-1"))
    assert main(["notes", "import", str(source)]) == 1
    one_line_error(capsys, "latin1.md:3: not UTF-8 text", "byte e9", "column 4", "save the file")
    utf16 = tmp_path / "utf16.md"
    utf16.write_bytes("# Notes\n".encode("utf-16"))
    assert main(["notes", "import", str(utf16)]) == 1
    one_line_error(capsys, "UTF-16")


def test_import_errors_are_one_line(demo, tmp_path, capsys):
    assert main(["notes", "import", str(tmp_path / "missing.md")]) == 1
    one_line_error(capsys, "missing.md: cannot read it")
    assert main(["notes", "import", str(tmp_path)]) == 1
    one_line_error(capsys, "is a folder")
    source = tmp_path / "ok.md"
    source.write_text("# Fine\n", encoding="utf-8")
    assert main(["notes", "import", str(source), "--channel", "nope"]) == 1
    one_line_error(capsys, "no channel 'nope'", "#python-basics")
    assert len(reopened().state.notes) == 1


def test_notes_needs_a_command(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["notes"])
    assert raised.value.code == 2
    assert "export" in capsys.readouterr().err
