"""Where the ray backend's time goes, against local warm in the same order (largest first).

    .venv/bin/python bench/ray_timeline.py [--tasks Pr7427,...] [--workers 2]

Grades the slice once each way with ``--display plain`` and times every line from the start of
the command: when the engine starts (after Ray's start and the node checks on ray), when the first
and the last variant finish, and when the command exits. ``bench/throughput.py`` gives the overall
overhead; this tells a per-run fixed cost (start, end) from a per-variant one (first to last).
Every number printed is measured in this run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from throughput import CORPUS, DEFAULT_SLICE  # noqa: E402

HARNESS = REPO / ".venv" / "bin" / "harness"


def timeline(paths: list[str], out: Path, workers: int, extra: list[str]) -> dict[str, float]:
    """Seconds from the command's start to: the engine's start, the first and last variant, exit."""
    cmd = [str(HARNESS), "--log-level", "info", "run", *paths, "--workers", str(workers), "--out", str(out),
           "--run-id", "r", "--display", "plain", *extra]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"})
    marks: dict[str, float] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        now = time.monotonic() - t0
        if "variant(s) to grade" in line:
            marks["engine start"] = now
        elif line.startswith("[") and "/" in line.split("]")[0]:
            marks.setdefault("first variant", now)
            marks["last variant"] = now
    if proc.wait() != 0:
        raise SystemExit(f"{' '.join(cmd)} failed")
    marks["exit"] = time.monotonic() - t0
    return marks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", default=DEFAULT_SLICE, help="comma-separated corpus task ids")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    paths = [str(CORPUS / t) for t in args.tasks.split(",")]
    with tempfile.TemporaryDirectory(prefix="tapgrade-timeline-") as tmp:
        local = timeline(paths, Path(tmp) / "local", args.workers, ["--order", "largest-first"])
        ray = timeline(paths, Path(tmp) / "ray", args.workers, ["--backend", "ray"])
    print("| seconds | local (largest first) | ray | ray - local |")
    print("|---|---|---|---|")
    rows = [("command start -> engine start", "engine start", None),
            ("engine start -> first variant", "first variant", "engine start"),
            ("first variant -> last variant", "last variant", "first variant"),
            ("last variant -> exit", "exit", "last variant"),
            ("whole command", "exit", None)]
    for label, end, start in rows:
        lo = local[end] - (local[start] if start else 0.0)
        ra = ray[end] - (ray[start] if start else 0.0)
        print(f"| {label} | {lo:.1f} | {ra:.1f} | {ra - lo:+.1f} |")


if __name__ == "__main__":
    main()
