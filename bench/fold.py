"""How fast a big circle folds, loads from the local replica, and how much memory it takes.

Builds a circle of 100,000 ops (30 members, 10 channels, 2,000 threads; the rest replies,
reactions, edits, read marks, accepted and verified answers, flags, hides and deletes, in
the proportions of a busy study group), stores it with the project's SQLite store, then
measures:

- fold throughput: ``reducer.fold`` over the decoded ops, in this process (median of runs);
- load + fold: a fresh process opens the store, ``load_ops`` and ``Replica.add`` (what the
  app does when it opens a circle), timed from just before the store is opened (median);
- peak RSS of that fresh process (``resource.getrusage``): the memory a 100k-op circle costs.

Every op is signed, as this version signs them (core/signing.py), and stored with the
verdict the app keeps beside it; the same circle built unsigned (as before signing) is
the baseline for what signing costs, run in the same go:

- verify on arrival: checking each signed op's signature against its author's key in one
  thread (one core), as ``CircleService`` checks a pulled batch; beside it, arrival as a
  whole (decoding the batch, then checking) against unsigned arrival (decoding only);
- signed load + fold from the store, in a fresh process, against the unsigned circle's;
- bytes per op on the wire, signed against unsigned.

The baseline, run in the same go on the same ops: the stdlib way with no schema, i.e.
``json.loads`` of each stored row into dicts, then a hand-written dict fold with no
validation and no permission checks (``naive_fold``, with the cyclic GC paused as the
reducer pauses it). A ratio above 1 means this build takes more (time, memory) or does
more (ops/s) than that baseline. Wall times on a busy machine include other programs'
turns on the cores, so CPU times are printed beside them, with the load average.

Usage: python bench/fold.py [--ops N] [--runs R] [--seed S]
The last line printed is one JSON object for scripts to read.
"""

import argparse
import base64
import gc
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from studycircle_tui.core import reducer, signing
from studycircle_tui.core.ids import ulid
from studycircle_tui.core.ops import Op, decode_ops, encode_op
from studycircle_tui.core.replica import Replica
from studycircle_tui.store.db import Store

TARGET_OPS_PER_S = 200_000
TARGET_LOAD_S = 1.0
TARGET_VERIFY_PER_S = 20_000
TARGET_SIGNATURE_BYTES = 100
LOAD_RUNS = 3
START_MS = 1_725_148_800_000  # 2024-09-01, the start of a term

MEMBERS = 30
CHANNELS = 10
THREADS = 2_000
# What happens in a circle once it has threads, by weight.
MIX = {
    "post.create": 70,
    "post.react": 14,
    "post.edit": 6,
    "read.mark": 5,
    "post.delete": 1,
    "answer.accept": 1.5,
    "answer.verify": 1,
    "post.flag": 1,
    "post.hide": 0.5,
}


# --- building the circle --------------------------------------------------------------


