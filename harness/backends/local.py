"""The local backend: toolchain workers are processes on this machine.

Warm, the slots share the run's one lint process (``LintSeat``), one checkov process and one
``terraform init`` per provider set; the benchmark baselines (``options.Execution``) give each
variant fresh ones. Preflight checks the pinned toolchain and detects terraform and checkov here.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from .. import lint_warmup, terraform, toolchain
from ..backend import Backend, BackendUnavailable, Preflight, Slot
from ..bundles import Task
from ..checkov_runner import CheckovRunner
from ..checkov_runner import available as checkov_available
from ..options import EngineOptions
from ..plan.reference import ReferenceStacks
from ..prepare import Prepared
from ..records import StageOutcome
from ..runstore import RunStore
from ..slot import WorkerSlot
from ..terraform import Inits
from ..toolchain import Profile
from ..workers import WorkerFailure, WorkerStartError
from . import register


@register("local")
class LocalBackend(Backend):
    @classmethod
    def preflight(cls, opts: EngineOptions, profile: Profile) -> Preflight:
        st = toolchain.check(profile)
        if not st.ok:
            raise BackendUnavailable("toolchain not usable: " + "; ".join(st.problems)
                                     + " (run: harness toolchain install)")
        detection = terraform.detect()
        warnings = [] if detection.terraform is not None else [
            f"terraform stages: {detection.reason}; validate uses the jsii schema fallback, plan and deploy "
            "are skipped"]
        checkov = checkov_available() if opts.plan.checkov else (False, "not requested")
        if opts.plan.checkov and not checkov[0]:
            warnings.append(f"checkov unavailable: {checkov[1]} (run: harness toolchain install)")
        return Preflight(toolchain=st.versions, terraform=detection, checkov=checkov, warnings=warnings)

    def __init__(self, profile: Profile, store: RunStore, opts: EngineOptions, tasks: list[Task]):
        super().__init__(profile, store, opts, tasks)
        # Warm: one lint process, one checkov process and one terraform init per provider set for
        # the run, shared by the slots.
        warm = opts.execution.shared_services
        self.lint_seat = LintSeat(profile, store, opts) if warm else None
        self.checkov = CheckovRunner(store.root / "workspaces" / "_checkov" / "checkov.log") if warm else None
        self.inits = Inits(store.root / "workspaces" / "_terraform") if warm else None
        # Warm, the slots share the references they synthesized (a task's model and ideal may land on
        # different slots); cold, each slot keeps its own, as a fresh pipeline per variant would.
        self.references: dict[str, ReferenceStacks] | None = {} if warm else None

    def slots(self) -> list[Slot]:
        return [WorkerSlot(i, self.profile, self.store, self.opts, self.lint_seat, checkov=self.checkov,
                           inits=self.inits, references=self.references) for i in range(max(1, self.opts.workers))]

    def start(self, todo: list[tuple[Task, str]]) -> None:
        if self.lint_seat is not None:
            threading.Thread(target=self.lint_seat.warm, args=(lint_warmup.modules_for(todo, self.profile),),
                             daemon=True, name="lint-warmup").start()

    def _close_shared(self) -> None:
        if self.lint_seat is not None:
            self.lint_seat.close()
        if self.checkov is not None:
            self.checkov.close()

    def close(self) -> dict:
        self._close_shared()
        if self.lint_seat is None:
            return {}
        return {"lint_peak_rss_kb": self.lint_seat.peak_rss_kb,
                "lint_warmup": {"modules": len(self.lint_seat.warmed), "seconds": round(self.lint_seat.warm_s, 2)}}

    def interrupt(self) -> None:
        self._close_shared()


class LintSeat:
    """The run's one lint process, shared by the slots (local backend, warm).

    pylint spends most of a warm lint parsing the provider modules a stack imports (astroid
    keeps them); per worker, every worker parsed the same ones again, and how much depended on
    which variants a worker happened to draw. One process that only lints (no cdktf runtime:
    astroid reads source, it does not import it) parses each module once per run. Requests are
    served one at a time; a crash or timeout is retried once in a fresh process, as in a slot."""

    def __init__(self, profile: Profile, store: RunStore, opts: EngineOptions, name: str = "lint"):
        # It runs no response code, so the per-variant recycling rule is relaxed tenfold: the
        # memory bound still holds; each restart parses the provider modules again.
        relaxed = replace(opts, recycle_after=opts.recycle_after * 10)
        self.name = name  # its logs: logs/_workers/slot<name>-<n>.log and <name>-warmup/
        self.seat = WorkerSlot(name, profile, store, relaxed, lint_only=True)
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
        log_dir = self.seat.store.root / "logs" / "_workers" / f"{self.name}-warmup"
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
