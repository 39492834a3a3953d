"""The rules and checkov stages: what the synthesized configuration and its plan are judged by.

Rules: the Python config rules on each stack's configuration (against the values the entry
contract passes), and the Rego policies on its plan JSON where a plan passed. checkov: the
slot's (or the run's) warm checkov process on a copy of each stack.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

from graders.api_rules import botocore_version, check_api
from graders.config_rules import Context, check_config
from graders.deploy_rules import check_deploy
from graders.plan_policies import evaluate as evaluate_rego
from graders.tf_config import resolved_by_plan

from ..checkov_runner import CheckovUnavailable
from ..records import StageOutcome
from .diagnostics import construct, worst
from .stack import StackRun, stage_log
from .tools import PlanTools


def rules_outcome(runs: list[StackRun], passed: dict, rnd: int) -> StageOutcome:
    """rules: Python config rules on the config, Rego policies on the plan JSON."""
    t0 = time.monotonic()
    r_sigs: list[dict] = []
    rego_ran = []
    for r in runs:
        ctx = Context(r.stack_dir, passed)
        r_sigs += [dict(s, stack=r.name) for s in check_config(r.config, ctx)]
        if r.plan_json is not None:
            r_sigs += [dict(s, stack=r.name, construct=construct(r.config, s.get("address")))
                       for s in evaluate_rego(r.plan_json)]
            rego_ran.append(r.name)
    return StageOutcome("rules", "fail" if r_sigs else "pass", None, round(time.monotonic() - t0, 4), r_sigs,
                        {"on_round": rnd, "rego_on": rego_ran or "no plan JSON: Rego policies not evaluated",
                         "entry_passes": passed}, rnd)


def deploy_rules_outcome(runs: list[StackRun], rnd: int) -> StageOutcome:
    """deploy-rules: AWS API constraints and cross-resource rules on each stack's configuration."""
    t0 = time.monotonic()
    sigs = [dict(s, stack=r.name) for r in runs for s in check_deploy(r.config)]
    # values the configuration left to an expression that the plan resolved, judged by the same constraints
    sigs += [dict(s, stack=r.name, resolved_by="plan", message=s["message"] + " (value as planned)")
             for r in runs if r.plan_json is not None for s in check_api(resolved_by_plan(r.config, r.plan_json))]
    return StageOutcome("deploy-rules", "fail" if sigs else "pass", None, round(time.monotonic() - t0, 4), sigs,
                        {"constraints": f"botocore {botocore_version()} service models (graders/data)"}, rnd)


def checkov_outcome(tools: PlanTools | None, runs: list[StackRun], log_dir: Path, rnd: int) -> StageOutcome:
    """checkov on every stack, when asked; its state is the worst stack's."""
    if tools is None or not tools.opts.checkov:
        return StageOutcome("checkov", "skipped", "checkov not requested", 0.0, [], {}, rnd)
    t0 = time.monotonic()
    states, c_sigs, reasons = [], [], []
    for r in runs:
        state, sigs, reason = _checkov(tools, r, log_dir)
        states.append(state)
        c_sigs += [dict(s, stack=r.name) for s in sigs]
        reasons += [reason] if reason else []
    return StageOutcome("checkov", worst(states), "; ".join(reasons) or None,
                        round(time.monotonic() - t0, 4), c_sigs, {}, rnd)


def _checkov(tools: PlanTools, run: StackRun, log_dir: Path) -> tuple[str, list[dict], str | None]:
    """checkov on a pretty-printed copy without terraform.required_version (with it checkov
    reports a parsing error and zero checks); line ranges map failed checks to addresses."""
    cfg = json.loads(json.dumps(run.config))
    (cfg.get("terraform") or {}).pop("required_version", None)
    scan_dir = tools.root / "checkov-scan"
    shutil.rmtree(scan_dir, ignore_errors=True)
    scan_dir.mkdir(parents=True)
    text = json.dumps(cfg, indent=2)
    (scan_dir / "main.tf.json").write_text(text, encoding="utf-8")
    try:
        answer = tools.checkov().scan(scan_dir, tools.opts.timeout_s)
    except CheckovUnavailable as exc:
        return "infra-error", [], str(exc)
    stage_log(log_dir, "checkov", json.dumps(answer, indent=1))
    starts = _resource_lines(text)
    out = []
    for f in answer["failed"]:
        line = (f.get("lines") or [0])[0]
        address = next((a for start, a in reversed(starts) if start <= line), f.get("resource"))
        out.append({"kind": "checkov", "check_id": f["check_id"], "check_name": f["check_name"], "address": address,
                    "construct": construct(run.config, address), "message": f"{f['check_id']} {address}: {f['check_name']}"})
    out.sort(key=lambda s: (s["address"] or "", s["check_id"]))  # checkov's own order varies from run to run
    if answer.get("parsing_errors"):
        return "infra-error", out, f"checkov could not parse {answer['parsing_errors']}"
    return ("fail" if out else "pass"), out, None


def _resource_lines(text: str) -> list[tuple[int, str]]:
    """(first line, address) of every resource block of an indent=2 JSON config."""
    out, section, rtype = [], None, None
    for i, line in enumerate(text.splitlines(), 1):
        m = re.match(r'^( *)"([^"]+)": \{', line)
        if not m:
            continue
        depth, key = len(m.group(1)) // 2, m.group(2)
        if depth == 1:
            section = key
        elif depth == 2:
            rtype = key
        elif depth == 3 and section in ("resource", "data"):
            out.append((i, f"{'data.' if section == 'data' else ''}{rtype}.{key}"))
    return out
