"""The reference stage's outcome: a variant's synthesized stacks against those of the task's
reference, judged by ``graders.reference_compare`` (the reference's stacks come from
``harness/reference_stage.py``, which synthesizes them in the variant's seat)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from graders.reference_compare import compare

from ..bundles import Task
from ..records import StageOutcome
from .stack import StackRun, read_stack


@dataclass
class ReferenceStacks:
    """The reference's synthesized configs, or why there are none."""
    configs: list[dict] = field(default_factory=list)
    reason: str | None = None
    seconds: float = 0.0


def read_reference(root: Path, outcomes: list[StageOutcome]) -> ReferenceStacks:
    synth = next((o for o in outcomes if o.stage == "synth"), None)
    if synth is None or synth.status != "pass":
        failed = next((o for o in outcomes if o.status not in ("pass", "skipped")), synth)
        return ReferenceStacks(reason=f"the reference does not synthesize ({failed.stage if failed else 'synth'} "
                                      f"{failed.status if failed else 'missing'})")
    configs = []
    for rel in synth.data.get("outputs", []):
        config, problem = read_stack(root / rel)
        if problem is not None:
            return ReferenceStacks(reason=f"the reference's stack cannot be read: {problem}")
        configs.append(config)
    return ReferenceStacks(configs)


def reference_outcome(runs: list[StackRun], ref: ReferenceStacks, task: Task, rnd: int) -> StageOutcome:
    """reference: the variant's stacks against the reference's (skipped, with the reason, without one)."""
    if ref.reason is not None:
        return StageOutcome("reference", "skipped", ref.reason, 0.0, [], {"reference_synth_s": ref.seconds}, rnd)
    t0 = time.monotonic()
    prompt = (task.root / "PROMPT.md").read_text(encoding="utf-8", errors="replace")
    sigs = compare([r.config for r in runs], ref.configs, prompt)
    failing = any(s["rule"] != "difference" for s in sigs)
    # the stage's time includes the reference's synthesis when this variant paid for it
    return StageOutcome("reference", "fail" if failing else "pass", None, round(time.monotonic() - t0 + ref.seconds, 4), sigs,
                        {"reference_synth_s": ref.seconds, "reference_stacks": len(ref.configs)}, rnd)
