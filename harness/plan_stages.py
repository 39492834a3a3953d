"""The stages after synth: validate, plan, rules, checkov and (opt-in) deploy.

They read the synthesized Terraform JSON, which is data: nothing here imports or runs the
response's Python. Terraform, the emulator and checkov run as child processes of the slot (in
their own sessions, with time limits). Which synthesized stack they judge is the one the config
rules always judged: the response as written, or failing that the last repaired copy (then the
findings depend on the repairs).

``PlanTools`` holds a slot's long-lived helpers (an initialized Terraform data directory per
provider set, a moto server, a warm checkov process), started on first use and closed with the
slot, so no variant pays their start-up again.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graders.config_rules import Context, check_config
from graders.infra_signatures import infra_reason
from graders.plan_policies import evaluate as evaluate_rego

from . import schema_check, terraform
from .checkov_runner import CheckovRunner, CheckovUnavailable
from .contract import passed_values
from .emulator import EmulatorError, MotoServer
from .options import PlanOptions
from .prepare import Prepared
from .records import StageOutcome, portable
from .toolchain import Profile

PROVIDER_VERSION_SUMMARIES = ("Extraneous JSON object property", "Unsupported argument", "Unsupported block type",
                              "Invalid resource type", "Unsupported attribute")
EMULATED = {"skip_credentials_validation": True, "skip_requesting_account_id": True,
            "skip_metadata_api_check": True, "skip_region_validation": True, "s3_use_path_style": True}


@dataclass
class PlanTools:
    """A slot's Terraform directory, emulator and checkov process."""

    root: Path
    profile: Profile
    opts: PlanOptions = field(default_factory=PlanOptions)
    _tfdir: terraform.TfDir | None = None
    _moto: MotoServer | None = None
    _checkov: CheckovRunner | None = None
    _schema: dict | None = None
    _provider: terraform.ProviderServer | None = None
    # The run's one checkov process when slots share it (local backend, warm): importing checkov
    # costs a process ~4 s and a warm scan ~0.05 s, so one per run suffices. Its owner closes it.
    shared_checkov: CheckovRunner | None = None
    shared_inits: terraform.Inits | None = None  # the run's terraform data dirs (warm, local backend)

    def __post_init__(self) -> None:
        if self.opts.terraform is None:
            self.opts.terraform = terraform.detect()

    @property
    def tf(self) -> terraform.Terraform | None:
        assert self.opts.terraform is not None
        return self.opts.terraform.terraform

    def tfdir(self) -> terraform.TfDir:
        assert self.tf is not None
        if self._tfdir is None:
            self._tfdir = terraform.TfDir(self.tf, self.root / "terraform", self.shared_inits)
        return self._tfdir

    def moto(self) -> MotoServer:
        if self._moto is None:
            self._moto = MotoServer(self.root / "moto.log")
        self._moto.ensure()
        return self._moto

    def checkov(self) -> CheckovRunner:
        if self.shared_checkov is not None:
            return self.shared_checkov
        if self._checkov is None:
            self._checkov = CheckovRunner(self.root / "checkov.log")
        return self._checkov

    def schema(self) -> dict:
        if self._schema is None:
            self._schema = schema_check.load_schema(self.profile)
        return self._schema

    def sdk_env(self, region: str) -> dict[str, str]:
        """Where the response's own AWS SDK calls at synth time go: this slot's emulator, with a
        ``default`` profile of mock credentials (some stacks open ``boto3.Session(profile_name=
        "default")`` to look things up or create their state bucket while synthesizing, as the
        reference pipeline let them against real AWS). Whatever an earlier variant's code wrote
        there is reset first. {} when the emulator cannot start (the calls then fail offline)."""
        try:
            moto = self.moto()
            moto.reset_if_dirty()
        except (EmulatorError, OSError):
            return {}
        aws = self.root / "aws"
        if not (aws / "credentials").is_file():
            aws.mkdir(parents=True, exist_ok=True)
            (aws / "config").write_text("[default]\noutput = json\n", encoding="utf-8")
            (aws / "credentials").write_text("[default]\naws_access_key_id = testing\n"
                                             "aws_secret_access_key = testing\n", encoding="utf-8")
        return {"AWS_ENDPOINT_URL": moto.url, "AWS_CONFIG_FILE": str(aws / "config"),
                "AWS_SHARED_CREDENTIALS_FILE": str(aws / "credentials")}

    def sdk_used(self) -> None:
        """The response's code loaded the AWS SDK: it may have written to the emulator."""
        if self._moto is not None:
            self._moto.dirty = True

    def provider(self) -> terraform.ProviderServer:
        assert self.tf is not None
        if self._provider is None:
            self._provider = terraform.ProviderServer(self.tf, self.root / "provider.log")
        return self._provider

    def reattach_env(self, config: dict, env: dict[str, str]) -> dict[str, str]:
        """``TF_REATTACH_PROVIDERS`` for one stack's validate/plan/show, or {} (terraform starts its own)."""
        if not (self.opts.reattach and terraform.reattachable(config)):
            return {}
        try:
            return self.provider().env_for(_tf_env(None, env, self.moto()))
        except (EmulatorError, OSError):
            return {}

    def close(self) -> None:
        if self._provider is not None:
            self._provider.stop()
        if self._moto is not None:
            self._moto.stop()
        if self._checkov is not None:
            self._checkov.close()

    def forget(self) -> None:
        """Benchmark baseline (``--cold``): the next variant starts every helper afresh, as a
        pipeline that runs ``terraform init``, a new emulator and the checkov CLI per pull
        request would."""
        self.close()
        self._tfdir = None


