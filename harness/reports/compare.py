"""``harness compare RUN_A RUN_B``: what changed between two runs, per task.

A finding is identified by (task, variant, stage, file, line, message): the same defect seen by
both runs. Gained/lost are findings only one run has; changed are findings both have with another
severity. A regression is a variant whose verdict went from pass to fail, or a gained or worsened
Critical/High finding: what a model release's CI should stop on (``--fail-on-regression``).
"""

from __future__ import annotations

import pandas as pd

from graders.catalogue import FAILURE_SEVERITIES, SEVERITIES

from ..results import Run

IDENTITY = ["task_id", "variant", "stage", "file", "line", "message"]
BLOCKING = ("Critical", "High")


def _keyed(run: Run) -> pd.DataFrame:
    f = run.findings[run.findings["severity"].isin(FAILURE_SEVERITIES)].copy()
    f["severity"] = f["severity"].astype(str)
    for c in ("file", "line"):
        f[c] = f[c].astype(str)
    return f.drop_duplicates(IDENTITY)[[*IDENTITY, "rule_id", "severity"]]


def compare(a: Run, b: Run) -> dict[str, pd.DataFrame]:
    fa, fb = _keyed(a), _keyed(b)
    both = fa.merge(fb, on=IDENTITY, how="outer", suffixes=("_a", "_b"), indicator=True)
    gained = both[both["_merge"] == "right_only"]
    lost = both[both["_merge"] == "left_only"]
    changed = both[(both["_merge"] == "both") & (both["severity_a"] != both["severity_b"])]
    va = a.variants.set_index(["task_id", "variant"])["verdict"]
    vb = b.variants.set_index(["task_id", "variant"])["verdict"]
    verdicts = pd.concat([va.rename("verdict_a"), vb.rename("verdict_b")], axis=1).reset_index()
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    worse = changed[changed["severity_b"].map(rank) < changed["severity_a"].map(rank)]
    regressions = pd.concat([
        verdicts[(verdicts["verdict_a"] == "pass") & (verdicts["verdict_b"] == "fail")]
        .assign(why="verdict pass -> fail")[["task_id", "variant", "why"]],
        gained[gained["severity_b"].isin(BLOCKING)].assign(why=lambda d: "gained " + d["severity_b"] + ": "
                                                           + d["message"].str[:100])[["task_id", "variant", "why"]],
        worse[worse["severity_b"].isin(BLOCKING)].assign(why=lambda d: d["severity_a"] + " -> " + d["severity_b"]
                                                         + ": " + d["message"].str[:100])[["task_id", "variant", "why"]],
    ], ignore_index=True)
    per_task = pd.DataFrame({
        "gained": gained.groupby(["task_id", "variant"]).size(),
        "lost": lost.groupby(["task_id", "variant"]).size(),
        "changed": changed.groupby(["task_id", "variant"]).size(),
    }).fillna(0).astype(int)
    per_task = per_task.join(verdicts.set_index(["task_id", "variant"]), how="outer")
    per_task[["gained", "lost", "changed"]] = per_task[["gained", "lost", "changed"]].fillna(0).astype(int)
    return {"per_task": per_task.reset_index(), "gained": gained, "lost": lost, "changed": changed,
            "regressions": regressions}
