"""Grading one variant, top to bottom: prepare -> round 0 in the worker -> repair rounds -> the
stages after synth -> findings -> the result and its run-store records.

The seat (a backend's slot: ``slot.WorkerSlot``) owns the worker and the plan tools; this
function owns the order of the steps, so the whole flow of one variant reads here. Model code
runs only in the seat's worker, never in this interpreter.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Protocol

from .bundles import Task
from .contract import Entry
from .findings import merge_findings
from .onepass import Rounds, repair_rounds
from .options import EngineOptions
from .plan import PlanTools, post_synth_outcomes
from .plan.reference import ReferenceStacks
from .prepare import Prepared, prepare, variant_env
from .records import Records, StageOutcome, VariantResult, records
from .reference_stage import reference_stacks
from .result import finish
from .runstore import RunStore
from .toolchain import Profile


class Seat(Protocol):
    """What the flow needs of the slot it runs in."""

    profile: Profile
    opts: EngineOptions
    store: RunStore
    reference_cache: MutableMapping[str, ReferenceStacks]  # the references this seat synthesized, by input hash
    workspace: Path  # where the variant's files are written (one directory per slot)
    tools: PlanTools  # terraform, the emulator, checkov: the stages after synth

    def first_round(self, prep: Prepared, env: dict[str, str]
                    ) -> tuple[list[StageOutcome], Callable[[], list[StageOutcome]] | None]: ...

    def run(self, prep: Prepared, request: dict, round_: int = 0) -> list[StageOutcome]: ...

    def after_variant(self, prep: Prepared, result: VariantResult) -> None: ...


def grade_variant(seat: Seat, task: Task, variant: str, entry: Entry, created_at: str,
                  stop: threading.Event) -> tuple[VariantResult, Records] | None:
    """Grade one variant in ``seat``: its result and run-store records (None if the run was stopped)."""
    t0 = time.monotonic()
    log_dir, artifacts = seat.store.log_dir(task.id, variant), seat.store.artifact_dir(task.id, variant)
    env = variant_env(task, created_at)
    # 0. The task's reference synthesized in this seat (for the reference stage), before the
    #    variant's files take the workspace.
    reference = reference_stacks(seat, task, variant, entry, env)
    # 1. Harness side: extract the response's files into the slot's workspace, decide the request.
    prep = prepare(task, variant, entry, seat.profile, seat.workspace, log_dir, env)
    # 2. Round 0, the response as written, in the worker (a warm worker's lint may still be running).
    first, lint_later = seat.first_round(prep, env)
    rounds = Rounds.start(prep, first)
    # 3. While an execution stage fails with a repairable finding: repair the copy, run again.
    if lint_later is None:  # (lint still running means nothing failed: no repairs follow)
        repair_rounds(rounds, lambda request, rnd: seat.run(prep, request, rnd))
    # 4. After synth: validate, plan, rules, checkov, deploy-rules, reference (and deploy) on the
    #    chosen synthesized stack.
    late = post_synth_outcomes(prep, rounds.outcomes, seat.tools, env, artifacts, reference)
    if lint_later is not None:
        rounds.add(lint_later())
    rounds.add(late)
    if stop.is_set():
        return None
    # 5. Findings, one per defect, and the result with the synthesized stacks kept.
    result = finish(prep, rounds.outcomes, merge_findings(rounds.findings), rounds.repairs, artifacts)
    result.wall_s = time.monotonic() - t0
    # 6. The seat's own measurements, then the run-store records.
    seat.after_variant(prep, result)
    return result, records(result, seat.store.run_id)
