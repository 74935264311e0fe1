"""Big circles stay instant: a thread of 1k, 10k and 100k posts, and a channel of 20,000
threads, in the real app (headless, 120x40).

For each thread size, in a fresh process (so memory figures are its own):

- first paint: from pressing enter on the thread's row to the first frame that shows
  the thread (the frame's time is taken when Textual hands it to the driver);
- keypress-to-render p95: 111 keys that scroll and jump (j, page down, end, page up,
  k, home; three rounds), each timed from the key to the frame it caused;
- RSS growth per post: resident memory after the scrolling minus before opening the
  thread (the circle already loaded), divided by the post count; both read after a full
  collection and glibc's malloc_trim, so freed-but-cached heap is not counted. The
  state's own cost per post (ops, replica, store) is shown beside it for scale, not part
  of the target.

And the first paint of a channel listing 20,000 threads: from pressing down onto the
channel to the frame showing its list.

Baselines, run in the same go on the same posts and threads: Textual's ``OptionList``
with one option per post (Markdown), one ``Static`` (Markdown) per post in a scrolling
container, both at 1,000 posts; and an ``OptionList`` of 20,000 two-line thread rows
(what the first thread list was).

Targets: first paint <= 150 ms and p95 <= 50 ms at 100k posts; RSS growth <= 1.5 KB per
post; 20,000 threads listed in <= 150 ms.

Usage: python bench/big_channel.py [--sizes 1000,10000,100000] [--threads 20000] [--no-baselines]
The last line printed is one JSON object:
{"first_paint_ms": {"1000": ..., "10000": ..., "100000": ...}, "scroll_p95_ms": {...},
 "rss_kb_per_post": {...}, "thread_list_20000_ms": ...}
"""

import argparse
import asyncio
import contextlib
import ctypes
import gc
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchkit import load_average

SIZE = (120, 40)
START_MS = 1_790_000_000_000
TARGETS = {"first_paint_ms": 150, "scroll_p95_ms": 50, "rss_kb_per_post": 1.5, "list_ms": 150}
KEYS = (["j"] * 15 + ["pagedown"] * 5 + ["end"] + ["pageup"] * 5 + ["k"] * 10 + ["home"]) * 3

WORDS = [
    "derivative",
    "limit",
    "integral",
    "function",
    "graph",
    "slope",
    "tangent",
    "chain",
    "rule",
    "proof",
    "example",
    "kita",
    "belajar",
    "bersama",
    "minggu",
    "ini",
    "bepergian",
    "perpustakaan",
    "bukunya",
    "café",
    "naïve",
    "résumé",
    "python",
    "list",
    "dict",
    "tuple",
    "default",
    "value",
    "loop",
    "index",
    "answer",
    "question",
    "because",
]
EMOJI = ["🙂", "📚", "☕", "👍", "🎉", ""]


def post_text(rng: random.Random) -> str:
    """A chat post, in the mix a study group writes: mostly plain, some Markdown."""

    def sentence() -> str:
        words = [rng.choice(WORDS) for _ in range(rng.randint(4, 16))]
        return " ".join(words).capitalize() + rng.choice([".", "?", "!", " " + rng.choice(EMOJI)])

    roll = rng.random()
    if roll < 0.50:
        return " ".join(sentence() for _ in range(rng.randint(1, 3)))
    if roll < 0.65:
        return f"Use `{rng.choice(WORDS)}()` here: it is **{rng.choice(WORDS)}**. " + sentence()
    if roll < 0.75:
        return "Steps:\n\n" + "\n".join(f"- {sentence()}" for _ in range(rng.randint(2, 4)))
    if roll < 0.85:
        body = "\n".join(f"    x{i} = {rng.choice(WORDS)}({i})" for i in range(rng.randint(2, 5)))
        return f"Try this:\n\n```python\ndef f(x):\n{body}\n    return x\n```"
    if roll < 0.90:
        return f"> {sentence()}\n\n{sentence()}"
    if roll < 0.95:
        return f"See [the notes](https://example.org/{rng.randint(1, 99)}) — {sentence()}"
    return "\n\n".join(" ".join(sentence() for _ in range(4)) for _ in range(2))


