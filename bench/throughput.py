"""Throughput: the cold pipeline against warm workers, side by side in one run.

    .venv/bin/python bench/throughput.py [--tasks Pr7427,Pr4931,...] [--workers 2]

Grades the same corpus slice (both variants, every stage) twice with the real CLI:
(a) cold: a fresh toolchain process per stage group per variant (static; import..synth; lint) and
    a fresh ``terraform init``, emulator and checkov process per variant, as the reference pipeline
    runs ``cdktf synth``, ``pylint`` and terraform per pull request (``terraform validate``, then
    ``plan``, each starting its own provider plugin);
(r) ray (unless --no-ray): the warm workers in Ray actors (``--backend ray``), the cost of the
    distributed path on one machine, two ways: ``ray``, each run starting and ending a Ray instance
    of its own (no ``--address``), and ``ray-cluster``, each run joining a one-node Ray cluster the
    bench started before timing (``--address``, as the user of a cluster runs it; or
    ``--ray-address``'s cluster). The ray backend hands out the largest responses first, so local
    warm is graded in that order too (warm-lf, ``--order largest-first``) and the ray rows are
    compared with both; ray, ray-cluster and warm-lf are graded ``--ray-runs`` times alternately
    (median each);
(b) warm: the harness's warm workers (provider submodules imported on demand), the run's one
    shared lint process (it parses the modules the responses name while idle; a variant's lint
    overlaps its slot's terraform stages), checkov process and terraform init per provider set,
    and per slot an emulator and a warm AWS provider process (reattached for single-provider
    stacks); the plan runs first and validate's diagnostics are read off it where it shows them
    exactly.
The warm side is graded ``--warm-runs`` times (default 3; a warm run is short, so machine noise
weighs more on it) and the run with the median wall time is reported, with the spread.
Prints variants/minute for both and their ratio, median and p95 wall time per variant, peak
memory per worker, the per-stage time split of the warm run (and the lint warm-up's time, in no
stage), and whether both produced the same findings and byte-identical synthesized JSON. Every
number printed is measured in this run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness.results import load_run  # noqa: E402
from harness.worker.tapgrade_stages import STAGES  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "cdktf-py"
DEFAULT_SLICE = "Pr7427,Pr4931,Pr4318,Pr7180,Pr6343,Pr3525,Pr2364,Pr7434,Pr5662,Pr6610"
KEY = ["task_id", "variant", "stage", "rule_id", "severity", "file", "line", "message"]


def grade(label: str, tasks: list[str], out: Path, workers: int, extra: list[str],
          env: dict[str, str] | None = None) -> tuple[float, object]:
    cmd = [str(Path(sys.executable).with_name("harness")), "run", *(str(CORPUS / t) for t in tasks),
           "--variant", "both", "--out", str(out), "--run-id", label, "--workers", str(workers), "--quiet",
           "--created-at", "2026-01-01T00:00:00+00:00", *extra]  # one CreatedAt tag: comparable stacks
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        sys.exit(f"{label} run failed:\n{proc.stderr[-3000:]}")
    return wall, load_run(out / label)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def artifacts(run) -> dict[tuple[str, str], bytes]:
    out = {}
    for row in run.variants.itertuples():
        for path in (row.artifacts or []) + (row.artifacts_repaired or []):
            out[(row.task_id, row.variant, Path(path).parent.name, "repaired" in path)] = Path(path).read_bytes()
    return out


RAY_ROWS = {"ray": "a Ray instance started and ended by the run included",
            "ray-cluster": "joining a running Ray cluster on this machine, as a cluster's user does"}
# The bench's own cluster: no token on loopback, no usage reporting, workers at the ordinary
# niceness (the README's advice for a grading cluster; the run's own instance sets it itself).
CLUSTER_ENV = {"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0", "RAY_worker_niceness": "0"}


@contextlib.contextmanager
def ray_cluster(cpus: int):
    """A one-node Ray cluster started with ``ray start --head`` (its own temp dir, loopback), its
    address; stopped by killing its processes (``ray stop`` would stop every Ray on the machine)."""
    import psutil

    temp = f"/tmp/tgbench-{secrets.token_hex(3)}"  # short: Ray's socket paths must fit 107 bytes
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ray = Path(sys.executable).with_name("ray")
    subprocess.run([str(ray), "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1", f"--num-cpus={cpus}",
                    f"--temp-dir={temp}", "--include-dashboard=false", "--disable-usage-stats"],
                   env={**os.environ, **CLUSTER_ENV}, check=True, capture_output=True, timeout=120)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        procs = [p for p in psutil.process_iter(["cmdline"]) if any(temp in a for a in p.info["cmdline"] or [])]
        procs += [c for p in procs for c in p.children(recursive=True)]
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        psutil.wait_procs(procs, timeout=30)
        shutil.rmtree(temp, ignore_errors=True)


def grade_ray(args: argparse.Namespace, tasks: list[str], out: Path) -> tuple[list[tuple], str]:
    """The ray rows and the line of their runs: the ray backend with a Ray instance of the run's own
    (``ray``), joining a cluster already running on this machine (``ray-cluster``; or
    ``--ray-address``'s), and local warm largest first (``warm-lf``, the ray backend's order, so the
    order's cost and the distributed path's are told apart), graded alternately ``--ray-runs``
    times each; the median run of each is its row."""
    with contextlib.ExitStack() as stack:
        labels = ["ray", "ray-cluster", "warm-lf"] if args.ray_cluster or args.ray_address else ["ray", "warm-lf"]
        address = args.ray_address or (stack.enter_context(ray_cluster(args.workers)) if args.ray_cluster else None)
        extra = {"ray": ["--backend", "ray"], "ray-cluster": ["--backend", "ray", "--address", str(address)],
                 "warm-lf": ["--order", "largest-first"]}
        walls: dict[str, list[tuple[float, object]]] = {label: [] for label in labels}
        for i in range(max(1, args.ray_runs)):
            for label in labels:
                env = CLUSTER_ENV if label == "ray-cluster" and not args.ray_address else None
                walls[label].append(grade(f"{label}{i + 1}", tasks, out, args.workers, extra[label], env))
    line = "; ".join(f"{label} runs: {', '.join(f'{w:.1f}' for w, _ in walls[label])}" for label in labels)
    medians = [(label, *sorted(walls[label], key=lambda wr: wr[0])[len(walls[label]) // 2]) for label in labels]
    return medians, f"{line} (wall s, graded alternately; the median run of each is its row)\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", default=DEFAULT_SLICE, help="comma-separated corpus task ids")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--lean-cold", action="store_true",
                    help="also grade a leaner cold baseline (--cold-lean: static and lint in light processes, "
                         "as a bare pylint per pull request) and print its ratio too")
    ap.add_argument("--cold", action=argparse.BooleanOptionalAction, default=True,
                    help="grade the cold baseline (--no-cold: only warm and ray, for the ray overhead)")
    ap.add_argument("--ray", action=argparse.BooleanOptionalAction, default=True,
                    help="also grade the slice warm through the ray backend (a Ray instance the run starts on "
                         "this machine, or --ray-address's cluster) and print its overhead against local warm")
    ap.add_argument("--ray-address", default=None,
                    help="a Ray cluster for the ray-cluster row (default: one the bench starts on this machine)")
    ap.add_argument("--ray-cluster", action=argparse.BooleanOptionalAction, default=True,
                    help="also grade through a Ray cluster started once before the timed runs (ray-cluster row)")
    ap.add_argument("--ray-runs", type=int, default=3,
                    help="grade ray and local warm largest-first (warm-lf) this many times each, alternately "
                         "(machine drift falls on both alike), and report the run with the median wall time of each")
    ap.add_argument("--warm-runs", type=int, default=3,
                    help="grade the warm side this many times and use the run with the median wall time: "
                         "the same warm run took 43 to 58 s here on one day (timed by hand)")
    args = ap.parse_args()
    tasks = args.tasks.split(",")
    with tempfile.TemporaryDirectory(prefix="tapgrade-bench-") as tmp:
        out = Path(tmp)
        cold_wall, cold = grade("cold", tasks, out, args.workers, ["--cold"]) if args.cold else (0.0, None)
        warms = sorted((grade(f"warm{i + 1}", tasks, out, args.workers, []) for i in range(max(1, args.warm_runs))),
                       key=lambda wr: wr[0])
        warm_wall, warm = warms[len(warms) // 2]
        runs = [("cold", cold_wall, cold), ("warm", warm_wall, warm)] if args.cold else [("warm", warm_wall, warm)]
        if args.lean_cold:
            runs.insert(1, ("cold-lean", *grade("cold-lean", tasks, out, args.workers, ["--cold-lean"])))
        ray_line = ""
        if args.ray:  # warm workers in Ray actors: the distributed path's cost on one machine
            ray_runs, ray_line = grade_ray(args, tasks, out)
            for row in ray_runs:
                runs.insert(len(runs) - 1, row)
        n = len(warm.variants)
        rows = []
        for label, wall, run in runs:
            per = run.variants["wall_s"].astype(float).tolist()
            peak = run.variants["worker_rss_kb"].astype(float).max() / 1024
            lint_kb = run.meta.get("lint_peak_rss_kb")
            rows.append((label, wall, n / wall * 60, statistics.median(per), p95(per), peak,
                         f"{lint_kb / 1024:.0f}" if lint_kb else "- (lint in the workers)"))
        ran = [s for s in STAGES if s in set(warm.outcomes["stage"])]
        print(f"slice: {len(tasks)} tasks x 2 variants = {n} variants, {args.workers} workers, same stages "
              f"({', '.join(ran)}, repair rounds); terraform: {warm.meta.get('terraform', {}).get('detail')}")
        print(f"warm runs (wall s): {', '.join(f'{w:.1f}' for w, _ in warms)}; the median run is the warm row"
              + (f"; ratio against the fastest {cold_wall / warms[0][0]:.1f}x, the slowest "
                 f"{cold_wall / warms[-1][0]:.1f}x" if args.cold else ""))
        print(ray_line)
        print("| pipeline | wall s | variants/min | median s/variant | p95 s/variant | peak MB per worker "
              "| peak MB lint process |")
        print("|---|---|---|---|---|---|---|")
        for label, wall, vpm, med, p, peak, lint in rows:
            print(f"| {label} | {wall:.1f} | {vpm:.1f} | {med:.2f} | {p:.2f} | {peak:.0f} | {lint} |")
        f_warm = set(map(tuple, warm.findings[KEY].astype(str).values))
        print("every warm run gave the median run's findings: "
              f"{all(set(map(tuple, r.findings[KEY].astype(str).values)) == f_warm for _, r in warms)}")
        for (label, _, run), row in zip(runs, rows):
            if label == "warm":
                continue
            f_cold = set(map(tuple, run.findings[KEY].astype(str).values))
            print(f"\nthroughput ratio warm/{label}: {rows[-1][2] / row[2]:.1f}x")
            print(f"identical findings ({label} vs warm): {f_cold == f_warm} ({len(f_warm)} findings; "
                  f"{len(f_cold - f_warm)} only {label}, {len(f_warm - f_cold)} only warm)")
            print(f"byte-identical synthesized JSON ({label} vs warm): {artifacts(run) == artifacts(warm)} "
                  f"({len(artifacts(warm))} stacks)")
            if label.startswith("ray"):
                lf_wall = next(w for lab, w, _ in runs if lab == "warm-lf")
                how = RAY_ROWS[label]
                print(f"{label} backend overhead (wall time): {row[1] / lf_wall - 1:+.1%} against local warm in the "
                      f"same order (warm-lf: largest first; the distributed path's cost, {how}); "
                      f"{row[1] / warm_wall - 1:+.1%} against the median warm run in the given order "
                      f"({row[1] / warms[0][0] - 1:+.1%} against the fastest, {row[1] / warms[-1][0] - 1:+.1%} "
                      f"against the slowest), of which the order: local largest first against given "
                      f"{lf_wall / warm_wall - 1:+.1%}; goal: at most +10%")
        split = warm.outcomes.groupby("stage")["duration_s"].sum()
        total = float(warm.variants["wall_s"].astype(float).sum())
        print("\nwarm run, time per stage (sum over variants, seconds; lint runs in the shared lint process "
              "while the slot runs validate/plan/rules/checkov, so the stages overlap; validate's terraform time "
              "is in plan wherever its diagnostics were read off the plan):")
        print("| " + " | ".join(split.index) + " | variants' wall (sum) |")
        print("|" + "---|" * (len(split) + 1))
        print("| " + " | ".join(f"{v:.1f}" for v in split.values) + f" | {total:.1f} |")
        warmup = warm.meta.get("lint_warmup") or {}
        validated = warm.outcomes[(warm.outcomes.stage == "validate") & (warm.outcomes.status != "skipped")]
        stacks_read_off = sum(len(d.get("read_off_plan", [])) for d in validated.data)
        stacks_validated = sum(len(d.get("stacks", [])) for d in validated.data if d.get("tool") == "terraform")
        print(f"shared lint process warm-up (in no variant's stage time): {warmup.get('seconds', 0):.1f} s parsing "
              f"{warmup.get('modules', 0)} modules; validate read off the plan for {stacks_read_off} of "
              f"{stacks_validated} stacks terraform validated")
        checks = warm.variants["integrity_s"].astype(float) if "integrity_s" in warm.variants else None
        if checks is not None:
            walls = warm.variants["wall_s"].astype(float)
            print(f"worker integrity check after each variant (in its wall time): median {checks.median():.3f} s, "
                  f"max {checks.max():.3f} s, against a median variant of {walls.median():.2f} s "
                  f"({checks.sum() / walls.sum():.1%} of the variants' wall time summed)")


if __name__ == "__main__":
    main()
