"""Mutation testing: which plausible bugs in the modules that keep our promises would the
fast tests miss? ``make mutants`` runs this.

mutmut (v3) copies ``src/`` and ``tests/`` into ``mutants/`` (git-ignored; the working
tree is never touched), makes each small change a bug could make (``<`` for ``<=``,
``and`` for ``or``, a dropped ``not``, a changed string), and runs the fast tests that
reach the changed function against each: a failing test "kills" the mutant, a mutant
no test notices "survives". What is mutated and which tests count as fast is set in
pyproject.toml (``[tool.mutmut]``); the property tests run with the "mutants"
hypothesis profile (tests/conftest.py: few examples, the same ones each time).

mutmut remembers verdicts in ``mutants/`` and re-runs only what changed since; use
``--fresh`` to start over. A full run of the six modules takes over an hour on two
cores; name modules to run fewer.

Usage: python tools/mutants.py [permissions reducer replica file hub admission] [--fresh]
       [--children N] [--survivors]
Prints a table per module and, as its last line, one JSON object:
{"permissions": {"killed": k, "total": t}, "reducer": {...}, ...}.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULES = {
    "permissions": "studycircle_tui/core/permissions.py",
    "reducer": "studycircle_tui/core/reducer.py",
    "replica": "studycircle_tui/core/replica.py",
    "file": "studycircle_tui/sync/file.py",
    "hub": "studycircle_tui/server/hub.py",
    # What the hub admits (split out of hub.py; pyproject.toml mutates it too).
    "admission": "studycircle_tui/server/admission.py",
}
# mutmut's exit codes for a mutant's test run (mutmut.stats.status_by_exit_code). Only a
# failing test counts as a kill here: a run past its time limit is counted apart, as on
# a busy machine a mutant that changes nothing can time out too.
KILLED = {1, 3}
TIMEOUT = {36, 24, -24, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}


def run_mutmut(modules: list[str], children: int) -> int:
    patterns = [MODULES[name][:-3].replace("/", ".") + ".*" for name in modules]
    env = {**os.environ, "HYPOTHESIS_PROFILE": "mutants"}
    log = ROOT / "mutants" / "mutmut-run.log"
    log.parent.mkdir(exist_ok=True)
    mutmut = Path(sys.executable).with_name("mutmut")
    with log.open("w") as out:
        command = [str(mutmut), "run", "--max-children", str(children), *patterns]
        return subprocess.run(command, cwd=ROOT, env=env, stdout=out, stderr=out).returncode


def verdicts(module: str) -> dict[str, int | None]:
    meta = ROOT / "mutants" / "src" / f"{MODULES[module]}.meta"
    if not meta.exists():
        return {}
    return json.loads(meta.read_text())["exit_code_by_key"]


def _verdict(code: int | None) -> str:
    if code in TIMEOUT:
        return "timeout"
    return "survived" if code in SURVIVED else "no tests"


def summary(codes: dict[str, int | None]) -> dict[str, int]:
    counts = Counter(
        "killed"
        if code in KILLED
        else "timeout"
        if code in TIMEOUT
        else "survived"
        if code in SURVIVED
        else "no_tests"
        if code in NO_TESTS
        else "not_checked"
        if code is None
        else "other"
        for code in codes.values()
    )
    return {
        "killed": counts["killed"],
        "total": len(codes),
        "survived": counts["survived"],
        "timeout": counts["timeout"],
        "no_tests": counts["no_tests"],
        "not_checked": counts["not_checked"],
        "other": counts["other"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help=f"any of {', '.join(MODULES)} (all if none)")
    parser.add_argument("--fresh", action="store_true", help="forget earlier verdicts")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--survivors", action="store_true", help="list surviving mutants")
    args = parser.parse_args()
    modules = args.modules or list(MODULES)
    unknown = [name for name in modules if name not in MODULES]
    if unknown:
        parser.error(f"unknown module {unknown[0]!r}: choose from {', '.join(MODULES)}")
    if args.fresh:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)

    started, cpu = time.monotonic(), os.times()
    code = run_mutmut(modules, args.children)
    wall = time.monotonic() - started
    after = os.times()
    cpu_s = after.children_user + after.children_system - cpu.children_user - cpu.children_system
    if code != 0:
        print(f"mutmut stopped (exit {code}); see mutants/mutmut-run.log", file=sys.stderr)
        sys.exit(code)

    results = {name: summary(verdicts(name)) for name in modules}
    print(
        f"{'module':<12} {'killed':>7} {'survived':>9} {'no tests':>9} {'total':>6} {'killed %':>9}"
    )
    for name, result in results.items():
        share = 100 * result["killed"] / result["total"] if result["total"] else 0.0
        print(
            f"{name:<12} {result['killed']:>7} {result['survived']:>9} {result['timeout']:>8} "
            f"{result['no_tests']:>9} {result['total']:>6} {share:>8.1f}%"
        )
        if result["not_checked"] or result["other"]:
            print(f"{'':<12} ({result['not_checked']} not checked, {result['other']} other)")
    print(
        f"wall {wall:.0f} s, CPU {cpu_s:.0f} s with {args.children} workers; "
        f"load average {os.getloadavg()[0]:.2f} (a shared machine: times vary)"
    )
    if args.survivors:
        for name in modules:
            for mutant, code in sorted(verdicts(name).items()):
                if code in SURVIVED | NO_TESTS | TIMEOUT:
                    print(f"  {_verdict(code)}: {mutant}")
        print("  (mutmut show NAME prints a mutant's change)")
    print(
        json.dumps(
            {name: {"killed": r["killed"], "total": r["total"]} for name, r in results.items()}
        )
    )


if __name__ == "__main__":
    main()
