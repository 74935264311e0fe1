"""Start-up, search and memory of the real app, in a pseudo-terminal, as a person meets them.

Every figure is taken from the real ``studycircle`` process in a pty (120x40,
TERM=xterm-256color), its output read through a terminal emulator (pyte):

- first paint: from just before the process is started to the moment the chunk of output
  that completes the first usable screen arrives (the circle's name in the status line,
  the channel list, the first channel's threads). Measured on the demo circle and on
  circles of 10,000 and 100,000 ops (fold.py's mix of a busy group: replies, reactions,
  edits, read marks, answers, flags, hides, deletes), each opened once beforehand so the
  figure is that of an everyday start (the first open of a big circle after a sync folds
  it all and writes the snapshot; that run is shown too, as "first open").
- search: in a circle of 100,000 posts, "/" then "kalkulus" typed in one go; from the
  write to the chunk that paints the results' count.
- peak RSS: VmHWM of the app process with the 100,000-op circle open, after a search and
  opening a thread of the results.

The baseline for start-up, run alternately with the app in the same go: a bare Textual
app (header, one line of text, footer). For search, a re-implementation in this process
of the scan the app used before its index (every post's text folded and joined, then
``str.find``; its first search built all that), on the same posts. For memory, the bare
app's peak in the same go, and the figure measured before this change (170 MB).

Wall times on a shared machine include other programs' turns: CPU times are printed
beside them, with the load average.

Usage: python bench/startup.py [--runs N] [--sizes 10000,100000] [--search-posts 100000]
The last line printed is one JSON object:
{"first_paint_ratio": {"demo": ..., "10000": ..., "100000": ...}, "search_ms": ...,
 "peak_rss_mb_100000": ...}
"""

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchkit import PtyProgram, app_env, load_average
from big_channel import post_text
from fold import Builder

SIZE = (120, 40)  # three panes: channels, the first channel's threads, the welcome
TARGETS = {"demo": 1.3, "10000": 1.3, "100000": 1.5, "search_ms": 50, "rss_mb": 100}
RSS_BEFORE_MB = 170  # the 100,000-op circle's process before this change (issue 19)
QUIT = b"\x11"  # ctrl+q

BARE_APP = """
from textual.app import App
from textual.widgets import Footer, Header, Static

class Bare(App):
    BINDINGS = [("ctrl+q", "quit", "Quit")]

    def compose(self):
        yield Header()
        yield Static("A bare Textual app: header, text, footer.")
        yield Footer()

Bare().run()
"""


def group_text(rng: random.Random) -> str:
    """A post as the benchmark's group writes it; about one in 300 mentions kalkulus."""
    text = post_text(rng)
    if rng.random() < 1 / 300:
        text += " Besok kita belajar kalkulus bersama."
    return text


# --- the circles ---------------------------------------------------------------------


def store_path(home: Path) -> Path:
    return home / ".local" / "share" / "studycircle" / "replica.sqlite3"


def big_home(root: Path, ops: int, seed: int) -> tuple[Path, str, int]:
    """A home whose app opens a file circle of ``ops`` ops; its name and post count."""
    from studycircle_tui.store.db import CircleRecord, Store
    from studycircle_tui.sync.file import create_circle_file

    home = root / f"home-{ops}"
    builder = Builder(ops, seed, text=group_text)
    circle_id, made = builder.build()
    folder = home / "circles"
    folder.mkdir(parents=True)
    path = folder / "calculus.jsonl"
    create_circle_file(path, made)
    store = Store(store_path(home))
    # As a sync would have stored them: each op beside the verdict on its signature.
    store.add_ops(circle_id, made, verdicts=builder.maker.signatures)
    name = made[0].data.name
    store.save_circle(CircleRecord(circle_id, name, "file", str(path), builder.me, 1))
    mine = builder.keys[builder.me]  # the reader's key, on their computer as after a join
    store.save_key(circle_id, builder.me, mine.public, mine.seed, 1)
    store.close()
    posts = sum(op.type in ("post.create", "thread.create") for op in made)
    return home, name, posts


