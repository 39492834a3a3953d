"""Re-classify a saved run with the current catalogue, executing nothing.

A severity change in ``graders/`` should not cost a re-run: every outcome record keeps the raw
signals its stage produced, and every variant record keeps where its files start in the markdown,
so findings, merges, verdicts and counts can be rebuilt from the run store alone. The result is a
new run directory (the old one stays as it was: run stores are append-only); run.json says where
it came from.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from .findings import findings_of, merge_findings
from .records import records, result_from_records
from .results import latest
from .runstore import RunStore


def rescore(src: Path, dest: Path) -> RunStore:
    old = RunStore(src)
    if not old.meta_path.exists():
        raise FileNotFoundError(f"{src}: not a run directory (no run.json)")
    if dest.exists():
        raise FileExistsError(f"{dest}: already exists")
    variants, attempts = latest(old)
    by_attempt: dict[str, list[dict]] = {}
    for rec in old.records("outcomes"):
        if rec.get("attempt") in attempts:
            by_attempt.setdefault(rec["attempt"], []).append(rec)
    new = RunStore.create(dest.parent, dest.name)
    new.write_meta(**{**old.read_meta(), "run_id": new.run_id, "rescored_from": str(src.resolve()),
                      "rescored_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())})
    new.append("errors", old.records("errors"))
    for v in variants:
        # the variant as it was recorded, its findings classified again from its stages' signals
        result = result_from_records({"variants": [v], "outcomes": by_attempt.get(v["attempt"], []), "findings": []})
        findings = findings_of(result.outcomes, result.file_md_lines, result.repairs)
        result = replace(result, findings=merge_findings(findings))
        new.append_variant(records(result, new.run_id, attempt=v["attempt"]))
    return new
