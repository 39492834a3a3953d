"""Terminal summary of a run: task x variant x worst severity, counts by severity, gold check."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from graders.catalogue import FAILURE_SEVERITIES

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


def summary_table(run: Run) -> Table:
    gold = gold_status(run)
    o = run.outcomes
    synth = o[(o["stage"] == "synth") & (o["round"] == 0)].set_index(["task_id", "variant"])["status"]
    plan = judged_status(o, "plan")
    table = Table(title=f"run {run.meta.get('run_id', '')}", show_lines=False,
                  caption="C/H/M/L: findings by severity; plan: terraform plan of the stack as written (* of the "
                          "repaired copy); repaired: repairs applied in one pass and whether the repaired copy "
                          "synthesizes; gold: whether the task's reference (else its IDEAL) passes")
    for col in ("task", "variant", "verdict", "worst"):
        table.add_column(col, no_wrap=True)
    for sev in FAILURE_SEVERITIES:
        table.add_column(sev[0], justify="right", no_wrap=True)
    table.add_column("synth", no_wrap=True)
    table.add_column("plan", no_wrap=True)
    table.add_column("repaired", no_wrap=True)
    table.add_column("gold", overflow="fold")
    for _, row in run.variants.sort_values(["task_id", "variant"]).iterrows():
        worst = row["worst_severity"] if isinstance(row["worst_severity"], str) else None
        table.add_row(
            row["task_id"], row["variant"], row["verdict"],
            f"[{STYLE[worst]}]{worst or '-'}[/]",
            *(str(int(row[f"n_{s.lower()}"])) for s in FAILURE_SEVERITIES),
            str(synth.get((row["task_id"], row["variant"]), "-")),
            plan.get((row["task_id"], row["variant"]), "-"),
            _repaired(row),
            gold.get(row["task_id"], "-") if row["variant"] not in GOLD_VARIANTS else "",
        )
    return table


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


def print_summary(run: Run, console: Console | None = None) -> None:
    console = console or Console()
    console.print(summary_table(run))
    console.print(totals_line(run))
    if len(run.errors):
        console.print(f"[red]{len(run.errors)} bundle(s) could not be loaded:[/]")
        for _, e in run.errors.iterrows():
            console.print(f"  {e['path']}: {e['problem']}")