class Builder:
    """Makes plausible ops without folding them (so building stays cheap): it tracks just
    enough (who wrote which post, which are deleted) to keep nearly every op allowed."""

    def __init__(
        self,
        total: int,
        seed: int,
        signed: bool = True,
        text: Callable[[random.Random], str] | None = None,
    ) -> None:
        self.rng = random.Random(seed)
        self.signed = signed
        self.keys: dict[str, signing.SigningKey] = {}
        self.total = total
        # What people write: by default the same short texts everywhere (the fold does
        # not read them); a benchmark that searches or draws posts hands in its own.
        self.text = text
        self.wall = START_MS
        self.ops: list[Op] = []
        self.members = [self.new_id() for _ in range(MEMBERS)]
        self.lead, self.me = self.members[0], self.members[1]
        self.moderators = self.members[2:4]
        self.maker = Replica("0" * 26)
        self.threads: list[tuple[str, str, str]] = []  # (id, kind, asker)
        self.posts: dict[str, list[tuple[str, str]]] = {}  # thread -> [(post id, author)]
        self.deleted: set[str] = set()

    def new_id(self) -> str:
        return ulid(START_MS, self.rng.randbytes(10))

    def key(self, member: str) -> dict[str, str]:
        """``member``'s public key to announce (none when unsigned); drawn apart from the
        ops' randomness, so the signed and unsigned circles hold the same ops."""
        if not self.signed:
            return {}
        seed = random.Random(member).randbytes(32)
        self.keys[member] = signing.SigningKey(seed)
        return {"key": self.keys[member].public}

    def make(self, actor: str, type_name: str, **data: object) -> Op:
        # Ops come seconds to minutes apart: 100k ops span a few months.
        self.wall += self.rng.randint(1_000, 120_000)
        key = self.keys.get(actor)
        op = self.maker.make(actor, type_name, data, self.wall, self.rng.randbytes(10), key)
        self.ops.append(op)
        return op

    def build(self) -> tuple[str, list[Op]]:
        created = {"name": "Calculus I", "lead_name": "Ana", **self.key(self.lead)}
        create = self.make(self.lead, "circle.create", **created)
        self.maker.circle_id = create.id
        for index, member in enumerate(self.members[1:], start=1):
            self.make(member, "member.join", name=f"Member {index}", **self.key(member))
        for moderator in self.moderators:
            self.make(self.lead, "member.role", member=moderator, role="moderator")
        channels = [self.make(self.lead, "channel.create", name=f"ch-{i}").id for i in range(10)]
        kinds, weights = list(MIX), list(MIX.values())
        while len(self.ops) < self.total:
            left = self.total - len(self.ops)
            threads_left = THREADS - len(self.threads)
            if threads_left and (not self.threads or self.rng.random() < threads_left / left):
                self.thread(self.rng.choice(channels))
            else:
                self.activity(self.rng.choices(kinds, weights)[0])
        return create.id, self.ops

    def thread(self, channel: str) -> None:
        asker = self.rng.choice(self.members)
        kind = "question" if self.rng.random() < 0.4 else "discussion"
        title = f"Thread {len(self.threads)}"
        text = self.text(self.rng) if self.text else "?"
        op = self.make(asker, "thread.create", channel=channel, title=title, kind=kind, text=text)
        self.threads.append((op.id, kind, asker))
        self.posts[op.id] = [(op.id, asker)]

    def pick_thread(self) -> tuple[str, str, str]:
        # Most talk is in the newest threads; now and then an old one comes back.
        recent = self.threads[-40:]
        return self.rng.choice(recent if self.rng.random() < 0.85 else self.threads)

    def activity(self, type_name: str) -> None:
        rng = self.rng
        thread_id, kind, asker = self.pick_thread()
        posts = self.posts[thread_id]
        post_id, author = rng.choice(posts)
        live = post_id not in self.deleted
        replies = [(p, a) for p, a in posts[1:] if p not in self.deleted]
        if type_name == "post.create":
            actor = rng.choice(self.members)
            text = self.text(rng) if self.text else "Because … " * 8
            data: dict[str, object] = {"thread": thread_id, "text": text}
            if rng.random() < 0.3:
                data["reply_to"] = post_id
            op = self.make(actor, "post.create", **data)
            posts.append((op.id, actor))
        elif type_name == "post.react":
            on = rng.random() < 0.9
            reaction = rng.choice(("+1", "helpful", "thanks"))
            self.make(rng.choice(self.members), type_name, post=post_id, reaction=reaction, on=on)
        elif type_name == "post.edit" and live:
            text = self.text(rng) if self.text else "because … " * 8
            self.make(author, type_name, post=post_id, text="Edited: " + text)
        elif type_name == "post.delete" and live and post_id != thread_id:
            self.make(author, type_name, post=post_id)
            self.deleted.add(post_id)
        elif type_name == "read.mark":
            self.make(self.me, type_name, thread=thread_id, post=posts[-1][0])
        elif type_name == "answer.accept" and kind == "question" and replies:
            self.make(asker, type_name, post=rng.choice(replies)[0])
        elif type_name == "answer.verify" and kind == "question" and replies:
            self.make(rng.choice(self.moderators), type_name, post=rng.choice(replies)[0])
        elif type_name == "post.flag":
            reason = rng.choice(("incorrect", "off-topic", "unkind"))
            self.make(rng.choice(self.members), type_name, post=post_id, reason=reason)
        elif type_name == "post.hide":
            self.make(rng.choice(self.moderators), type_name, post=post_id, reason="spoiler")
        else:  # nothing fitting here: a reply instead, the commonest thing anyway
            self.activity("post.create")


