"""Writing a local export (sync/exports.py): never over a file that is there unless told
to, and then whole or not at all; and the app started by ssh-serve or web is told it
serves someone at another machine."""

import errno
import os
import stat

import pytest

from studycircle_tui.remote.ssh import ServeOptions, Sessions
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
    command = Sessions(options)._command(Player("k", "Ayu", guest=False), "xterm")
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
