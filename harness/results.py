"""Load a run as pandas DataFrames: the API notebooks and reports use.

``load_run(path)`` reads the run store's JSONL records (tolerating a torn last line after a
crash) and returns outcomes, findings and variants as DataFrames with stable columns, so an
empty run still has the columns a notebook slices on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from graders.catalogue import SEVERITIES

from .grade import STAGES
from .runstore import RunStore

KEY = ["run_id", "task_id", "variant", "input_hash"]
OUTCOME_COLUMNS = [*KEY, "stage", "round", "status", "reason", "duration_s"]
FINDING_COLUMNS = [*KEY, "stage", "severity", "rule_id", "title", "message", "file", "line", "md_line",
                   "round", "depends_on", "sources", "defect"]
VARIANT_COLUMNS = [*KEY, "verdict", "worst_severity", "entry_origin",
                   *(f"n_{s.lower()}" for s in SEVERITIES)]


@dataclass
class Run:
    meta: dict
    outcomes: pd.DataFrame
    findings: pd.DataFrame
    variants: pd.DataFrame
    errors: pd.DataFrame


def _frame(records: list[dict], columns: list[str]) -> pd.DataFrame:
    df = pd.DataFrame.from_records(records)
    for c in columns:
        if c not in df.columns:
            df[c] = pd.Series(dtype="object")
    rest = [c for c in df.columns if c not in columns]
    return df[columns + rest]


def latest(store: RunStore) -> tuple[list[dict], set[str]]:
    """The committed variant records, the last one per (task, variant), and their attempt ids.

    A re-graded variant (changed input, ``--rerun``) appends a newer record; rows of attempts
    that never committed (the process was killed mid-variant) belong to no kept attempt.
    """
    last: dict[tuple[str, str], dict] = {}
    for rec in store.records("variants"):
        last[(rec["task_id"], rec["variant"])] = rec
    kept = list(last.values())
    return kept, {r.get("attempt") for r in kept}


def load_run(path: str | Path) -> Run:
    store = RunStore(Path(path))
    if not store.meta_path.exists():
        raise FileNotFoundError(f"{path}: not a run directory (no run.json)")
    variants, attempts = latest(store)
    outcomes = [r for r in store.records("outcomes") if r.get("attempt") in attempts]
    findings = _frame([r for r in store.records("findings") if r.get("attempt") in attempts], FINDING_COLUMNS)
    findings["severity"] = pd.Categorical(findings["severity"], categories=list(SEVERITIES), ordered=True)
    return Run(
        meta=store.read_meta(),
        outcomes=_frame(outcomes, OUTCOME_COLUMNS),
        findings=findings,
        variants=_frame(variants, VARIANT_COLUMNS),
        errors=_frame(store.records("errors"), ["path", "problem"]).drop_duplicates(ignore_index=True),
    )


def stage_reach(run: Run) -> pd.DataFrame:
    """Variants whose stage passed as written (round 0), per variant kind and stage."""
    o = run.outcomes[run.outcomes["round"] == 0]
    passed = o[o["status"] == "pass"].groupby(["variant", "stage"]).size().unstack(fill_value=0)
    total = run.variants.groupby("variant").size().rename("variants")
    order = [s for s in STAGES if s in passed.columns]
    return pd.concat([total, passed[order]], axis=1).fillna(0).astype(int)


def one_pass_gain(run: Run) -> pd.DataFrame:
    """Per model variant that fails to synth as written: distinct Critical findings a
    stop-at-first-error pipeline sees (the first failing execution stage of round 0) against what
    the one-pass run reports (static, every repair round, merged)."""
    o, f = run.outcomes, run.findings
    failed = o[(o["round"] == 0) & (o["stage"] == "synth") & (o["status"] != "pass")][["task_id", "variant"]]
    rows = []
    for task_id, variant in failed.itertuples(index=False):
        mine = f[(f["task_id"] == task_id) & (f["variant"] == variant) & (f["severity"] == "Critical")]
        first_stage = o[(o["task_id"] == task_id) & (o["variant"] == variant) & (o["round"] == 0)
                        & (o["stage"].isin(["extract", "import", "instantiate", "synth"]))
                        & (o["status"] == "fail")]["stage"]
        first = first_stage.iloc[0] if len(first_stage) else None
        at_first = mine[mine["stage"] == first] if first else mine.iloc[0:0]
        rows.append({"task_id": task_id, "variant": variant, "first_error_stage": first,
                     "stop_at_first_error": int(min(len(at_first), 1)), "one_pass": len(mine)})
    return pd.DataFrame(rows, columns=["task_id", "variant", "first_error_stage", "stop_at_first_error", "one_pass"])