# --- the baseline: stdlib json and a dict fold ----------------------------------------


def naive_fold(ops: list[dict]) -> dict[str, dict]:
    """A hand-written fold over plain dicts: the same bookkeeping as the reducer, no
    validation and no permission checks. Run with the cyclic GC paused, as the reducer
    runs, so the ratio compares the code and not that trick."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _naive_fold(ops)
    finally:
        if collecting:
            gc.enable()


def _naive_fold(ops: list[dict]) -> dict[str, dict]:
    members: dict[str, dict] = {}
    channels: dict[str, dict] = {}
    threads: dict[str, dict] = {}
    posts: dict[str, dict] = {}
    read: dict[str, dict[str, int]] = {}
    for op in ops:
        kind, data, actor = op["type"], op["data"], op["actor"]
        at = int(op["hlc"][:12], 16)
        if kind in ("post.create", "thread.create"):
            if kind == "thread.create":
                threads[op["id"]] = {
                    "channel": data["channel"],
                    "title": data["title"],
                    "posts": [],
                }
                channels[data["channel"]]["threads"].append(op["id"])
                thread_id = op["id"]
            else:
                thread_id = data["thread"]
            thread = threads[thread_id]
            posts[op["id"]] = {"thread": thread_id, "author": actor, "text": data["text"], "at": at}
            posts[op["id"]].update(reactions={}, history=[], index=len(thread["posts"]))
            thread["posts"].append(op["id"])
            read.setdefault(actor, {})[thread_id] = len(thread["posts"])
        elif kind == "post.react":
            who = posts[data["post"]]["reactions"].setdefault(data["reaction"], set())
            if data.get("on", True):
                who.add(actor)
            else:
                who.discard(actor)
        elif kind == "post.edit":
            post = posts[data["post"]]
            post["history"].append(post["text"])
            post["text"] = data["text"]
        elif kind == "read.mark":
            marks = read.setdefault(actor, {})
            marks[data["thread"]] = max(
                marks.get(data["thread"], 0), 1 + posts[data["post"]]["index"]
            )
        elif kind in ("post.delete", "answer.accept", "answer.verify", "post.flag", "post.hide"):
            posts[data["post"]][kind] = actor
        elif kind == "channel.create":
            channels[op["id"]] = {"name": data["name"], "threads": []}
        elif kind in ("circle.create", "member.join"):
            members[actor] = {"name": data.get("name"), "role": "member"}
        elif kind == "member.role":
            members[data["member"]]["role"] = data["role"]
    return {"members": members, "channels": channels, "threads": threads, "posts": posts}


# --- measuring ------------------------------------------------------------------------


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS).
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def child_load(mode: str, db_path: str, circle_id: str) -> None:
    """Run in a fresh process: load the circle and fold it, print seconds and peak RSS."""
    started, cpu_started = time.perf_counter(), time.process_time()
    if mode in ("store", "unsigned"):  # as CircleService._load does
        store = Store(Path(db_path))
        replica = Replica(circle_id, "hlc")
        ops = store.load_ops(circle_id, None, replica.signatures)
        loaded = time.perf_counter()
        replica.add(ops)
        count = len(replica)
        assert not replica.signatures.fresh, "a stored verdict was not used"
        store.close()
    else:  # the baseline: stdlib sqlite3 + json.loads per row + naive_fold
        db = sqlite3.connect(db_path)
        rows = db.execute(
            "SELECT body FROM ops WHERE circle = ? ORDER BY hlc, id", (circle_id,)
        ).fetchall()
        dicts = [json.loads(row[0]) for row in rows]
        loaded = time.perf_counter()
        naive_fold(dicts)
        count = len(dicts)
        db.close()
    done, cpu = time.perf_counter(), time.process_time() - cpu_started
    figures = {"s": done - started, "cpu_s": cpu, "load_s": loaded - started}
    print(json.dumps({**figures, "rss": peak_rss_mb(), "n": count}))


def run_child(mode: str, db_path: str, circle_id: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--child", mode, db_path, circle_id],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def launcher() -> None:
    """Runs the measured loads, each in a fresh process, and prints their figures.

    Started by the bench while it is still small: a process inherits its parent's peak
    RSS through fork and exec, so loads started by the bench itself (holding 100k ops
    several times over by then) would all report the bench's own peak.
    """
    request = json.loads(sys.stdin.readline())
    results: dict[str, list[dict]] = {"store": [], "unsigned": [], "baseline": []}
    for _ in range(request["runs"]):
        for mode in results:  # alternated, so a busy moment hits each alike
            db, circle = request["unsigned"] if mode == "unsigned" else request["signed"]
            results[mode].append(run_child(mode, db, circle))
    print(json.dumps(results))


def median_times(function, runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time of ``runs`` calls."""
    walls, cpus = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu_started)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--launcher", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_load(*args.child)
        return
    if args.launcher:
        launcher()
        return
    loads = subprocess.Popen(
        [sys.executable, __file__, "--launcher"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    circle_id, ops = Builder(args.ops, args.seed).build()
    unsigned_id, unsigned_ops = Builder(args.ops, args.seed, signed=False).build()
    n = len(ops)
    state = reducer.fold(circle_id, ops)
    allowed = len(Replica(circle_id, "hlc").add(ops).applied)
    print(
        f"fold benchmark: {n:,} ops ({len(state.members)} members, {len(state.channels)} "
        f"channels, {len(state.threads):,} threads, {len(state.posts):,} posts), seed {args.seed}"
    )
    print(f"ops the reducer allows: {allowed:,} of {n:,}")
    print(
        "baseline: stdlib json.loads of each stored row into dicts + a hand-written dict "
        "fold (no validation, no permission checks)"
    )
    # Wall time is what the targets are about, but on a shared machine it also counts
    # other programs' turns on the cores: the CPU-time rows show what the code itself
    # costs, and the load average says how shared the machine was.
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))

    verify = arrival(circle_id, ops, unsigned_ops, args.runs)
    with tempfile.TemporaryDirectory() as folder:
        db_path, unsigned_path = Path(folder) / "replica.sqlite3", Path(folder) / "old.sqlite3"
        arrived = Replica(circle_id, "hlc")
        arrived.add(ops)  # checked as they arrive, and stored with the verdicts
        store = Store(db_path)
        store.add_ops(circle_id, ops, verdicts=arrived.signatures)
        verdicts = signing.Signatures()
        stored = store.load_ops(circle_id, None, verdicts)  # as the app gets them back
        store.close()
        old = Store(unsigned_path)
        old.add_ops(unsigned_id, unsigned_ops)
        old.close()

        fold_s, fold_cpu_s = median_times(
            lambda: reducer.fold(circle_id, stored, verdicts), args.runs
        )
        dicts = [json.loads(row) for row in _rows(db_path, circle_id)]
        naive_s, naive_cpu_s = median_times(lambda: naive_fold(dicts), args.runs)

        request = {
            "signed": (str(db_path), circle_id),
            "unsigned": (str(unsigned_path), unsigned_id),
            "runs": LOAD_RUNS,
        }
        output, _ = loads.communicate(json.dumps(request) + "\n")
        if loads.returncode:
            raise SystemExit("a load process failed")
        measured = json.loads(output.strip().splitlines()[-1])
        ours, base, old_runs = measured["store"], measured["baseline"], measured["unsigned"]
    assert all(run["n"] == n for run in ours + base + old_runs), "a load did not see every op"
    unsigned_load_s = statistics.median(run["s"] for run in old_runs)
    unsigned_load_cpu_s = statistics.median(run["cpu_s"] for run in old_runs)

    fold_rate, naive_rate = n / fold_s, n / naive_s
    load_s = statistics.median(run["s"] for run in ours)
    base_load_s = statistics.median(run["s"] for run in base)
    load_cpu_s = statistics.median(run["cpu_s"] for run in ours)
    base_load_cpu_s = statistics.median(run["cpu_s"] for run in base)
    decode_s = statistics.median(run["load_s"] for run in ours)
    base_decode_s = statistics.median(run["load_s"] for run in base)
    rss = max(run["rss"] for run in ours)
    base_rss = max(run["rss"] for run in base)

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    table = [
        ("figure", "this build", "baseline", "ratio", "target"),
        (
            "fold throughput (ops/s)",
            f"{fold_rate:,.0f}",
            f"{naive_rate:,.0f}",
            f"{fold_rate / naive_rate:.2f}x",
            f">= {TARGET_OPS_PER_S:,} {verdict(fold_rate >= TARGET_OPS_PER_S)}",
        ),
        (
            "  the same in CPU time (ops/s)",
            f"{n / fold_cpu_s:,.0f}",
            f"{n / naive_cpu_s:,.0f}",
            f"{naive_cpu_s / fold_cpu_s:.2f}x",
            "",
        ),
        (
            "load + fold, fresh process (s)",
            f"{load_s:.3f}",
            f"{base_load_s:.3f}",
            f"{load_s / base_load_s:.2f}x",
            f"<= {TARGET_LOAD_S:g} {verdict(load_s <= TARGET_LOAD_S)}",
        ),
        (
            "  the same in CPU time (s)",
            f"{load_cpu_s:.3f}",
            f"{base_load_cpu_s:.3f}",
            f"{load_cpu_s / base_load_cpu_s:.2f}x",
            "",
        ),
        (
            "  of which reading + decoding (s)",
            f"{decode_s:.3f}",
            f"{base_decode_s:.3f}",
            f"{decode_s / base_decode_s:.2f}x",
            "",
        ),
        (
            "peak RSS of that process (MB)",
            f"{rss:.1f}",
            f"{base_rss:.1f}",
            f"{rss / base_rss:.2f}x",
            "",
        ),
        ("signing, against the same circle unsigned", "signed", "unsigned", "", ""),
        (
            "load + fold, fresh process (s)",
            f"{load_s:.3f}",
            f"{unsigned_load_s:.3f}",
            f"{load_s / unsigned_load_s:.2f}x",
            f"<= {TARGET_LOAD_S:g} {verdict(load_s <= TARGET_LOAD_S)}",
        ),
        (
            "  the same in CPU time (s)",
            f"{load_cpu_s:.3f}",
            f"{unsigned_load_cpu_s:.3f}",
            f"{load_cpu_s / unsigned_load_cpu_s:.2f}x",
            "",
        ),
        (
            "verify on arrival, one thread (ops/s)",
            f"{verify['verify_per_s']:,.0f}",
            "",
            "",
            f">= {TARGET_VERIFY_PER_S:,} {verdict(verify['verify_per_s'] >= TARGET_VERIFY_PER_S)}",
        ),
        (
            "  the same in CPU time (ops/s)",
            f"{verify['verify_cpu_per_s']:,.0f}",
            "",
            "",
            "",
        ),
        (
            "  OpenSSL's verify alone, CPU (ops/s)",
            f"{verify['library_cpu_per_s']:,.0f}",
            "",
            "",
            "",
        ),
        (
            "arrival: decode (+ verify) (ops/s)",
            f"{verify['ingest_per_s']:,.0f}",
            f"{verify['unsigned_ingest_per_s']:,.0f}",
            f"{verify['ingest_per_s'] / verify['unsigned_ingest_per_s']:.2f}x",
            "",
        ),
        (
            "bytes per op on the wire",
            f"{verify['bytes']:.0f}",
            f"{verify['unsigned_bytes']:.0f}",
            f"+{verify['bytes'] - verify['unsigned_bytes']:.0f} B",
            f"<= +{TARGET_SIGNATURE_BYTES} "
            + verdict(verify["bytes"] - verify["unsigned_bytes"] <= TARGET_SIGNATURE_BYTES),
        ),
    ]
    widths = [max(len(row[i]) for row in table) for i in range(5)]
    print()
    for row in table:
        cells = [row[0].ljust(widths[0])] + [
            cell.rjust(w) for cell, w in zip(row[1:4], widths[1:4], strict=True)
        ]
        print("  ".join([*cells, row[4]]).rstrip())
    print(
        f"\n(medians: fold of {args.runs} runs, load of {LOAD_RUNS} fresh processes each; "
        "RSS the largest)"
    )
    print(
        json.dumps(
            {
                "fold_ops_per_s": round(fold_rate),
                "load_and_fold_s": round(load_s, 3),
                "peak_rss_mb": round(rss, 1),
                "verify_ops_per_s": round(verify["verify_per_s"]),
                "signed_load_and_fold_s": round(load_s, 3),
                "unsigned_load_and_fold_s": round(unsigned_load_s, 3),
                "signature_bytes_per_op": round(verify["bytes"] - verify["unsigned_bytes"], 1),
            }
        )
    )


