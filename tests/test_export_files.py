"""Writing a local export (sync/exports.py): never over a file that is there unless told
to, and then whole or not at all; and the app started by ssh-serve or web is told it
serves someone at another machine."""

import errno
import os
import stat
from pathlib import Path

import pytest

from studycircle_tui.remote.app_processes import AppProcesses
from studycircle_tui.remote.ssh import ServeOptions
from studycircle_tui.remote.web import app_command
from studycircle_tui.sync import exports


def test_write_new_refuses_a_file_that_is_there_and_leaves_it(tmp_path):
    path = tmp_path / "results.csv"
    path.write_text("keep me")
    with pytest.raises(FileExistsError):
        exports.write_new(path, b"new")
    assert path.read_text() == "keep me"


def test_write_new_refuses_a_symlink_even_a_dangling_one(tmp_path):
    link = tmp_path / "results.csv"
    link.symlink_to(tmp_path / "elsewhere" / "target")
    with pytest.raises(FileExistsError):
        exports.write_new(link, b"new")
    assert not (tmp_path / "elsewhere").exists()


def test_replace_keeps_the_mode_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "results.csv"
    path.write_text("old")
    path.chmod(0o600)
    exports.replace(path, b"new")
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["results.csv"]


def test_a_failed_replace_leaves_the_old_file_whole(tmp_path, monkeypatch):
    path = tmp_path / "results.csv"
    path.write_text("old")

    def disk_full(source, destination):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(exports.os, "replace", disk_full)  # the last step fails
    with pytest.raises(OSError):
        exports.replace(path, b"new")
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["results.csv"]  # the temporary file is gone too


def test_a_folder_gets_the_offered_name(tmp_path):
    assert exports.target(tmp_path, "quiz.csv") == tmp_path / "quiz.csv"
    assert exports.target(tmp_path / "mine.csv", "quiz.csv") == tmp_path / "mine.csv"


def test_ssh_serve_and_web_start_the_app_as_served_to_another_machine(tmp_path):
    from studycircle_tui.remote.keys import Player

    options = ServeOptions(circle_file=tmp_path / "club.jsonl", players_dir=tmp_path)
    command = AppProcesses(options, print)._command(Player("k", "Ayu", guest=False), "xterm")
    at = command.index("--served-over")
    assert command[at + 1] == "ssh" and at < command.index("open")
    words = app_command(["open", "club.jsonl"]).split()
    at = words.index("--served-over")
    assert words[at + 1] == "web" and at < words.index("open")


def test_the_command_line_hands_the_setting_to_the_app(monkeypatch, tmp_path):
    from studycircle_tui import cli

    seen = {}

    class Recorder:
        def __init__(self, service, **options):
            seen.update(options)

        def run(self):
            self.return_code = 0

    import studycircle_tui.tui.app as app_module

    monkeypatch.setattr(app_module, "StudyCircleApp", Recorder)
    circle = tmp_path / "club.jsonl"
    assert cli.main(["new", "Club", "--file", str(circle), "--no-open"]) == 0
    assert cli.main(["--served-over", "ssh", "open", str(circle)]) == 0
    assert seen == {"remote": "ssh"}
    assert cli.main(["open", str(circle)]) == 0
    assert seen == {"remote": None}


# --- where an export goes unless its person says otherwise -----------------------------


@pytest.fixture
def started_elsewhere(tmp_path, monkeypatch, isolated_home):
    """The app started from some project folder, as a person in a terminal does."""
    folder = tmp_path / "some-project"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def test_an_export_goes_to_downloads_not_where_the_app_was_started(started_elsewhere):
    home = Path.home()
    (home / "Downloads").mkdir()
    folder = exports.default_folder()
    assert folder == home / "Downloads"
    assert exports.target(Path("results.csv"), "x.csv", folder) == home / "Downloads/results.csv"
    exports.write_new(exports.target(Path("."), "results.csv", folder), b"a,b\n")
    assert (home / "Downloads" / "results.csv").read_bytes() == b"a,b\n"
    assert list(started_elsewhere.iterdir()) == []


def test_with_no_downloads_folder_an_export_goes_home(started_elsewhere):
    assert exports.default_folder() == Path.home()
    assert exports.target(Path("s.ics"), "x", exports.default_folder()) == Path.home() / "s.ics"


def test_the_downloads_folder_the_desktop_names_in_any_language(started_elsewhere):
    home = Path.home()
    (home / "Unduhan").mkdir()
    (home / ".config").mkdir(mode=0o700, exist_ok=True)
    (home / ".config" / "user-dirs.dirs").write_text('XDG_DOWNLOAD_DIR="$HOME/Unduhan"\n')
    assert exports.default_folder() == home / "Unduhan"


def test_a_path_typed_in_full_goes_where_it_says(tmp_path):
    assert exports.target(tmp_path / "r.csv", "x", Path.home()) == tmp_path / "r.csv"
    assert exports.target(Path("~/r.csv"), "x", tmp_path) == Path.home() / "r.csv"
