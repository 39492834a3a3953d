"""``harness compare RUN_A RUN_B``: what changed between two runs, on the tasks both graded.

A finding is identified by what it says, not where: (task, variant, stage, rule, message with any
``file:line`` position masked), counted, so code that moved down ten lines is the same finding and
two identical findings are two. Gained/lost are the count differences; changed are findings of one
identity whose severity differs. A regression is a variant whose verdict went from pass to fail, or
a gained or worsened Critical/High finding: what a model release's CI should stop on
(``--fail-on-regression``). Tasks only one run graded are reported apart, never as gains or losses.
"""

from __future__ import annotations

import re

import pandas as pd

from graders.catalogue import FAILURE_SEVERITIES, SEVERITIES

from ..results import Run

IDENTITY = ["task_id", "variant", "stage", "rule_id", "what"]
BLOCKING = ("Critical", "High")
POSITION = re.compile(r"(?<=\.py):\d+|\bline \d+\b|\b0x[0-9a-f]{6,}\b")  # a place, or an object's address


def _keyed(run: Run, tasks: set[str]) -> pd.DataFrame:
    """Failure findings of the given tasks, one row per identity with its count and worst severity."""
    f = run.findings[run.findings["severity"].isin(FAILURE_SEVERITIES) & run.findings["task_id"].isin(tasks)].copy()
    if f.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in IDENTITY} | {"n": pd.Series(dtype=int),
                                                                             "severity": pd.Series(dtype=object)})
    f = f.astype({c: object for c in ("task_id", "variant", "stage", "rule_id")})
    f["what"] = f["message"].astype(str).map(lambda m: POSITION.sub("#", m))
    f["rank"] = f["severity"].astype(str).map(SEVERITIES.index)
    g = f.groupby(IDENTITY, as_index=False).agg(n=("rank", "size"), rank=("rank", "min"))
    g["severity"] = g["rank"].map(lambda i: SEVERITIES[i])
    return g.drop(columns="rank")


def _verdicts(a: Run, b: Run, tasks: set[str]) -> pd.DataFrame:
    va = a.variants[a.variants.task_id.isin(tasks)].set_index(["task_id", "variant"])["verdict"]
    vb = b.variants[b.variants.task_id.isin(tasks)].set_index(["task_id", "variant"])["verdict"]
    out = pd.concat([va.rename("verdict_a"), vb.rename("verdict_b")], axis=1).fillna("-")
    return out.reset_index()


def compare(a: Run, b: Run) -> dict:
    """Per task and variant: findings gained, lost, changed in severity; regressions grouped by
    rule; the tasks only one of the runs graded."""
    ta, tb = set(a.variants.task_id), set(b.variants.task_id)
    common = ta & tb
    both = _keyed(a, common).merge(_keyed(b, common), on=IDENTITY, how="outer", suffixes=("_a", "_b"))
    both[["n_a", "n_b"]] = both[["n_a", "n_b"]].fillna(0).astype(int)
    gained = both[both.n_b > both.n_a].assign(count=lambda d: d.n_b - d.n_a)
    lost = both[both.n_a > both.n_b].assign(count=lambda d: d.n_a - d.n_b)
    changed = both[(both.n_a > 0) & (both.n_b > 0) & (both.severity_a != both.severity_b)]
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    worse = changed[changed.severity_b.map(rank) < changed.severity_a.map(rank)]
    verdicts = _verdicts(a, b, common)
    regressions = pd.concat([
        verdicts[(verdicts.verdict_a == "pass") & (verdicts.verdict_b == "fail")]
        .assign(why="verdict pass -> fail", rule_id="", count=1),
        gained[gained.severity_b.isin(BLOCKING)].assign(why=lambda d: "gained " + d.severity_b),
        worse[worse.severity_b.isin(BLOCKING)].assign(why=lambda d: d.severity_a + " -> " + d.severity_b, count=1),
    ], ignore_index=True)
    grouped = (regressions.groupby(["why", "rule_id"], as_index=False)
               .agg(findings=("count", "sum"), tasks=("task_id", "nunique"))
               if len(regressions) else pd.DataFrame(columns=["why", "rule_id", "findings", "tasks"]))
    per_task = pd.DataFrame({
        "gained": gained.groupby(["task_id", "variant"])["count"].sum(),
        "lost": lost.groupby(["task_id", "variant"])["count"].sum(),
        "changed": changed.groupby(["task_id", "variant"]).size(),
    })
    per_task = verdicts.set_index(["task_id", "variant"]).join(per_task, how="outer")
    per_task[["gained", "lost", "changed"]] = per_task[["gained", "lost", "changed"]].fillna(0).astype(int)
    totals = {"gained": int(gained["count"].sum()), "lost": int(lost["count"].sum()), "changed": len(changed)}
    return {"per_task": per_task.reset_index(), "gained": gained, "lost": lost, "changed": changed, "totals": totals,
            "regressions": regressions, "regressions_by_rule": grouped, "common_tasks": sorted(common),
            "only_a": sorted(ta - tb), "only_b": sorted(tb - ta)}
