"""``harness run``: grade every task under the given paths, as its steps: the tasks (``_tasks``),
the options (``_limits``), the backend's preflight (``_preflight``), run.json at the start
(``_start_meta``), the grading itself under a progress bar (``_grade``), then the summary."""

from __future__ import annotations

import fnmatch
import platform
import signal
import threading
import time
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from .. import __version__, backends, toolchain
from ..bundles import BundleError, Task, discover
from ..engine import default_workers, pending_jobs, run_batch
from ..image import DEFAULT_TAG
from ..options import (
    COLD,
    COLD_LEAN,
    WARM,
    ContainerOptions,
    EngineOptions,
    Limits,
    PlanOptions,
    RayOptions,
    detected_there,
    to_dict,
)
from ..records import VariantResult
from ..reports.summary import gate_failed, print_summary
from ..results import load_run
from ..runstore import RunStore
from ..worker.tapgrade_stages import CHAIN, STAGES
from .common import console, err
from .display import choose, plain_progress
from .run_options import (
    Address,
    Backend,
    Checkov,
    Cold,
    ColdLean,
    ContainerCpus,
    ContainerMemoryMb,
    CreatedAt,
    Deploy,
    Display,
    DisplayChoice,
    FailOn,
    FailOnOption,
    Image,
    InContainer,
    KeepWorkspaces,
    Limit,
    MemoryMb,
    Order,
    Out,
    Paths,
    Quiet,
    Reference,
    Rerun,
    RetryErrors,
    RunId,
    StageTimeout,
    TaskGlobs,
    TerraformTimeout,
    Variant,
    VariantChoice,
    Workers,
)


def run(
    paths: Paths,
    variant: Variant = VariantChoice.both,
    out: Out = Path("runs"),
    workers: Workers = None,
    run_id: RunId = None,
    keep_workspaces: KeepWorkspaces = False,
    quiet: Quiet = False,
    display: Display = None,
    fail_on: FailOnOption = None,
    task: TaskGlobs = None,
    limit: Limit = None,
    stage_timeout: StageTimeout = None,
    memory_mb: MemoryMb = 6144,
    rerun: Rerun = False,
    retry_errors: RetryErrors = False,
    cold: Cold = False,
    cold_lean: ColdLean = False,
    created_at: CreatedAt = None,
    deploy: Deploy = False,
    checkov: Checkov = True,
    reference: Reference = True,
    terraform_timeout: TerraformTimeout = 300.0,
    backend: Backend = "local",
    image: Image = DEFAULT_TAG,
    container_memory_mb: ContainerMemoryMb = None,
    container_cpus: ContainerCpus = 1.0,
    address: Address = None,
    in_container: InContainer = False,
    order: Order = None,
) -> None:
    """Grade every task under PATHS and print the summary table."""
    tasks, errors = _tasks(paths, task or [], limit)
    shown = choose(display, quiet)
    execution = COLD_LEAN if cold_lean else COLD if cold else WARM
    opts = EngineOptions(workers=workers or default_workers(), keep_workspaces=keep_workspaces,
                         limits=_limits(memory_mb, stage_timeout), rerun=rerun, retry_errors=retry_errors,
                         order=order.value if order else None,
                         execution=execution, backend=backend, ray=_ray_options(backend, address, in_container),
                         plan=PlanOptions(deploy=deploy, checkov=checkov, reference=reference, timeout_s=terraform_timeout,
                                          reattach=execution.warm_terraform, plan_first=execution.warm_terraform),
                         container=ContainerOptions(image=image, memory_mb=container_memory_mb, cpus=container_cpus))
    pre = _preflight(opts)
    variants = _variants(variant, tasks)
    store = RunStore.create(out, run_id)
    _start_meta(store, opts, pre, created_at, args={
        "paths": [str(p.resolve()) for p in paths], "variant": variant.value, "workers": opts.workers,
        "execution": execution.name, "cold": cold or cold_lean, "cold_lean": cold_lean, "rerun": rerun,
        "retry_errors": retry_errors, "display": shown.value, "tasks": task or [], "limit": limit,
        "fail_on": fail_on.value if fail_on else None})
    store.append("errors", [{"path": str(e.path), "problem": e.problem} for e in errors])
    _grade(tasks, variants, store, opts, _to_grade(tasks, variants, store, rerun, retry_errors), shown)
    store.write_meta(status="finished", finished_at=_utc_now())
    _finish(store, shown, fail_on, {(t.id, v) for t in tasks for v in variants})


def _to_grade(tasks: list[Task], variants: list[str], store: RunStore, rerun: bool, retry_errors: bool) -> int:
    """How many variants the run grades; says how many the store already holds for the same input."""
    todo, cached = pending_jobs(tasks, variants, store, toolchain.DEFAULT_PROFILE, rerun, retry_errors)
    if cached:
        err.print(f"{cached} variant(s) already graded for the same input in {store.root}: skipped (--rerun grades them again)")
    return len(todo)


def _finish(store: RunStore, shown: DisplayChoice, fail_on: FailOn | None, asked: set[tuple[str, str]]) -> None:
    """The summary table and the run directory; exit 1 when --fail-on's gate is crossed."""
    finished = load_run(store.root)
    if shown != DisplayChoice.none:
        print_summary(finished, console, plain=shown == DisplayChoice.plain)
    console.print(f"run directory: {store.root}")
    if fail_on is not None and gate_failed(finished, fail_on.value, asked):
        err.print(f"[red]--fail-on {fail_on.value}[/]: a variant has a finding of that severity or worse")
        raise typer.Exit(1)


