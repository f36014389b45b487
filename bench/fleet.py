#!/usr/bin/env python3
"""`rcaudit fleet`: accounts fetched side by side against one after another.

    python3 bench/fleet.py [ACCOUNTS [EXTENSIONS]]     # default: 6 300

Starts ACCOUNTS sandboxes (release `rcaudit-sandbox`, one process each, as
each real account has its own rate limits), EXTENSIONS extensions each
(seeds 1, 2, ...), the rate-limit window scaled down to WINDOW_MS (200), and
times, interleaved run by run:

  fleet FILE --jobs 1          one account after another
  fleet FILE --jobs ACCOUNTS   all at once
  fleet ONE  --jobs 1          the first account alone: the floor of a fleet
                               whose accounts proceed independently

Each run writes into a fresh folder; every run must end with exit 0 or 1
and a row per account with a verdict. Prints medians (and min-max) of
RUNS (3) runs of each, and the requests the sandboxes served per run.
Environment: RUNS, WINDOW_MS, CARGO_TARGET_DIR (target).
"""

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
RUNS = int(os.environ.get("RUNS", "3"))
WINDOW_MS = int(os.environ.get("WINDOW_MS", "200"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def served(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/__stats") as answer:
        return json.load(answer)["totalRequests"]


def main():
    accounts = int(sys.argv[1]) if len(sys.argv) > 1 else 6
    extensions = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    subprocess.run(
        ["cargo", "build", "--release", "--locked", "-p", "rcaudit-cli", "-p", "rcaudit-sandbox"],
        cwd=ROOT,
        check=True,
    )
    rcaudit = TARGET / "release" / "rcaudit"
    sandbox = TARGET / "release" / "rcaudit-sandbox"
    work = Path(tempfile.mkdtemp(prefix="rcaudit-fleet-bench-"))
    servers = []
    try:
        ports = []
        for i in range(accounts):
            port = free_port()
            servers.append(
                subprocess.Popen(
                    [sandbox, "--port", str(port), "--extensions", str(extensions),
                     "--seed", str(i + 1), "--window-ms", str(WINDOW_MS)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            ports.append(port)
        for port in ports:
            for _ in range(100):
                try:
                    served(port)
                    break
                except OSError:
                    time.sleep(0.05)
        rows = "".join(
            f"  - {{name: account-{i + 1}, server: 'http://127.0.0.1:{port}', tokenEnv: T}}\n"
            for i, port in enumerate(ports)
        )
        (work / "fleet.yaml").write_text("accounts:\n" + rows)
        (work / "one.yaml").write_text("accounts:\n" + rows.splitlines(True)[0])
        commands = {
            "jobs 1": ("fleet.yaml", "1", accounts),
            f"jobs {accounts}": ("fleet.yaml", str(accounts), accounts),
            "one account": ("one.yaml", "1", 1),
        }
        times = {name: [] for name in commands}
        requests = {name: [] for name in commands}
        env = dict(os.environ, T="token", NO_COLOR="1")
        for run in range(RUNS):
            for name, (file, jobs, count) in commands.items():
                out = work / f"out-{run}-{name.replace(' ', '-')}"
                before = sum(served(p) for p in ports)
                started = time.perf_counter()
                done = subprocess.run(
                    [rcaudit, "fleet", file, "--out-dir", out, "--jobs", jobs, "-q"],
                    cwd=work, env=env, capture_output=True, text=True,
                )
                elapsed = time.perf_counter() - started
                summary = json.loads((out / "fleet.json").read_text())
                verdicts = [a for a in summary["accounts"] if a["state"] in ("passed", "failed")]
                if done.returncode not in (0, 1) or len(verdicts) != count:
                    sys.exit(f"{name}: exit {done.returncode}\n{done.stdout}{done.stderr}")
                times[name].append(elapsed)
                requests[name].append(sum(served(p) for p in ports) - before)
                shutil.rmtree(out)
        print(f"{accounts} accounts of {extensions} extensions, window {WINDOW_MS} ms, "
              f"{RUNS} runs each (medians, min-max):")
        print("| run | wall s | min-max | requests served |")
        print("|---|---|---|---|")
        for name in commands:
            t = times[name]
            print(f"| {name} | {statistics.median(t):.3f} | {min(t):.3f}-{max(t):.3f} "
                  f"| {statistics.median(requests[name]):.0f} |")
    finally:
        for server in servers:
            server.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
