"""Terminal summary of a run: task x variant x worst severity, counts by severity, gold check."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from graders.catalogue import FAILURE_SEVERITIES, SEVERITIES

from ..results import Run

STYLE = {"Critical": "bold red", "High": "red", "Medium": "yellow", "Low": "cyan", None: "green"}


GOLD_VARIANTS = ("reference", "ideal")  # the task's gold: its reference code where graded, else its IDEAL


def gold_status(run: Run) -> dict[str, str]:
    """Per task: does its gold (the reference where the run graded one, else the IDEAL) pass? A
    failing gold marks the task as broken, apart from the model's failures."""
    out: dict[str, str] = {}
    for variant in GOLD_VARIANTS:
        rows = run.variants[run.variants["variant"] == variant]
        for _, row in rows.iterrows():
            if row["task_id"] in out:
                continue
            status = {"pass": "ok", "no-code": "no runnable code", "infra-error": "infra error"}.get(
                row["verdict"], f"broken ({row['worst_severity']})")
            out[row["task_id"]] = f"{variant}: {status}"
    return out


COLUMNS = ["task", "variant", "verdict", "worst", *(sev[0] for sev in FAILURE_SEVERITIES), "synth", "plan",
           "repaired", "gold"]
CAPTION = ("C/H/M/L: findings by severity; plan: terraform plan of the stack as written (* of the repaired copy); "
           "repaired: repairs applied in one pass and whether the repaired copy synthesizes; gold: whether the "
           "task's reference (else its IDEAL) passes")


def summary_rows(run: Run) -> list[dict]:
    """One row per graded variant: what the summary table shows, as data (``show --json`` too)."""
    gold = gold_status(run)
    o = run.outcomes
    synth = o[(o["stage"] == "synth") & (o["round"] == 0)].set_index(["task_id", "variant"])["status"]
    plan = judged_status(o, "plan")
    rows = []
    for _, row in run.variants.sort_values(["task_id", "variant"]).iterrows():
        key = (row["task_id"], row["variant"])
        worst = row["worst_severity"] if isinstance(row["worst_severity"], str) else None
        rows.append({"task": row["task_id"], "variant": row["variant"], "verdict": row["verdict"], "worst": worst or "-",
                     **{s[0]: int(row[f"n_{s.lower()}"]) for s in FAILURE_SEVERITIES},
                     "synth": str(synth.get(key, "-")), "plan": plan.get(key, "-"), "repaired": _repaired(row),
                     "gold": gold.get(row["task_id"], "-") if row["variant"] not in GOLD_VARIANTS else ""})
    return rows


def summary_table(run: Run) -> Table:
    table = Table(title=f"run {run.meta.get('run_id', '')}", show_lines=False, caption=CAPTION)
    for col in COLUMNS:
        table.add_column(col, no_wrap=col != "gold", overflow="fold" if col == "gold" else "ellipsis",
                         justify="right" if len(col) == 1 else "left")
    for r in summary_rows(run):
        worst = r["worst"] if r["worst"] != "-" else None
        table.add_row(*(f"[{STYLE[worst]}]{r['worst']}[/]" if c == "worst" else str(r[c]) for c in COLUMNS))
    return table


def summary_markdown(run: Run) -> str:
    """The summary table as plain markdown: what a log or a pipe gets, never clipped."""
    import pandas as pd

    rows = summary_rows(run)
    return pd.DataFrame(rows, columns=COLUMNS).to_markdown(index=False) + "\n\n" + CAPTION if rows else "no variants"


def judged_status(o, stage: str) -> dict:
    """Status of a post-synth stage on the stack it judged (the last round it ran on)."""
    rows = o[o["stage"] == stage].sort_values("round").groupby(["task_id", "variant"]).last()
    return {k: f"{r['status']}{'*' if r['round'] else ''}" for k, r in rows.iterrows()}


def _repaired(row) -> str:
    repairs = row.get("repairs")
    if not isinstance(repairs, list) or not repairs:
        return ""
    synthesized = isinstance(row.get("artifacts_repaired"), list) and bool(row["artifacts_repaired"])
    return f"{len(repairs)} -> synth {'pass' if synthesized else 'fail'}"


def totals_line(run: Run) -> str:
    f = run.findings[run.findings["severity"].isin(FAILURE_SEVERITIES)]
    counts = f["severity"].value_counts()
    parts = [f"{int(counts.get(s, 0))} {s}" for s in FAILURE_SEVERITIES]
    v = run.variants["verdict"].value_counts()
    verdicts = ", ".join(f"{int(n)} {k}" for k, n in v.items())
    return f"{len(run.variants)} variants ({verdicts}); findings: {', '.join(parts)}"


def run_state(run: Run) -> str | None:
    """A warning when the run did not finish (interrupted, or still running / crashed)."""
    status = run.meta.get("status")
    return None if status in (None, "finished") else f"this run is {status}: the table holds only what was graded"


def print_summary(run: Run, console: Console | None = None, plain: bool | None = None) -> None:
    """The table (rich on a terminal, markdown when ``plain`` or not a terminal), totals, warnings."""
    console = console or Console()
    if plain if plain is not None else not console.is_terminal:
        console.print(summary_markdown(run), markup=False, highlight=False)
    else:
        console.print(summary_table(run))
    console.print(totals_line(run))
    state = run_state(run)
    if state:
        console.print(f"[yellow]{state}[/]")
    if len(run.errors):
        console.print(f"[red]{len(run.errors)} bundle(s) could not be loaded:[/]")
        for _, e in run.errors.iterrows():
            console.print(f"  {e['path']}: {e['problem']}")


def gate_failed(run: Run, level: str, selected: set[tuple[str, str]] | None = None) -> bool:
    """Whether a graded variant (of ``selected`` (task, variant) pairs, when given: what one
    invocation asked for) has a finding of severity ``level`` or worse: ``run --fail-on``'s exit code."""
    at_least = SEVERITIES[: SEVERITIES.index(level.capitalize()) + 1]
    f = run.findings
    if selected is not None:
        f = f[[(t, v) in selected for t, v in zip(f["task_id"], f["variant"])]]
    return bool(f["severity"].isin(at_least).any())