def _ray_options(backend: str, address: str | None, in_container: bool) -> RayOptions:
    """The ray backend's options; exit 2 when --container is given to another backend."""
    if in_container and backend != "ray":
        err.print("[red]--container[/] is an option of --backend ray (the docker backend always grades in containers)")
        raise typer.Exit(2)
    return RayOptions(address=address, container=in_container)


def _tasks(paths: list[Path], globs: list[str], limit: int | None) -> tuple[list[Task], list[BundleError]]:
    """The gradable tasks under ``paths`` (those matching a --task glob, the first --limit by id)
    and the bundles that could not be loaded (each said on stderr); exit 2 when none is left."""
    tasks, errors = discover(paths)
    for e in errors:
        err.print(f"[red]skipped bundle[/] {e}")
    if globs:
        tasks = [t for t in tasks if any(fnmatch.fnmatchcase(t.id, g) for g in globs)]
    tasks = sorted(tasks, key=lambda t: t.id)[:limit] if limit else tasks
    if not tasks:
        err.print("[red]no gradable task found[/]" + (f" matching --task {' '.join(globs)}" if globs else ""))
        raise typer.Exit(2)
    return tasks, errors


def _limits(memory_mb: int, stage_timeout: float | None) -> Limits:
    limits = Limits(memory_mb=memory_mb)
    if stage_timeout is not None:
        # the execution stages (the response's code runs there); lint keeps its own bound
        limits.stage_timeout_s = {k: stage_timeout if k in CHAIN else v for k, v in limits.stage_timeout_s.items()}
    return limits


def _preflight(opts: EngineOptions) -> backends.Preflight:
    """The backend's check before anything is written (exit 2 when it cannot grade); its warnings
    go to stderr and the terraform it found into the plan options."""
    try:
        pre = backends.get(opts.backend).preflight(opts, toolchain.DEFAULT_PROFILE)
    except backends.BackendUnavailable as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    for warning in pre.warnings:
        err.print(f"[yellow]{warning}[/]")
    opts.plan.terraform = pre.terraform
    return pre


def _grade(tasks: list[Task], variants: list[str], store: RunStore, opts: EngineOptions, total: int,
           shown: DisplayChoice) -> None:
    """The batch under a progress bar; an interrupt keeps the partial results, marks the run
    "interrupted" and exits 130."""
    stop = threading.Event()
    # Both signals end the run the same way (workers and containers removed, status "interrupted"),
    # even when the harness was started with SIGINT ignored (a background job of a non-interactive
    # shell inherits that), so `kill -INT` always works.
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with Progress(TextColumn("[bold]grading[/] {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), console=err,
                  transient=False, disable=shown != DisplayChoice.rich) as progress:
        on_result = (_progress(progress, total) if shown == DisplayChoice.rich
                     else plain_progress(total) if shown == DisplayChoice.plain else (lambda r: None))
        try:
            run_batch(tasks, variants, store, toolchain.DEFAULT_PROFILE, opts, on_result, stop)
        except KeyboardInterrupt:
            store.write_meta(status="interrupted", finished_at=_utc_now())
            err.print(f"[yellow]interrupted[/]; partial results kept in {store.root}")
            raise typer.Exit(130) from None


def _utc_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


def _terminate(_signum, _frame) -> None:
    """SIGTERM ends a run like Ctrl-C: workers killed, partial results kept, status 'interrupted'."""
    raise KeyboardInterrupt


def _variants(choice: VariantChoice, tasks: list) -> list[str]:
    """The responses ``--variant`` names (``all``: every one the tasks have)."""
    named = {"model": ["model"], "ideal": ["ideal"], "reference": ["reference"], "both": ["model", "ideal"]}
    return named.get(choice.value) or sorted({v for t in tasks for v in t.variants})


def _start_meta(store: RunStore, opts: EngineOptions, pre: backends.Preflight, created_at: str | None,
                args: dict) -> None:
    """run.json as a run (or its resumption) starts: what was asked, what will grade, and the
    CreatedAt every stack carries (kept from the first invocation, so a resumed run matches)."""
    now = _utc_now()
    previous = store.read_meta()
    store.write_meta(run_id=store.run_id, args=args, harness_version=__version__, toolchain=pre.toolchain,
                     toolchain_profile=toolchain.DEFAULT_PROFILE.pins, backend=opts.backend,
                     python=platform.python_version(), status="running", started_at=previous.get("started_at", now),
                     created_at=previous.get("created_at") or created_at or previous.get("started_at", now),
                     invocations=[*previous.get("invocations", []), now])
    store.write_meta(terraform={"found": pre.terraform.terraform is not None, "detail": pre.terraform.reason},
                     checkov=pre.checkov[1], deploy=opts.plan.deploy, reference=opts.plan.reference,
                     # The engine options as given (terraform is detected again where a variant grades):
                     # what `harness debug` grades a variant again with.
                     options=to_dict(detected_there(opts)))


def _progress(progress: Progress, total: int):
    """The callback that advances the progress bar and shows verdicts and stages passed so far."""
    bar = progress.add_task("", total=total)
    counts = {"pass": 0, "fail": 0, "no-code": 0, "infra-error": 0}
    stage_ok = {s: 0 for s in STAGES}

    def on_result(r: VariantResult) -> None:
        counts[r.verdict] = counts.get(r.verdict, 0) + 1
        for o in r.outcomes:
            if o.round == 0 and o.status == "pass":
                stage_ok[o.stage] += 1
        verdicts = " ".join(f"{k}={v}" for k, v in counts.items() if v)
        stages = " ".join(f"{k}:{v}" for k, v in stage_ok.items())
        progress.update(bar, advance=1, description=f"{verdicts} | passed {stages}")

    return on_result