def arrival(circle_id: str, ops: list[Op], unsigned: list[Op], runs: int) -> dict[str, float]:
    """What checking signatures costs as ops arrive: one batch of every op, as a pull
    brings it (JSON), decoded and then checked in one thread as ``CircleService`` checks
    each op against the keys that may have made it; the unsigned circle only decoded."""
    wire = b"[" + b",".join(encode_op(op) for op in ops) + b"]"
    unsigned_wire = b"[" + b",".join(encode_op(op) for op in unsigned) + b"]"
    decoded = decode_ops(wire)
    more = signing.announced(decoded)
    work = [(op, signing.candidates({}, op, more)) for op in decoded if op.sig is not None]

    def check() -> None:
        verdicts = signing.Signatures()
        assert all(verdicts.first_good(op, keys) for op, keys in work), "a signature failed"

    # The library's own verify on the same bytes: the floor for the row above.
    def unb64(text: str) -> bytes:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    raw = [
        (unb64(op.sig), signing.signed_bytes(op), Ed25519PublicKey.from_public_bytes(unb64(key)))
        for op, (key, *_) in work
        if op.sig is not None
    ]

    def library() -> None:
        for sig, message, public in raw:
            public.verify(sig, message)

    verify_s, verify_cpu_s = median_times(check, max(1, runs // 2))
    _, library_cpu_s = median_times(library, max(1, runs // 2))
    decode_s, _ = median_times(lambda: decode_ops(wire), runs)
    unsigned_s, _ = median_times(lambda: decode_ops(unsigned_wire), runs)
    n = len(ops)
    return {
        "verify_per_s": len(work) / verify_s,
        "verify_cpu_per_s": len(work) / verify_cpu_s,
        "library_cpu_per_s": len(work) / library_cpu_s,
        "ingest_per_s": n / (decode_s + verify_s),
        "unsigned_ingest_per_s": n / unsigned_s,
        "bytes": (len(wire) - 2) / n,
        "unsigned_bytes": (len(unsigned_wire) - 2) / n,
    }


def _rows(db_path: Path, circle_id: str) -> list[bytes]:
    db = sqlite3.connect(db_path)
    try:
        query = "SELECT body FROM ops WHERE circle = ? ORDER BY hlc, id"
        return [row[0] for row in db.execute(query, (circle_id,))]
    finally:
        db.close()


if __name__ == "__main__":
    main()
