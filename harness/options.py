"""Options of a run: one tree of dataclasses that crosses process and container boundaries whole.

``to_dict`` writes the tree as JSON-ready data (``dataclasses.asdict``, paths as strings) and
``from_dict`` rebuilds it field by field from the type hints, so a field added anywhere in the
tree reaches every backend without a hand-kept list (``tests/test_options.py`` round-trips every
field). Nothing here runs anything: the modules that act on an option import it from here.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .image import DEFAULT_TAG
from .terraform import Detection

T = TypeVar("T")


@dataclass
class Limits:
    """Bounds of one toolchain worker while a stage runs (the local backend enforces them by
    polling the process group; the docker backend's container adds the kernel's)."""

    stage_timeout_s: dict[str, float] = field(default_factory=lambda: {
        "import": 120.0, "instantiate": 180.0, "synth": 180.0, "lint": 240.0})
    ready_timeout_s: float = 300.0
    memory_mb: int = 6144  # process group RSS bound while a stage runs
    max_processes: int = 64  # processes in the worker's group (node + whatever the code forks)
    # Run the worker (the response's code) under this uid (and gid) instead of the harness's own:
    # set by the docker backend, whose slot runs as root with a few capabilities, so model code
    # cannot write the slot's records. None: the harness's uid (local backend).
    code_uid: int | None = None


@dataclass
class PlanOptions:
    """The stages after synth: validate, plan, rules, checkov, deploy-rules, reference, deploy."""

    deploy: bool = False
    checkov: bool = True
    timeout_s: float = 300.0
    terraform: Detection | None = None  # detected once per run (None: detect where the code runs)
    # A warm AWS provider process per slot for single-provider stacks (terraform.ProviderServer);
    # off in the --cold baseline, where terraform starts its own plugin per command.
    reattach: bool = True
    # Plan first and let a plan without diagnostics stand for validate (terraform plan runs the same
    # validate walk before planning); ``terraform validate`` runs only when the plan said something.
    # Off in the --cold baseline, which runs each stage as its own terraform command.
    plan_first: bool = True
    # Compare each response's stacks with the task's reference (synthesized in the same seat).
    reference: bool = True


@dataclass
class ContainerOptions:
    """A backend that grades in containers: which image, and each container's bounds."""

    image: str = DEFAULT_TAG
    memory_mb: int | None = None  # container limit; default: the worker bound + 2 GB for terraform & co
    cpus: float = 1.0
    pids_limit: int = 512
    tmpfs_mb: int = 4096  # run directory size bound (counted against the memory limit as used)
    variant_timeout_s: float = 1800.0  # whole variant, host side: the container's own limits come first


@dataclass
class RayOptions:
    """The ray backend: which cluster, and what each slot (an actor) asks of a node."""

    address: str | None = None  # None: a Ray instance of this process; "auto", "host:port" or "ray://host:port"
    slot_cpus: float = 1.0
    slot_memory_mb: int | None = None  # Ray's memory resource per actor; default: the worker bound + 2 GB
    variant_timeout_s: float = 1800.0  # whole variant, driver side: the worker's own limits come first
    # Each actor grades in the grading image on its node (EngineOptions.container: image, limits),
    # a hardened container as the docker backend's, instead of the toolchain installed on the node.
    container: bool = False


@dataclass(frozen=True)
class Execution:
    """How variants' code is executed: the harness's warm way, or a benchmark baseline. Each
    difference is one field, read where it acts, so the engine and the slots carry no mode flags.

    The baselines grade what the reference pipeline does per pull request (``cdktf synth``,
    ``pylint`` and terraform, each a fresh process): ``bench/throughput.py`` compares them with the
    warm way, and the tests check they give the same findings."""

    name: str
    # A fresh toolchain process per stage group (static; import..synth; lint; each repair round),
    # ended after its one request (so it needs no integrity snapshot: nothing passes on).
    process_per_stage_group: bool
    # Static and lint in light processes (pylint only, no cdktf runtime), as a bare ``pylint``.
    light_static_and_lint: bool
    # Provider submodules imported on demand (the pipeline's ``python tap.py`` imports them all).
    lazy_provider: bool
    # The run's one lint process, checkov process and terraform init per provider set, and lint
    # overlapping the slot's stages after synth; else per variant, in turn.
    shared_services: bool
    # terraform reattaches to a warm AWS provider process (single-provider stacks), and a plan
    # without diagnostics stands for validate; else each terraform command on its own.
    warm_terraform: bool


WARM = Execution("warm", process_per_stage_group=False, light_static_and_lint=False, lazy_provider=True,
                 shared_services=True, warm_terraform=True)
COLD = Execution("cold", process_per_stage_group=True, light_static_and_lint=False, lazy_provider=False,
                 shared_services=False, warm_terraform=False)
COLD_LEAN = Execution("cold-lean", process_per_stage_group=True, light_static_and_lint=True, lazy_provider=False,
                      shared_services=False, warm_terraform=False)
EXECUTIONS = {e.name: e for e in (WARM, COLD, COLD_LEAN)}


@dataclass
class EngineOptions:
    workers: int = 1
    keep_workspaces: bool = False
    recycle_after: int = 50
    recycle_rss_mb: int = 3500
    limits: Limits = field(default_factory=Limits)
    rerun: bool = False  # grade again even when the run store holds a result for the same input
    retry_errors: bool = False  # grade again only what the store holds as an infra error or a timeout
    # The order variants are handed out: "largest-first" (no long variant starts last; the ray
    # backend's default), "given" (the tasks' order; the local and docker backends'), None: the backend's.
    order: str | None = None
    execution: Execution = WARM  # or a benchmark baseline (COLD, COLD_LEAN)
    plan: PlanOptions = field(default_factory=PlanOptions)  # validate/plan/checkov/deploy settings
    backend: str = "local"  # a name in the backend registry (harness/backends)
    container: ContainerOptions = field(default_factory=ContainerOptions)  # container backends
    ray: RayOptions = field(default_factory=RayOptions)  # the ray backend


def detected_there(opts: EngineOptions) -> EngineOptions:
    """The options as they leave this process (run.json, a Ray node, a container): terraform is
    detected again where they are used, so this machine's detection does not travel with them."""
    return dataclasses.replace(opts, plan=dataclasses.replace(opts.plan, terraform=None))


def to_dict(obj: Any) -> dict:
    """The dataclass tree as JSON-ready data."""
    return _plain(dataclasses.asdict(obj))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def from_dict(cls: type[T], data: dict) -> T:
    """Rebuild ``cls`` from ``to_dict``'s output; a key ``cls`` has no field for is an error (the
    two sides of a boundary run different code), a missing one takes the field's default."""
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"{cls.__name__}: no field named {', '.join(sorted(unknown))}")
    return cls(**{k: _build(hints[k], v) for k, v in data.items()})


def _build(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        return _build(inner[0], value) if len(inner) == 1 else value
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value)  # type: ignore[arg-type]
    if tp is Path:
        return Path(value)
    if origin is dict:
        _, vt = typing.get_args(tp)
        return {k: _build(vt, v) for k, v in value.items()}
    if origin is list:
        (it,) = typing.get_args(tp)
        return [_build(it, v) for v in value]
    return value
