"""Where a process's CPU went, from py-spy's collapsed stacks (``py-spy record --format
raw``, as ``ssh_sessions.py --profile`` writes them): the functions with the most time
inside them (inclusive) and on top of the stack (self), as shares of all samples.

Run: ``python bench/profile_summary.py FILE... [--top 40] [--match TEXT]``; ``--match``
keeps only frames whose text holds TEXT (a module, say ``studycircle_tui``)."""

import argparse
from collections import Counter
from pathlib import Path


def read(files: list[Path]) -> tuple[Counter, Counter, int]:
    inclusive: Counter = Counter()
    own: Counter = Counter()
    total = 0
    for file in files:
        for line in file.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            samples = int(count)
            total += samples
            frames = [frame.split(" (")[0] + " " + _where(frame) for frame in stack.split(";")]
            for frame in set(frames):  # a recursive function counts once per sample
                inclusive[frame] += samples
            own[frames[-1]] += samples
    return inclusive, own, total


def _where(frame: str) -> str:
    """``(textual/widget.py:123)`` → ``textual/widget.py``: functions, not lines."""
    inside = frame.partition(" (")[2].rstrip(")")
    return inside.rpartition(":")[0] or inside


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", default="")
    args = parser.parse_args()
    inclusive, own, total = read(args.files)
    print(f"{total} samples in {len(args.files)} file(s)")
    for title, counts in (("inclusive", inclusive), ("self", own)):
        print(f"\n{title}:")
        kept = [(frame, n) for frame, n in counts.most_common() if args.match in frame]
        for frame, samples in kept[: args.top]:
            print(f"  {samples / total:6.1%}  {frame}")


if __name__ == "__main__":
    main()
