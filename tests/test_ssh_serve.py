"""`studycircle ssh-serve` with the real OpenSSH client: a known key lands in the circle
as its own member, answers the lead's live quiz question and leaves; a player who drops
and comes back is the same member with the same score; a window resize reaches the app;
an unknown key gets no shell; a killed client leaves nothing behind; a worker that dies
is started again. Players' apps run in worker processes (``--workers``), or each in a
process of its own (``--app-per-session``)."""

import asyncio
import base64
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ptyterm import PtyApp
from studycircle_tui.remote.keys import parse_authorized_keys
from studycircle_tui.remote.ssh import load_host_key
from studycircle_tui.terminal import depth_for_term

pytestmark = pytest.mark.skipif(
    shutil.which("ssh") is None or shutil.which("ssh-keygen") is None,
    reason="needs the OpenSSH client (.ci/run installs openssh-client)",
)


def keygen(path: Path, comment: str) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
    )
    return path.with_suffix(".pub").read_text().strip()


class Server:
    """``studycircle ssh-serve`` on a free loopback port, its log collected."""

    def __init__(self, circle: Path, keys: Path, *extra: str) -> None:
        if "--app-per-session" not in extra and "--workers" not in extra:
            extra = ("--workers", "1", *extra)
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "studycircle_tui.cli", "ssh-serve"),
                *("--circle", str(circle), "--keys", str(keys)),
                *("--host", "127.0.0.1", "--port", "0", *extra),
            ],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.port = int(self.wait_for(r"on port (\d+)").group(1))

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip())

    def wait_for(self, pattern: str, limit: float = 30.0, after: int = 0) -> re.Match:
        """The first log line from line ``after`` on that matches ``pattern``."""
        end = time.monotonic() + limit
        while time.monotonic() < end:
            for line in self.lines[after:]:
                if match := re.search(pattern, line):
                    return match
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} in the server's log: {self.lines}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(15)

    def children(self) -> list[int]:
        """Processes whose parent is the server."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    found.append(int(entry.name))
        return found


def ssh(port: int, key: Path, tmp_path: Path, size=(80, 24), user: str = "ayu") -> PtyApp:
    argv = ["ssh", "-p", str(port), "-i", str(key), "-l", user]
    argv += ["-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no"]
    argv += ["-o", f"UserKnownHostsFile={tmp_path / 'known_hosts'}", "-o", "LogLevel=ERROR"]
    argv += ["127.0.0.1"]
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "TERM": "xterm-256color"}
    return PtyApp(argv, env, size)


@pytest.fixture
def club(tmp_path):
    """A circle file, a player key named in the authorized-keys file, and a stranger."""
    from studycircle_tui.store.db import Store
    from studycircle_tui.sync.circles import create_file_circle

    circle = tmp_path / "club.jsonl"
    create_file_circle(Store(tmp_path / "lead.sqlite3"), circle, "Quiz Club", "Lead")
    ayu = keygen(tmp_path / "ayu", "ayu@laptop")
    keygen(tmp_path / "stranger", "stranger@elsewhere")
    keys = tmp_path / "authorized_keys"
    keys.write_text(f'# players\nname="Ayu Lestari" {ayu}\n')
    return circle, keys


def test_a_known_key_lands_in_the_circle_as_its_member_and_resizes_reach_the_app(club, tmp_path):
    circle, keys = club
    server = Server(circle, keys)
    try:
        workers = server.children()
        assert len(workers) == 1  # --workers 1: every player's app runs in that one
        player = ssh(server.port, tmp_path / "ayu", tmp_path)
        try:
            assert player.wait_for("Ayu Lestari (member)"), player.text()
            assert "Quiz Club" in player.text()
            member = server.wait_for(r"Ayu Lestari connected \(worker 0, member (\w+)\)").group(1)
            # The player is a member of their own in the circle's shared log.
            log = circle.read_text()
            assert '"member.join"' in log and "Ayu Lestari" in log and member in log
            assert server.children() == workers  # no process of its own
            player.resize(100, 30)  # the status line moves to the new last-but-one row
            assert player.wait_until(lambda: "Ayu Lestari" in player.screen.display[28])
            player.press(b"\x11")  # ctrl+q: the app quits, the session ends
            player.process.wait(20)
            server.wait_for(rf"Ayu Lestari left \(worker 0, member {member}: quit\)")
        finally:
            player.close()
    finally:
        server.stop()


def test_with_an_app_per_session_each_player_gets_a_process_that_ends_with_them(club, tmp_path):
    circle, keys = club
    server = Server(circle, keys, "--app-per-session")
    try:
        player = ssh(server.port, tmp_path / "ayu", tmp_path)
        try:
            assert player.wait_for("Ayu Lestari (member)"), player.text()
            pid = int(server.wait_for(r"Ayu Lestari connected \(app pid (\d+)\)").group(1))
            assert server.children() == [pid]
            player.resize(100, 30)
            assert player.wait_until(lambda: "Ayu Lestari" in player.screen.display[28])
            player.press(b"\x11")  # ctrl+q
            player.process.wait(20)
            server.wait_for(rf"left \(app pid {pid}")
            assert not Path(f"/proc/{pid}").exists()
        finally:
            player.close()
    finally:
        server.stop()


def _sync_until(service, done, limit: float = 20.0) -> bool:
    end = time.monotonic() + limit
    while not done():
        if time.monotonic() > end:
            return False
        asyncio.run(service.sync_once())
        time.sleep(0.1)
    return True


def _live_quiz(tmp_path: Path, questions: int = 1):
    """Lea's circle file with a live quiz in its lobby, run from her own app's service
    (in this process): her service, its runner, the session."""
    from studycircle_tui.core.ops import Key, Question
    from studycircle_tui.store.db import Store
    from studycircle_tui.sync.circles import create_file_circle
    from studycircle_tui.sync.quizrun import QuizRunner

    circle = tmp_path / "club.jsonl"
    lea = create_file_circle(Store(tmp_path / "lea.sqlite3"), circle, "Quiz Club", "Lea")
    channel = lea.submit("channel.create", {"name": "python"}).id
    runner = QuizRunner(lea)
    question = Question(
        kind="multiple_choice",
        text="What does len([1, 2, 3]) return?",
        choices=["2", "3", "4", "An error"],
        seconds=600,
    )
    asked = [question] * questions
    quiz = asyncio.run(
        runner.create("Python basics", asked, [Key(choices=[1])] * questions, channel)
    )
    session = asyncio.run(runner.start(quiz.id)).id
    asyncio.run(lea.sync_once())
    return lea, runner, session


def _join_the_live_quiz(player: PtyApp, waiting: bool = True) -> None:
    # The main screen is up (its status line may leave the role out when a live quiz
    # takes its room).
    assert player.wait_for("@ Mentions"), player.text()
    player.press(b"z")  # the Quiz pane (the status line's "● LIVE …" shows before it)
    assert player.wait_for("LIVE lobby"), player.text()
    player.press(b"\r")  # join the live quiz
    if waiting:
        assert player.wait_for("Waiting for Lea"), player.text()


def _my_line(player: PtyApp) -> str | None:
    return next((line for line in player.screen.display if "← you" in line), None)


def circle_joins(circle: Path, name: str) -> int:
    return sum(
        1 for line in circle.read_text().splitlines() if '"member.join"' in line and name in line
    )


def test_a_player_answers_a_live_quiz_question_over_ssh_and_leaves(tmp_path):
    """Lea runs a live quiz from her own app's service (in this process); Ayu plays it
    over ssh: joins from the Quiz pane, answers, sees the reveal, quits."""
    lea, runner, session = _live_quiz(tmp_path)
    keys = tmp_path / "authorized_keys"
    keys.write_text(f'name="Ayu" {keygen(tmp_path / "ayu", "ayu@laptop")}\n')
    server = Server(tmp_path / "club.jsonl", keys)
    try:
        ayu = ssh(server.port, tmp_path / "ayu", tmp_path)
        try:
            _join_the_live_quiz(ayu)
            asyncio.run(runner.open_question(session, 0))
            asyncio.run(lea.sync_once())
            assert ayu.wait_for("What does len([1, 2, 3]) return?"), ayu.text()
            ayu.press(b"b")
            assert ayu.wait_for("Answer sent"), ayu.text()

            def answers() -> dict:
                return lea.state.sessions[session].answers.get(0, {})

            assert _sync_until(lea, lambda: len(answers()) == 1)
            assert [value for value, _ in answers().values()] == [[1]]  # B, as Ayu pressed
            asyncio.run(runner.close(session))
            asyncio.run(runner.reveal(session))
            asyncio.run(lea.sync_once())
            assert ayu.wait_for("Right"), ayu.text()
            assert "1. Ayu" in ayu.text()  # the leaderboard
            ayu.press(b"\x11")  # ctrl+q
            ayu.process.wait(20)
            server.wait_for(r"Ayu left \(worker 0, member \w+: quit\)")
        finally:
            ayu.close()
    finally:
        server.stop()


def _files_under(*folders: Path) -> set[Path]:
    return {
        path
        for folder in folders
        for path in folder.rglob("*")
        if path.is_file() and not path.name.endswith(("-wal", "-shm", "-journal"))
    }


def test_a_guest_s_export_is_shown_for_copying_and_writes_nothing_on_the_host(tmp_path):
    """With --guests any key comes in. At the end of a live quiz the guest presses e: the
    results are shown (and copied through their terminal), and no file of the host's
    account is written or changed, whatever path they type."""
    lea, runner, session = _live_quiz(tmp_path)
    keys = tmp_path / "authorized_keys"
    keys.write_text("# nobody yet\n")
    keygen(tmp_path / "stranger", "sam@elsewhere")
    home = Path(os.environ["HOME"])  # the server's (and so the host account's) home
    planted = home / ".bashrc_test"
    planted.write_text("# the host's own\n")
    server = Server(tmp_path / "club.jsonl", keys, "--guests")
    try:
        sam = ssh(server.port, tmp_path / "stranger", tmp_path, size=(100, 30), user="sam")
        try:
            assert sam.wait_for("(guest)"), sam.text()
            _join_the_live_quiz(sam)
            asyncio.run(runner.open_question(session, 0))
            asyncio.run(lea.sync_once())
            assert sam.wait_for("What does len([1, 2, 3]) return?"), sam.text()
            sam.press(b"b")
            assert _sync_until(lea, lambda: lea.state.sessions[session].answers.get(0))
            asyncio.run(runner.close(session))
            asyncio.run(runner.reveal(session))
            asyncio.run(runner.finish(session))
            asyncio.run(lea.sync_once())
            assert sam.wait_for("The quiz is over"), sam.text()
            before = _files_under(tmp_path, home)

            sam.press(b"e")
            assert sam.wait_for("nothing is saved there"), sam.text()
            assert "player,question,answer,correct,seconds,points" in sam.text()
            sam.press(b"c")  # copy it all: OSC 52, to the terminal at the player's end
            results = runner.results_csv(session)
            copied = b"\x1b]52;c;" + base64.b64encode(results.encode())
            assert sam.wait_until(lambda: copied in sam.raw), sam.raw[-400:]
            sam.press(b"../../../../../../.bashrc_test\r")  # no path box: nothing happens
            sam.press(b"\x1b")
            assert sam.wait_until(lambda: "nothing is saved there" not in sam.text())
            assert "The quiz is over" in sam.text()
        finally:
            sam.close()
    finally:
        server.stop()
    assert _files_under(tmp_path, home) == before
    assert planted.read_text() == "# the host's own\n"
    for path in before:
        assert b"player,question,answer" not in path.read_bytes(), path


def test_an_unknown_key_gets_no_shell(club, tmp_path):
    circle, keys = club
    server = Server(circle, keys)
    try:
        workers = server.children()
        stranger = ssh(server.port, tmp_path / "stranger", tmp_path)
        stranger.process.wait(30)
        stranger.settle(quiet=0.3)
        assert stranger.process.returncode == 255
        assert "Permission denied" in stranger.text()
        server.wait_for("refused an unknown key")
        assert not any("connected" in line for line in server.lines)
        assert server.children() == workers
        stranger.close()
    finally:
        server.stop()


def test_with_guests_allowed_an_unknown_key_comes_in_as_a_guest(club, tmp_path):
    circle, keys = club
    server = Server(circle, keys, "--guests")
    try:
        guest = ssh(server.port, tmp_path / "stranger", tmp_path, user="sam")
        try:
            assert guest.wait_for("sam (guest) (member)"), guest.text()
        finally:
            guest.close()
    finally:
        server.stop()


@pytest.mark.parametrize("mode", ["--workers", "--app-per-session"])
def test_killing_the_client_leaves_nothing_behind(club, tmp_path, mode):
    circle, keys = club
    server = Server(circle, keys, *((mode, "1") if mode == "--workers" else (mode,)))
    try:
        before = server.children()
        player = ssh(server.port, tmp_path / "ayu", tmp_path)
        assert player.wait_for("Ayu Lestari (member)"), player.text()
        connected = server.wait_for(r"Ayu Lestari connected \((.+?)\)").group(1)
        os.killpg(player.process.pid, signal.SIGKILL)  # the client dies without a word
        player.process.wait(10)
        if mode == "--workers":
            server.wait_for(r"Ayu Lestari left \(worker 0, member \w+: the player left\)")
        else:
            pid = int(connected.split()[-1])
            # Hung up on, the app ended by itself (its drafts saved), not killed.
            server.wait_for(rf"left \(app pid {pid}, exit 0\)")
            assert not Path(f"/proc/{pid}").exists()
        assert server.children() == before  # the workers (or nothing), as before
        player.close()
    finally:
        server.stop()
    assert server.process.returncode == 0
    assert server.children() == []


def test_a_player_who_drops_ends_only_their_own_session(club, tmp_path):
    """Two players' apps share one worker process: Ayu's link dropping ends her app (its
    driver hears the end of her connection), and Budi's goes on answering his keys."""
    circle, keys = club
    keys.write_text(keys.read_text() + f'name="Budi" {keygen(tmp_path / "budi", "budi@pc")}\n')
    server = Server(circle, keys)
    try:
        workers = server.children()
        ayu = ssh(server.port, tmp_path / "ayu", tmp_path)
        budi = ssh(server.port, tmp_path / "budi", tmp_path, user="budi")
        try:
            assert ayu.wait_for("Ayu Lestari (member)"), ayu.text()
            assert budi.wait_for("Budi (member)"), budi.text()
            os.killpg(ayu.process.pid, signal.SIGKILL)  # her link drops without a word
            server.wait_for(r"Ayu Lestari left \(worker 0, member \w+: the player left\)")
            budi.resize(100, 30)  # his app still draws: the status line moves down
            assert budi.wait_until(lambda: "Budi (member)" in budi.screen.display[28]), budi.text()
            assert not any(line.startswith("ssh-serve: Budi left") for line in server.lines)
            assert server.children() == workers
        finally:
            ayu.close()
            budi.close()
    finally:
        server.stop()


