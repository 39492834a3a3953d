"""``terraform plan`` against the emulator, and what ``terraform validate`` would say read off it.

The emulator's settings reach the plan through an override file, never an edit of the stack's
own ``main.tf.json``; with ``plan_first`` a plan that validated can stand for ``terraform
validate`` (``validate_read_off``), one terraform command instead of two for most stacks.
"""

from __future__ import annotations

import json
from pathlib import Path

from .. import terraform
from .stack import StackRun, call_log, stage_log
from .tools import PlanTools

EMULATED = {"skip_credentials_validation": True, "skip_requesting_account_id": True,
            "skip_metadata_api_check": True, "skip_region_validation": True, "s3_use_path_style": True}
PLAN_ARGS = ["plan", "-json", "-input=false", "-no-color", "-lock=false", "-out=tfplan"]
SHOW_ARGS = ["show", "-json", "-no-color", "tfplan"]
EMULATOR_OVERRIDE = "tapgrade_emulator_override.tf.json"
PLAN_TRACE = ".tapgrade-plan-core.log"
# What terraform's backend/local logs to the core trace as a plan goes through its steps.
VALIDATING = "backend/local: running validation operation"
PLANNING = "backend/local: plan calling Plan"
PLANNED = "backend/local: plan operation completed"


def write_emulated(work: Path, config: dict) -> None:
    """Point the stack's AWS provider blocks at the emulator through a Terraform override file.

    An override file rather than an edited ``main.tf.json``: the stack's own file stays as
    validate saw it, so a plan's diagnostics carry the same lines and snippets. Blocks are matched
    by alias; a stack without an AWS provider block gets none (an override needs a base block)."""
    blocks = [({"alias": b["alias"]} if "alias" in b else {}) | EMULATED
              for b in (config.get("provider") or {}).get("aws") or [] if isinstance(b, dict)]
    path = work / EMULATOR_OVERRIDE
    if blocks:
        path.write_text(json.dumps({"provider": {"aws": blocks}}, indent=2), encoding="utf-8")
    else:
        path.unlink(missing_ok=True)


def plan_call(tools: PlanTools, run: StackRun, relaxed: dict, work: Path, tf_env: dict[str, str],
              log_dir: Path, trace: bool = False) -> tuple[terraform.Call, str]:
    """``terraform plan`` of the stack against the emulator (reset first if an apply dirtied it),
    and, with ``trace``, terraform core's log of the run (what ``validate_read_off`` reads)."""
    assert tools.tf is not None
    tools.moto().reset_if_dirty()
    write_emulated(work, relaxed)
    log = work / PLAN_TRACE
    log.unlink(missing_ok=True)
    env = {**tf_env, "TF_LOG_CORE": "TRACE", "TF_LOG_PATH": str(log)} if trace else tf_env
    c = terraform.call(tools.tf, PLAN_ARGS, work, env, tools.opts.timeout_s)
    run.spent("plan", c)
    stage_log(log_dir, "plan", call_log(c))
    text = log.read_text(encoding="utf-8", errors="replace") if trace and log.is_file() else ""
    log.unlink(missing_ok=True)
    return c, text


def validate_read_off(c: terraform.Call, trace: str) -> list[dict] | None:
    """What ``terraform validate`` would report, read off a plan of the same files, or None when
    only running it can tell.

    ``terraform plan`` loads the configuration, runs the validate walk and stops there if it found
    errors, else plans (terraform's backend/local, which logs each step to the core trace). So a
    plan that validated and did not go on to plan reported exactly validate's diagnostics; a plan
    that finished planning with no warning had a silent validate walk (its warnings would have been
    reported with the plan's). Anything else (a warning of unknown origin, a stop before the walk, a
    crash or timeout, a terraform that logs otherwise) leaves it to ``terraform validate``."""
    if c.timed_out or VALIDATING not in trace:
        return None
    diags = terraform.diagnostics_from_lines(c.stdout)
    if PLANNING not in trace:
        return diags if c.returncode == 1 and any(d.get("severity") == "error" for d in diags) else None
    if PLANNED in trace and c.returncode in (0, 1) and not any(d.get("severity") == "warning" for d in diags):
        return []
    return None


def plan_covers_validate(relaxed: dict) -> bool:
    """Whether a plan can speak for validate: the plan's configuration differs from the stack only in
    the emulator's provider settings, so a stack that sets one of them otherwise must be validated
    as written (the override could hide its mistake)."""
    return all(block.get(key, value) == value for block in (relaxed.get("provider") or {}).get("aws") or []
               if isinstance(block, dict) for key, value in EMULATED.items())