def _construct(config: dict, address: str | None) -> str | None:
    if not address:
        return None
    parts = address.split(".")
    section, parts = ("data", parts[1:]) if parts[0] == "data" else ("resource", parts)
    if len(parts) < 2:
        return None
    body = ((config.get(section) or {}).get(parts[0]) or {}).get(parts[1].split("[")[0]) or {}
    return ((body.get("//") or {}).get("metadata") or {}).get("path")


def _diag_signal(diag: dict, config: dict, stage_tool: str, schema: dict | None) -> dict:
    """A Terraform diagnostic as a signal; provider-version differences and infra errors named."""
    snippet = diag.get("snippet") or {}
    context = snippet.get("context") or diag.get("address") or ""
    address = context.removeprefix("resource.") if context.startswith(("resource.", "data.")) else context or None
    detail = str(diag.get("detail") or "")
    named = re.search(r'"([\w.]+)"', detail)
    sig = {"kind": "terraform-diagnostic", "tool": stage_tool, "severity": diag.get("severity", "error"),
           "summary": diag.get("summary", ""), "detail": detail, "address": address,
           "attribute": named.group(1) if named else None, "construct": _construct(config, address),
           "line": (diag.get("range") or {}).get("start", {}).get("line")}
    sig["message"] = f"{address + ': ' if address else ''}{sig['summary']}: {detail}".strip().rstrip(":")
    if sig["severity"] == "error":
        reason = infra_reason(f"{sig['summary']} {detail}")
        if reason:
            return {**sig, "kind": "infra", "reason": reason}
        if schema is not None and sig["summary"] in PROVIDER_VERSION_SUMMARIES and _newer_provider_knows(
                sig, snippet, schema):
            return {**sig, "kind": "provider-version",
                    "message": sig["message"] + f" (the pinned provider package, AWS {schema['provider_version']}, "
                                                "defines it)"}
    return sig


def _signals(diags: list[dict], config: dict, schema: dict | None) -> list[dict]:
    """Terraform's diagnostics as signals, in a fixed order: terraform walks the graph in parallel,
    so the same stack's diagnostics come out in a different order from run to run."""
    sigs = [_diag_signal(d, config, "terraform", schema) for d in diags]
    return sorted(sigs, key=lambda s: (s.get("line") or 0, s.get("address") or "", s.get("summary") or "",
                                       s.get("message") or ""))


