"""Print the README's corpus figures, all computed here: extraction over every corpus response,
and, given a run directory of the whole corpus, how many variants reach each stage.

    .venv/bin/python scripts/corpus_figures.py [RUN_DIR] [--per-task]
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness.bundles import discover
from harness.extract import extract
from harness.results import load_run, one_pass_gain, stage_reach, synth_reach

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "cdktf-py"


def extraction_figures() -> None:
    tasks, _ = discover([CORPUS])
    print("| responses | count | yield lib/tap_stack.py | yield any .py | unmapped module-like blocks |")
    print("|---|---|---|---|---|")
    for variant in ("model", "ideal"):
        rows = [extract(t.responses[variant].read_text(encoding="utf-8")) for t in tasks if variant in t.responses]
        stack = sum("lib/tap_stack.py" in e.files for e in rows)
        anypy = sum(bool(e.python_files) for e in rows)
        modules = sum(sum(u.kind == "module" for u in e.unmapped) for e in rows)
        n = len(rows)
        print(f"| {variant} | {n} | {stack} ({stack / n:.0%}) | {anypy} ({anypy / n:.0%}) | {modules} |")


def run_figures(run_dir: Path) -> None:
    run = load_run(run_dir)
    print()
    print(stage_reach(run).to_markdown())
    print()
    print(run.variants.groupby(["variant", "verdict"]).size().unstack(fill_value=0).to_markdown())
    entries = run.variants.drop_duplicates("task_id")["entry_origin"].value_counts()
    print()
    print("entry points used: " + ", ".join(f"{k} {v}" for k, v in entries.items()))
    gain = one_pass_gain(run)
    gain = gain[gain["variant"] == "model"]
    print()
    print("MODEL variants that fail to synth as written: distinct Critical findings per pipeline")
    print()
    table = gain.groupby("first_error_stage").agg(variants=("task_id", "size"),
                                                  stop_at_first_error=("stop_at_first_error", "sum"),
                                                  one_pass=("one_pass", "sum"),
                                                  more_in_one_pass=("one_pass", lambda s: int((s > 1).sum())))
    table.loc["all"] = table.sum()
    print(table.to_markdown())
    v = run.variants
    repaired = v[v["artifacts_repaired"].map(bool)].groupby("variant").size()
    print()
    print("variants whose repaired copy synthesizes: " + ", ".join(f"{k} {n}" for k, n in repaired.items()))
    print()
    print("variants with code that reach a synthesized stack (as written or repaired)")
    print()
    print(synth_reach(run).to_markdown(index=False))
    plan_figures(run)
    contract_figures(run)
    reference_figures(run)
    integrity_figures(run)
    if "--per-task" in sys.argv:
        print()
        print(gain.to_markdown(index=False))
    meta = run.meta
    print(f"run {meta.get('run_id')}: {meta.get('started_at')} -> {meta.get('finished_at')}, "
          f"workers {meta.get('args', {}).get('workers')}")


def plan_figures(run) -> None:
    """validate and plan over the IDEALs that synthesize as written, and every one that does not
    pass both, with the reason its outcome gives (the README's list)."""
    o = run.outcomes
    ideal = o[(o["variant"] == "ideal") & (o["round"] == 0)]
    if ideal.empty:  # a MODEL-only run
        return
    synth = set(ideal[(ideal["stage"] == "synth") & (ideal["status"] == "pass")]["task_id"])
    st = ideal[ideal["stage"].isin(["validate", "plan"]) & ideal["task_id"].isin(synth)]
    st = st.pivot(index="task_id", columns="stage", values=["status", "reason"])
    both = st[(st[("status", "validate")] == "pass") & (st[("status", "plan")] == "pass")]
    print()
    print(f"IDEALs that synthesize as written: {len(synth)}; validate and plan pass: {len(both)} "
          f"({len(both) / max(1, len(synth)):.0%})")
    f = run.findings
    model = o[(o["variant"] == "model") & (o["round"] == 0)]
    synth_m = set(model[(model["stage"] == "synth") & (model["status"] == "pass")]["task_id"])
    failed_m = sorted(set(model[model["stage"].isin(["validate", "plan"]) & (model["status"] == "fail")
                                & model["task_id"].isin(synth_m)]["task_id"]))
    print(f"MODELs that synthesize as written: {len(synth_m)}; failing validate or plan: {', '.join(failed_m) or 'none'}")
    spent = o.groupby("stage")["duration_s"].sum().round(1)
    print("seconds per stage, summed over variants: " + ", ".join(f"{k} {v}" for k, v in spent.items())
          + f"; variant wall time summed: {run.variants['wall_s'].astype(float).sum():.0f}")
    for task in sorted(set(st.index) - set(both.index)):
        bad = f[(f["task_id"] == task) & (f["variant"] == "ideal") & f["stage"].isin(["validate", "plan"])
                & (f["round"] == 0)]
        first = bad.iloc[0] if len(bad) else None
        print(f"- {task}: validate {st.loc[task, ('status', 'validate')]}, plan {st.loc[task, ('status', 'plan')]}"
              + (f" ({st.loc[task, ('reason', 'plan')]})" if isinstance(st.loc[task, ('reason', 'plan')], str) else "")
              + (f"; {len(bad)} finding(s), first: {first['rule_id']} {first['message'][:160]}" if first is not None
                 else ""))


def contract_figures(run) -> None:
    """The task-contract checks: the entry each variant ran through, contract rules against what
    the entry passes, and provider gaps of the mirror kept out of the model's findings."""
    from graders.config_rules import CONTRACT_PARAMETERS

    v, f, o = run.variants, run.findings, run.outcomes
    origins = v.groupby("variant")["entry_origin"].value_counts().unstack(fill_value=0)
    print()
    print("entry origin per variant:")
    print()
    print(origins.to_markdown())
    passes = {(r.task_id, r.variant): set(((r.contract or {}).get("call") or {}).get("keywords") or {})
              for r in v.itertuples()}
    wrong = []
    for rule, params in CONTRACT_PARAMETERS.items():
        hits = f[f["rule_id"] == f"config.{rule}"]
        wrong += [(r.task_id, r.variant, r.rule_id) for r in hits.itertuples()
                  if not passes.get((r.task_id, r.variant), set()) & set(params)]
    print()
    print(f"contract-rule findings on a variant whose entry does not pass the parameter: {len(wrong)}"
          + (": " + ", ".join(map(str, wrong)) if wrong else ""))
    gaps = o[(o["status"] == "infra-error") & o["signals"].map(
        lambda sigs: any(s.get("reason") == "mirror: provider not held" for s in sigs or []))]
    keys = set(zip(gaps["task_id"], gaps["variant"]))
    tf = f[f["stage"].isin(["validate", "plan", "deploy"]) & (f["severity"] != "Info")]
    leaked = [k for k in zip(tf["task_id"], tf["variant"]) if k in keys]
    print(f"variants whose stack needs a provider the mirror lacks: {len(keys)} "
          f"({', '.join(sorted(f'{t}/{vv}' for t, vv in keys)) or 'none'}); model findings from validate/plan on "
          f"them: {len(leaked)}")


def reference_figures(run) -> None:
    """The reference variants: how many pass each stage, and every one that fails, with the first
    stage that failed and its first Critical/High finding (the README explains each)."""
    v, o, f = run.variants, run.outcomes, run.findings
    ref = v[v["variant"] == "reference"]
    if not len(ref):
        return
    with_code = ref[ref["verdict"] != "no-code"]
    first = o[(o["variant"] == "reference") & (o["round"] == 0)]
    synth = set(first[(first["stage"] == "synth") & (first["status"] == "pass")]["task_id"])
    print()
    print(f"references: {len(ref)}, with code {len(with_code)}, synthesize {len(synth)} "
          f"({len(synth) / max(1, len(with_code)):.0%}); verdicts: "
          + ", ".join(f"{k} {n}" for k, n in ref["verdict"].value_counts().items()))
    for r in ref[ref["verdict"] != "pass"].sort_values("task_id").itertuples():
        st = first[first["task_id"] == r.task_id].set_index("stage")
        failed = [s for s in st.index if st.loc[s, "status"] in ("fail", "infra-error")]
        bad = f[(f["task_id"] == r.task_id) & (f["variant"] == "reference") & f["severity"].isin(["Critical", "High"])]
        top = bad.iloc[0] if len(bad) else None
        reason = next((st.loc[s, "reason"] for s in failed if isinstance(st.loc[s, "reason"], str)), "")
        stages = ", ".join(f"{s} {st.loc[s, 'status']}" for s in failed)
        print(f"- {r.task_id}: {r.verdict}; stages {stages}"
              + (f" ({reason[:120]})" if reason else "")
              + (f"; {top['severity']} {top['rule_id']}: {str(top['message'])[:140]}" if top is not None else ""))


def integrity_figures(run) -> None:
    """What the warm worker's integrity check costs (its time against the variants' own) and what
    the sandbox found: on the corpus, any exec.* finding would be a false alarm to explain.
    ``harness compare RUN_A RUN_B`` shows whether two runs' findings differ."""
    v, f = run.variants, run.findings
    if "integrity_s" not in v:
        return
    checked = v[v["integrity_s"] > 0]
    execs = f[f["rule_id"].str.startswith("exec.")]["rule_id"].value_counts()
    print()
    print(f"integrity check: {len(checked)} of {len(v)} variants checked, median {checked['integrity_s'].median():.2f} s, "
          f"p95 {checked['integrity_s'].quantile(0.95):.2f} s, total {v['integrity_s'].sum():.0f} s of "
          f"{v['wall_s'].sum():.0f} s summed variant wall ({v['integrity_s'].sum() / v['wall_s'].sum():.1%}); "
          "exec.* findings: " + (", ".join(f"{k} {n}" for k, n in execs.items()) or "none"))


if __name__ == "__main__":
    extraction_figures()
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if args:
        run_figures(Path(args[0]))
