"""A worker seat: one warm toolchain worker at a time, and one variant graded in it.

The slot starts its worker lazily (a batch with no runnable code pays no toolchain load),
recycles it after ``recycle_after`` variants, on memory growth, or when the worker reports
leftover state, and replaces it after a timeout, a crash or a change to the toolchain. A variant
whose worker died is retried once in a fresh worker if that worker had served an earlier variant
(which may have spoilt it); a failure in a fresh worker is the variant's own (a hang or crash of
model code is a finding, not a harness failure), and lint still runs in a fresh worker.
The local backend's slots are these; in the docker backend each container runs one
(``slot_server``).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import threading
from collections.abc import Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

from .backend import Slot
from .bundles import Task
from .checkov_runner import CheckovRunner
from .contract import Entry
from .grade import grade_variant
from .options import EngineOptions
from .plan import PlanTools
from .plan.reference import ReferenceStacks
from .prepare import Prepared
from .records import Records, StageOutcome, VariantResult
from .result import worker_outcomes
from .runstore import RunStore
from .terraform import Inits
from .toolchain import Profile
from .worker.tapgrade_stages import CHAIN
from .workers import LocalWorker, WorkerFailure, WorkerStartError, hand_over

log = logging.getLogger(__name__)


class Linter(Protocol):
    """Where a slot sends its lint requests when not to its own worker (the local backend's
    shared lint process)."""

    def run(self, prep: Prepared, request: dict, round_: int = 0) -> list[StageOutcome]: ...


class WorkerSlot(Slot):
    """One worker seat: owns at most one live toolchain worker at a time (the local backend's slot,
    and the one inside each grading container)."""

    def __init__(self, index: int | str, profile: Profile, store: RunStore, opts: EngineOptions,
                 lint_seat: Linter | None = None, lint_only: bool = False,
                 checkov: CheckovRunner | None = None, inits: Inits | None = None,
                 references: MutableMapping[str, ReferenceStacks] | None = None):
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
        # The references synthesized for the reference stage (input hash -> stacks): this slot's, or
        # the run's when the backend shares one among its slots.
        self.reference_cache: MutableMapping[str, ReferenceStacks] = {} if references is None else references

    def ensure(self, lint_only: bool | None = None) -> LocalWorker:
        if self.worker is None or not self.worker.alive:
            self.starts += 1
            log.info("slot %s: starting toolchain worker #%d%s", self.index, self.starts,
                     " (the previous one was replaced)" if self.starts > 1 else "")
            w = LocalWorker(self.profile, self.store.root / "logs" / "_workers" / f"slot{self.index}-{self.starts}.log",
                            self.workspace, self.opts.limits, lazy_provider=self.opts.execution.lazy_provider,
                            lint_only=self.lint_only if lint_only is None else lint_only,
                            jsii_cache=None if self.distrust_jsii_cache else self.jsii_cache,
                            single_use=self.opts.execution.process_per_stage_group)
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
              stop: threading.Event) -> tuple[VariantResult, Records] | None:
        """Grade one variant in this slot (the flow: ``grade.grade_variant``)."""
        return grade_variant(self, task, variant, entry, created_at, stop)

    def after_variant(self, prep: Prepared, result: VariantResult) -> None:
        """What the slot measured for the variant goes into its result; the workspace is kept if asked."""
        if not self.opts.execution.shared_services:
            self.tools.forget()
        result.integrity_s = self.integrity_s
        result.worker_rss_kb = self.last_rss_kb if prep.request is not None else 0
        if self.opts.keep_workspaces:
            kept = self.store.root / "workspaces" / prep.task.id / prep.variant
            shutil.rmtree(kept, ignore_errors=True)
            shutil.copytree(self.workspace, kept, symlinks=True)
            restore_as_written(prep, kept)
            keep_request(prep, self.workspace, kept)

    def first_round(self, prep: Prepared, env: dict[str, str]
                    ) -> tuple[list[StageOutcome], Callable[[], list[StageOutcome]] | None]:
        """Round 0, and lint still to be collected (or None).

        The response's code gets the entry contract's environment, with its AWS SDK calls sent to
        this slot's emulator, and (docker) its files handed to the code's own uid.

        Warm, lint is a request of its own that runs while this thread runs validate / plan /
        checkov: two processes busy instead of one, on the same findings (the same files, in the
        same directory, with the same path). It goes to the run's shared lint seat when there is
        one (local backend: every provider module is parsed by astroid once per run, not once
        per worker), else to this slot's worker. When an execution stage failed, repairs are
        coming and will rewrite the files, so lint runs first. The baselines lint in turn, in their
        own process per stage group (``run``)."""
        self.integrity_s = 0.0
        request = prep.request
        if request is None:
            return worker_outcomes(prep, []), None
        request["env"] = {**env, **self.tools.sdk_env(prep.task.region)}
        hand_over(self.opts.limits.code_uid, prep.workspace.root, prep.log_dir)
        stages = request["stages"]
        if not self.opts.execution.shared_services or not stages or stages[-1] != "lint":
            return self.run(prep, request), None
        first = self._run({**request, "stages": stages[:-1]}, prep, 0, last_of_variant=self.lint_seat is not None)
        lint_request = {**request, "stages": ["lint"]}
        lint = self.lint_seat.run if self.lint_seat is not None else self.run
        if prep.extract_outcome.status == "fail" or any(o.stage in CHAIN and o.status not in ("pass", "skipped")
                                                        for o in first):
            return first + lint(prep, lint_request), None  # repair rounds follow
        return first, self.lint_pool.submit(lint, prep, lint_request).result

    def run(self, prep: Prepared, request: dict, round_: int = 0) -> list[StageOutcome]:
        """Outcomes of the request's stages; a dead worker is replaced (and the request retried once if an
        earlier variant may have spoilt it)."""
        if self.opts.execution.process_per_stage_group:
            out: list[StageOutcome] = []
            groups = [[s for s in request["stages"] if s == "static"],
                      [s for s in request["stages"] if s in CHAIN],
                      [s for s in request["stages"] if s == "lint"]]
            for group in filter(None, groups):
                if request.get("blocked") and group[0] in CHAIN:
                    out += worker_outcomes(prep, [], stages=group, round_=round_)  # nothing to start a process for
                    continue
                light = self.opts.execution.light_static_and_lint and group[0] not in CHAIN
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
                worker = self.ensure(lint_only)
                # A worker that served no earlier variant cannot have been spoilt by one: its
                # failure is this response's own, and a second fresh worker would only repeat it
                # (a hang costs its timeout once, not twice).
                fresh = worker.served == 0
                events, done = worker.grade(request, count=last_of_variant)
            except WorkerStartError as exc:
                self.worker = None
                return worker_outcomes(prep, [], infra=str(exc), stages=stages, round_=round_)
            except WorkerFailure as exc:
                self.worker = None  # already killed
                last = exc
                if fresh:
                    break
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


def restore_as_written(prep: Prepared, kept: Path) -> None:
    """The kept copy holds the response's files as written: repair rounds rewrote them in the
    slot's workspace (their diffs are in the run), and what a user debugs is the response. The
    synthesized stacks stay as the last synth left them (the ones the later stages judged)."""
    for path in prep.workspace.files:
        f = prep.extraction.files.get(path)
        if f is not None:
            (kept / path).write_text(f.text, encoding="utf-8")


def keep_request(prep: Prepared, seat: Path, kept: Path) -> None:
    """The request the variant's worker got, beside its kept workspace and pointing into it:
    ``harness debug --stage`` sends it again (one stage) to a worker started on the kept copy."""
    if prep.request is None:
        return
    text = json.dumps({**prep.request, "env": {k: v for k, v in prep.request["env"].items()
                                               if not k.startswith("AWS_ENDPOINT")}})
    # The JSON text with the slot's path replaced where it names the slot's workspace (not its
    # sibling ``_slotN_tools``): every path of the variant the request names is under it.
    new = json.dumps(str(kept))[1:-1]
    text = re.sub(re.escape(json.dumps(str(seat))[1:-1]) + r'(?=["/])', lambda _m: new, text)
    kept.with_name(f"{kept.name}.request.json").write_text(text, encoding="utf-8")


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