def test_a_player_who_drops_and_comes_back_keeps_their_seat_and_score(tmp_path):
    """Ayu answers question 1 right, her client dies, she connects again: the same
    member, back in the quiz without a key pressed, her points on the leaderboard marked
    as hers; she answers question 2."""
    lea, runner, session = _live_quiz(tmp_path, questions=2)
    keys = tmp_path / "authorized_keys"
    keys.write_text(f'name="Ayu" {keygen(tmp_path / "ayu", "ayu@laptop")}\n')
    server = Server(tmp_path / "club.jsonl", keys)
    try:
        ayu = ssh(server.port, tmp_path / "ayu", tmp_path)
        _join_the_live_quiz(ayu)
        seat = server.wait_for(r"Ayu connected \(worker 0, member (\w+)\)").group(1)
        asyncio.run(runner.open_question(session, 0))
        asyncio.run(lea.sync_once())
        assert ayu.wait_for("Question 1 of 2"), ayu.text()
        ayu.press(b"b")  # right
        assert _sync_until(lea, lambda: seat in lea.state.sessions[session].answered.get(0, ()))
        asyncio.run(runner.close(session))
        asyncio.run(runner.reveal(session))
        asyncio.run(lea.sync_once())
        assert ayu.wait_for("← you"), ayu.text()
        os.killpg(ayu.process.pid, signal.SIGKILL)  # the connection drops
        ayu.process.wait(10)
        ayu.close()
        server.wait_for(rf"Ayu left \(worker 0, member {seat}: the player left\)")

        again = ssh(server.port, tmp_path / "ayu", tmp_path)
        try:
            assert again.wait_for("hosted by Lea"), again.text()  # the quiz, not the channels
            lines = server.lines
            assert len(re.findall(rf"Ayu connected \(worker 0, member {seat}\)", str(lines))) == 2
            assert again.wait_until(lambda: _my_line(again) is not None), again.text()
            assert "1000 pts" in _my_line(again) and "1 right" in _my_line(again)
            asyncio.run(runner.open_question(session, 1))
            asyncio.run(lea.sync_once())
            assert again.wait_for("Question 2 of 2"), again.text()
            again.press(b"a")
            assert _sync_until(lea, lambda: seat in lea.state.sessions[session].answered.get(1, ()))
            answers = lea.state.sessions[session].answers
            assert set(answers[0]) == set(answers[1]) == {seat}  # one player, one seat
            assert circle_joins(tmp_path / "club.jsonl", "Ayu") == 1
        finally:
            again.close()
    finally:
        server.stop()


