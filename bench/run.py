#!/usr/bin/env python3
"""Side-by-side benchmark: `rcaudit check` against plain serde_json parsing.

    python3 bench/run.py [SIZE ...]          # default: 1000 10000 100000

For each size (number of extensions) it generates a snapshot with
bench/gen_snapshot.py (seed 42, kept between runs), checks that rcaudit finds
exactly the generator's expected counts for the four headline rules, then
times, interleaved run by run (each run in a rotated order) so drift hits
every command alike:

  floor ignored FILE                   serde_json, validate only (IgnoredAny): the baseline
  floor value FILE                     serde_json -> Value, a full tree (for context)
  floor-mimalloc value FILE            the same with rcaudit's allocator (for context)
  rcaudit check FILE --select <4>      the four headline rules
  rcaudit check FILE                   every built-in rule (the full pack)

Wall time is whole-process (fork to exit), measured with perf_counter around
`/usr/bin/time`, which also gives the peak RSS (%M) and CPU time (%U + %S).
The table reports medians, min-max, the ratio to the validate-only floor's
median, and peak RSS against the snapshot's size.

Environment: RUNS (5), WARMUP (1), BENCH_DATA (/tmp/rcaudit-bench),
CARGO_TARGET_DIR (target), BASELINE (the path of another rcaudit binary,
e.g. a release build of an older commit: its two runs are timed in the same
loop, for a before/after in one run). Needs python3, cargo and GNU time.
"""

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("BENCH_DATA", "/tmp/rcaudit-bench"))
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
RUNS = int(os.environ.get("RUNS", "5"))
WARMUP = int(os.environ.get("WARMUP", "1"))
HEADLINE = {
    "main-number": "RC-PN-001",
    "additional-opposite": "RC-PN-003",
    "forwarding-max": "RC-FW-001",
    "ubp-no-user": "RC-EX-001",
}


def build():
    subprocess.run(
        ["cargo", "build", "--release", "--locked", "-p", "rcaudit-cli", "-p", "rcaudit-bench"],
        cwd=ROOT,
        check=True,
    )
    release = TARGET / "release"
    return release / "rcaudit", release / "floor", release / "floor-mimalloc"


def snapshot(size):
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"snap-{size}-s42.json"
    expected = Path(str(path) + ".expected.json")
    generator = ROOT / "bench" / "gen_snapshot.py"
    if not expected.exists() or expected.stat().st_mtime < generator.stat().st_mtime:
        subprocess.run(
            [sys.executable, str(generator), "--extensions", str(size), "--seed", "42", "--out", str(path)],
            check=True,
        )
    return path, json.loads(expected.read_text())


def check_counts(rcaudit, path, expected):
    """rcaudit must give the generator's exact counts; returns them."""
    out = subprocess.run(
        [str(rcaudit), "check", str(path), "--format", "json", "--select", ",".join(HEADLINE.values())],
        capture_output=True,
        check=False,
    )
    if out.returncode not in (0, 1):
        sys.exit(f"rcaudit failed on {path}:\n{out.stderr.decode()}")
    report = json.loads(out.stdout)
    got = {}
    for finding in report["findings"]:
        got[finding["ruleId"]] = got.get(finding["ruleId"], 0) + 1
    counts = {name: got.get(rule, 0) for name, rule in HEADLINE.items()}
    if counts != expected["counts"]:
        sys.exit(f"MISMATCH on {path}: rcaudit {counts}, expected {expected['counts']}")
    return counts


def measure(command):
    """Whole-process wall seconds, peak RSS in MiB, CPU seconds."""
    start = time.perf_counter()
    out = subprocess.run(
        ["/usr/bin/time", "-f", "%M %U %S", *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=False,
    )
    wall = time.perf_counter() - start
    last = out.stderr.decode().strip().splitlines()[-1].split()
    rss_kib, user, system = int(last[0]), float(last[1]), float(last[2])
    return wall, rss_kib / 1024, user + system


def main():
    sizes = [int(s) for s in sys.argv[1:]] or [1000, 10000, 100000]
    rcaudit, floor, floor_mimalloc = build()
    rows = []
    for size in sizes:
        path, expected = snapshot(size)
        counts = check_counts(rcaudit, path, expected)
        commands = {
            "floor ignored (serde_json, validate only)": [str(floor), "ignored", str(path)],
            "floor value (serde_json -> Value)": [str(floor), "value", str(path)],
            "floor value, mimalloc": [str(floor_mimalloc), "value", str(path)],
            "rcaudit check, 4 headline rules": [
                str(rcaudit), "check", str(path), "--format", "json",
                "--select", ",".join(HEADLINE.values()),
            ],
            "rcaudit check, full pack": [str(rcaudit), "check", str(path), "--format", "json"],
        }
        baseline = os.environ.get("BASELINE")
        if baseline:
            commands["BASELINE check, 4 headline rules"] = [
                baseline, "check", str(path), "--format", "json",
                "--select", ",".join(HEADLINE.values()),
            ]
            commands["BASELINE check, full pack"] = [baseline, "check", str(path), "--format", "json"]
        samples = {name: [] for name in commands}
        names = list(commands)
        for run in range(WARMUP + RUNS):
            # Each run starts one command further along, so that no command
            # always follows the same one (a command after the 1 GB
            # `floor value` runs on a different machine state than one
            # after a small run).
            shift = run % len(names)
            for name in names[shift:] + names[:shift]:
                result = measure(commands[name])
                if run >= WARMUP:
                    samples[name].append(result)
        floor_wall = statistics.median(s[0] for s in samples["floor ignored (serde_json, validate only)"])
        file_mib = path.stat().st_size / (1 << 20)
        for name, values in samples.items():
            walls = [v[0] for v in values]
            wall = statistics.median(walls)
            rss = statistics.median(v[1] for v in values)
            cpu = statistics.median(v[2] for v in values)
            rows.append(
                f"| {size} | {path.stat().st_size / 1e6:.1f} | {name} | {wall:.3f} ({min(walls):.3f}-{max(walls):.3f}) "
                f"| {wall / floor_wall:.2f} | {cpu:.2f} | {rss:.0f} | {rss / file_mib:.2f} |"
            )
        print(f"{size} extensions: counts {counts} match the generator", file=sys.stderr)
    header = (
        "| extensions | file MB | command | wall median s (min-max) | x validate floor | CPU s | peak RSS MiB | RSS / file |\n"
        "|---:|---:|---|---:|---:|---:|---:|---:|"
    )
    table = header + "\n" + "\n".join(rows)
    print(f"\n{RUNS} runs after {WARMUP} warm-up, interleaved; medians.\n")
    print(table)
    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / "results.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
