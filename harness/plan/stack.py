"""One synthesized stack: reading it, what the stages learn about it, and the stage logs they write."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .. import terraform

MAX_RESOURCES = 10_000  # a stack beyond this is not planned: terraform would take many minutes on it


@dataclass
class StackRun:
    """What the stages learn about one synthesized stack."""

    name: str
    config: dict
    stack_dir: Path
    validate: list[dict] = field(default_factory=list)
    validate_state: str = "pass"
    validate_read_off: bool = False  # validate's diagnostics came off the plan (no terraform validate)
    plan: list[dict] = field(default_factory=list)
    plan_state: str = "skipped"
    plan_reason: str | None = None
    plan_json: dict | None = None
    deploy: list[dict] = field(default_factory=list)
    deploy_state: str = "skipped"
    deploy_reason: str | None = None
    relaxed: list[dict] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # terraform time per stage

    def spent(self, stage: str, c: terraform.Call) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + c.duration_s


def read_stack(path: Path) -> tuple[dict, str | None]:
    """A synthesized stack's configuration, or why it cannot be judged (not JSON, not an object,
    more resources than the harness plans)."""
    try:
        config = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (json.JSONDecodeError, OSError) as exc:
        return {}, f"{path.parent.name}/cdk.tf.json is not JSON ({exc})"
    if not isinstance(config, dict):
        return {}, f"{path.parent.name}/cdk.tf.json is not a JSON object"
    n = sum(len(v) for v in (config.get("resource") or {}).values() if isinstance(v, dict))
    if n > MAX_RESOURCES:
        return {}, f"{path.parent.name} has {n} resources, more than the {MAX_RESOURCES} the harness plans"
    return config, None


def stage_log(log_dir: Path, stage: str, text: str) -> None:
    """Append to the variant's ``<stage>.log``."""
    with (log_dir / f"{stage}.log").open("a", encoding="utf-8") as fh:
        fh.write(text.rstrip() + "\n")


def call_log(c: terraform.Call) -> str:
    """A terraform call as its stage log shows it: the command, how it ended, the tail of its output."""
    return (f"$ terraform {' '.join(c.args)}  (exit {c.returncode}, {c.duration_s} s"
            f"{', timed out' if c.timed_out else ''})\n{c.stdout[-20000:]}\n{c.stderr[-20000:]}")


def timed_out(action: str, timeout_s: float) -> dict:
    """A terraform call that ran out of time: the harness's limit, not a verdict on the stack."""
    return {"kind": "infra", "reason": "terraform timed out", "message": f"{action}: {timeout_s:.0f} s"}