def rss_bytes() -> int:
    """Resident memory now, after a full collection and after giving free heap pages back
    to the system (glibc's malloc_trim), so what is counted is what is still held, not
    the allocator's slack. Done the same way for every figure, baselines included."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# --- building circles through the real stack --------------------------------------------


def build_service(folder: Path, posts: int, threads: int = 0, store_file: Path | None = None):
    """A file circle with one big thread of ``posts`` posts (and, with ``threads``, a
    channel of that many threads), loaded through a real Store like the app does (kept
    in ``store_file``, or in ``folder``)."""
    from studycircle_tui.core.ids import ulid
    from studycircle_tui.core.replica import Replica
    from studycircle_tui.store.db import CircleRecord, Store
    from studycircle_tui.sync.engine import CircleService
    from studycircle_tui.sync.file import FileTransport, create_circle_file

    rng = random.Random(posts * 7 + threads)
    me = ulid(START_MS, rng.randbytes(10))
    first = Replica("0" * 26).make(
        me, "circle.create", {"name": "Big Circle", "lead_name": "Me"}, START_MS, rng.randbytes(10)
    )
    replica = Replica(first.id)
    replica.add([first])
    ops = [first]
    clock = {"ms": START_MS}
    members = [me]

    def make(actor: str, type_name: str, **data: object):
        clock["ms"] += 1_000
        op = replica.make(actor, type_name, data, clock["ms"], rng.randbytes(10))
        ops.append(op)
        return op

    for name in ("Ayu", "Budi", "Citra", "Dewi", "Sam"):
        join = replica.make(ulid(START_MS, rng.randbytes(10)), "member.join", {"name": name},
                            clock["ms"], rng.randbytes(10))  # fmt: skip
        ops.append(join)
        members.append(join.actor)
    small = make(me, "channel.create", name="small", goal="A quiet channel.")
    big_channel = make(me, "channel.create", name="big", goal="Where everything happens.")
    warm_text = "Renders Markdown once:\n\n```python\nprint('hi')\n```\n\n- a **list**"
    warm = make(
        me, "thread.create", channel=small.id, title="Warm-up", kind="discussion", text=warm_text
    )
    for _ in range(12):
        make(rng.choice(members), "post.create", thread=warm.id, text=post_text(rng))
    big = None
    if posts:
        big = make(me, "thread.create", channel=big_channel.id, title=f"{posts:,} posts",
                   kind="question", text=post_text(rng))  # fmt: skip
        post_ids = [big.id]
        for index in range(posts - 1):
            data: dict[str, object] = {"thread": big.id, "text": post_text(rng)}
            if index % 17 == 3:
                data["reply_to"] = rng.choice(post_ids[-50:])
            op = make(rng.choice(members), "post.create", **data)
            post_ids.append(op.id)
            if index % 23 == 5:
                make(rng.choice(members), "post.react", post=op.id, reaction="helpful")
    for index in range(threads):
        make(rng.choice(members), "thread.create", channel=big_channel.id,
             title=f"Thread {index}: {rng.choice(WORDS)} {rng.choice(WORDS)}?",
             kind=rng.choice(["question", "discussion"]), text=post_text(rng))  # fmt: skip
    path = folder / "circle.jsonl"
    create_circle_file(path, ops)
    store = Store(store_file or folder / "replica.sqlite3")
    store.add_ops(first.id, ops)
    record = CircleRecord(first.id, "Big Circle", "file", str(path), me, 1)
    store.save_circle(record)
    service = CircleService(store, record, FileTransport(path), now_ms=lambda: clock["ms"])
    return service, warm.id, big.id if big else None, big_channel.id


# --- timing frames ----------------------------------------------------------------------


class Frames:
    """When frames reached the driver (headless: the moment Textual would write them),
    and whether what we wait for was on screen in each."""

    def __init__(self) -> None:
        self.times: list[tuple[float, bool]] = []
        self.probe: Callable[[], bool] = lambda: True

    def install(self, app) -> None:  # type: ignore[no-untyped-def]
        original = app._display

        def display(screen, renderable):  # type: ignore[no-untyped-def]
            if renderable is not None:
                self.times.append((time.perf_counter(), self.probe()))
            return original(screen, renderable)

        app._display = display

    async def after(self, start: float, ready: Callable[[], bool] | None = None) -> float:
        """Milliseconds from ``start`` to the first frame after it that shows ``ready()``
        (evaluated as the frame is handed over, so a frame drawn before is not counted)."""
        self.probe = ready or (lambda: True)
        try:
            deadline = time.perf_counter() + 120  # a loaded machine: slow, never silent
            while time.perf_counter() < deadline:
                for moment, shown in self.times:
                    if moment > start and (shown or ready is None):
                        return (moment - start) * 1000
                await asyncio.sleep(0.001)
            raise TimeoutError("no frame")
        finally:
            self.probe = lambda: True


async def press_and_time(pilot, frames: Frames, keys: list[str]) -> list[float]:  # type: ignore[no-untyped-def]
    latencies = []
    for key in keys:
        start = time.perf_counter()
        await pilot.press(key)
        try:
            latencies.append(await frames.after(start))
        except TimeoutError:
            raise TimeoutError(f"no frame after pressing {key!r}") from None
        await pilot.pause()
    return latencies


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)


# --- the children: one measurement each, in its own process -----------------------------


async def measure_thread(posts: int) -> dict:
    from studycircle_tui.config import Settings
    from studycircle_tui.tui.app import StudyCircleApp
    from studycircle_tui.tui.widgets.row_list import RowList
    from studycircle_tui.tui.widgets.thread_view import ThreadView

    folder = Path(tempfile.mkdtemp(prefix="bench-"))
    os.environ["HOME"] = str(folder)
    gc.collect()
    before_state = rss_bytes()
    service, warm, big, _ = build_service(folder, posts)
    gc.collect()
    state_bytes = rss_bytes() - before_state
    app = StudyCircleApp(service, sync=False, settings=Settings(name="Me"), theme="textual-dark")
    frames = Frames()
    async with app.run_test(size=SIZE) as pilot:
        frames.install(app)
        await pilot.pause()
        screen = app.main_screen
        # Warm up: the first Markdown render imports its parser and the highlighter.
        screen.open_thread(warm)
        await pilot.press("home")
        await pilot.pause()
        await press_and_time(pilot, frames, ["j", "k", "end", "home"])
        await pilot.press("escape", "escape", "down", "enter")  # to #big's thread list
        await pilot.pause()
        rows = screen.query_one(RowList)
        assert rows.has_focus and rows.highlighted_id == big, "not on the big thread's row"
        gc.collect()
        before = rss_bytes()
        view = screen.query_one(ThreadView)
        start, cpu = time.perf_counter(), time.process_time()
        frames.probe = lambda: view.thread_id == big
        await pilot.press("enter")
        first_paint = await frames.after(start, lambda: view.thread_id == big)
        first_paint_cpu = time.process_time() - cpu
        await pilot.pause()
        await pilot.press("home")  # untimed: each timed key below then changes the view
        await pilot.pause()
        cpu = time.process_time()
        latencies = await press_and_time(pilot, frames, KEYS)
        keys_cpu = time.process_time() - cpu
        gc.collect()
        growth = rss_bytes() - before
    return {
        "first_paint_ms": first_paint,
        "first_paint_cpu_ms": first_paint_cpu * 1000,  # the process's, to the frame
        "scroll_p95_ms": p95(latencies),
        "key_cpu_ms": keys_cpu * 1000 / len(KEYS),  # the process's, per key on average
        "rss_kb_per_post": growth / posts / 1024,
        "state_kb_per_post": state_bytes / posts / 1024,
    }


async def measure_thread_list(threads: int) -> dict:
    from studycircle_tui.config import Settings
    from studycircle_tui.tui.app import StudyCircleApp
    from studycircle_tui.tui.widgets.row_list import RowList

    folder = Path(tempfile.mkdtemp(prefix="bench-"))
    os.environ["HOME"] = str(folder)
    service, _, _, _ = build_service(folder, 0, threads)
    app = StudyCircleApp(service, sync=False, settings=Settings(name="Me"), theme="textual-dark")
    frames = Frames()
    async with app.run_test(size=SIZE) as pilot:
        frames.install(app)
        await pilot.pause()
        rows = app.main_screen.query_one(RowList)
        start = time.perf_counter()
        frames.probe = lambda: len(rows.rows) == threads
        await pilot.press("down")  # from #small onto #big: its threads are listed
        listed = await frames.after(start, lambda: len(rows.rows) == threads)
        await pilot.press("enter")  # into the list
        await pilot.pause()
        latencies = await press_and_time(pilot, frames, ["j"] * 20 + ["end", "k", "home"])
    return {"list_ms": listed, "list_p95_ms": p95(latencies)}


async def measure_baseline(kind: str, count: int) -> dict:
    """Textual's own widgets holding every post (or thread row) at once."""
    from rich.markdown import Markdown
    from rich.text import Text
    from textual.app import App, ComposeResult
    from textual.containers import VerticalScroll
    from textual.widgets import OptionList, Static
    from textual.widgets.option_list import Option

    rng = random.Random(count * 7)
    texts = [post_text(rng) for _ in range(count)]

    class Baseline(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("press o")

        def open(self) -> None:
            if kind == "optionlist":
                widget = OptionList(
                    *(Option(Markdown(t, code_theme="ansi_dark", hyperlinks=False)) for t in texts)
                )
            elif kind == "statics":
                widget = VerticalScroll(
                    *(Static(Markdown(t, code_theme="ansi_dark", hyperlinks=False)) for t in texts)
                )
                widget.can_focus = True
            else:  # "threadrows": the first thread list, 20,000 two-line options
                widget = OptionList(
                    *(
                        Option(Text(f"? Thread {i}: {t[:40]}\n   question · 3 replies · 2h"))
                        for i, t in enumerate(texts)
                    )
                )
            self.mount(widget)
            widget.focus()

    app = Baseline()
    frames = Frames()
    async with app.run_test(size=SIZE) as pilot:
        frames.install(app)
        await pilot.pause()
        await press_and_time(pilot, frames, [])
        gc.collect()
        before = rss_bytes()
        start = time.perf_counter()
        ready = lambda: len(app.screen.children) > 1 and app.screen.children[1].size.height > 0  # noqa: E731
        frames.probe = ready
        app.open()
        first_paint = await frames.after(start, ready)
        await pilot.pause()
        keys = ["down"] * 15 + ["pagedown"] * 5 + ["end"] + ["pageup"] * 5 + ["up"] * 10 + ["home"]
        latencies = await press_and_time(pilot, frames, keys)
        gc.collect()
        growth = rss_bytes() - before
    return {
        "first_paint_ms": first_paint,
        "scroll_p95_ms": p95(latencies),
        "rss_kb_per_post": growth / count / 1024,
    }


def child(kind: str, count: int) -> dict:
    """Run one measurement in a fresh interpreter; its last line is the result."""
    code = (
        "import asyncio, json, sys; sys.path.insert(0, 'bench'); import big_channel as b; "
        f"print(json.dumps(asyncio.run(b.run_one({kind!r}, {count}))))"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{kind} {count} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_pty(posts: int) -> dict:
    """The real app in a pty (see ``startup.py``): enter on the big thread's row, to the
    last byte written for it (its posts' texts are read from the store meanwhile)."""
    from benchkit import PtyProgram
    from startup import SIZE as PTY_SIZE
    from startup import app_argv, env, first_open, shows_circle, store_path

    home = Path(tempfile.mkdtemp(prefix="bench-pty-"))
    store_file = store_path(home)
    store_file.parent.mkdir(parents=True)
    service, _, _, _ = build_service(home, posts, store_file=store_file)
    service.close()
    shown = shows_circle("Big Circle", "Warm-up")
    first_open(home, shown)  # its snapshot and search index written, as every day after
    program = PtyProgram(app_argv(), env(home), PTY_SIZE)
    try:
        program.until(lambda: shown(program))
        program.press(b"\x1b[B")  # down: the channel #big
        program.until(lambda: f"{posts:,} posts" in program.text())
        program.quiet(1.0)
        program.press(b"\r")  # into its thread list, the big thread's row selected
        program.quiet(1.0)
        cpu = program.cpu_seconds()
        pressed = program.press(b"\r")  # open it
        program.until(lambda: program.last_byte > pressed)
        last = program.quiet(0.5)  # its texts read from the store and drawn too
        figures = {"ms": (last - pressed) * 1000, "cpu_s": program.cpu_seconds() - cpu}
        figures["screen"] = program.text()
    finally:
        program.close()
        shutil.rmtree(home, ignore_errors=True)
    return figures


async def run_one(kind: str, count: int) -> dict:
    if kind == "pty":
        return measure_pty(count)
    if kind == "thread":
        return await measure_thread(count)
    if kind == "threads":
        return await measure_thread_list(count)
    return await measure_baseline(kind, count)


# --- the report ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--threads", type=int, default=20_000)
    parser.add_argument("--no-baselines", action="store_true")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    smallest = min(sizes)
    print(f"load average at the start (1, 5, 15 min): {load_average()}")
    print("(times in ms; wall times on a shared machine include other programs' turns)")

    results = {size: child("thread", size) for size in sizes}
    in_pty = child("pty", max(sizes))
    listing = child("threads", args.threads)
    baselines = {}
    if not args.no_baselines:
        baselines["OptionList, one option per post"] = child("optionlist", smallest)
        baselines["one Static per post"] = child("statics", smallest)
        row_baseline = child("threadrows", args.threads)

    print(f"Thread view (headless {SIZE[0]}x{SIZE[1]}; times in ms, memory in KB per post)")
    header = (
        f"{'':44}{'posts':>8}{'first paint':>13}{'CPU':>7}{'key p95':>10}{'CPU/key':>9}"
        f"{'RSS/post':>10}{'state/post':>12}"
    )
    print(header)
    print("-" * len(header))
    for size, result in results.items():
        print(
            f"{'studycircle ThreadView':44}{size:>8,}{result['first_paint_ms']:>13.1f}"
            f"{result['first_paint_cpu_ms']:>7.1f}{result['scroll_p95_ms']:>10.1f}"
            f"{result['key_cpu_ms']:>9.1f}{result['rss_kb_per_post']:>10.2f}"
            f"{result['state_kb_per_post']:>12.2f}"
        )
    for name, result in baselines.items():
        print(
            f"{'baseline: ' + name:44}{smallest:>8,}{result['first_paint_ms']:>13.1f}{'':>7}"
            f"{result['scroll_p95_ms']:>10.1f}{'':>9}{result['rss_kb_per_post']:>10.2f}{'':>12}"
        )
    ours = results[smallest]
    for name, result in baselines.items():
        print(
            f"ratio ThreadView / {name} at {smallest:,} posts: "
            f"first paint {ours['first_paint_ms'] / result['first_paint_ms']:.3f}x, "
            f"key p95 {ours['scroll_p95_ms'] / result['scroll_p95_ms']:.3f}x, "
            f"RSS/post {ours['rss_kb_per_post'] / max(result['rss_kb_per_post'], 1e-9):.3f}x"
        )
    print()
    print(f"Channel of {args.threads:,} threads: listed (first paint) {listing['list_ms']:.1f} ms, "
          f"key p95 in the list {listing['list_p95_ms']:.1f} ms")  # fmt: skip
    if not args.no_baselines:
        print(
            f"baseline: OptionList of {args.threads:,} thread rows: "
            f"{row_baseline['first_paint_ms']:.1f} ms; ratio "
            f"{listing['list_ms'] / row_baseline['first_paint_ms']:.3f}x"
        )
    print()
    largest = results[max(sizes)]
    checks = [
        (f"first paint at {max(sizes):,}", largest["first_paint_ms"], TARGETS["first_paint_ms"]),
        (f"key p95 at {max(sizes):,}", largest["scroll_p95_ms"], TARGETS["scroll_p95_ms"]),
        *(
            (f"RSS/post at {size:,}", result["rss_kb_per_post"], TARGETS["rss_kb_per_post"])
            for size, result in results.items()
        ),
        (f"{args.threads:,} threads listed", listing["list_ms"], TARGETS["list_ms"]),
    ]
    print(
        f"In a pty, the real app: {max(sizes):,}-post thread, enter -> last byte written "
        f"{in_pty['ms']:.1f} ms (CPU {in_pty['cpu_s'] * 1000:.0f} ms); the headless first "
        f"paint above, in the same run: {largest['first_paint_ms']:.1f} ms"
    )
    checks.append((f"pty first paint at {max(sizes):,}", in_pty["ms"], TARGETS["first_paint_ms"]))
    print(f"load average at the end (1, 5, 15 min): {load_average()}")
    for name, value, target in checks:
        print(f"target {name}: {value:.2f} <= {target}  {'ok' if value <= target else 'MISSED'}")
    print(
        json.dumps(
            {
                "first_paint_ms": {
                    str(s): round(r["first_paint_ms"], 1) for s, r in results.items()
                },
                "scroll_p95_ms": {str(s): round(r["scroll_p95_ms"], 1) for s, r in results.items()},
                "rss_kb_per_post": {
                    str(s): round(r["rss_kb_per_post"], 3) for s, r in results.items()
                },
                "thread_list_20000_ms": round(listing["list_ms"], 1),
                "pty_first_paint_ms": round(in_pty["ms"], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