def _newer_provider_knows(sig: dict, snippet: dict, schema: dict) -> bool:
    name = sig.get("attribute")
    if sig["summary"] == "Invalid resource type":
        m = re.search(r'type "(aws_\w+)"', sig["detail"])
        return bool(m and (m.group(1) in schema["resource"] or m.group(1) in schema["data"]))
    if not name:
        return False
    if sig["summary"] == "Unsupported attribute":
        ref = re.search(r"(data\.)?(aws_\w+)\.[\w-]+\." + re.escape(name) + r"\b", snippet.get("code") or "")
        return bool(ref and schema_check.knows_attribute(schema, "data" if ref.group(1) else "resource",
                                                         ref.group(2), name))
    address = sig.get("address") or ""
    parts = address.split(".")
    section, rtype = ("data", parts[1]) if parts[0] == "data" and len(parts) > 1 else ("resource", parts[0])
    return schema_check.knows_argument(schema, section, rtype, name.split(".")[-1])


def _status(signals: list[dict]) -> str:
    if any(s["kind"] == "terraform-diagnostic" and s.get("severity") == "error" for s in signals):
        return "fail"
    if any(s["kind"] == "infra" for s in signals):
        return "infra-error"
    return "pass"


def _log(log_dir: Path, stage: str, text: str) -> None:
    with (log_dir / f"{stage}.log").open("a", encoding="utf-8") as fh:
        fh.write(text.rstrip() + "\n")


def _call_log(c: terraform.Call) -> str:
    return (f"$ terraform {' '.join(c.args)}  (exit {c.returncode}, {c.duration_s} s"
            f"{', timed out' if c.timed_out else ''})\n{c.stdout[-20000:]}\n{c.stderr[-20000:]}")


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


PLAN_ARGS = ["plan", "-json", "-input=false", "-no-color", "-lock=false", "-out=tfplan"]
SHOW_ARGS = ["show", "-json", "-no-color", "tfplan"]
EMULATOR_OVERRIDE = "tapgrade_emulator_override.tf.json"
PLAN_TRACE = ".tapgrade-plan-core.log"


def _write_emulated(work: Path, config: dict) -> None:
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


def _timed_out(action: str, timeout_s: float) -> dict:
    """A terraform call that ran out of time: the harness's limit, not a verdict on the stack."""
    return {"kind": "infra", "reason": "terraform timed out", "message": f"{action}: {timeout_s:.0f} s"}


def _tf_env(data: Path | None, env: dict[str, str], emulator: MotoServer | None) -> dict[str, str]:
    extra = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
             "AWS_DEFAULT_REGION": env.get("AWS_REGION", "us-east-1"), "AWS_EC2_METADATA_DISABLED": "true"}
    if emulator is not None:
        extra["AWS_ENDPOINT_URL"] = emulator.url
    return terraform.base_env(data, extra)


