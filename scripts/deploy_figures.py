"""Print the README's figures for the deploy-rules and reference stages, all computed here from a
run directory: how much of the references' synthesized stacks the API constraints check, and what
each rule family found on each variant kind.

    .venv/bin/python scripts/deploy_figures.py RUN_DIR
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

from graders.api_rules import constraints, coverage
from harness.results import load_run


def mapping_coverage(run) -> None:
    """Share of literal top-level attribute values in the references' stacks that a constraint checks."""
    refs = run.variants[run.variants.variant == "reference"]
    sums = dict.fromkeys(("values", "constrained", "literal", "checked"), 0)
    stacks = 0
    types: set[str] = set()
    for arts in refs.artifacts:
        for path in arts or []:
            config = json.loads(Path(path).read_text(encoding="utf-8"))
            sums = {k: v + coverage(config)[k] for k, v in sums.items()}
            stacks += 1
            types |= set(config.get("resource") or {})
    mapped = types & set(constraints())
    print(f"references' synthesized stacks: {stacks}; resource types {len(types)}, with constraints {len(mapped)}")
    if sums["values"] and sums["literal"]:
        print(f"top-level attribute values: {sums['values']}; with a constraint: {sums['constrained']} "
              f"({sums['constrained'] / sums['values']:.0%})")
        print(f"literal values (known at synth): {sums['literal']}; checked: {sums['checked']} "
              f"({sums['checked'] / sums['literal']:.0%})")


def findings_by_rule(run, stage: str) -> None:
    """Findings of one stage per rule id and variant kind (tasks in brackets)."""
    f = run.findings[run.findings.stage == stage]
    if f.empty:
        print(f"{stage}: no findings")
        return
    table = f.groupby(["rule_id", "severity", "variant"], observed=True).agg(
        findings=("task_id", "size"), tasks=("task_id", "nunique"),
        which=("task_id", lambda t: ", ".join(sorted(set(t)))))
    print(table.reset_index().to_markdown(index=False))


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    run = load_run(Path(sys.argv[1]))
    mapping_coverage(run)
    for stage in ("deploy-rules", "reference"):
        print()
        findings_by_rule(run, stage)
    o = run.outcomes[run.outcomes.stage.isin(["deploy-rules", "reference"])]
    print()
    print(o.groupby(["stage", "variant", "status"]).size().unstack(fill_value=0).to_markdown())
    print()
    reference_timing(run)
    return 0


def reference_timing(run) -> None:
    """What synthesizing the references cost the run (each variant that paid for one)."""
    o = run.outcomes[run.outcomes.stage == "reference"]
    paid = [d["reference_synth_s"] for d in o.data if isinstance(d, dict) and d.get("reference_synth_s")]
    compared = int(o.status.isin(["pass", "fail"]).sum())
    wall = float(run.variants.wall_s.sum())
    if paid:
        print(f"variants compared with their reference: {compared}; reference syntheses paid: {len(paid)}, "
              f"median {statistics.median(paid):.2f} s, {sum(paid):.0f} s in all "
              f"({sum(paid) / wall:.1%} of the {wall:.0f} s of variants' wall time summed)")


if __name__ == "__main__":
    raise SystemExit(main())
