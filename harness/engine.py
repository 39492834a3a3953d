"""The batch engine: tasks x variants over N worker slots, results into the run store.

Each slot owns one warm toolchain worker (started lazily, so a batch with no runnable code pays
no toolchain load), recycles it after ``recycle_after`` variants, on memory growth, or when the
worker reports leftover state, and replaces it after a timeout or crash. A variant whose worker
died is retried once in a fresh worker; a second failure is the variant's own (a hang or crash
of model code is a finding, not a harness failure), and lint still runs in a fresh worker.
Warm with the local backend, the slots share the run's one lint process (``LintSeat``), checkov
process and ``terraform init`` per provider set.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable

from .bundles import Task
from .checkov_runner import CheckovRunner
from . import lint_warmup
from .errors import RunFatal
from .grade import (CHAIN, Prepared, StageOutcome, VariantResult, finish, infra_result, input_hash, prepare,
                    records, worker_outcomes)
from .onepass import continue_with_repairs
from .plan_stages import PlanOptions, PlanTools, post_synth_outcomes
from .terraform import Inits
from .runstore import RunStore
from .toolchain import Profile
from .workers import Limits, LocalWorker, WorkerFailure, WorkerStartError, hand_over
from .contract import Entry, choose_entry

if TYPE_CHECKING:
    from .docker_backend import DockerOptions


@dataclass
class EngineOptions:
    workers: int = 1
    keep_workspaces: bool = False
    recycle_after: int = 50
    recycle_rss_mb: int = 3500
    limits: Limits = field(default_factory=Limits)
    rerun: bool = False  # grade again even when the run store holds a result for the same input
    # Benchmark baseline: a fresh toolchain process per stage group (static; import..synth; lint),
    # and fresh terraform init / emulator / checkov per variant, as the reference pipeline runs
    # `cdktf synth`, `pylint` and terraform per pull request.
    cold: bool = False
    # With cold: static and lint in light processes (pylint only, no cdktf runtime), as a bare
    # `pylint` per pull request would run; a second, leaner baseline for the benchmark.
    cold_lean: bool = False
    plan: PlanOptions = field(default_factory=PlanOptions)  # validate/plan/checkov/deploy settings
    backend: str = "local"  # "local": workers are processes here; "docker": a container per slot
    docker: "DockerOptions | None" = None  # image and container limits (docker backend)


def default_workers() -> int:
    """One worker per core, but no more than memory allows (~2 GB per warm worker)."""
    try:
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem_gb = 4
    return max(1, min(os.cpu_count() or 1, int(mem_gb // 2)))


def variant_env(task: Task, created_at: str) -> dict[str, str]:
    """Environment of the entry contract for one variant; mock credentials so nothing reaches AWS."""
    return {
        "ENVIRONMENT_SUFFIX": "dev",
        "TERRAFORM_STATE_BUCKET": "iac-rlhf-tf-states",
        "TERRAFORM_STATE_BUCKET_REGION": "us-east-1",
        "AWS_REGION": task.region,
        "AWS_DEFAULT_REGION": task.region,
        "REPOSITORY": "tapgrade",
        "COMMIT_AUTHOR": "tapgrade",
        "PR_NUMBER": task.id,
        "TEAM": str(task.metadata.get("team", "unknown")),
        "HARNESS_CREATED_AT": created_at,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


class Slot:
    """One worker seat: owns at most one live toolchain worker at a time."""

    def __init__(self, index: int | str, profile: Profile, store: RunStore, opts: EngineOptions,
                 lint_seat: "LintSeat | None" = None, lint_only: bool = False,
                 checkov: CheckovRunner | None = None, inits: Inits | None = None):
        self.index, self.profile, self.store, self.opts = index, profile, store, opts
        self.lint_seat, self.lint_only = lint_seat, lint_only
        self.worker: LocalWorker | None = None
        self.starts = 0
        self.last_rss_kb = 0
        self.peak_rss_kb = 0
        self.integrity_s = 0.0  # the worker's integrity checks, summed over the current variant's requests
        # jsii's package cache: the machine's for this toolchain (local backend), the container's
        # own (docker: the response's code runs under another uid); once a response may have
        # changed it, this slot's workers unpack privately.
        self.jsii_cache = (store.root / "workspaces" / f"_slot{index}_tools" / "jsii-package-cache"
                           if opts.limits.code_uid is not None else profile.jsii_cache)
        self.distrust_jsii_cache = False
        self.workspace = store.root / "workspaces" / f"_slot{index}"
        # Terraform data dirs, the emulator and checkov (unless the run shares one) live beside
        # the workspace, one set per slot.
        self.tools = PlanTools(store.root / "workspaces" / f"_slot{index}_tools", profile, opts.plan,
                               shared_checkov=checkov, shared_inits=inits)
        # Warm: the worker lints while this thread runs the stages after synth (see first_round).
        self.lint_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"slot{index}-lint")

    def ensure(self, lint_only: bool | None = None) -> LocalWorker:
        if self.worker is None or not self.worker.alive:
            self.starts += 1
            w = LocalWorker(self.profile, self.store.root / "logs" / "_workers" / f"slot{self.index}-{self.starts}.log",
                            self.workspace, self.opts.limits, lazy_provider=not self.opts.cold,
                            lint_only=self.lint_only if lint_only is None else lint_only,
                            jsii_cache=None if self.distrust_jsii_cache else self.jsii_cache,
                            single_use=self.opts.cold)
            w.start()
            self.worker = w
        return self.worker

    def retire(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None

    def close(self) -> None:
        self.retire()
        self.tools.close()
        self.lint_pool.shutdown(wait=False)

    def kill(self) -> None:
        """Ctrl-C / SIGTERM: no goodbye to the worker, just make sure nothing of it stays."""
        if self.worker is not None:
            self.worker.kill()
        self.tools.close()
        self.lint_pool.shutdown(wait=False)

    def grade(self, task: Task, variant: str, entry: Entry, created_at: str,
              stop: threading.Event) -> tuple[VariantResult, dict[str, list[dict]]] | None:
        """Grade one variant in this slot: its result and run-store records (None if stopped)."""
        t0 = time.monotonic()
        self.integrity_s = 0.0
        store, opts = self.store, self.opts
        log_dir = store.log_dir(task.id, variant)
        env = variant_env(task, created_at)
        prep = prepare(task, variant, entry, self.profile, self.workspace, log_dir, env)
        if prep.request is not None:  # code will run: its AWS SDK calls go to this slot's emulator
            prep.request["env"] = {**env, **self.tools.sdk_env(task.region)}
            hand_over(opts.limits.code_uid, prep.workspace.root, log_dir)
        first, lint_later = self.first_round(prep) if prep.request is not None else (worker_outcomes(prep, []), None)
        artifacts = store.artifact_dir(task.id, variant)
        outcomes, findings, repairs = continue_with_repairs(
            prep, first, lambda req, rnd: self.run(prep, req, rnd),
            lambda outs: post_synth_outcomes(prep, outs, self.tools, env, artifacts), deferred=lint_later)
        if stop.is_set():
            return None
        if opts.cold:
            self.tools.forget()
        result = finish(prep, outcomes, findings, repairs, artifacts)
        result.wall_s = time.monotonic() - t0
        result.integrity_s = self.integrity_s
        result.worker_rss_kb = self.last_rss_kb if prep.request is not None else 0
        if opts.keep_workspaces:
            kept = store.root / "workspaces" / task.id / variant
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(self.workspace, kept, symlinks=True)
        return result, records(result, store.run_id)

    def first_round(self, prep: Prepared) -> tuple[list[StageOutcome], Callable[[], list[StageOutcome]] | None]:
        """Round 0, and lint still to be collected (or None).

        Warm, lint is a request of its own that runs while this thread runs validate / plan /
        checkov: two processes busy instead of one, on the same findings (the same files, in the
        same directory, with the same path). It goes to the run's shared lint seat when there is
        one (local backend: every provider module is parsed by astroid once per run, not once
        per worker), else to this slot's worker. When an execution stage failed, repairs are
        coming and will rewrite the files, so lint runs first. The cold baseline keeps its own
        process per stage group (``run``)."""
        request = prep.request
        assert request is not None
        stages = request["stages"]
        if self.opts.cold or not stages or stages[-1] != "lint":
            return self.run(prep, request), None
        first = self._run({**request, "stages": stages[:-1]}, prep, 0, last_of_variant=self.lint_seat is not None)
        lint_request = {**request, "stages": ["lint"]}
        lint = self.lint_seat.run if self.lint_seat is not None else self.run
        if prep.extract_outcome.status == "fail" or any(o.stage in CHAIN and o.status not in ("pass", "skipped")
                                                        for o in first):
            return first + lint(prep, lint_request), None  # repair rounds follow
        return first, self.lint_pool.submit(lint, prep, lint_request).result

    def run(self, prep: Prepared, request: dict, round_: int = 0) -> list[StageOutcome]:
        """Outcomes of the request's stages; a dead worker is replaced and the request retried once."""
        if self.opts.cold:
            out: list[StageOutcome] = []
            groups = [[s for s in request["stages"] if s == "static"],
                      [s for s in request["stages"] if s in CHAIN],
                      [s for s in request["stages"] if s == "lint"]]
            for group in filter(None, groups):
                if request.get("blocked") and group[0] in CHAIN:
                    out += worker_outcomes(prep, [], stages=group, round_=round_)  # nothing to start a process for
                    continue
                light = self.opts.cold_lean and group[0] not in CHAIN
                out += self._run({**request, "stages": group}, prep, round_, lint_only=light)
                self.retire()
            return out
        return self._run(request, prep, round_)

    def _run(self, request: dict, prep: Prepared, round_: int, last_of_variant: bool = True,
             lint_only: bool | None = None) -> list[StageOutcome]:
        """One request to the worker. A worker is recycled only after the last request it serves
        for a variant (``served`` counts variants, not requests)."""
        stages = request["stages"]
        last: WorkerFailure | None = None
        for _attempt in range(2):
            try:
                events, done = self.ensure(lint_only).grade(request, count=last_of_variant)
            except WorkerStartError as exc:
                self.worker = None
                return worker_outcomes(prep, [], infra=str(exc), stages=stages, round_=round_)
            except WorkerFailure as exc:
                self.worker = None  # already killed
                last = exc
                continue
            w = self.worker
            assert w is not None
            self.integrity_s += done.get("integrity_s", 0.0)
            if done.get("aws_sdk"):
                self.tools.sdk_used()
            attach_left_behind(events, done)
            if done.get("tampered"):  # the next variant gets a worker the response never touched
                self.distrust_jsii_cache |= any("jsii package cache" in t for t in done["tampered"])
                self.retire()
                return worker_outcomes(prep, events, stages=stages, round_=round_)
            self.last_rss_kb = w.rss_kb()
            self.peak_rss_kb = max(self.peak_rss_kb, self.last_rss_kb)
            if last_of_variant and (done.get("dirty") or w.served >= self.opts.recycle_after
                                    or self.last_rss_kb > self.opts.recycle_rss_mb * 1024):
                self.retire()
            return worker_outcomes(prep, events, stages=stages, round_=round_)
        assert last is not None
        outcomes_events = list(last.events)
        done_stages = {e["stage"] for e in outcomes_events} | {last.stage}
        rest = [s for s in request["stages"] if s not in done_stages and s not in CHAIN]
        if rest:
            try:
                more, _ = self.ensure(lint_only).grade({**request, "stages": rest, "blocked": "worker died"})
                outcomes_events += more
            except (WorkerFailure, WorkerStartError):
                self.worker = None
        return worker_outcomes(prep, outcomes_events, failure=(last.stage, last.signal), stages=stages, round_=round_)


