"""Re-classify a saved run with the current catalogue, executing nothing.

A severity change in ``graders/`` should not cost a re-run: every outcome record keeps the raw
signals its stage produced, and every variant record keeps where its files start in the markdown,
so findings, merges, verdicts and counts can be rebuilt from the run store alone. The result is a
new run directory (the old one stays as it was: run stores are append-only); run.json says where
it came from.
"""

from __future__ import annotations

import time
from pathlib import Path

from .grade import StageOutcome, VariantResult, findings_for, merge_findings, records
from .results import latest
from .runstore import RunStore

OUTCOME_FIELDS = ("stage", "status", "reason", "duration_s", "signals", "data", "round")


def rescore(src: Path, dest: Path) -> RunStore:
    old = RunStore(src)
    if not old.meta_path.exists():
        raise FileNotFoundError(f"{src}: not a run directory (no run.json)")
    if dest.exists():
        raise FileExistsError(f"{dest}: already exists")
    variants, attempts = latest(old)
    by_attempt: dict[str, list[StageOutcome]] = {}
    for rec in old.records("outcomes"):
        if rec.get("attempt") in attempts:
            by_attempt.setdefault(rec["attempt"], []).append(StageOutcome(**{k: rec[k] for k in OUTCOME_FIELDS}))
    new = RunStore.create(dest.parent, dest.name)
    new.write_meta(**{**old.read_meta(), "run_id": new.run_id, "rescored_from": str(src.resolve()),
                      "rescored_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())})
    new.append("errors", old.records("errors"))
    for v in variants:
        outcomes = by_attempt.get(v["attempt"], [])
        repair_ids = [r["id"] for r in v.get("repairs") or []]
        findings = []
        for rnd in sorted({o.round for o in outcomes}):
            # in a one-pass run, round n ran after repairs R1..Rn
            findings += findings_for([o for o in outcomes if o.round == rnd], v.get("file_md_lines") or {},
                                     [r for r in repair_ids if int(r[1:]) <= rnd])
        result = VariantResult(
            task_id=v["task_id"], variant=v["variant"], input_hash=v["input_hash"],
            entry_origin=v["entry_origin"], files=v["files"], outcomes=outcomes,
            findings=merge_findings(findings), artifacts=v["artifacts"], repairs=v.get("repairs") or [],
            artifacts_repaired=v.get("artifacts_repaired") or [], file_md_lines=v.get("file_md_lines") or {},
            wall_s=v.get("wall_s", 0.0), worker_rss_kb=v.get("worker_rss_kb", 0), contract=v.get("contract") or {},
            integrity_s=v.get("integrity_s", 0.0),
        )
        for kind, recs in records(result, new.run_id, attempt=v["attempt"]).items():
            new.append(kind, recs)
    return new
