"""Terraform: one plan per stack (what the harness does) against one plan for a batch of stacks.

    .venv/bin/python bench/terraform_batching.py [--tasks Pr7427,Pr4931,...] [--repeat 3]

Grades the corpus slice once (warm, real CLI) to get its synthesized stacks, keeps the ones whose
plan passed, then times, side by side in one run, on this machine's terraform and mirror against
one moto server:
(a) per stack: ``plan`` + ``show -json`` of each stack, reattached to one warm AWS provider
    process, as the warm path runs them (each command takes in the provider's schema once);
(b) batched: one root configuration per batch (``--batch`` stacks, default all) holding each
    stack as a module, ``plan`` + ``show -json`` once per batch. Each module keeps its own
    provider configuration, so terraform starts a plugin process per stack (a shared process
    would serve every configuration with one client).
Prints the wall time of each (median of ``--repeat``) and their ratio. Batching also has costs
this does not time: one stack's error fails the whole plan (each would need re-planning alone to
be attributed), and a variant would wait for the rest of its batch.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from harness import terraform  # noqa: E402
from harness.plan.emulator import MotoServer  # noqa: E402
from harness.plan.plan_call import PLAN_ARGS, SHOW_ARGS, write_emulated  # noqa: E402  (the harness's own)
from harness.plan.tools import tf_env  # noqa: E402
from harness.results import load_run  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "cdktf-py"
DEFAULT_SLICE = "Pr7427,Pr4931,Pr4318,Pr7180,Pr6343,Pr3525,Pr2364,Pr7434,Pr5662,Pr6610"


def passing_stacks(tasks: list[str], out: Path) -> list[Path]:
    cmd = [str(REPO / ".venv" / "bin" / "harness"), "run", *[str(CORPUS / t) for t in tasks], "--variant", "both",
           "--out", str(out), "--run-id", "stacks", "--workers", "2", "--quiet"]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    run = load_run(out / "stacks")
    plan = run.outcomes[(run.outcomes.stage == "plan") & (run.outcomes.status == "pass")]
    keep = set(zip(plan.task_id, plan.variant))
    return [Path(p) for row in run.variants.itertuples() if (row.task_id, row.variant) in keep
            for p in [*row.artifacts, *row.artifacts_repaired]]


def timed(tf: terraform.Terraform, work: Path, env: dict[str, str]) -> float:
    t0 = time.monotonic()
    for args in (PLAN_ARGS, SHOW_ARGS):
        c = terraform.call(tf, args, work, env, 600)
        if c.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed in {work}: {c.stderr[-400:]}")
    return time.monotonic() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", default=DEFAULT_SLICE, help="comma-separated corpus task ids")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--batch", type=int, default=0,
                    help="stacks per batch (default: all in one; with N slots at most N stacks reach terraform "
                         "at the same time)")
    args = ap.parse_args()
    det = terraform.detect()
    if det.terraform is None:
        raise SystemExit(f"terraform not available: {det.reason}")
    tf = det.terraform
    with tempfile.TemporaryDirectory(prefix="tapgrade-tfbatch-") as tmp:
        root = Path(tmp)
        stacks = passing_stacks(args.tasks.split(","), root / "runs")
        configs = [terraform.relax(json.loads(p.read_text()), tf)[0] for p in stacks]
        single = [c for c in configs if terraform.reattachable(c)]
        moto = MotoServer(root / "moto.log")
        moto.ensure()
        provider = terraform.ProviderServer(tf, root / "provider.log")
        tfdir = terraform.TfDir(tf, root / "tf")
        try:
            works = []
            for i, cfg in enumerate(single):
                src = root / "src" / f"s{i}"
                src.mkdir(parents=True)
                work = tfdir.stage(cfg, src)
                data, failed = tfdir.init(cfg, 600)
                assert data is not None, failed
                write_emulated(work, cfg)
                env = tf_env(data, {}, moto)
                works.append((work, {**env, **provider.env_for(env)}))
            size = args.batch or len(single)
            batches = []
            for start in range(0, len(single), size):
                batch = root / f"batch{start}"
                batch.mkdir()
                group = single[start:start + size]
                for i, cfg in enumerate(group):
                    (batch / f"m{i}").mkdir()
                    (batch / f"m{i}" / "main.tf.json").write_text(json.dumps(cfg, indent=2))
                    write_emulated(batch / f"m{i}", cfg)
                required = (group[0].get("terraform") or {}).get("required_providers") or {}
                (batch / "main.tf.json").write_text(json.dumps(
                    {"terraform": {"required_providers": required},
                     "module": {f"m{i}": {"source": f"./m{i}"} for i in range(len(group))}}, indent=2))
                b_data = batch / ".tfdata"  # its own: init records the modules there
                c = terraform.call(tf, ["init", "-backend=false", "-input=false", "-no-color",
                                        f"-plugin-dir={tf.mirror}"], batch, terraform.base_env(b_data), 600)
                assert c.returncode == 0, c.stderr
                batches.append((batch, tf_env(b_data, {}, moto)))
            per, batched = [], []
            for _ in range(max(1, args.repeat)):
                per.append(sum(timed(tf, w, e) for w, e in works))
                batched.append(sum(timed(tf, b, e) for b, e in batches))
        finally:
            provider.stop()
            moto.stop()
    p, b = statistics.median(per), statistics.median(batched)
    print(f"{len(single)} single-provider stacks whose plan passed (of {len(stacks)} synthesized), "
          f"plan + show -json, median of {len(per)}; terraform: {det.reason}")
    print("| way | wall s | per stack s |")
    print("|---|---|---|")
    print(f"| one plan per stack (warm provider) | {p:.1f} | {p / len(single):.2f} |")
    print(f"| one plan per batch of {size} (modules) | {b:.1f} | {b / len(single):.2f} |")
    print(f"batched / per stack: {b / p:.2f}")


if __name__ == "__main__":
    main()
