"""The options of ``harness run``, as ``Annotated`` aliases: the command's signature then reads as
its list of options (name, type, default) while each help text, unchanged, lives here."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from .. import backends


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


Paths = Annotated[list[Path], typer.Argument(help="Task directories, or folders of task directories.")]
Variant = Annotated[VariantChoice, typer.Option(help="Which responses to grade: 'reference' grades the task's "
                                                     "reference/ code as it is; 'all' grades every response "
                                                     "(responses/*.md too) and the reference.")]
Out = Annotated[Path, typer.Option(help="Root under which the run directory is created.")]
Workers = Annotated[int | None, typer.Option(min=1, help="Parallel toolchain workers (default: cores, "
                                                         "bounded by memory at ~2 GB each).")]


class DisplayChoice(StrEnum):
    rich = "rich"
    plain = "plain"
    none = "none"


class OrderChoice(StrEnum):
    largest_first = "largest-first"
    given = "given"


Order = Annotated[OrderChoice | None, typer.Option(
    help="The order variants are handed to the slots: largest-first (the largest responses first, so that no "
         "long variant starts last; the ray backend's default) or given (the tasks' order; the local and docker "
         "backends' default). bench/throughput.py grades local warm both ways.", show_default=False)]


class FailOn(StrEnum):
    critical = "critical"
    high = "high"
    medium = "medium"
    low = "low"


Display = Annotated[DisplayChoice | None, typer.Option(
    case_sensitive=False, show_default=False,
    help="Progress and summary: rich (a live bar and a table), plain (one line per finished variant and a "
         "markdown table, for logs and CI), none (only the run directory). Default: rich on a terminal, "
         "plain otherwise.")]
FailOnOption = Annotated[FailOn | None, typer.Option(
    "--fail-on", case_sensitive=False, show_default=False,
    help="Exit 1 when a variant this invocation selected has a finding of this severity or worse (a CI "
         "gate; 0 otherwise).")]
TaskGlobs = Annotated[list[str] | None, typer.Option(
    "--task", show_default=False, help="Grade only tasks whose id matches (a glob, e.g. 'Pr74*'); repeatable.")]
Limit = Annotated[int | None, typer.Option(min=1, show_default=False,
                                           help="Grade only the first N tasks (by id, after --task).")]
RunId = Annotated[str | None, typer.Option(help="Name of the run directory (default: time + random).")]
KeepWorkspaces = Annotated[bool, typer.Option(help="Keep each variant's workspace for debugging.")]
Quiet = Annotated[bool, typer.Option(help="No summary table, only the run directory.")]
StageTimeout = Annotated[float | None, typer.Option(help="Seconds each execution stage (import, "
                                                         "instantiate, synth) may take (default: import 120, "
                                                         "instantiate/synth 180; lint keeps 240).")]
MemoryMb = Annotated[int, typer.Option(help="Memory bound of one worker's process group while a stage runs.")]
Rerun = Annotated[bool, typer.Option(help="Grade again variants the run directory already holds for the "
                                          "same input (by default they are skipped: resume).")]
RetryErrors = Annotated[bool, typer.Option(help="Grade again only the variants the run directory holds as an "
                                                "infra error or a timeout (the rest stay as they are).")]
Cold = Annotated[bool, typer.Option(help="Benchmark baseline: a fresh toolchain process per stage group, "
                                         "as the reference pipeline does (slow).")]
ColdLean = Annotated[bool, typer.Option(help="Implies --cold, with static and lint in light processes "
                                             "(pylint only, no cdktf runtime), as a bare pylint per "
                                             "pull request: a leaner baseline.")]
CreatedAt = Annotated[str | None, typer.Option(help="The CreatedAt tag the template puts on every stack "
                                                    "(default: the run's start), to compare runs byte for byte.")]
Deploy = Annotated[bool, typer.Option(help="Also terraform apply, then destroy, each stack that plans, against "
                                           "the local AWS emulator (moto server).")]
Checkov = Annotated[bool, typer.Option(help="Run checkov on each synthesized stack (severities from "
                                            "graders/checkov_severity.py).")]
Reference = Annotated[bool, typer.Option(help="Compare each response's synthesized stack with the task's "
                                              "reference/ (synthesized in the same worker): missing resources "
                                              "and values that contradict the prompt (graders/reference_compare.py).")]
TerraformTimeout = Annotated[float, typer.Option(help="Seconds each terraform command may take.")]
Backend = Annotated[str, typer.Option(callback=_backend_name,
                                      help="Where the responses' code runs, a name in the backend registry: "
                                           "local (toolchain processes on this machine), docker (one hardened "
                                           "grading container per worker: no network, read-only root, "
                                           "memory/CPU/pids limits; see `harness image`), ray (one actor per "
                                           "worker on a Ray cluster, each holding a warm toolchain worker or, "
                                           "with --container, a grading container; see --address).")]
Address = Annotated[str | None, typer.Option(help="ray backend: the cluster to join (auto, host:port, or "
                                                  "ray://host:port for Ray Client); default: start a Ray "
                                                  "instance on this machine for the run.", show_default=False)]
InContainer = Annotated[bool, typer.Option("--container", help="ray backend: each actor grades in the grading "
                                                               "image (--image) on its node, a hardened container "
                                                               "as the docker backend's, instead of the toolchain "
                                                               "installed there.")]
Image = Annotated[str, typer.Option(help="Grading image of a container backend (docker, ray --container).")]
ContainerMemoryMb = Annotated[int | None, typer.Option(help="Container backends: memory limit of each "
                                                            "container (default: --memory-mb + 2048).")]
ContainerCpus = Annotated[float, typer.Option(help="Container backends: CPUs of each container.")]
