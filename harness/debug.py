"""Per-task debugging: ``harness debug RUN TASK [--variant V] [--stage S]``.

Without ``--stage``, the variant is graded again into the run (a new attempt, as ``--rerun`` would
grade it) with its workspace kept under ``RUN/workspaces/TASK/VARIANT`` and the request its worker
got beside it; the report says, stage by stage, what happened, quotes the response markdown around
each failing line, and gives the command and environment that reproduce each stage by hand.

With ``--stage``, one stage runs again on the kept workspace as it is now (the user may have
edited it), in a fresh toolchain worker (the response's code still runs only there), and nothing
is written into the run: the loop of edit, re-run one stage, read the error, without grading the
rest. The execution stages build on each other (a stack is constructed before it synthesizes), so
``--stage synth`` runs import and instantiate first and reports synth.
"""

from __future__ import annotations

import json
import shlex
import threading
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from graders.classify import classify

from . import backends, toolchain
from .bundles import Task
from .options import WARM, EngineOptions, Limits, PlanOptions, from_dict
from .results import Run
from .runstore import RunStore
from .terraform.binary import base_env
from .worker.tapgrade_stages import CHAIN, STAGES, WORKER_STAGES
from .workers import LocalWorker, WorkerFailure, WorkerStartError

HARNESS_STAGES = ("rules", "checkov", "deploy-rules", "reference", "deploy")  # graders over the synthesized stack


@dataclass
class Kept:
    """A variant's kept workspace and the request its worker got."""

    workspace: Path
    request: dict

    @classmethod
    def of(cls, run_dir: Path, task_id: str, variant: str) -> Kept:
        ws = run_dir / "workspaces" / task_id / variant
        req = ws.with_name(f"{variant}.request.json")
        if not ws.is_dir() or not req.is_file():
            raise FileNotFoundError(f"no kept workspace for {task_id} {variant} in {run_dir}: run "
                                    f"`harness debug {run_dir} {task_id} --variant {variant}` first (it keeps one)")
        return cls(ws, json.loads(req.read_text(encoding="utf-8")))


def regrade(run_dir: Path, task: Task, variant: str) -> None:
    """Grade ``variant`` of ``task`` again into the run with the options it was started with
    (limits, execution mode, plan settings), keeping its workspace, on one local slot."""
    store = RunStore(run_dir)
    meta = store.read_meta()
    if "options" in meta:
        started = from_dict(EngineOptions, meta["options"])
        opts = replace(started, workers=1, keep_workspaces=True, rerun=True, retry_errors=False, backend="local")
    else:  # a run recorded before run.json kept its options: what run.json says of the plan
        opts = EngineOptions(workers=1, keep_workspaces=True, rerun=True, execution=WARM, backend="local",
                             plan=PlanOptions(deploy=bool(meta.get("deploy")),
                                              checkov=meta.get("checkov") != "not requested",
                                              reference=meta.get("reference", True), reattach=True, plan_first=True))
    pre = backends.get("local").preflight(opts, toolchain.DEFAULT_PROFILE)
    opts.plan.terraform = pre.terraform
    from .engine import run_batch

    run_batch([task], [variant], store, toolchain.DEFAULT_PROFILE, opts, stop=threading.Event())


def context(md: Path, line: int, around: int = 2) -> list[str]:
    """The markdown lines around ``line``, the line itself marked."""
    lines = md.read_text(encoding="utf-8", errors="replace").splitlines()
    lo, hi = max(1, line - around), min(len(lines), line + around)
    return [f"{'>' if i == line else ' '} {i:5d} | {lines[i - 1]}" for i in range(lo, hi + 1)]


def stage_report(run: Run, task: Task, variant: str) -> list[str]:
    """Each stage's outcome per round, and under each failing stage its Medium-or-worse findings
    with the response markdown around the line they point at."""
    o = run.outcomes[(run.outcomes.task_id == task.id) & (run.outcomes.variant == variant)]
    f = run.findings[(run.findings.task_id == task.id) & (run.findings.variant == variant)]
    md = task.responses.get(variant)
    out: list[str] = []
    for rnd, oo in o.groupby("round", sort=True):
        out.append(f"round {rnd}" + (" (the response as written)" if rnd == 0 else " (after a repair)"))
        for r in oo.sort_values("stage", key=lambda s: s.map(STAGES.index)).itertuples():
            why = f" ({r.reason})" if isinstance(r.reason, str) and r.reason else ""
            out.append(f"  {r.stage:<13} {r.status}{why}")
            if r.status not in ("fail", "infra-error"):
                continue
            ff = f[(f.stage == r.stage) & (f["round"] == rnd) & f.severity.isin(["Critical", "High", "Medium"])]
            for x in ff.sort_values("severity").itertuples():
                where = f" {x.file}:{int(x.line)}" if isinstance(x.file, str) and not pd.isna(x.line) else ""
                out.append(f"    {x.severity} {x.rule_id}{where}: {x.message}")
                if md is not None and not pd.isna(x.md_line):
                    out += [f"      {c}" for c in context(md, int(x.md_line))]
    return out


def _env_line(env: dict[str, str]) -> str:
    return "env -i " + " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(env.items()))


