"""A variant's outcomes of the stages after synth, assembled from what they found on each stack.

Which synthesized stack they judge is the one the config rules always judged: the response as
written, or failing that the last repaired copy (then the findings depend on the repairs, and the
stages of the response as written are reported skipped before them).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from .. import schema_check
from ..contract import passed_values
from ..prepare import Prepared
from ..records import StageOutcome, portable
from .checks import checkov_outcome, deploy_rules_outcome, rules_outcome
from .diagnostics import status, worst
from .reference import ReferenceStacks, reference_outcome
from .stack import StackRun, read_stack
from .terraform_stage import run_terraform
from .tools import PlanTools


def post_synth_outcomes(prep: Prepared, outcomes: list[StageOutcome], tools: PlanTools | None,
                        env: dict[str, str], artifact_dir: Path | None, reference: ReferenceStacks
                        ) -> list[StageOutcome]:
    """Outcomes of validate, plan, rules, checkov, deploy-rules, reference (and deploy when asked)
    for a variant."""
    stages = (["validate", "plan", "rules", "checkov", "deploy-rules", "reference"]
              + (["deploy"] if tools and tools.opts.deploy else []))
    synth = _judged_synth(outcomes)
    if synth is None:
        return [StageOutcome(s, "skipped", "nothing synthesized") for s in stages]
    rnd, root = synth.round, prep.workspace.root
    runs, unreadable = _read_stacks(root, synth)
    if unreadable:  # nothing after synth can judge a stack it cannot read
        return _after_repairs(_unreadable_outcomes(unreadable, stages, rnd), rnd)
    passed = passed_values(prep.workspace.entry.source, env)  # what the contract rules judge against
    timing: dict[str, float] = {}  # time the stages spent outside terraform calls
    tf_ok = tools is not None and tools.tf is not None
    det_reason = tools.opts.terraform.reason if tools is not None and tools.opts.terraform else "no plan tools"
    _judge_stacks(tools, runs, env, prep.log_dir, tf_ok, timing)
    # validate / plan / deploy outcomes (terraform time split as measured per call is in the logs)
    out = [_validate_outcome(tools, runs, tf_ok, det_reason, timing, rnd),
           _plan_outcome(runs, tf_ok, det_reason, timing, rnd, root, artifact_dir),
           rules_outcome(runs, passed, rnd),
           checkov_outcome(tools, runs, prep.log_dir, rnd),
           deploy_rules_outcome(runs, rnd),
           reference_outcome(runs, reference, prep.task, rnd)]
    if "deploy" in stages:
        out.append(_deploy_outcome(runs, tf_ok, det_reason, timing, rnd))
    _make_portable(out, root)
    return _after_repairs(out, rnd)


def _judged_synth(outcomes: list[StageOutcome]) -> StageOutcome | None:
    """The passing synth whose stacks are judged: the response as written's, or failing that the
    last repaired copy's; None when nothing synthesized."""
    synths = sorted((o for o in outcomes if o.stage == "synth" and o.status == "pass"), key=lambda o: o.round)
    if not synths:
        return None
    return synths[0] if synths[0].round == 0 else synths[-1]


def _read_stacks(root: Path, synth: StageOutcome) -> tuple[list[StackRun], list[dict]]:
    """The synthesized stacks the synth outcome names, and an ``invalid-output`` signal for each
    that cannot be judged."""
    runs, unreadable = [], []
    for rel in synth.data.get("outputs", []):
        path = root / rel
        config, problem = read_stack(path)
        if problem is not None:
            unreadable.append({"kind": "invalid-output", "stack": path.parent.name, "message": problem})
        else:
            runs.append(StackRun(path.parent.name, config, path.parent))
    return runs, unreadable


def _unreadable_outcomes(unreadable: list[dict], stages: list[str], rnd: int) -> list[StageOutcome]:
    """validate fails on the unreadable stacks; every later stage is skipped."""
    first = StageOutcome("validate", "fail", unreadable[0]["message"], 0.0, unreadable, {}, rnd)
    rest = [StageOutcome(s, "skipped", "the synthesized stack cannot be read", 0.0, [], {}, rnd) for s in stages[1:]]
    return [first, *rest]


def _after_repairs(out: list[StageOutcome], rnd: int) -> list[StageOutcome]:
    """Outcomes judged on a repaired copy come after the same stages, skipped, for the response as written."""
    if rnd:
        return [StageOutcome(o.stage, "skipped", "nothing synthesized as written") for o in out] + out
    return out


def _judge_stacks(tools: PlanTools | None, runs: list[StackRun], env: dict[str, str], log_dir: Path, tf_ok: bool,
                  timing: dict[str, float]) -> None:
    """terraform on every stack; without terraform, validate is the jsii schema check (timed here:
    it makes no terraform call); without plan tools, nothing."""
    for run in runs:
        if tf_ok and tools is not None:
            run_terraform(tools, run, env, log_dir)
        elif tools is not None:
            t0 = time.monotonic()
            sigs = schema_check.check(run.config, tools.schema())
            timing["validate"] = timing.get("validate", 0.0) + time.monotonic() - t0
            run.validate, run.validate_state = sigs, status(sigs)


