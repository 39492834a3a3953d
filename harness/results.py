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

from .bundles import Task, discover
from .runstore import RunStore
from .worker.tapgrade_stages import STAGES

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
    path: Path | None = None  # the run directory it was loaded from


def _frame(records: list[dict], columns: list[str]) -> pd.DataFrame:
    df = pd.DataFrame.from_records(records)
    for c in columns:
        if c not in df.columns:
            df[c] = pd.Series(dtype="object")
    rest = [c for c in df.columns if c not in columns]
    return df[columns + rest]


def latest(store: RunStore) -> tuple[list[dict], set[str | None]]:
    """The committed variant records, the last one per (task, variant), and their attempt ids.

    A re-graded variant (changed input, ``--rerun``) appends a newer record; rows of attempts
    that never committed (the process was killed mid-variant) belong to no kept attempt.
    """
    last: dict[tuple[str, str], dict] = {}
    for rec in store.records("variants"):
        last[(rec["task_id"], rec["variant"])] = rec
    kept = list(last.values())
    return kept, {r.get("attempt") for r in kept}


def tasks_of(run: Run, paths: list[Path] | None = None) -> list[Task]:
    """The task bundles a run graded (from the paths run.json records), or those under ``paths``:
    reports that quote the responses need the markdown, which the run store does not copy."""
    paths = paths or [Path(p) for p in run.meta.get("args", {}).get("paths", [])]
    return discover([p for p in paths if p.exists()])[0]


def load_run(path: str | Path) -> Run:
    store = RunStore(Path(path))
    if not store.meta_path.exists():
        raise FileNotFoundError(f"{path}: not a run directory (no run.json)")
    variants, attempts = latest(store)
    outcomes = [r for r in store.records("outcomes") if r.get("attempt") in attempts]
    findings = _frame([r for r in store.records("findings") if r.get("attempt") in attempts], FINDING_COLUMNS)
    findings["severity"] = pd.Categorical(findings["severity"], categories=list(SEVERITIES), ordered=True)
    for col in ("line", "md_line"):  # line numbers, with no line as <NA> (never floats)
        findings[col] = pd.array([int(v) if isinstance(v, (int, float)) and v == v else None for v in findings[col]],
                                 dtype="Int64")
    return Run(
        meta=store.read_meta(),
        outcomes=_frame(outcomes, OUTCOME_COLUMNS),
        findings=findings,
        variants=_frame(variants, VARIANT_COLUMNS),
        errors=_frame(store.records("errors"), ["path", "problem"]).drop_duplicates(ignore_index=True),
        path=store.root,
    )


def stage_reach(run: Run) -> pd.DataFrame:
    """Variants whose stage passed as written (round 0), per variant kind and stage."""
    o = run.outcomes[run.outcomes["round"] == 0]
    passed = o[o["status"] == "pass"].groupby(["variant", "stage"]).size().unstack(fill_value=0)
    total = run.variants.groupby("variant").size().rename("variants")
    order = [s for s in STAGES if s in passed.columns]
    return pd.concat([total, passed[order]], axis=1).fillna(0).astype(int)


def synth_reach(run: Run) -> pd.DataFrame:
    """Per variant kind, of the variants with code: how many synthesize as written (round 0) and
    how many more only after repair rounds (issue 17's goal counts both: each reaches validate,
    plan and the rules)."""
    v = run.variants[run.variants["verdict"] != "no-code"]
    synth = run.outcomes[(run.outcomes["stage"] == "synth") & (run.outcomes["status"] == "pass")]
    written = set(map(tuple, synth[synth["round"] == 0][["task_id", "variant"]].values))
    repaired = set(map(tuple, synth[synth["round"] > 0][["task_id", "variant"]].values)) - written
    rows = []
    for kind, group in v.groupby("variant"):
        keys = set(map(tuple, group[["task_id", "variant"]].values))
        n_w, n_r = len(keys & written), len(keys & repaired)
        rows.append({"variant": kind, "with_code": len(keys), "as_written": n_w, "after_repair": n_r,
                     "reach": n_w + n_r, "share": round((n_w + n_r) / len(keys), 3) if keys else 0.0})
    return pd.DataFrame(rows, columns=["variant", "with_code", "as_written", "after_repair", "reach", "share"])


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


# --- the usual pivots (README "Loading results in pandas") -----------------------------------------

def severity_by_stage(run: Run, variant: str | None = None) -> pd.DataFrame:
    """Findings counted by stage (rows, in pipeline order) and severity (columns, worst first)."""
    f = run.findings if variant is None else run.findings[run.findings["variant"] == variant]
    t = f.pivot_table(index="stage", columns="severity", values="rule_id", aggfunc="count",
                      fill_value=0, observed=False)
    return t.reindex([s for s in STAGES if s in t.index] + sorted(set(t.index) - set(STAGES)))


def rule_frequency(run: Run, variant: str | None = None) -> pd.DataFrame:
    """Per rule: its severity, how many findings and in how many variants."""
    f = run.findings if variant is None else run.findings[run.findings["variant"] == variant]
    g = f.groupby(["rule_id", "severity"], observed=True)
    out = pd.DataFrame({"findings": g.size(), "variants": g.apply(lambda x: x[["task_id", "variant"]]
                                                                   .drop_duplicates().shape[0])})
    return out.sort_values(["findings", "variants"], ascending=False)


def stage_pass_rate(run: Run) -> pd.DataFrame:
    """Share of variants whose stage passed as written, per variant kind and stage."""
    reach = stage_reach(run)
    return reach.drop(columns="variants").div(reach["variants"], axis=0).round(3)


def worst_per_task(run: Run) -> pd.DataFrame:
    """Task x variant: the worst severity (None when nothing failed) and the verdict."""
    v = run.variants
    return pd.concat([v.pivot(index="task_id", columns="variant", values="worst_severity").add_prefix("worst_"),
                      v.pivot(index="task_id", columns="variant", values="verdict").add_prefix("verdict_")], axis=1)


def export(run: Run, dest: Path, fmt: str = "parquet") -> list[Path]:
    """Write outcomes, findings and variants as Parquet (pyarrow) or CSV; nested columns
    (signals, evidence, lists) become JSON text so every format holds the same data. Parquet keeps
    the dtypes ``load_run`` gives: severity an ordered category, line numbers nullable integers."""
    import json

    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for name in ("outcomes", "findings", "variants"):
        df = getattr(run, name).copy()
        for col in df.columns:
            if df[col].map(lambda x: isinstance(x, (dict, list))).any():
                df[col] = df[col].map(lambda x: json.dumps(x, sort_keys=True, default=str)
                                      if isinstance(x, (dict, list)) else x)
        path = dest / f"{name}.{fmt}"
        if fmt == "parquet":
            df.to_parquet(path, index=False)
        elif fmt == "csv":
            df.to_csv(path, index=False)
        else:
            raise ValueError(f"unknown format {fmt!r} (parquet or csv)")
        written.append(path)
    return written
