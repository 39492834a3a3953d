"""The reference stage: a variant's synthesized stacks against those of the task's reference (the
code the task was merged with), judged by ``graders.reference_compare``.

The reference is synthesized in the variant's own seat, before the variant is prepared (the
workspace is the seat's, and the variant's files replace the reference's), with the same entry,
environment and worker; only the execution chain runs (no lint, no static stage: nothing of the
reference is judged here). A seat keeps what it synthesized per reference input hash, so the model
and ideal of one task pay it once. Its logs go beside the variant's, under ``reference-synth/``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, MutableMapping
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from .bundles import REFERENCE, Task
from .contract import Entry
from .options import EngineOptions
from .plan.reference import ReferenceStacks, read_reference
from .prepare import Prepared, input_hash, prepare
from .records import StageOutcome
from .runstore import RunStore
from .toolchain import Profile
from .worker.tapgrade_stages import CHAIN


class Seat(Protocol):
    """What synthesizing the reference needs of a seat (``grade.Seat`` has it all)."""

    profile: Profile
    opts: EngineOptions
    store: RunStore
    workspace: Path
    reference_cache: MutableMapping[str, ReferenceStacks]

    def first_round(self, prep: Prepared, env: dict[str, str]
                    ) -> tuple[list[StageOutcome], Callable[[], list[StageOutcome]] | None]: ...


def reference_stacks(seat: Seat, task: Task, variant: str, entry: Entry, env: dict[str, str]) -> ReferenceStacks:
    """The reference's stacks for a variant that is compared with them, or why it is not."""
    if variant == REFERENCE:
        return ReferenceStacks(reason="the variant is the reference")
    if task.reference_dir is None:
        return ReferenceStacks(reason="the task has no reference/")
    if not seat.opts.plan.reference:
        return ReferenceStacks(reason="not requested (--no-reference)")
    key = input_hash(task, REFERENCE, entry, seat.profile)
    cached = seat.reference_cache.get(key)
    if cached is not None:  # synthesized for another variant: this one spent nothing on it
        return replace(cached, seconds=0.0)
    log_dir = seat.store.log_dir(task.id, variant) / "reference-synth"
    log_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    prep = prepare(task, REFERENCE, entry, seat.profile, seat.workspace, log_dir, env)
    if prep.request is None:
        got = ReferenceStacks(reason="the reference has no code to synthesize")
    else:
        prep.request = {**prep.request, "stages": list(CHAIN)}
        outcomes, _ = seat.first_round(prep, env)
        got = read_reference(prep.workspace.root, outcomes)
    got.seconds = round(time.monotonic() - t0, 4)
    seat.reference_cache[key] = got
    return got