def _run_terraform(tools: PlanTools, run: StackRun, env: dict[str, str], log_dir: Path) -> None:
    """validate, then plan (+ show -json), then apply/destroy when asked, on one stack.

    With ``plan_first`` the plan runs first and validate's diagnostics are read off it where the
    plan shows them exactly (``_validate_read_off``): one terraform command instead of two for most
    stacks. Otherwise ``terraform validate`` runs and decides as in the validate-then-plan order
    (the --cold baseline's), and the early plan is kept only if validate passes; the findings are
    the same either way."""
    tf, tfdir, t = tools.tf, tools.tfdir(), tools.opts.timeout_s
    assert tf is not None
    schema = tools.schema()
    relaxed, run.relaxed, missing = terraform.relax(run.config, tf)
    if missing:
        reason = f"the provider mirror holds no {', '.join(missing)}"
        run.validate = [{"kind": "infra", "reason": "mirror: provider not held", "message": reason}]
        run.validate_state, run.plan_reason, run.deploy_reason = "infra-error", reason, reason
        return
    work = tfdir.stage(relaxed, run.stack_dir)
    data, failed = tfdir.init(relaxed, t)
    if data is None:
        assert failed is not None
        _log(log_dir, "validate", _call_log(failed))
        reason = infra_reason(failed.stderr) or "terraform init failed"
        run.validate = [{"kind": "infra", "reason": reason, "message": failed.stderr.strip()[-500:]}]
        run.validate_state, run.plan_reason, run.deploy_reason = "infra-error", reason, reason
        return
    reattach = tools.reattach_env(relaxed, env)
    early: terraform.Call | None = None  # a plan made before validate, kept if validate agrees
    read_off: list[dict] | None = None  # validate's diagnostics as the early plan showed them
    if tools.opts.plan_first and _plan_covers_validate(relaxed):
        try:
            early, trace = _plan_call(tools, run, relaxed, work, {**_tf_env(data, env, tools.moto()), **reattach},
                                      log_dir, trace=True)
            read_off = _validate_read_off(early, trace)
        except (EmulatorError, OSError):
            early = None  # the emulator's trouble is reported by the plan step below
    if read_off is not None:
        _log(log_dir, "validate", "terraform validate not run: its diagnostics read off the plan, which validates "
                                  f"first ({len(read_off)} diagnostics)\n")
        run.validate = _signals(read_off, run.config, schema)
        run.validate_state, run.validate_read_off = _status(run.validate), True
    else:
        (work / EMULATOR_OVERRIDE).unlink(missing_ok=True)  # validate judges the stack as written
        _validate(tf, run, work, {**_tf_env(data, env, None), **reattach}, schema, t, log_dir)
    if run.validate_state != "pass":
        if early is not None:
            _log(log_dir, "plan", "the plan above is set aside: validate failed\n")
        run.plan_reason = f"validate {run.validate_state}"
        run.deploy_reason = run.plan_reason
        return
    if any(s["kind"] == "provider-version" for s in run.validate):
        run.plan_reason = run.deploy_reason = "the mirror's provider lacks arguments the stack uses (provider-version)"
        return
    try:
        moto = tools.moto()
        tf_env = {**_tf_env(data, env, moto), **reattach}
        c = early if early is not None else _plan_call(tools, run, relaxed, work, tf_env, log_dir)[0]
    except (EmulatorError, OSError) as exc:
        run.plan = [{"kind": "infra", "reason": "emulator: unreachable", "message": str(exc)}]
        run.plan_state = "infra-error"
        run.deploy_reason = "emulator unavailable"
        return
    if c.timed_out:
        run.plan = [_timed_out("plan", t)]
    else:
        run.plan = _signals(terraform.diagnostics_from_lines(c.stdout), run.config, schema)
        if c.returncode != 0 and not any(s.get("severity") == "error" or s["kind"] == "infra" for s in run.plan):
            run.plan.append({"kind": "terraform-diagnostic", "severity": "error", "summary": "terraform plan failed",
                             "detail": c.stderr.strip()[-500:], "message": c.stderr.strip()[-500:]})
    run.plan_state = _status(run.plan)
    if run.plan_state == "pass":
        show = terraform.call(tf, SHOW_ARGS, work, tf_env, t)
        run.spent("plan", show)
        if show.returncode == 0:
            run.plan_json = json.loads(show.stdout)
        else:
            _log(log_dir, "plan", _call_log(show))
    if not tools.opts.deploy:
        run.deploy_reason = "deploy not requested (--deploy)"
        return
    if run.plan_state != "pass":
        run.deploy_reason = f"plan {run.plan_state}"
        return
    if _has_provisioners(run.config):
        run.deploy_reason = "refused: provisioners would run commands on the grading host"
        return
    _write_emulated(work, relaxed)  # apply reads the configuration (validate may have removed it)
    moto.reset()
    moto.dirty = True  # apply creates; the next plan starts from a reset emulator
    tf_env = _tf_env(data, env, moto)  # apply/destroy: terraform's own provider processes
    for action in ("apply", "destroy"):
        c = terraform.call(tf, [action, "-json", "-input=false", "-no-color", "-lock=false", "-auto-approve"],
                           work, tf_env, t)
        run.spent("deploy", c)
        _log(log_dir, "deploy", _call_log(c))
        if c.timed_out:
            run.deploy.append(_timed_out(action, t))
        else:
            sigs = _signals(terraform.diagnostics_from_lines(c.stdout), run.config, schema)
            for s in sigs:
                s["action"] = action
                s["message"] = f"{action}: {s['message']}"
            run.deploy += sigs
        if _status(run.deploy) != "pass":
            break
    run.deploy_state = _status(run.deploy)


