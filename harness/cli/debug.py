"""``harness debug RUN TASK [--variant V] [--stage S]``: one variant, looked at closely (``harness/debug.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..bundles import Task
from ..worker.tapgrade_stages import STAGES
from .common import err


def debug(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (runs/<run_id>).")],
    task_id: Annotated[str, typer.Argument(help="The task, e.g. Pr7427.")],
    variant: Annotated[str, typer.Option(help="Which response of the task.")] = "model",
    stage: Annotated[str | None, typer.Option(help="Run only this stage again, on the kept workspace as it is now "
                                                   "(edit it, then re-run); nothing is written into the run. "
                                                   "Without it: grade the variant again into the run, keep its "
                                                   "workspace and print how to reproduce each stage.",
                                              show_default=False)] = None,
    tasks: Annotated[list[Path] | None, typer.Option(help="Where the task bundles are, when not where the run "
                                                             "found them.")] = None,
) -> None:
    """Debug one variant: grade it again with its workspace kept, print each stage's outcome with the
    failing lines of the response markdown, and the command and environment that reproduce each
    stage by hand; or, with --stage, run one stage again on the (edited) kept workspace."""
    from ..reports.analysis import find_task
    from ..results import load_run

    if stage is not None and stage not in STAGES:
        err.print(f"[red]--stage {stage}: not a stage[/] (one of {', '.join(STAGES)})")
        raise typer.Exit(2)
    try:
        run = load_run(run_dir)
        task = find_task(run, task_id, tasks)
    except (FileNotFoundError, LookupError) as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    if variant not in task.responses and variant != "reference":
        err.print(f"[red]{task.id} has no {variant!r} response[/] (it has: {', '.join(task.variants)})")
        raise typer.Exit(2)
    if stage is None:
        _regrade_and_report(run_dir, task, variant)
    else:
        _one_stage(run_dir, task, variant, stage)


def _regrade_and_report(run_dir: Path, task: Task, variant: str) -> None:
    """Grade again into the run, then each stage's outcome and how to reproduce it by hand."""
    from .. import debug as dbg
    from ..results import load_run

    err.print(f"grading {task.id} {variant} again into {run_dir}, keeping its workspace ...")
    dbg.regrade(run_dir, task, variant)
    kept = dbg.Kept.of(run_dir, task.id, variant)
    typer.echo(f"# {task.id} {variant}: stages (run {run_dir.name}, latest attempt)")
    typer.echo("\n".join(dbg.stage_report(load_run(run_dir), task, variant)))
    typer.echo(f"\n# kept workspace: {kept.workspace}\n# reproduce a stage by hand (or: harness debug "
               f"{run_dir} {task.id} --variant {variant} --stage STAGE)")
    for s, cmd in dbg.reproduce(kept).items():
        typer.echo(f"{s}: {cmd}")


def _one_stage(run_dir: Path, task: Task, variant: str, stage: str) -> None:
    """One stage again on the kept workspace as it is now; exit 1 when it does not pass."""
    from .. import debug as dbg

    try:
        kept = dbg.Kept.of(run_dir, task.id, variant)
    except FileNotFoundError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    commands = dbg.reproduce(kept)
    if stage in ("validate", "plan"):
        if stage not in commands:
            err.print(f"[red]--stage {stage}: the variant has no kept terraform directory (nothing synthesized)[/]")
            raise typer.Exit(2)
        import subprocess

        typer.echo(f"# {task.id} {variant}: --stage {stage} (not recorded in the run)\n$ {commands[stage]}")
        proc = subprocess.run(["bash", "-c", commands[stage]], capture_output=True, text=True, timeout=600)
        typer.echo(proc.stdout + proc.stderr)
        raise typer.Exit(0 if proc.returncode == 0 else 1)
    if stage not in dbg.WORKER_STAGES:
        err.print(f"[yellow]--stage {stage}:[/] {commands[stage]}")
        raise typer.Exit(2)
    events = dbg.rerun_stage(kept, stage, kept.workspace.with_name(f"{variant}.debug-worker.log"))
    typer.echo(f"# {task.id} {variant}: --stage {stage} on {kept.workspace} (not recorded in the run)")
    typer.echo("\n".join(dbg.event_report(events, kept.workspace)))
    if any(e["stage"] == stage and e["status"] != "pass" for e in events):
        raise typer.Exit(1)
