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

from .runstore import RunStore

KEY = ["run_id", "task_id", "variant", "input_hash"]
OUTCOME_COLUMNS = [*KEY, "stage", "status", "reason", "duration_s"]
FINDING_COLUMNS = [*KEY, "stage", "severity", "rule_id", "title", "message", "file", "line", "md_line"]
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


def load_run(path: str | Path) -> Run:
    store = RunStore(Path(path))
    if not store.meta_path.exists():
        raise FileNotFoundError(f"{path}: not a run directory (no run.json)")
    findings = _frame(store.records("findings"), FINDING_COLUMNS)
    findings["severity"] = pd.Categorical(findings["severity"], categories=list(SEVERITIES), ordered=True)
    return Run(
        meta=store.read_meta(),
        outcomes=_frame(store.records("outcomes"), OUTCOME_COLUMNS),
        findings=findings,
        variants=_frame(store.records("variants"), VARIANT_COLUMNS),
        errors=_frame(store.records("errors"), ["path", "problem"]),
    )


def stage_reach(run: Run) -> pd.DataFrame:
    """Variants whose stage passed, per variant kind and stage (the README's corpus table)."""
    o = run.outcomes
    passed = o[o["status"] == "pass"].groupby(["variant", "stage"]).size().unstack(fill_value=0)
    total = run.variants.groupby("variant").size().rename("variants")
    order = [s for s in ("extract", "import", "instantiate", "synth", "lint") if s in passed.columns]
    return pd.concat([total, passed[order]], axis=1).fillna(0).astype(int)