def _validate(tf: terraform.Terraform, run: StackRun, work: Path, env: dict[str, str], schema: dict,
              timeout_s: float, log_dir: Path) -> None:
    c = terraform.call(tf, ["validate", "-json", "-no-color"], work, env, timeout_s)
    run.spent("validate", c)
    _log(log_dir, "validate", _call_log(c))
    if c.timed_out:
        run.validate = [_timed_out("validate", timeout_s)]
    else:
        try:
            diags = json.loads(c.stdout).get("diagnostics", [])
        except json.JSONDecodeError:
            diags = [{"severity": "error", "summary": "terraform validate gave no JSON", "detail": c.stderr[-500:]}]
        run.validate = _signals(diags, run.config, schema)
    run.validate_state = _status(run.validate)


def _plan_call(tools: PlanTools, run: StackRun, relaxed: dict, work: Path, tf_env: dict[str, str],
               log_dir: Path, trace: bool = False) -> tuple[terraform.Call, str]:
    """``terraform plan`` of the stack against the emulator (reset first if an apply dirtied it),
    and, with ``trace``, terraform core's log of the run (what ``_validate_read_off`` reads)."""
    assert tools.tf is not None
    tools.moto().reset_if_dirty()
    _write_emulated(work, relaxed)
    log = work / PLAN_TRACE
    log.unlink(missing_ok=True)
    env = {**tf_env, "TF_LOG_CORE": "TRACE", "TF_LOG_PATH": str(log)} if trace else tf_env
    c = terraform.call(tools.tf, PLAN_ARGS, work, env, tools.opts.timeout_s)
    run.spent("plan", c)
    _log(log_dir, "plan", _call_log(c))
    text = log.read_text(encoding="utf-8", errors="replace") if trace and log.is_file() else ""
    log.unlink(missing_ok=True)
    return c, text


VALIDATING = "backend/local: running validation operation"
PLANNING = "backend/local: plan calling Plan"
PLANNED = "backend/local: plan operation completed"


def _validate_read_off(c: terraform.Call, trace: str) -> list[dict] | None:
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


def _plan_covers_validate(relaxed: dict) -> bool:
    """Whether a plan can speak for validate: the plan's configuration differs from the stack only in
    the emulator's provider settings, so a stack that sets one of them otherwise must be validated
    as written (the override could hide its mistake)."""
    return all(block.get(key, value) == value for block in (relaxed.get("provider") or {}).get("aws") or []
               if isinstance(block, dict) for key, value in EMULATED.items())


def _has_provisioners(config: dict) -> bool:
    return any("provisioner" in body for instances in (config.get("resource") or {}).values()
               for body in (instances or {}).values())


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
    _log(log_dir, "checkov", json.dumps(answer, indent=1))
    starts = _resource_lines(text)
    out = []
    for f in answer["failed"]:
        line = (f.get("lines") or [0])[0]
        address = next((a for start, a in reversed(starts) if start <= line), f.get("resource"))
        out.append({"kind": "checkov", "check_id": f["check_id"], "check_name": f["check_name"], "address": address,
                    "construct": _construct(run.config, address), "message": f"{f['check_id']} {address}: {f['check_name']}"})
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