def test_a_worker_that_dies_is_started_again_and_players_can_come_back(club, tmp_path):
    circle, keys = club
    server = Server(circle, keys)
    try:
        player = ssh(server.port, tmp_path / "ayu", tmp_path)
        assert player.wait_for("Ayu Lestari (member)"), player.text()
        (worker,) = server.children()
        os.kill(worker, signal.SIGKILL)
        player.process.wait(20)  # the session ends with its worker
        player.close()
        server.wait_for("worker 0 stopped .* starting it again")
        again = ssh(server.port, tmp_path / "ayu", tmp_path)
        try:
            assert again.wait_for("Ayu Lestari (member)"), again.text()
            assert server.children() != [worker] and len(server.children()) == 1
        finally:
            again.close()
    finally:
        server.stop()


def test_the_host_key_is_made_once_and_kept(tmp_path):
    first = load_host_key(tmp_path / "ssh" / "host_key")
    again = load_host_key(tmp_path / "ssh" / "host_key")
    assert first.get_fingerprint() == again.get_fingerprint()
    assert (tmp_path / "ssh" / "host_key").stat().st_mode & 0o777 == 0o600


def test_the_authorized_keys_file_maps_keys_to_names(tmp_path):
    ayu = keygen(tmp_path / "a", "ayu@laptop")
    sam = keygen(tmp_path / "s", "sam@home")
    text = f'name="Ayu \\"A\\" Lestari" {ayu}\n{sam}\nnonsense here\n\n# a comment\n'
    players, problems = parse_authorized_keys(text)
    assert sorted(players.values()) == ['Ayu "A" Lestari', "sam"]
    assert len(problems) == 1 and problems[0].startswith("line 3:")


@pytest.mark.parametrize(
    ("term", "depth"),
    [("xterm-256color", "256"), ("linux", "16"), ("screen", "16"), ("dumb", "1")],
)
def test_colour_depth_follows_the_terminal_type_ssh_sends(term, depth):
    assert depth_for_term(term) == depth


def test_ssh_serve_starts_without_deprecation_warnings(club):
    """asyncssh's DSA support made cryptography print five warning blocks at every
    start; the host sees only what concerns them."""
    circle, keys = club
    server = Server(circle, keys)  # waits for its "on port N" line: it is up
    try:
        assert server.lines, "the server said nothing"
        assert not [line for line in server.lines if "Warning" in line], server.lines
    finally:
        server.stop()
