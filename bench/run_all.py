"""``make bench``: every benchmark in turn, then one table of the figures that have a goal.

Each benchmark runs as its own process with short settings (``KDC_BENCH_LONG=1`` uses each
one's full defaults; ``KDC_BENCH_DURATION``, ``KDC_SOAK_MINUTES`` lengthen single ones).
Their figures are printed as they come; lines of the form
``RESULT|figure|value|goal|yes-or-no`` are collected instead, into the summary table at the
end. A benchmark's error output is shown only if it fails, so no server request log
reaches the output.

Run: ``.venv/bin/python bench/run_all.py [name ...]`` (names without ``.py``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# (script, short arguments, full arguments)
BENCHES: list[tuple[str, list[str], list[str]]] = [
    ("bench_throughput", [], []),
    ("bench_presign", [], []),
    ("bench_search", [], []),
    ("bench_quota", ["--rounds", "50"], []),
    ("bench_audit", ["--events", "200000", "--db-events", "20000", "--txns", "1000"], []),
    ("bench_kdc_fetch", ["--small", "100", "--large", "2", "--large-mb", "16"], []),
    ("soak", ["--approvals", "20"], []),
]
SHORT_ENV = {"KDC_BENCH_DURATION": "5", "KDC_SOAK_MINUTES": "1"}


def main(only: list[str]) -> int:
    long = os.environ.get("KDC_BENCH_LONG") == "1"
    env = dict(os.environ) if long else {**SHORT_ENV, **os.environ}
    env["PYTHONUNBUFFERED"] = "1"
    results: list[list[str]] = []
    failed: list[str] = []
    for name, short_args, full_args in BENCHES:
        script = ROOT / "bench" / f"{name}.py"
        if (only and name not in only) or not script.exists():
            continue
        print(f"== {name}", flush=True)
        started = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, str(script), *(full_args if long else short_args)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stderr is not None
        for line in proc.stdout:
            if line.startswith("RESULT|"):
                results.append([name, *line.rstrip("\n").split("|")[1:5]])
            else:
                print("   " + line, end="", flush=True)
        err = proc.stderr.read()
        if proc.wait() != 0:
            failed.append(name)
            print(f"   {name} failed (exit {proc.returncode}):\n{err[-3000:]}", flush=True)
        print(f"   ({time.monotonic() - started:.0f} s)", flush=True)

    print()
    print(f"{'benchmark':<17} {'figure':<58} {'value':>14} {'goal':>12}  met")
    for bench, figure, value, goal, met in results:
        print(f"{bench:<17} {figure:<58} {value:>14} {goal:>12}  {met}")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
