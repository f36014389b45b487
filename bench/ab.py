#!/usr/bin/env python3
"""Before and after: two or more rcaudit builds (or one build under several
environments) on one snapshot, alternating run by run, medians.

    python3 bench/ab.py OLD NEW [SNAPSHOT] [-- CHECK ARGS...]
    RUNS=31 python3 bench/ab.py ./old/rcaudit ./target/release/rcaudit
    python3 bench/ab.py 'rcaudit' 'MIMALLOC_PURGE_DELAY=0 rcaudit'

Each variant is a binary's path, optionally preceded by NAME=VALUE
settings for its environment. The snapshot defaults to the 100,000
extension one bench/run.py generates (BENCH_DATA, /tmp/rcaudit-bench); the
check is `check SNAPSHOT --format json` plus any CHECK ARGS (`--select
RC-PN-001` times the read and parse alone). Each run starts the variants
in a rotated order, so drift on a noisy machine hits them alike; WARMUP
(1) rounds first are not counted.

Changes of 2-3% need 25 runs or more on a shared VM: medians of five move
that much from one run of the script to the next (BENCHMARKS.md, issue
11's tenth round). Before trusting a difference, check that the reports are
the same (`cmp` the JSON of both): this script does not look at them.

Prints, per variant, the median wall time, CPU time (user + system) and
peak RSS (GNU time's %M) with its range, and the median of the paired
differences of wall time against the first variant (the pairs ran next to
each other, so they share the machine's state). Needs GNU time.
"""

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(os.environ.get("BENCH_DATA", "/tmp/rcaudit-bench"))
RUNS = int(os.environ.get("RUNS", "15"))
WARMUP = int(os.environ.get("WARMUP", "1"))


def parse_variant(text):
    env = dict(os.environ)
    words = text.split()
    while words and "=" in words[0] and not words[0].startswith(("/", ".")):
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    if len(words) != 1:
        sys.exit(f"ab: a variant is [NAME=VALUE ...] BINARY, not {text!r}")
    return words[0], env


def main():
    args = sys.argv[1:]
    extra = []
    if "--" in args:
        at = args.index("--")
        args, extra = args[:at], args[at + 1 :]
    snapshot = DATA / "snap-100000-s42.json"
    if len(args) >= 3 and Path(args[-1]).is_file() and args[-1].endswith(".json"):
        snapshot = Path(args.pop())
    if len(args) < 2:
        sys.exit(__doc__)
    if not snapshot.is_file():
        sys.exit(f"ab: no snapshot {snapshot}; run `python3 bench/run.py 100000` to make it")
    variants = [parse_variant(a) for a in args]
    results = {i: [] for i in range(len(variants))}
    for run in range(-WARMUP, RUNS):
        order = list(range(len(variants)))
        order = order[run % len(order) :] + order[: run % len(order)]
        for i in order:
            binary, env = variants[i]
            command = ["/usr/bin/time", "-f", "%M %U %S", binary, "check", str(snapshot), "--format", "json", *extra]
            started = time.perf_counter()
            done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
            wall = time.perf_counter() - started
            if done.returncode not in (0, 1):
                sys.exit(f"ab: {args[i]} exited {done.returncode}:\n{done.stderr}")
            rss, user, system = done.stderr.strip().splitlines()[-1].split()
            if run < 0:
                continue  # a warm-up round: page cache, binaries loaded
            results[i].append((wall, float(user) + float(system), int(rss)))
    print(f"{RUNS} runs after {WARMUP} warm-up, alternating; medians ({snapshot.name})")
    first = results[0]
    for i, label in enumerate(args):
        runs = results[i]
        walls = [r[0] for r in runs]
        rss = [r[2] for r in runs]
        line = (
            f"{label}: wall {statistics.median(walls):.3f} s, "
            f"CPU {statistics.median(r[1] for r in runs):.2f} s, "
            f"peak RSS {statistics.median(rss):.0f} kB ({min(rss)}-{max(rss)})"
        )
        if i > 0:
            paired = statistics.median(w - f[0] for w, f in zip(walls, first))
            line += f", paired wall difference {paired * 1000:+.1f} ms"
        print(line)


if __name__ == "__main__":
    main()