def post_count_for(posts: int) -> int:
    """How many ops fold.py's mix needs for about ``posts`` posts (70% of activity)."""
    return round(posts / 0.72)


# --- one run of a program in the terminal -------------------------------------------


def env(home: Path) -> dict[str, str]:
    """The app's environment (benchkit's), with a name for the demo circle's member."""
    return app_env(home) | {"STUDYCIRCLE_NAME": "Reader"}


def app_argv() -> list[str]:
    return [sys.executable, "-m", "studycircle_tui.cli"]


def bare_argv() -> list[str]:
    return [sys.executable, "-c", BARE_APP]


def shows_circle(name: str, first_rows: str):  # -> (PtyProgram) -> bool
    def shown(program: PtyProgram) -> bool:
        rows = program.screen.display
        return (
            "Channels" in rows[0] + rows[1]
            and any(name in row for row in rows[-3:])
            and first_rows in program.text()
        )

    return shown


def shows_bare(program: PtyProgram) -> bool:
    text = program.text()
    return "A bare Textual app" in text and "Quit" in program.screen.display[-1]


def first_paint(argv: list[str], env: dict[str, str], shown) -> dict:
    """Start a program, time its first usable screen, quit it."""
    program = PtyProgram(argv, env, SIZE)
    try:
        painted = program.until(lambda: shown(program))
        figures = {"ms": (painted - program.started) * 1000, "cpu_s": program.cpu_seconds()}
        program.press(QUIT)
        program.process.wait(30)
    finally:
        program.close()
    return figures