def post_synth_outcomes(prep: Prepared, outcomes: list[StageOutcome], tools: PlanTools | None,
                        env: dict[str, str], artifact_dir: Path | None = None) -> list[StageOutcome]:
    """Outcomes of validate, plan, rules, checkov (and deploy when asked) for a variant."""
    stages = ["validate", "plan", "rules", "checkov"] + (["deploy"] if tools and tools.opts.deploy else [])
    synths = sorted((o for o in outcomes if o.stage == "synth" and o.status == "pass"), key=lambda o: o.round)
    if not synths:
        return [StageOutcome(s, "skipped", "nothing synthesized") for s in stages]
    synth = synths[0] if synths[0].round == 0 else synths[-1]
    rnd = synth.round
    log_dir = prep.log_dir
    root = prep.workspace.root
    runs, unreadable = [], []
    for rel in synth.data.get("outputs", []):
        path = root / rel
        config, problem = _read_stack(path)
        if problem is not None:
            unreadable.append({"kind": "invalid-output", "stack": path.parent.name, "message": problem})
        else:
            runs.append(StackRun(path.parent.name, config, path.parent))
    if unreadable:  # nothing after synth can judge a stack it cannot read
        first = StageOutcome("validate", "fail", unreadable[0]["message"], 0.0, unreadable, {}, rnd)
        rest = [StageOutcome(s, "skipped", "the synthesized stack cannot be read", 0.0, [], {}, rnd) for s in stages[1:]]
        done = [first, *rest]
        return ([StageOutcome(o.stage, "skipped", "nothing synthesized as written") for o in done] + done) if rnd else done
    passed = passed_values(prep.workspace.entry.source, env)  # what the contract rules judge against
    out: list = []
    timing: dict[str, float] = {}

    def timed(stage: str, fn):
        t0 = time.monotonic()
        value = fn()
        timing[stage] = timing.get(stage, 0.0) + time.monotonic() - t0
        return value

    tf_ok = tools is not None and tools.tf is not None
    det_reason = tools.opts.terraform.reason if tools is not None and tools.opts.terraform else "no plan tools"
    for run in runs:
        if tf_ok and tools is not None:
            _run_terraform(tools, run, env, log_dir)
        elif tools is not None:
            sigs = timed("validate", lambda run=run: schema_check.check(run.config, tools.schema()))
            run.validate, run.validate_state = sigs, _status(sigs)
    # validate / plan / deploy outcomes (terraform time split as measured per call is in the logs)
    names = [r.name for r in runs]
    tf_data: dict[str, Any] = {"stacks": names}
    if tf_ok:
        tf_data.update({"tool": "terraform", "terraform": det_reason,
                        "relaxed": [r.relaxed for r in runs],
                        "read_off_plan": [r.name for r in runs if r.validate_read_off]})
    else:
        tf_data.update({"tool": "jsii-schema", "terraform": det_reason,
                        "schema": f"AWS provider {tools.schema()['provider_version']} (jsii assembly)" if tools else None})
    v_sigs = [dict(s, stack=r.name) for r in runs for s in r.validate]
    v_state = _worst([r.validate_state for r in runs])
    v_reason = None if tf_ok else f"jsii schema fallback ({det_reason})"
    pv = sum(s["kind"] == "provider-version" for s in v_sigs)
    if pv and v_state == "pass":
        v_reason = f"{pv} provider-version difference(s) between the mirror and the pinned provider package"
    if v_state == "infra-error":  # name the environment's gap (a provider the mirror lacks, a timeout)
        v_reason = next((f"{s['reason']}: {s.get('message', '')}" for s in v_sigs if s.get("kind") == "infra"), v_reason)
    out.append(StageOutcome("validate", v_state, v_reason, _seconds(runs, "validate", timing), v_sigs, tf_data, rnd))
    if not tf_ok:
        out.append(StageOutcome("plan", "skipped", f"skipped: {det_reason}", 0.0, [], {}, rnd))
    else:
        p_state = _worst([r.plan_state for r in runs])
        p_reason = (next((r.plan_reason for r in runs if r.plan_reason), None) if p_state == "skipped" else
                    next((f"{sig['reason']}: {sig.get('message', '')}" for r in runs for sig in r.plan
                          if sig.get("kind") == "infra"), None) if p_state == "infra-error" else None)
        plans = []
        if artifact_dir is not None:
            for r in runs:
                if r.plan_json is not None:
                    dest = artifact_dir / r.name / "plan.json"
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_text(portable(json.dumps(r.plan_json, indent=1), root), encoding="utf-8")
                    plans.append(str(dest))
        out.append(StageOutcome("plan", p_state, p_reason, _seconds(runs, "plan", timing),
                                [dict(s, stack=r.name) for r in runs for s in r.plan], {"plans": plans}, rnd))
    # rules: Python config rules on the config, Rego policies on the plan JSON
    t0 = time.monotonic()
    r_sigs: list[dict] = []
    rego_ran = []
    for r in runs:
        ctx = Context(r.stack_dir, passed)
        r_sigs += [dict(s, stack=r.name) for s in check_config(r.config, ctx)]
        if r.plan_json is not None:
            r_sigs += [dict(s, stack=r.name, construct=_construct(r.config, s.get("address")))
                       for s in evaluate_rego(r.plan_json)]
            rego_ran.append(r.name)
    out.append(StageOutcome("rules", "fail" if r_sigs else "pass", None, round(time.monotonic() - t0, 4), r_sigs,
                            {"on_round": rnd, "rego_on": rego_ran or "no plan JSON: Rego policies not evaluated",
                             "entry_passes": passed}, rnd))
    # checkov
    if tools is None or not tools.opts.checkov:
        out.append(StageOutcome("checkov", "skipped", "checkov not requested", 0.0, [], {}, rnd))
    else:
        t0 = time.monotonic()
        states, c_sigs, reasons = [], [], []
        for r in runs:
            state, sigs, reason = _checkov(tools, r, log_dir)
            states.append(state)
            c_sigs += [dict(s, stack=r.name) for s in sigs]
            reasons += [reason] if reason else []
        out.append(StageOutcome("checkov", _worst(states), "; ".join(reasons) or None,
                                round(time.monotonic() - t0, 4), c_sigs, {}, rnd))
    if "deploy" in stages:
        d_state = "skipped" if not tf_ok else _worst([r.deploy_state for r in runs])
        d_reason = (f"skipped: {det_reason}" if not tf_ok else
                    next((r.deploy_reason for r in runs if r.deploy_reason), None) if d_state == "skipped" else None)
        out.append(StageOutcome("deploy", d_state, d_reason, _seconds(runs, "deploy", timing),
                                [dict(s, stack=r.name) for r in runs for s in r.deploy], {}, rnd))
    for o in out:  # the same text whichever slot (directory) ran it
        for s in o.signals:
            for key in ("message", "detail"):
                if isinstance(s.get(key), str):
                    s[key] = portable(s[key], root)
    if rnd:
        out = [StageOutcome(o.stage, "skipped", "nothing synthesized as written") for o in out] + out
    return out


MAX_RESOURCES = 10_000  # a stack beyond this is not planned: terraform would take many minutes on it


def _read_stack(path: Path) -> tuple[dict, str | None]:
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


def _seconds(runs: list[StackRun], stage: str, timing: dict[str, float]) -> float:
    return round(sum(r.seconds.get(stage, 0.0) for r in runs) + timing.get(stage, 0.0), 4)


def _worst(states: list[str]) -> str:
    for s in ("fail", "infra-error", "skipped", "pass"):
        if s in states:
            return s
    return "skipped"