def _validate_outcome(tools: PlanTools | None, runs: list[StackRun], tf_ok: bool, det_reason: str,
                      timing: dict[str, float], rnd: int) -> StageOutcome:
    """validate over every stack: the worst stack's state, every stack's signals."""
    v_sigs = [dict(s, stack=r.name) for r in runs for s in r.validate]
    v_state = worst([r.validate_state for r in runs])
    return StageOutcome("validate", v_state, _validate_reason(v_sigs, v_state, tf_ok, det_reason),
                        _seconds(runs, "validate", timing), v_sigs, _validate_data(tools, runs, tf_ok, det_reason), rnd)


def _validate_data(tools: PlanTools | None, runs: list[StackRun], tf_ok: bool, det_reason: str) -> dict[str, Any]:
    """What validate ran: terraform (and how each stack was relaxed, which had validate read off the
    plan) or the jsii schema fallback."""
    tf_data: dict[str, Any] = {"stacks": [r.name for r in runs]}
    if tf_ok:
        tf_data.update({"tool": "terraform", "terraform": det_reason,
                        "relaxed": [r.relaxed for r in runs],
                        "read_off_plan": [r.name for r in runs if r.validate_read_off]})
    else:
        tf_data.update({"tool": "jsii-schema", "terraform": det_reason,
                        "schema": f"AWS provider {tools.schema()['provider_version']} (jsii assembly)" if tools else None})
    return tf_data


def _validate_reason(v_sigs: list[dict], v_state: str, tf_ok: bool, det_reason: str) -> str | None:
    """Why validate ended as it did where the state alone does not say: the schema fallback, provider-
    version differences under a pass, or the environment's gap behind an infra-error."""
    v_reason = None if tf_ok else f"jsii schema fallback ({det_reason})"
    pv = sum(s["kind"] == "provider-version" for s in v_sigs)
    if pv and v_state == "pass":
        v_reason = f"{pv} provider-version difference(s) between the mirror and the pinned provider package"
    if v_state == "infra-error":  # name the environment's gap (a provider the mirror lacks, a timeout)
        v_reason = next((f"{s['reason']}: {s.get('message', '')}" for s in v_sigs if s.get("kind") == "infra"), v_reason)
    return v_reason


def _plan_outcome(runs: list[StackRun], tf_ok: bool, det_reason: str, timing: dict[str, float], rnd: int,
                  root: Path, artifact_dir: Path | None) -> StageOutcome:
    """plan over every stack (skipped without terraform), with the plans kept as artifacts."""
    if not tf_ok:
        return StageOutcome("plan", "skipped", f"skipped: {det_reason}", 0.0, [], {}, rnd)
    p_state = worst([r.plan_state for r in runs])
    return StageOutcome("plan", p_state, _plan_reason(runs, p_state), _seconds(runs, "plan", timing),
                        [dict(s, stack=r.name) for r in runs for s in r.plan],
                        {"plans": _keep_plans(runs, root, artifact_dir)}, rnd)


def _plan_reason(runs: list[StackRun], p_state: str) -> str | None:
    """Why plan was skipped (the first stack's reason) or what failed in the environment; None otherwise."""
    if p_state == "skipped":
        return next((r.plan_reason for r in runs if r.plan_reason), None)
    if p_state == "infra-error":
        return next((f"{sig['reason']}: {sig.get('message', '')}" for r in runs for sig in r.plan
                     if sig.get("kind") == "infra"), None)
    return None


def _keep_plans(runs: list[StackRun], root: Path, artifact_dir: Path | None) -> list[str]:
    """Each plan JSON as an artifact, ``<artifact_dir>/<stack>/plan.json``, with the workspace's path portable."""
    plans: list[str] = []
    if artifact_dir is not None:
        for r in runs:
            if r.plan_json is not None:
                dest = artifact_dir / r.name / "plan.json"
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_text(portable(json.dumps(r.plan_json, indent=1), root), encoding="utf-8")
                plans.append(str(dest))
    return plans


def _deploy_outcome(runs: list[StackRun], tf_ok: bool, det_reason: str, timing: dict[str, float],
                    rnd: int) -> StageOutcome:
    """deploy over every stack: skipped without terraform, else the worst stack's state."""
    d_state = "skipped" if not tf_ok else worst([r.deploy_state for r in runs])
    d_reason = (f"skipped: {det_reason}" if not tf_ok else
                next((r.deploy_reason for r in runs if r.deploy_reason), None) if d_state == "skipped" else None)
    return StageOutcome("deploy", d_state, d_reason, _seconds(runs, "deploy", timing),
                        [dict(s, stack=r.name) for r in runs for s in r.deploy], {}, rnd)


def _make_portable(out: list[StageOutcome], root: Path) -> None:
    """The same text whichever slot (directory) ran it."""
    for o in out:
        for s in o.signals:
            for key in ("message", "detail"):
                if isinstance(s.get(key), str):
                    s[key] = portable(s[key], root)


def _seconds(runs: list[StackRun], stage: str, timing: dict[str, float]) -> float:
    """A stage's time: its terraform calls on every stack, plus what it spent outside them."""
    return round(sum(r.seconds.get(stage, 0.0) for r in runs) + timing.get(stage, 0.0), 4)