def snapshot_written(home: Path) -> bool:
    """Whether the app has written its snapshot, or needs none (a log too short to be
    worth one, like the demo's); a build without snapshots: never."""
    from studycircle_tui.sync.snapshots import SNAPSHOT_FROM

    try:
        db = sqlite3.connect(f"file:{store_path(home)}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        if db.execute("SELECT COUNT(*) FROM ops").fetchone()[0] < SNAPSHOT_FROM:
            return True
        return bool(db.execute("SELECT COUNT(*) FROM snapshots").fetchone()[0])
    except sqlite3.Error:
        return False
    finally:
        db.close()


def index_done(home: Path) -> bool:
    """Whether every stored op's text is in the search index."""
    from studycircle_tui.store import texts
    from studycircle_tui.store.db import Store

    store = Store(store_path(home))
    try:
        return all(texts.unindexed(store.db, record.id) == 0 for record in store.circles())
    finally:
        store.close()


def first_open(home: Path, shown) -> dict:
    """The first open (a big circle's first fold, its snapshot and index written in the
    background); waits until that is done, so the measured starts are everyday ones."""
    program = PtyProgram(app_argv(), env(home), SIZE)
    try:
        painted = program.until(lambda: shown(program), limit=300)
        figures = {"ms": (painted - program.started) * 1000, "cpu_s": program.cpu_seconds()}
        end = time.perf_counter() + 1200  # a loaded machine indexes 100,000 posts slowly
        while not (snapshot_written(home) and index_done(home)) and time.perf_counter() < end:
            program.quiet(0.5, limit=1)
        program.quiet(1.0, limit=30)
        program.press(QUIT)
        program.process.wait(60)
    finally:
        program.close()
    return figures


def alternate(home: Path, shown, runs: int) -> tuple[list[dict], list[dict]]:
    """The app and the bare app, one after the other, ``runs`` times each."""
    ours, bare = [], []
    for _ in range(runs):
        bare.append(first_paint(bare_argv(), env(home), shows_bare))
        ours.append(first_paint(app_argv(), env(home), shown))
    return ours, bare


def search_and_memory(home: Path, shown, query: str) -> dict:
    """Search in the open app; then open the first result's thread; peak memory."""
    program = PtyProgram(app_argv(), env(home), SIZE)
    try:
        program.until(lambda: shown(program))
        program.quiet(1.0)
        program.press(b"/")
        program.until(lambda: "Type to search" in program.text())
        program.quiet(0.5)
        cpu = program.cpu_seconds()
        pressed = program.press(query.encode())
        found = program.until(lambda: "newest first" in program.text())
        figures = {"ms": (found - pressed) * 1000, "cpu_s": program.cpu_seconds() - cpu}
        figures["results"] = next(
            (row.strip() for row in program.screen.display if "newest first" in row), ""
        )
        program.quiet(0.5)
        program.press(b"\r")  # to the results
        program.quiet(0.5)
        program.press(b"\r")  # the newest result's thread
        program.quiet(1.0)
        figures["rss_mb"] = program.status("VmHWM") / 1024
        program.press(QUIT)
        program.process.wait(30)
    finally:
        program.close()
    return figures


# --- the baseline search: the scan the app did before it had an index ----------------


def scan_baseline(texts: list[str], term: str) -> tuple[float, float, int]:
    """Today's scan, re-done here: fold every text and join them in chunks of 1,024
    (the first search's work), then ``str.find`` through them. Seconds for the first
    search, seconds for a warm one, and the matches."""
    from studycircle_tui.core.search import fold

    started = time.perf_counter()
    chunks = ["\x00".join(fold(t) for t in texts[i : i + 1024]) for i in range(0, len(texts), 1024)]

    def find() -> int:
        found = 0
        for chunk in chunks:
            position = chunk.find(term)
            while position != -1:
                found += 1
                end = chunk.find("\x00", position)
                if end == -1:
                    break
                position = chunk.find(term, end)
        return found

    found = find()
    first = time.perf_counter() - started
    warm_started = time.perf_counter()
    find()
    return first, time.perf_counter() - warm_started, found


def current_texts(ops) -> list[str]:  # type: ignore[no-untyped-def]
    texts: dict[str, str] = {}
    for op in ops:
        if op.type in ("post.create", "thread.create"):
            texts[op.id] = op.data.text
        elif op.type == "post.edit" and op.data.post in texts:
            texts[op.data.post] = op.data.text
    return list(texts.values())


# --- the report ----------------------------------------------------------------------


def median(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def progress(kind: str, result: dict) -> None:
    """A line as each circle is done (the table comes at the end)."""
    print(
        f"  {kind}: app {median(result['ours'], 'ms'):.0f} ms "
        f"(CPU {median(result['ours'], 'cpu_s'):.2f} s), bare {median(result['bare'], 'ms'):.0f} "
        f"ms (CPU {median(result['bare'], 'cpu_s'):.2f} s), first open "
        f"{result['first']['ms']:.0f} ms; load {load_average()}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--search-posts", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the homes (printed)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size]
    root = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    print(f"load average at the start (1, 5, 15 min): {load_average()}")
    results: dict[str, dict] = {}
    try:
        demo = root / "home-demo"
        demo.mkdir()
        demo_shown = shows_circle("Python Club Demo", "What should we build")
        opened = first_open(demo, demo_shown)
        ours, bare = alternate(demo, demo_shown, args.runs)
        results["demo"] = {"first": opened, "ours": ours, "bare": bare}
        progress("demo", results["demo"])
        for size in sizes:
            home, name, _ = big_home(root, size, seed=size)
            shown = shows_circle(name, "Thread ")
            opened = first_open(home, shown)
            ours, bare = alternate(home, shown, args.runs)
            results[str(size)] = {"first": opened, "ours": ours, "bare": bare}
            progress(str(size), results[str(size)])
            if size == max(sizes):
                memory = search_and_memory(home, shown, "kalkulus")
                bare_rss = bare_peak(home)
        ops = post_count_for(args.search_posts)
        if args.search_posts:
            home, name, posts = big_home(root, ops, seed=7)
            shown = shows_circle(name, "Thread ")
            first_open(home, shown)
            searched = [search_and_memory(home, shown, "kalkulus") for _ in range(3)]
            print(f"  search: {[round(run['ms'], 1) for run in searched]} ms", flush=True)
            _, made = Builder(ops, 7, text=group_text).build()
            scan_first, scan_warm, scan_found = scan_baseline(current_texts(made), "kalkulus")
    finally:
        if args.keep:
            print(f"homes kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    print()
    print(f"Start-up in a {SIZE[0]}x{SIZE[1]} pty: process start -> first usable frame")
    print(f"({args.runs} runs each, alternating with the bare app; medians; CPU = the process's)")
    header = (
        f"{'circle':<10}{'app ms':>9}{'CPU s':>8}{'bare ms':>9}{'CPU s':>8}{'ratio':>8}"
        f"{'target':>8}  {'first open ms':>13}"
    )
    print(header)
    print("-" * len(header))
    ratios = {}
    for kind, result in results.items():
        ours_ms, bare_ms = median(result["ours"], "ms"), median(result["bare"], "ms")
        ratio = ours_ms / bare_ms
        ratios[kind] = ratio
        target = TARGETS.get(kind, 1.3 if kind == "demo" or int(kind) <= 10_000 else 1.5)
        verdict = "met" if ratio <= target else "MISSED"
        print(
            f"{kind:<10}{ours_ms:>9.0f}{median(result['ours'], 'cpu_s'):>8.2f}{bare_ms:>9.0f}"
            f"{median(result['bare'], 'cpu_s'):>8.2f}{ratio:>8.2f}{'<= ' + str(target):>8}"
            f"  {result['first']['ms']:>13.0f}  {verdict}"
        )
    if not (sizes and args.search_posts):
        return  # a partial run (while working on start-up): no search or memory figures
    search_ms = statistics.median(run["ms"] for run in searched)
    print()
    print(f'Search "kalkulus" in {posts:,} posts: keypress -> results painted')
    for run in searched:
        print(f"  app: {run['ms']:.1f} ms (CPU {run['cpu_s'] * 1000:.0f} ms), {run['results']}")
    print(
        f"  baseline, the scan before the index: first search {scan_first * 1000:.0f} ms, "
        f"warm {scan_warm * 1000:.1f} ms ({scan_found} matches), in this process"
    )
    verdict = "met" if search_ms <= TARGETS["search_ms"] else "MISSED"
    print(f"  median {search_ms:.1f} ms, target <= {TARGETS['search_ms']} ms: {verdict}")
    biggest = max(sizes)
    print()
    print(f"Peak RSS with the {biggest:,}-op circle open (after a search and a thread):")
    verdict = "met" if memory["rss_mb"] <= TARGETS["rss_mb"] else "MISSED"
    print(
        f"  app {memory['rss_mb']:.1f} MB; the bare app {bare_rss:.1f} MB; before this "
        f"change {RSS_BEFORE_MB} MB; target <= {TARGETS['rss_mb']} MB: {verdict}"
    )
    print(f"load average at the end (1, 5, 15 min): {load_average()}")
    print(
        json.dumps(
            {
                "first_paint_ratio": {kind: round(ratio, 2) for kind, ratio in ratios.items()},
                "search_ms": round(search_ms, 1),
                "peak_rss_mb_100000": round(memory["rss_mb"], 1),
            }
        )
    )


def bare_peak(home: Path) -> float:
    program = PtyProgram(bare_argv(), env(home), SIZE)
    try:
        program.until(lambda: shows_bare(program))
        program.quiet(1.0)
        peak = program.status("VmHWM") / 1024
        program.press(QUIT)
        program.process.wait(30)
    finally:
        program.close()
    return peak


if __name__ == "__main__":
    main()
