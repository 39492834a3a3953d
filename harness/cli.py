"""The ``harness`` command (typer): run, show, rescore, analyze, export, compare, agreement,
report, toolchain install/check."""

from __future__ import annotations

import logging
import platform
import signal
import sys
import threading
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from . import __version__, backends, terraform, toolchain
from .bundles import discover
from .engine import default_workers, pending_jobs, run_batch
from .grade import VariantResult
from .image import DEFAULT_BASE, DEFAULT_TAG
from .options import COLD, COLD_LEAN, WARM, ContainerOptions, EngineOptions, Limits, PlanOptions
from .reports.summary import print_summary
from .results import load_run
from .runstore import RunStore
from .tapgrade_stages import CHAIN, STAGES

app = typer.Typer(help="Grade model-written CDKTF (Python) responses: extract, import, instantiate, synth "
                       "and lint each response in a pinned toolchain; validate and plan what synthesizes "
                       "with Terraform offline (checkov, Rego policies, and --deploy against a local AWS "
                       "emulator); classify every failure Critical/High/Medium/Low; keep the results as "
                       "data and report them (analyze, export, compare, agreement, report --html).",
                  no_args_is_help=True, add_completion=False)


class LogLevel(StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


@app.callback()
def _logging(log_level: Annotated[LogLevel, typer.Option(help="What the harness's own log (stderr) shows: info "
                                                              "adds each backend and worker start and "
                                                              "replacement, debug what a clean-up had to ignore.")]
             = LogLevel.warning) -> None:
    """Grade model-written CDKTF responses (see the commands)."""
    logging.basicConfig(level=log_level.value.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


tc_app = typer.Typer(help="The pinned CDKTF toolchain that graded code runs in (its own venv).",
                     no_args_is_help=True)
app.add_typer(tc_app, name="toolchain")
img_app = typer.Typer(help="The grading image of the docker backend (Docker SDK): build it, check it matches "
                           "this checkout.", no_args_is_help=True)
app.add_typer(img_app, name="image")
console = Console()
err = Console(stderr=True)


def _backend_name(name: str) -> str:
    if name not in backends.names():
        raise typer.BadParameter(f"no backend {name!r}; this installation has: {', '.join(backends.names())}")
    return name


class VariantChoice(StrEnum):
    model = "model"
    ideal = "ideal"
    reference = "reference"
    both = "both"
    all = "all"


@tc_app.command("install")
def toolchain_install(force: Annotated[bool, typer.Option(help="Reinstall even if present.")] = False) -> None:
    """Install the pinned toolchain and the checkov venv (idempotent: a matching install is left alone)."""
    ok = True
    for prof in (toolchain.DEFAULT_PROFILE, toolchain.CHECKOV_PROFILE):
        with console.status(f"installing {prof.name}...") as status:
            def progress(message: str, name: str = prof.name, status: Any = status) -> None:
                status.update(f"{name}: {message}")
            st = toolchain.install(prof, progress=progress, force=force)
        _print_toolchain(st)
        ok = ok and st.ok
    if not ok:
        raise typer.Exit(1)


@tc_app.command("check")
def toolchain_check() -> None:
    """Say whether the toolchain (and checkov, and terraform) are usable (exit 1 if the toolchain is not)."""
    st = toolchain.check(toolchain.DEFAULT_PROFILE)
    _print_toolchain(st)
    _print_toolchain(toolchain.check(toolchain.CHECKOV_PROFILE))
    det = terraform.detect()
    console.print(f"terraform: {det.reason}" if det.terraform else
                  f"terraform: [yellow]{det.reason}[/] (validate falls back to the jsii schema; plan is skipped)")
    if det.terraform is not None:
        held = ", ".join(f"{p.split('/', 1)[1]} {', '.join(v)}" for p, v in sorted(det.terraform.providers.items()))
        console.print(f"provider mirror {det.terraform.mirror} holds: {held}; a stack needing any other provider "
                      "(random, archive, null, tls, kubernetes, ...) gets validate/plan infra-error naming it")
    if not st.ok:
        raise typer.Exit(1)


@img_app.command("build")
def image_build(
    tag: Annotated[str, typer.Option(help="Image name.")] = DEFAULT_TAG,
    base: Annotated[str, typer.Option(help="Base image: an official slim Python image, or the debootstrap base "
                                           "of scripts/base_image.sh (tapgrade-base:bookworm) where no registry "
                                           "is reachable.")] = DEFAULT_BASE,
    terraform_source: Annotated[str, typer.Option("--terraform", help="auto: copy this machine's terraform and "
                                                  "provider mirror when present, else download; context: copy "
                                                  "them (air-gapped); download: pinned releases from "
                                                  "releases.hashicorp.com.")] = "auto",
    no_cache: Annotated[bool, typer.Option(help="Rebuild every layer.")] = False,
) -> None:
    """Build the grading image (Dockerfile) with this checkout's source and toolchain pins."""
    from .image import ImageError, build  # noqa: PLC0415

    try:
        with console.status("building...") as status:
            res = build(tag, base, terraform_source, progress=lambda line: status.update(line[:110]),
                        no_cache=no_cache)
    except ImageError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    console.print(f"built {res.tag} ({res.image_id[:19]}) from {res.base}, terraform from {res.terraform_source}: "
                  f"{res.size_bytes / 1e9:.2f} GB in {res.seconds:.0f} s")


@img_app.command("check")
def image_check_cmd(tag: Annotated[str, typer.Option(help="Image name.")] = DEFAULT_TAG) -> None:
    """Say whether the image exists and was built from this checkout's source and pins (exit 1 if not)."""
    from .image import check  # noqa: PLC0415

    st = check(tag)
    if st.ok:
        console.print(f"{tag}: [green]ok[/] ({st.size_bytes / 1e9:.2f} GB; source {st.labels['tapgrade.source'][:12]}, "
                      f"toolchain {st.labels['tapgrade.toolchain'][:12]})")
        return
    console.print(f"{tag}: [red]not usable[/]")
    for p in st.problems:
        console.print(f"  [red]{p}[/]")
    raise typer.Exit(1)


@app.command()
def clean(all_runs: Annotated[bool, typer.Option("--all", help="Also containers of runs still going.")] = False
          ) -> None:
    """Remove what runs whose harness is gone (a crash, a SIGKILL) left behind: grading containers."""
    removed, failed = [], False
    for name in backends.names():
        try:
            removed += backends.get(name).leftovers(all_runs)
        except backends.BackendUnavailable as exc:
            err.print(f"[red]{name}: {exc}[/]")
            failed = True
    console.print(f"removed {len(removed)} container(s)" + (": " + ", ".join(removed) if removed else ""))
    if failed:
        raise typer.Exit(1)


def _print_toolchain(st: toolchain.ToolchainStatus) -> None:
    console.print(f"{st.home.name} at {st.home}: " + ("[green]ok[/]" if st.ok else "[red]not usable[/]"))
    for name, ver in (st.versions.get("packages") or {}).items():
        console.print(f"  {name} {ver}")
    if st.versions.get("node"):
        console.print(f"  node {st.versions['node']}")
    for p in st.problems:
        console.print(f"  [red]{p}[/]")


@app.command()
def run(
    paths: Annotated[list[Path], typer.Argument(help="Task directories, or folders of task directories.")],
    variant: Annotated[VariantChoice, typer.Option(help="Which responses to grade: 'reference' grades the task's "
                                                        "reference/ code as it is; 'all' grades every response "
                                                        "(responses/*.md too) and the reference.")]
    = VariantChoice.both,
    out: Annotated[Path, typer.Option(help="Root under which the run directory is created.")] = Path("runs"),
    workers: Annotated[int | None, typer.Option(help="Parallel toolchain workers (default: cores, "
                                                        "bounded by memory at ~2 GB each).")] = None,
    run_id: Annotated[str | None, typer.Option(help="Name of the run directory (default: time + random).")]
    = None,
    keep_workspaces: Annotated[bool, typer.Option(help="Keep each variant's workspace for debugging.")] = False,
    quiet: Annotated[bool, typer.Option(help="No summary table, only the run directory.")] = False,
    stage_timeout: Annotated[float | None, typer.Option(help="Seconds each execution stage (import, "
                                                               "instantiate, synth) may take (default: import 120, "
                                                               "instantiate/synth 180; lint keeps 240).")]
    = None,
    memory_mb: Annotated[int, typer.Option(help="Memory bound of one worker's process group while a stage runs.")]
    = 6144,
    rerun: Annotated[bool, typer.Option(help="Grade again variants the run directory already holds for the "
                                             "same input (by default they are skipped: resume).")] = False,
    cold: Annotated[bool, typer.Option(help="Benchmark baseline: a fresh toolchain process per stage group, "
                                            "as the reference pipeline does (slow).")] = False,
    cold_lean: Annotated[bool, typer.Option(help="Implies --cold, with static and lint in light processes "
                                                 "(pylint only, no cdktf runtime), as a bare pylint per "
                                                 "pull request: a leaner baseline.")] = False,
    created_at: Annotated[str | None, typer.Option(help="The CreatedAt tag the template puts on every stack "
                                                           "(default: the run's start), to compare runs byte for byte.")]
    = None,
    deploy: Annotated[bool, typer.Option(help="Also terraform apply, then destroy, each stack that plans, against "
                                              "the local AWS emulator (moto server).")] = False,
    checkov: Annotated[bool, typer.Option(help="Run checkov on each synthesized stack (severities from "
                                               "graders/checkov_severity.py).")] = True,
    terraform_timeout: Annotated[float, typer.Option(help="Seconds each terraform command may take.")] = 300.0,
    backend: Annotated[str, typer.Option(callback=_backend_name,
                                         help="Where the responses' code runs, a name in the backend registry: "
                                              "local (toolchain processes on this machine), docker (one hardened "
                                              "grading container per worker: no network, read-only root, "
                                              "memory/CPU/pids limits; see `harness image`).")] = "local",
    image: Annotated[str, typer.Option(help="Grading image of a container backend.")] = DEFAULT_TAG,
    container_memory_mb: Annotated[int | None, typer.Option(help="Container backends: memory limit of each "
                                                                    "container (default: --memory-mb + 2048).")]
    = None,
    container_cpus: Annotated[float, typer.Option(help="Container backends: CPUs of each container.")] = 1.0,
) -> None:
    """Grade every task under PATHS and print the summary table."""
    tasks, errors = discover(paths)
    for e in errors:
        err.print(f"[red]skipped bundle[/] {e}")
    if not tasks:
        err.print("[red]no gradable task found[/]")
        raise typer.Exit(2)
    execution = COLD_LEAN if cold_lean else COLD if cold else WARM
    limits = Limits(memory_mb=memory_mb)
    if stage_timeout is not None:
        # the execution stages (the response's code runs there); lint keeps its own bound
        limits.stage_timeout_s = {k: stage_timeout if k in CHAIN else v for k, v in limits.stage_timeout_s.items()}
    opts = EngineOptions(workers=workers or default_workers(), keep_workspaces=keep_workspaces, limits=limits,
                         rerun=rerun, execution=execution, backend=backend,
                         plan=PlanOptions(deploy=deploy, checkov=checkov, timeout_s=terraform_timeout,
                                          reattach=execution.warm_terraform, plan_first=execution.warm_terraform),
                         container=ContainerOptions(image=image, memory_mb=container_memory_mb, cpus=container_cpus))
    try:
        pre = backends.get(backend).preflight(opts, toolchain.DEFAULT_PROFILE)
    except backends.BackendUnavailable as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    for warning in pre.warnings:
        err.print(f"[yellow]{warning}[/]")
    opts.plan.terraform = pre.terraform
    variants = _variants(variant, tasks)
    store = RunStore.create(out, run_id)
    _start_meta(store, opts, pre, created_at, args={
        "paths": [str(p.resolve()) for p in paths], "variant": variant.value, "workers": opts.workers,
        "execution": execution.name, "cold": cold or cold_lean, "cold_lean": cold_lean, "rerun": rerun})
    store.append("errors", [{"path": str(e.path), "problem": e.problem} for e in errors])
    todo, cached = pending_jobs(tasks, variants, store, toolchain.DEFAULT_PROFILE, rerun)
    if cached:
        err.print(f"{cached} variant(s) already graded for the same input in {store.root}: skipped (--rerun grades them again)")
    stop = threading.Event()
    # Both signals end the run the same way (workers and containers removed, status "interrupted"),
    # even when the harness was started with SIGINT ignored (a background job of a non-interactive
    # shell inherits that), so `kill -INT` always works.
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    with Progress(TextColumn("[bold]grading[/] {task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), console=err,
                  transient=False, disable=quiet) as progress:
        try:
            run_batch(tasks, variants, store, toolchain.DEFAULT_PROFILE, opts, _progress(progress, len(todo)), stop)
        except KeyboardInterrupt:
            store.write_meta(status="interrupted", finished_at=time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()))
            err.print(f"[yellow]interrupted[/]; partial results kept in {store.root}")
            raise typer.Exit(130) from None
    store.write_meta(status="finished", finished_at=time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()))
    if not quiet:
        print_summary(load_run(store.root), console)
    console.print(f"run directory: {store.root}")


def _variants(choice: VariantChoice, tasks: list) -> list[str]:
    """The responses ``--variant`` names (``all``: every one the tasks have)."""
    named = {"model": ["model"], "ideal": ["ideal"], "reference": ["reference"], "both": ["model", "ideal"]}
    return named.get(choice.value) or sorted({v for t in tasks for v in t.variants})


def _start_meta(store: RunStore, opts: EngineOptions, pre: backends.Preflight, created_at: str | None,
                args: dict) -> None:
    """run.json as a run (or its resumption) starts: what was asked, what will grade, and the
    CreatedAt every stack carries (kept from the first invocation, so a resumed run matches)."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
    previous = store.read_meta()
    store.write_meta(run_id=store.run_id, args=args, harness_version=__version__, toolchain=pre.toolchain,
                     toolchain_profile=toolchain.DEFAULT_PROFILE.pins, backend=opts.backend,
                     python=platform.python_version(), status="running", started_at=previous.get("started_at", now),
                     created_at=previous.get("created_at") or created_at or previous.get("started_at", now),
                     invocations=[*previous.get("invocations", []), now])
    store.write_meta(terraform={"found": pre.terraform.terraform is not None, "detail": pre.terraform.reason},
                     checkov=pre.checkov[1], deploy=opts.plan.deploy)


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


@app.command()
def rescore(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (runs/<run_id>).")],
    out: Annotated[Path | None, typer.Option(help="Directory of the rescored run "
                                                     "(default: <run_dir>-rescored-<time>).")] = None,
) -> None:
    """Re-classify a saved run with the current catalogue, executing nothing; prints its summary."""
    from .rescore import rescore as do_rescore

    dest = out or run_dir.parent / f"{run_dir.name}-rescored-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"
    try:
        new = do_rescore(run_dir, dest)
    except (FileNotFoundError, FileExistsError) as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    print_summary(load_run(new.root), console)
    console.print(f"run directory: {new.root}")


@app.command()
def analyze(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (runs/<run_id>).")],
    task_id: Annotated[str, typer.Argument(help="The task to analyse, e.g. Pr7427.")],
    variant: Annotated[str, typer.Option(help="Which response of the task.")] = "model",
    tasks: Annotated[list[Path] | None, typer.Option(help="Where the task bundles are, when not where the "
                                                             "run found them.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the markdown here instead of printing it.")] = None,
) -> None:
    """Write a failure analysis of one task in the reference document's structure (markdown)."""
    from .reports.analysis import analyze_path

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


@app.command()
def export(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (runs/<run_id>).")],
    out: Annotated[Path, typer.Option(help="Directory to write outcomes, findings and variants to.")],
    format: Annotated[ExportFormat, typer.Option(help="parquet (pyarrow) or csv.")] = ExportFormat.parquet,
) -> None:
    """Export a run's outcomes, findings and variants as Parquet or CSV files."""
    from .results import export as do_export

    try:
        paths = do_export(load_run(run_dir), out, format.value)
    except FileNotFoundError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    for p in paths:
        console.print(str(p))


@app.command()
def compare(
    run_a: Annotated[Path, typer.Argument(help="The baseline run directory.")],
    run_b: Annotated[Path, typer.Argument(help="The run to compare with it.")],
    fail_on_regression: Annotated[bool, typer.Option(help="Exit 1 when B regresses: a verdict pass -> fail, or a "
                                                          "gained or worsened Critical/High finding.")] = False,
) -> None:
    """Per task: findings gained, lost and changed in severity from RUN_A to RUN_B, and regressions."""
    from .reports.compare import compare as do_compare

    try:
        a, b = load_run(run_a), load_run(run_b)
    except FileNotFoundError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    res = do_compare(a, b)
    table = res["per_task"]
    table = table[(table[["gained", "lost", "changed"]].sum(axis=1) > 0) | (table["verdict_a"] != table["verdict_b"])]
    console.print(table.to_string(index=False) if len(table) else "no differences")
    console.print(f"findings gained {len(res['gained'])}, lost {len(res['lost'])}, changed severity "
                  f"{len(res['changed'])}; regressions {len(res['regressions'])}")
    for r in res["regressions"].itertuples():
        console.print(f"  [red]regression[/] {r.task_id} {r.variant}: {r.why}")
    if fail_on_regression and len(res["regressions"]):
        raise typer.Exit(1)


@app.command()
def agreement(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (runs/<run_id>).")],
    tasks: Annotated[list[Path] | None, typer.Option(help="Where the task bundles (with MODEL_FAILURES.md) are, "
                                                             "when not where the run found them.")] = None,
    variant: Annotated[str, typer.Option(help="The graded response the human labels describe.")] = "model",
) -> None:
    """Compare the run with the humans' MODEL_FAILURES.md: worst-severity agreement, confusion matrix,
    per-category recall, and how much of the labels the parser could read."""
    from .reports.agreement import agreement as do_agreement
    from .results import tasks_of

    try:
        run_ = load_run(run_dir)
    except FileNotFoundError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    res = do_agreement(run_, tasks_of(run_, tasks), variant)
    cov = res["coverage"]
    console.print(f"parser coverage: {cov['files_with_severities']} of {cov['files']} MODEL_FAILURES.md files yield "
                  f"items with severities; {cov['items_with_severity']} of {cov['items']} items carry one "
                  f"(from {', '.join(f'{k} {v}' for k, v in cov['by_source'].items())})")
    agree, n = res["worst_agreement"]
    console.print(f"worst severity agrees on {agree} of {n} tasks" + (f" ({agree / n:.0%})" if n else ""))
    console.print(res["confusion"].to_markdown())
    console.print(res["recall"].to_markdown(index=False))


@app.command()
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
    from .reports.html_report import write_report
    from .results import tasks_of

    try:
        run_ = load_run(run_dir)
    except FileNotFoundError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    index = write_report(run_, {t.id: t for t in tasks_of(run_, tasks)}, out)
    console.print(f"report: {index}")


def _terminate(_signum, _frame) -> None:
    """SIGTERM ends a run like Ctrl-C: workers killed, partial results kept, status 'interrupted'."""
    raise KeyboardInterrupt


@app.command()
def show(run_dir: Annotated[Path, typer.Argument(help="A run directory (runs/<run_id>).")]) -> None:
    """Print the summary table of an existing run."""
    try:
        print_summary(load_run(run_dir), console)
    except FileNotFoundError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