def attach_left_behind(events: list[dict], done: dict) -> None:
    """What the worker found after the response's code ran (the toolchain changed, processes or
    threads left running) becomes signals of the last stage that ran that code."""
    found = [{"kind": "toolchain-tampered", "message": "the response changed the toolchain it ran in: "
              + "; ".join(done["tampered"][:12]), "changed": done["tampered"]}] if done.get("tampered") else []
    found += [{"kind": "left-behind", "message": f"left running after its stage ended: {what}"}
              for what in done.get("left_behind") or []]
    if not found:
        return
    ran = [e for e in events if e.get("stage") in CHAIN and e.get("status") != "skipped"] or events
    if ran:
        ran[-1]["signals"] = [*(ran[-1].get("signals") or []), *found]


class LintSeat:
    """The run's one lint process, shared by the slots (local backend, warm).

    pylint spends most of a warm lint parsing the provider modules a stack imports (astroid
    keeps them); per worker, every worker parsed the same ones again, and how much depended on
    which variants a worker happened to draw. One process that only lints (no cdktf runtime:
    astroid reads source, it does not import it) parses each module once per run. Requests are
    served one at a time; a crash or timeout is retried once in a fresh process, as in a slot."""

    def __init__(self, profile: Profile, store: RunStore, opts: EngineOptions):
        # It runs no response code, so the per-variant recycling rule is relaxed tenfold: the
        # memory bound still holds; each restart parses the provider modules again.
        relaxed = replace(opts, recycle_after=opts.recycle_after * 10)
        self.seat = Slot("lint", profile, store, relaxed, lint_only=True)
        self.lock = threading.Lock()
        self.waiting = 0  # variants' lint requests queued for the lock: the warm-up gives way
        self.count_lock = threading.Lock()
        self.closed = threading.Event()
        self.warmed: list[str] = []
        self.warm_s = 0.0  # time the lint process spent on the warm-up (reported in run.json)

    @property
    def peak_rss_kb(self) -> int:
        return self.seat.peak_rss_kb

    def run(self, prep: Prepared, request: dict, round_: int = 0) -> list[StageOutcome]:
        with self.count_lock:
            self.waiting += 1
        try:
            self.lock.acquire()
        finally:
            with self.count_lock:
                self.waiting -= 1
        try:
            return self.seat._run(request, prep, round_)
        finally:
            self.lock.release()

    def warm(self, modules: list[str]) -> None:
        """Parse ``modules`` while no variant waits (see ``lint_warmup``); stops on close, on a
        worker failure (the next variant starts a fresh process) or at half the memory bound."""
        root = self.seat.workspace.parent / "_lint_warmup"
        log_dir = self.seat.store.root / "logs" / "_workers" / "lint-warmup"
        log_dir.mkdir(parents=True, exist_ok=True)  # lint.log: the throwaway file's messages, per batch
        for chunk in lint_warmup.chunks(modules):
            while (self.waiting or self.lock.locked()) and not self.closed.is_set():
                time.sleep(0.05)  # a variant is linting or waiting to: it goes first
            with self.lock:
                if self.closed.is_set():
                    return
                request = {**lint_warmup.write_workspace(root, chunk), "log_dir": str(log_dir)}
                t0 = time.monotonic()
                try:
                    worker = self.seat.ensure()
                    worker.grade(request, count=False)
                except (WorkerFailure, WorkerStartError):
                    self.seat.worker = None
                    return
                finally:
                    self.warm_s += time.monotonic() - t0
                self.warmed += chunk
                if worker.rss_kb() > self.seat.opts.recycle_rss_mb * 1024 // 2:
                    return

    def close(self) -> None:
        self.closed.set()
        self.seat.close()  # ends a warm-up request in flight at once
        with self.lock:  # and a process the warm-up started before it saw ``closed``
            self.seat.close()