def reproduce(kept: Kept) -> dict[str, str]:
    """For each stage, the shell command that runs it by hand on the kept workspace (or how to)."""
    req, ws = kept.request, kept.workspace
    profile = toolchain.DEFAULT_PROFILE
    env = {**profile.env(), **req["env"]}
    python = str(profile.python)
    run_entry = f"cd {shlex.quote(str(ws))} && {_env_line(env)} {python} {shlex.quote(req['entry'])}"
    cmds = {s: run_entry + f"   # {s}: the task's entry point imports, constructs and synthesizes the stack"
            for s in CHAIN}
    files = " ".join(shlex.quote(p) for p in req.get("lint_files") or [])
    cmds["lint"] = (f"cd {shlex.quote(str(ws))} && {_env_line(profile.env())} {python} -m pylint "
                    f"--rcfile={shlex.quote(req['rcfile'])} {files}")
    cmds["static"] = "runs in the toolchain worker (AST checks of the harness): harness debug RUN TASK --stage static"
    for work in sorted((ws / "cdktf.out" / "stacks").glob(".tapgrade-*")):
        tf = base_env(None)
        data = _data_dir(ws, work)
        if data is not None:
            tf["TF_DATA_DIR"] = str(data)
        prefix = f"cd {shlex.quote(str(work))} && {_env_line(tf)} terraform"
        cmds["validate"] = f"{prefix} validate -no-color"
        cmds["plan"] = (f"{prefix} plan -input=false -no-color -lock=false -refresh=false   # the harness plans "
                        "against its AWS emulator; without it the provider may ask for real credentials")
    cmds["extract"] = "runs in the harness (reads the markdown, writes the workspace): harness debug RUN TASK re-grades it"
    for s in HARNESS_STAGES:
        cmds.setdefault(s, "runs in the harness on the synthesized stack: harness debug RUN TASK re-grades it")
    return cmds


def _data_dir(ws: Path, work: Path) -> Path | None:
    """The initialized terraform data dir the kept copy's lock file came from (the run's, kept)."""
    lock = work / ".terraform.lock.hcl"
    if not lock.is_file():
        return None
    for data in sorted(ws.parents[1].glob("_*/data/*")) + sorted(ws.parents[1].glob("_*_tools/*/data/*")):
        if (data / "lock.hcl").is_file() and (data / "lock.hcl").read_bytes() == lock.read_bytes():
            return data
    return None


def rerun_stage(kept: Kept, stage: str, log_path: Path) -> list[dict]:
    """Run one worker stage again on the kept workspace in a fresh toolchain worker; the events
    it reports (the chain's earlier stages included when ``stage`` needs them)."""
    if stage not in WORKER_STAGES:
        raise ValueError(f"--stage {stage}: only the worker stages ({', '.join(WORKER_STAGES)}) run again here; "
                         "the others are printed as commands")
    stages = list(CHAIN[:CHAIN.index(stage) + 1]) if stage in CHAIN else [stage]
    request = {**kept.request, "stages": stages, "blocked": None}
    # As a warm run's slot starts it: provider submodules on demand and the machine's jsii package
    # cache, so one stage costs seconds, not the whole provider's import and unpacking.
    profile = toolchain.DEFAULT_PROFILE
    worker = LocalWorker(profile, log_path, kept.workspace, Limits(), lazy_provider=WARM.lazy_provider,
                         jsii_cache=profile.jsii_cache)
    try:
        worker.start()
        events, _done = worker.grade(request, count=False)
    except WorkerFailure as exc:
        events = [*exc.events, {"stage": exc.stage or stage, "status": "fail", "signals": [exc.signal]}]
    except WorkerStartError as exc:
        events = [{"stage": stage, "status": "infra-error", "signals": [{"kind": "worker-start", "message": str(exc)}]}]
    finally:
        worker.close()
    return events


def event_report(events: list[dict], ws: Path) -> list[str]:
    """A re-run stage's outcome and its signals as the catalogue classifies them, with the
    workspace file around each line (the file as it is now, edits included)."""
    out: list[str] = []
    for e in events:
        why = f" ({e['reason']})" if e.get("reason") else ""
        out.append(f"  {e['stage']:<13} {e['status']}{why}")
        for sig in e.get("signals") or []:
            rule, message = classify(e["stage"], sig)
            file, line = _place(sig, ws)
            out.append(f"    {rule.severity} {rule.id}" + (f" {file}:{line}" if file else "") + f": {message}")
            if file:
                out += [f"      {c}" for c in context(ws / file, line)]
    return out


def _place(sig: dict, ws: Path) -> tuple[str | None, int]:
    """Where a signal points in the workspace: its own file and line, else the innermost
    traceback frame in a workspace file (an exception raised inside the provider is reported at
    the response's line that called it)."""
    places = [(sig.get("file"), sig.get("line"))] + [(f.get("file"), f.get("line")) for f in
                                                      reversed(sig.get("frames") or []) if isinstance(f, dict)]
    for file, line in places:
        if isinstance(file, str) and isinstance(line, int) and not Path(file).is_absolute() and (ws / file).is_file():
            return file, line
    return None, 0
