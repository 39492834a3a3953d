"""The commands that read saved runs, executing nothing: show, rescore, analyze, export, compare,
agreement, report. Each loads only the report module it needs."""

from __future__ import annotations

import json
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..reports.summary import print_summary
from ..results import load_run
from .common import console, err


def rescore(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (runs/<run_id>).")],
    out: Annotated[Path | None, typer.Option(help="Directory of the rescored run "
                                                     "(default: <run_dir>-rescored-<time>).")] = None,
) -> None:
    """Re-classify a saved run with the current catalogue, executing nothing; prints its summary."""
    from ..rescore import rescore as do_rescore

    dest = out or run_dir.parent / f"{run_dir.name}-rescored-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"
    try:
        new = do_rescore(run_dir, dest)
    except (FileNotFoundError, FileExistsError) as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    print_summary(load_run(new.root), console)
    console.print(f"run directory: {new.root}")


def analyze(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (runs/<run_id>).")],
    task_id: Annotated[str, typer.Argument(help="The task to analyse, e.g. Pr7427.")],
    variant: Annotated[str, typer.Option(help="Which response of the task.")] = "model",
    tasks: Annotated[list[Path] | None, typer.Option(help="Where the task bundles are, when not where the "
                                                             "run found them.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the markdown here instead of printing it.")] = None,
) -> None:
    """Write a failure analysis of one task in the reference document's structure (markdown)."""
    from ..reports.analysis import analyze_path

    try:
        text = analyze_path(run_dir, task_id, variant, tasks)
    except (FileNotFoundError, LookupError) as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    if out:
        out.write_text(text, encoding="utf-8")
        console.print(f"analysis written to {out}")
    else:
        print(text)


class ExportFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"
    sarif = "sarif"
    junit = "junit"


def export(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (runs/<run_id>).")],
    out: Annotated[Path, typer.Option(help="Directory to write to: outcomes, findings and variants (parquet, csv), "
                                           "tapgrade.sarif (sarif) or junit.xml (junit).")],
    format: Annotated[ExportFormat, typer.Option(help="parquet (pyarrow) or csv: the run's frames; sarif: every "
                                                      "finding on its line of the response markdown, for code "
                                                      "scanning (Critical/High error, Medium warning, Low/Info note); "
                                                      "junit: one test case per task x variant (fails on a "
                                                      "Critical/High finding).")] = ExportFormat.parquet,
    root: Annotated[Path, typer.Option(help="sarif: the checkout the response paths are made relative to (code "
                                            "scanning resolves them against it).")] = Path("."),
    tasks: Annotated[list[Path] | None, typer.Option(help="sarif: where the task bundles are, when not where the run "
                                                             "found them (to locate the response markdown).")] = None,
) -> None:
    """Export a run: its frames as Parquet or CSV, or its findings as SARIF 2.1.0 or JUnit XML for CI."""
    try:
        run_ = load_run(run_dir)
    except FileNotFoundError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    if format in (ExportFormat.sarif, ExportFormat.junit):
        from ..reports.ci_formats import to_junit, to_sarif
        from ..results import tasks_of

        out.mkdir(parents=True, exist_ok=True)
        if format is ExportFormat.sarif:
            path = out / "tapgrade.sarif"
            found = {t.id: t for t in tasks_of(run_, tasks)}
            missing = set(run_.findings.task_id) - set(found)
            if missing:
                err.print(f"[yellow]{len(missing)} task bundle(s) not found (their findings carry no location): "
                          f"{', '.join(sorted(missing)[:5])}; pass --tasks[/]")
            path.write_text(json.dumps(to_sarif(run_, found, root), indent=1), encoding="utf-8")
            paths = [path]
        else:
            paths = [to_junit(run_, out / "junit.xml")]
    else:
        from ..results import export as do_export

        paths = do_export(run_, out, format.value)
    for p in paths:
        console.print(str(p))


def compare(
    run_a: Annotated[Path, typer.Argument(help="The baseline run directory.")],
    run_b: Annotated[Path, typer.Argument(help="The run to compare with it.")],
    fail_on_regression: Annotated[bool, typer.Option(help="Exit 1 when B regresses on a task both runs graded: a "
                                                          "verdict pass -> fail, or a gained or worsened "
                                                          "Critical/High finding.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON (per task, regressions, "
                                                          "tasks only one run graded).")] = False,
) -> None:
    """Per task both runs graded: findings gained, lost and changed in severity from RUN_A to RUN_B
    (matched by rule and message, not by line), and regressions grouped by rule."""
    from ..reports.compare import compare as do_compare

    try:
        a, b = load_run(run_a), load_run(run_b)
    except FileNotFoundError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    res = do_compare(a, b)
    if json_out:
        typer.echo(json.dumps(_compare_json(res), indent=1, default=str))
    else:
        _print_compare(res)
    if fail_on_regression and len(res["regressions"]):
        raise typer.Exit(1)