def pending_jobs(tasks: list[Task], variants: list[str], store: RunStore, profile: Profile,
                 rerun: bool = False) -> tuple[list[tuple[Task, str]], int]:
    """Jobs still to grade, and how many the store already holds for the same input hash.

    Keyed by content: a finished (task, variant) is skipped only when its input hash is unchanged,
    so an edited response, template or toolchain is graded again."""
    from .results import latest  # local: results imports pandas, the engine need not at import

    done = {} if rerun else {(r["task_id"], r["variant"]): r["input_hash"] for r in latest(store)[0]}
    todo, cached = [], 0
    for t in tasks:
        entry = None
        for v in variants:
            if v not in t.variants:
                continue
            if (t.id, v) in done:
                entry = entry or choose_entry(t)
                if done[(t.id, v)] == input_hash(t, v, entry, profile):
                    cached += 1
                    continue
            todo.append((t, v))
    return todo, cached


def harness_fault(slot, task: Task, variant: str, entry: Entry, created_at: str,
                  trace: str) -> tuple[VariantResult, dict[str, list[dict]]]:
    """A variant whose grading raised in the harness: an infra error of that variant (the traceback
    in its ``harness-error.log``), a fresh worker for the next one."""
    store = slot.store
    log_dir = store.log_dir(task.id, variant)
    (log_dir / "harness-error.log").write_text(trace, encoding="utf-8")
    with contextlib.suppress(Exception):
        slot.retire()
    last = trace.strip().splitlines()[-1][:300]
    work = store.root / "workspaces" / f"_fault{slot.index}"
    prep = prepare(task, variant, entry, slot.profile, work, log_dir, variant_env(task, created_at))
    result = infra_result(prep, f"harness error: {last} (see harness-error.log)", store.artifact_dir(task.id, variant))
    return result, records(result, store.run_id)


