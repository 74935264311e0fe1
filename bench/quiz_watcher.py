"""The real app as one player of ``quiz_fanout.py``: the program in its terminal, and the
bench's side that reads that terminal.

Run as a script (by ``Watcher``, never by hand), this starts ``studycircle`` exactly as a
member does (the last circle, its own store, its sync loop, in the terminal it is given),
with one change for the benchmark: the moment a pull's bytes have arrived from the
server, and carry a ``quiz.reveal``, is written to the ``--arrivals`` file as a line
``{"question": Q, "arrived_ms": T}`` (wall clock). From there to the leaderboard on the
terminal is the client's own cost, which ``Watcher`` reads from the terminal through a
terminal emulator (pyte).
"""

import argparse
import asyncio
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from benchkit import PtyScreen, app_env

REVEAL = re.compile(rb'"type":"quiz\.reveal","data":\{"session":"[0-9A-Z]+","question":(\d+)')
LIMIT_S = 60.0  # the longest any one wait for the screen may take


class Watcher:
    """Reads the real app's terminal: joins the lobby when it opens, answers each question
    by key as it appears, and notes when each question's leaderboard is on the screen."""

    TITLE = re.compile(r"question (\d+) of (\d+)")

    def __init__(self, home: Path, arrivals: Path, size: tuple[int, int]) -> None:
        self.home, self.arrivals, self.size = home, arrivals, size
        self.painted: dict[int, float] = {}
        self.answered: set[int] = set()
        self.lobby_seen = False
        self.finished = False
        self.terminal: PtyScreen | None = None

    def join(self, url: str, code: str) -> None:
        """The watcher's member joins as anyone would: ``studycircle join``."""
        command = [sys.executable, "-m", "studycircle_tui.cli", "join", url, code]
        command += ["--name", "Watcher"]
        subprocess.run(command, env=app_env(self.home), check=True, capture_output=True)

    def start(self) -> None:
        argv = [sys.executable, __file__, "--arrivals", str(self.arrivals)]
        self.terminal = PtyScreen(argv, app_env(self.home), self.size, self.watch)

    def watch(self, arrived_ms: float, text: str) -> None:
        title = text.split("\n", 1)[0]
        if "LIVE lobby" in text and not self.lobby_seen:
            self.lobby_seen = True
            self.press(b"\r")  # join the live quiz from the Quiz pane
        found = self.TITLE.search(title)
        if found is not None:
            question = int(found.group(1)) - 1
            if "Press 1–4" in text and question not in self.answered:
                self.answered.add(question)
                self.press(b"1")
            if "Answer:" in text and "Leaderboard" in text and question not in self.painted:
                self.painted[question] = arrived_ms
        if "The quiz is over" in text:
            self.finished = True

    def press(self, keys: bytes) -> None:
        assert self.terminal is not None
        self.terminal.press(keys)

    async def wait_for(self, words: str) -> None:
        deadline = time.monotonic() + LIMIT_S
        while self.terminal is None or words not in self.terminal.text():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the player's app never showed {words!r}")
            await asyncio.sleep(0.05)

    def arrived(self) -> dict[int, float]:
        """When each question's reveal first reached the app (wall clock, ms)."""
        found: dict[int, float] = {}
        for line in self.arrivals.read_text().splitlines():
            note = json.loads(line)
            found.setdefault(note["question"], note["arrived_ms"])
        return found

    def close(self) -> None:
        if self.terminal is not None:
            self.terminal.close()


def main() -> None:
    """The app, its HTTP transport noting when each reveal's bytes arrive."""
    from studycircle_tui import cli
    from studycircle_tui.sync.http import HttpTransport

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arrivals", required=True)
    args = parser.parse_args()
    arrivals = open(args.arrivals, "a", buffering=1, encoding="utf-8")  # noqa: SIM115
    receive = HttpTransport._receive  # every pull's body comes through here

    async def timed_receive(self, request, progress=None):
        content = await receive(self, request, progress)
        arrived = time.time_ns() / 1e6
        for found in REVEAL.finditer(content):
            line = {"question": int(found.group(1)), "arrived_ms": arrived}
            arrivals.write(json.dumps(line) + "\n")
        return content

    HttpTransport._receive = timed_receive  # type: ignore[method-assign]
    raise SystemExit(cli.main([]))


if __name__ == "__main__":
    main()