def _compare_json(res: dict) -> dict:
    return {"common_tasks": res["common_tasks"], "only_a": res["only_a"], "only_b": res["only_b"],
            "per_task": res["per_task"].to_dict("records"),
            "regressions": res["regressions"][["task_id", "variant", "why", "rule_id"]].to_dict("records"),
            "regressions_by_rule": res["regressions_by_rule"].to_dict("records"),
            "totals": res["totals"]}


def _print_compare(res: dict) -> None:
    for side, tasks in (("A", res["only_a"]), ("B", res["only_b"])):
        if tasks:
            err.print(f"[yellow]only run {side} graded {len(tasks)} task(s)[/] (not compared): {', '.join(tasks[:10])}"
                      + (" ..." if len(tasks) > 10 else ""))
    if not res["common_tasks"]:
        typer.echo("no common tasks: the runs graded none of the same tasks, nothing to compare")
        return
    table = res["per_task"]
    table = table[(table[["gained", "lost", "changed"]].sum(axis=1) > 0) | (table["verdict_a"] != table["verdict_b"])]
    typer.echo(table.to_markdown(index=False) if len(table) else "nothing changed")
    totals = res["totals"]
    typer.echo(f"tasks compared {len(res['common_tasks'])}; findings gained {totals['gained']}, lost "
               f"{totals['lost']}, changed severity {totals['changed']}; regressions {len(res['regressions'])}")
    if len(res["regressions_by_rule"]):
        typer.echo(res["regressions_by_rule"].to_markdown(index=False))
    for r in res["regressions"].itertuples():
        what = f": {r.what[:100]}" if isinstance(getattr(r, "what", None), str) else ""
        typer.echo(f"  regression {r.task_id} {r.variant}: {r.why} {r.rule_id}{what}".rstrip())


def agreement(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (runs/<run_id>).")],
    labels: Annotated[Path, typer.Option(help="Adjudicated labels (CSV; the reviewed extra defects are read from "
                                              "<stem>-extra.csv beside it).")] = Path("labels/cdktf-py.csv"),
    variant: Annotated[str, typer.Option(help="The graded response the labels describe.")] = "model",
    out: Annotated[Path | None, typer.Option(help="Also write the per-item table (CSV) here.")] = None,
) -> None:
    """Item by item against adjudicated labels: recall (offline-detectable and all real items), false
    alarms among the Critical/High findings, severity agreement, recall per category."""
    from ..reports.agreement import print_agreement, score
    from ..reports.labels import LabelError, load_labels

    try:
        run_ = load_run(run_dir)
        labelled = load_labels(labels)
    except (FileNotFoundError, LabelError) as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    graded = set(run_.variants[run_.variants.variant == variant].task_id)
    res = score(run_.findings, graded, labelled, variant)
    print_agreement(res, console)
    if out is not None:
        res.items.to_csv(out, index=False)
        console.print(f"per-item table: {out}")


def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (runs/<run_id>).")],
    html: Annotated[bool, typer.Option("--html", help="Write the static HTML report (the only format so far).")]
    = False,
    out: Annotated[Path | None, typer.Option(help="Directory of the report (default: <run_dir>/report).")] = None,
    tasks: Annotated[list[Path] | None, typer.Option(help="Where the task bundles are, when not where the run "
                                                             "found them (for the failure analyses).")] = None,
) -> None:
    """Write a report of a run: with --html, an overview page, a sortable task table and a page per task."""
    if not html:
        err.print("[red]say which report: --html[/]")
        raise typer.Exit(2)
    from ..reports.html_report import write_report
    from ..results import tasks_of

    try:
        run_ = load_run(run_dir)
    except FileNotFoundError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    index = write_report(run_, {t.id: t for t in tasks_of(run_, tasks)}, out)
    console.print(f"report: {index}")


def show(run_dir: Annotated[Path, typer.Argument(help="A run directory (runs/<run_id>).")],
         json_out: Annotated[bool, typer.Option("--json", help="Print the rows, totals and run status as JSON.")]
         = False,
         plain: Annotated[bool | None, typer.Option("--plain/--rich", help="Markdown table or rich table (default: "
                                                                          "rich on a terminal, markdown otherwise).",
                                                    show_default=False)] = None) -> None:
    """Print the summary table of an existing run."""
    if not run_dir.exists():
        err.print(f"[red]{run_dir} does not exist[/]")
        raise typer.Exit(2)
    try:
        run = load_run(run_dir)
    except FileNotFoundError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    if json_out:
        from ..reports.summary import summary_rows, totals_line

        typer.echo(json.dumps({"run_id": run.meta.get("run_id"), "status": run.meta.get("status"),
                               "totals": totals_line(run), "variants": summary_rows(run)}, indent=1, default=str))
        return
    print_summary(run, console, plain=plain)