def run_batch(tasks: list[Task], variants: list[str], store: RunStore, profile: Profile,
              opts: EngineOptions, on_result: Callable[[VariantResult], None] = lambda r: None,
              stop: threading.Event | None = None) -> list[VariantResult]:
    """Grade every (task, variant) that exists and is not already in the store; append records
    as each finishes."""
    stop = stop or threading.Event()
    meta = store.read_meta()
    created_at = meta.get("created_at") or meta.get("started_at", "1970-01-01T00:00:00+00:00")
    entries: dict[str, Entry] = {}
    jobs: queue.Queue = queue.Queue()
    todo = pending_jobs(tasks, variants, store, profile, opts.rerun)[0]
    for job in todo:
        jobs.put(job)
    results: list[VariantResult] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def entry_for(task: Task) -> Entry:
        with lock:
            if task.id not in entries:
                entries[task.id] = choose_entry(task)
            return entries[task.id]

    def work(slot) -> None:
        try:
            while not stop.is_set():
                try:
                    task, variant = jobs.get_nowait()
                except queue.Empty:
                    return
                try:
                    graded = slot.grade(task, variant, entry_for(task), created_at, stop)
                except RunFatal:
                    raise
                except Exception:  # noqa: BLE001 - a harness fault on this variant: recorded, the run goes on
                    graded = harness_fault(slot, task, variant, entry_for(task), created_at, traceback.format_exc())
                if graded is None:
                    return  # interrupted mid-variant: record nothing partial
                result, recs = graded
                for kind, rows in recs.items():
                    store.append(kind, rows)
                with lock:
                    results.append(result)
                on_result(result)
        except BaseException as exc:  # noqa: BLE001 - surfaced by the caller
            errors.append(exc)
            stop.set()
        finally:
            slot.close()

    lint_seat, checkov = None, None
    if opts.backend == "docker":
        from .docker_backend import DockerSlot  # local: the local backend needs no Docker SDK

        slots = [DockerSlot(i, profile, store, opts, tasks) for i in range(max(1, opts.workers))]
    else:
        # Warm: one lint process, one checkov process and one terraform init per provider set for
        # the run, shared by the slots.
        lint_seat = None if opts.cold else LintSeat(profile, store, opts)
        checkov = None if opts.cold else CheckovRunner(store.root / "workspaces" / "_checkov" / "checkov.log")
        inits = None if opts.cold else Inits(store.root / "workspaces" / "_terraform")
        slots = [Slot(i, profile, store, opts, lint_seat, checkov=checkov, inits=inits)
                 for i in range(max(1, opts.workers))]
    def close_shared() -> None:  # the run's lint and checkov processes (warm, local backend)
        if lint_seat is not None:
            lint_seat.close()
        if checkov is not None:
            checkov.close()

    threads = [threading.Thread(target=work, args=(s,), daemon=True, name=f"slot{s.index}") for s in slots]
    if lint_seat is not None and todo:
        threading.Thread(target=lint_seat.warm, args=(lint_warmup.modules_for(todo, profile),), daemon=True,
                         name="lint-warmup").start()
    for th in threads:
        th.start()
    try:
        while any(th.is_alive() for th in threads):
            time.sleep(0.2)
    except KeyboardInterrupt:
        stop.set()
        for s in slots:
            s.kill()
        close_shared()
        if opts.backend == "docker":
            from .docker_backend import remove_run

            try:
                remove_run(store.run_id)
            except Exception:  # noqa: BLE001 - the interrupt must still end the run cleanly
                pass
        raise
    close_shared()
    if lint_seat is not None:
        store.write_meta(lint_peak_rss_kb=lint_seat.peak_rss_kb,
                         lint_warmup={"modules": len(lint_seat.warmed), "seconds": round(lint_seat.warm_s, 2)})
    if errors:
        raise errors[0]
    if not opts.keep_workspaces:
        shutil.rmtree(store.root / "workspaces", ignore_errors=True)
    return results
