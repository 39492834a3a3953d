"""validate, plan and (opt-in) deploy of one synthesized stack with terraform.

Each stack is staged as a relaxed copy (provider pins relaxed to the mirror, no backend) beside
the synthesized one, with the data directory of its provider set initialized once per slot or run.
Every step records what it found on the ``StackRun``; a step that cannot go on says why in the
reasons of the stages after it, which then do not run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from graders.infra_signatures import infra_reason

from .. import terraform
from .diagnostics import signals, status
from .emulator import EmulatorError, MotoServer
from .plan_call import EMULATOR_OVERRIDE, SHOW_ARGS, plan_call, plan_covers_validate, validate_read_off, write_emulated
from .stack import StackRun, call_log, stage_log, timed_out
from .tools import PlanTools, tf_env


@dataclass
class Staged:
    """A stack staged for terraform: its relaxed copy in a working directory whose provider set's
    data directory is initialized, and what every terraform call on it shares."""

    tf: terraform.Terraform
    schema: dict
    relaxed: dict
    work: Path
    data: Path
    reattach: dict[str, str]  # TF_REATTACH_PROVIDERS for validate/plan/show, or {}
    timeout_s: float


def run_terraform(tools: PlanTools, run: StackRun, env: dict[str, str], log_dir: Path) -> None:
    """validate, then plan (+ show -json), then apply/destroy when asked, on one stack.

    With ``plan_first`` the plan runs first and validate's diagnostics are read off it where the
    plan shows them exactly (``validate_read_off``): one terraform command instead of two for most
    stacks. Otherwise ``terraform validate`` runs and decides as in the validate-then-plan order
    (the --cold baseline's), and the early plan is kept only if validate passes; the findings are
    the same either way."""
    staged = _stage(tools, run, env, log_dir)
    if staged is None:
        return
    early = _validate_stage(tools, run, staged, env, log_dir)
    if not _plannable(run, early, log_dir):
        return
    moto = _plan_stage(tools, run, staged, env, early, log_dir)
    if moto is None:
        return
    _deploy_stage(tools, run, staged, env, moto, log_dir)


def _stage(tools: PlanTools, run: StackRun, env: dict[str, str], log_dir: Path) -> Staged | None:
    """The stack's relaxed copy staged and its provider set initialized, or None when the
    environment cannot do it (a provider the mirror lacks, a failed init): the run says why."""
    tf, tfdir, t = tools.tf, tools.tfdir(), tools.opts.timeout_s
    assert tf is not None
    schema = tools.schema()
    relaxed, run.relaxed, missing = terraform.relax(run.config, tf)
    if missing:
        reason = f"the provider mirror holds no {', '.join(missing)}"
        _environment_failed(run, "mirror: provider not held", reason, reason)
        return None
    work = tfdir.stage(relaxed, run.stack_dir)
    data, failed = tfdir.init(relaxed, t)
    if data is None:
        assert failed is not None
        stage_log(log_dir, "validate", call_log(failed))
        reason = infra_reason(failed.stderr) or "terraform init failed"
        _environment_failed(run, reason, failed.stderr.strip()[-500:], reason)
        return None
    return Staged(tf, schema, relaxed, work, data, tools.reattach_env(relaxed, env), t)


def _environment_failed(run: StackRun, signal_reason: str, message: str, reason: str) -> None:
    """The stack could not be staged: validate is an infra error and plan and deploy say why."""
    run.validate = [{"kind": "infra", "reason": signal_reason, "message": message}]
    run.validate_state, run.plan_reason, run.deploy_reason = "infra-error", reason, reason


def _validate_stage(tools: PlanTools, run: StackRun, staged: Staged, env: dict[str, str],
                    log_dir: Path) -> terraform.Call | None:
    """validate's findings: read off an early plan where it shows them exactly, else from
    ``terraform validate`` on the stack as written. Returns the early plan, if one was made (the
    plan stage keeps it if validate passes)."""
    early, read_off = _early_plan(tools, run, staged, env, log_dir)
    if read_off is not None:
        stage_log(log_dir, "validate", "terraform validate not run: its diagnostics read off the plan, which validates "
                                       f"first ({len(read_off)} diagnostics)\n")
        run.validate = signals(read_off, run.config, staged.schema)
        run.validate_state, run.validate_read_off = status(run.validate), True
    else:
        (staged.work / EMULATOR_OVERRIDE).unlink(missing_ok=True)  # validate judges the stack as written
        _validate(staged.tf, run, staged.work, {**tf_env(staged.data, env, None), **staged.reattach}, staged.schema,
                  staged.timeout_s, log_dir)
    return early


def _early_plan(tools: PlanTools, run: StackRun, staged: Staged, env: dict[str, str],
                log_dir: Path) -> tuple[terraform.Call | None, list[dict] | None]:
    """With ``plan_first``, a plan made before validate (kept if validate agrees) and validate's
    diagnostics as that plan showed them (None when only ``terraform validate`` can tell)."""
    if not (tools.opts.plan_first and plan_covers_validate(staged.relaxed)):
        return None, None
    try:
        early, trace = plan_call(tools, run, staged.relaxed, staged.work,
                                 {**tf_env(staged.data, env, tools.moto()), **staged.reattach}, log_dir, trace=True)
        return early, validate_read_off(early, trace)
    except (EmulatorError, OSError):
        return None, None  # the emulator's trouble is reported by the plan step below


def _validate(tf: terraform.Terraform, run: StackRun, work: Path, env: dict[str, str], schema: dict,
              timeout_s: float, log_dir: Path) -> None:
    """``terraform validate`` on the stack as written; a reply that is not JSON is the stack's error."""
    c = terraform.call(tf, ["validate", "-json", "-no-color"], work, env, timeout_s)
    run.spent("validate", c)
    stage_log(log_dir, "validate", call_log(c))
    if c.timed_out:
        run.validate = [timed_out("validate", timeout_s)]
    else:
        try:
            diags = json.loads(c.stdout).get("diagnostics", [])
        except json.JSONDecodeError:
            diags = [{"severity": "error", "summary": "terraform validate gave no JSON", "detail": c.stderr[-500:]}]
        run.validate = signals(diags, run.config, schema)
    run.validate_state = status(run.validate)


def _plannable(run: StackRun, early: terraform.Call | None, log_dir: Path) -> bool:
    """Whether the stack goes on to plan: validate passed, with no provider-version difference (the
    mirror's provider would reject what the pinned package defines). If not, plan and deploy say why."""
    if run.validate_state != "pass":
        if early is not None:
            stage_log(log_dir, "plan", "the plan above is set aside: validate failed\n")
        run.plan_reason = f"validate {run.validate_state}"
        run.deploy_reason = run.plan_reason
        return False
    if any(s["kind"] == "provider-version" for s in run.validate):
        run.plan_reason = run.deploy_reason = "the mirror's provider lacks arguments the stack uses (provider-version)"
        return False
    return True


def _plan_stage(tools: PlanTools, run: StackRun, staged: Staged, env: dict[str, str], early: terraform.Call | None,
                log_dir: Path) -> MotoServer | None:
    """The plan's findings (the early plan's, or a plan made now) and, when it passes, its JSON.
    Returns the emulator it planned against; None when the emulator is unreachable (the run says so)."""
    try:
        moto = tools.moto()
        plan_env = {**tf_env(staged.data, env, moto), **staged.reattach}
        c = early if early is not None else plan_call(tools, run, staged.relaxed, staged.work, plan_env, log_dir)[0]
    except (EmulatorError, OSError) as exc:
        run.plan = [{"kind": "infra", "reason": "emulator: unreachable", "message": str(exc)}]
        run.plan_state = "infra-error"
        run.deploy_reason = "emulator unavailable"
        return None
    _plan_findings(run, c, staged.schema, staged.timeout_s)
    if run.plan_state == "pass":
        _show(run, staged, plan_env, log_dir)
    return moto


def _plan_findings(run: StackRun, c: terraform.Call, schema: dict, timeout_s: float) -> None:
    """The plan's signals and status; a plan that failed without an error diagnostic fails on its stderr."""
    if c.timed_out:
        run.plan = [timed_out("plan", timeout_s)]
    else:
        run.plan = signals(terraform.diagnostics_from_lines(c.stdout), run.config, schema)
        if c.returncode != 0 and not any(s.get("severity") == "error" or s["kind"] == "infra" for s in run.plan):
            run.plan.append({"kind": "terraform-diagnostic", "severity": "error", "summary": "terraform plan failed",
                             "detail": c.stderr.strip()[-500:], "message": c.stderr.strip()[-500:]})
    run.plan_state = status(run.plan)


def _show(run: StackRun, staged: Staged, plan_env: dict[str, str], log_dir: Path) -> None:
    """The passing plan as JSON (``terraform show -json``), what the Rego policies and the artifacts read."""
    show = terraform.call(staged.tf, SHOW_ARGS, staged.work, plan_env, staged.timeout_s)
    run.spent("plan", show)
    if show.returncode == 0:
        run.plan_json = json.loads(show.stdout)
    else:
        stage_log(log_dir, "plan", call_log(show))


def _deploy_stage(tools: PlanTools, run: StackRun, staged: Staged, env: dict[str, str], moto: MotoServer,
                  log_dir: Path) -> None:
    """apply, then destroy, against a reset emulator, when asked and safe; stops at the first that fails."""
    refusal = _deploy_refusal(tools, run)
    if refusal is not None:
        run.deploy_reason = refusal
        return
    write_emulated(staged.work, staged.relaxed)  # apply reads the configuration (validate may have removed it)
    moto.reset()
    moto.dirty = True  # apply creates; the next plan starts from a reset emulator
    deploy_env = tf_env(staged.data, env, moto)  # apply/destroy: terraform's own provider processes
    for action in ("apply", "destroy"):
        _deploy_call(run, staged, action, deploy_env, log_dir)
        if status(run.deploy) != "pass":
            break
    run.deploy_state = status(run.deploy)


def _deploy_refusal(tools: PlanTools, run: StackRun) -> str | None:
    """Why the stack is not deployed, or None when it is."""
    if not tools.opts.deploy:
        return "deploy not requested (--deploy)"
    if run.plan_state != "pass":
        return f"plan {run.plan_state}"
    if _has_provisioners(run.config):
        return "refused: provisioners would run commands on the grading host"
    return None


def _deploy_call(run: StackRun, staged: Staged, action: str, deploy_env: dict[str, str], log_dir: Path) -> None:
    """One ``terraform apply`` or ``destroy``; its diagnostics are the deploy's signals, named by action."""
    c = terraform.call(staged.tf, [action, "-json", "-input=false", "-no-color", "-lock=false", "-auto-approve"],
                       staged.work, deploy_env, staged.timeout_s)
    run.spent("deploy", c)
    stage_log(log_dir, "deploy", call_log(c))
    if c.timed_out:
        run.deploy.append(timed_out(action, staged.timeout_s))
    else:
        sigs = signals(terraform.diagnostics_from_lines(c.stdout), run.config, staged.schema)
        for s in sigs:
            s["action"] = action
            s["message"] = f"{action}: {s['message']}"
        run.deploy += sigs


def _has_provisioners(config: dict) -> bool:
    """Whether any resource has a provisioner: apply would run its commands on the grading host."""
    return any("provisioner" in body for instances in (config.get("resource") or {}).values()
               for body in (instances or {}).values())
