"""The stages after synth, for real: terraform validate/plan against the mirror and moto server,
the jsii schema fallback, checkov, Rego, and the opt-in deploy.

Terraform tests need a terraform binary and an AWS provider mirror (this machine has both; CI
runs here). Where they are absent those tests are skipped with the detection's reason, and the
fallback test still runs: it hides terraform on purpose.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import boto3
import pytest

from graders.catalogue import rule_by_id
from graders.classify import classify
from graders.infra_signatures import infra_reason
from graders.plan_policies import evaluate
from harness import schema_check, terraform
from harness.checkov_runner import CheckovRunner
from harness.options import PlanOptions
from harness.plan import PlanTools, StackRun, run_terraform
from harness.plan.checks import _resource_lines
from harness.plan.emulator import MotoServer
from harness.toolchain import DEFAULT_PROFILE

from .conftest import TASKS, run_cli, stack_md, write_task

DETECTED = terraform.detect()
needs_terraform = pytest.mark.skipif(DETECTED.terraform is None, reason=f"terraform: {DETECTED.reason}")

# A stack with defects only Terraform sees: an argument the resource does not have (set through the
# escape hatch, so it synthesizes), a required argument missing, a literal of the wrong type.
BAD_CONFIG = {
    "terraform": {"required_providers": {"aws": {"source": "aws", "version": "6.23.0"}},
                  "backend": {"s3": {"bucket": "b", "key": "k", "region": "us-east-1"}}},
    "provider": {"aws": [{"region": "us-east-1"}]},
    "resource": {
        "aws_s3_bucket": {"b": {"bucket": "b-dev", "bogus_arg": "x"}},
        "aws_sqs_queue": {"q": {"name": "q-dev", "visibility_timeout_seconds": "abc", "fifo_queue": "notbool"}},
        "aws_lambda_function": {"f": {"function_name": "f-dev"}},
    },
}
EXPECTED = {("Unsupported argument", "aws_s3_bucket.b"), ("Incorrect attribute value type", "aws_sqs_queue.q"),
            ("Missing required argument", "aws_lambda_function.f")}


def _norm(summary: str) -> str:
    return {"Extraneous JSON object property": "Unsupported argument"}.get(summary, summary)


@needs_terraform
def test_relax_pins_the_mirror_version_and_records_it() -> None:
    tf = DETECTED.terraform
    cfg, changes, missing = terraform.relax(BAD_CONFIG, tf)
    held = tf.providers["registry.terraform.io/hashicorp/aws"][-1]
    assert cfg["terraform"]["required_providers"]["aws"]["version"] == held
    assert "backend" not in cfg["terraform"] and BAD_CONFIG["terraform"]["backend"]  # the original is untouched
    assert {"change": "provider version relaxed", "provider": "registry.terraform.io/hashicorp/aws",
            "from": "6.23.0", "to": held} in changes
    with_random = json.loads(json.dumps(BAD_CONFIG))
    with_random["terraform"]["required_providers"]["random"] = {"source": "hashicorp/random", "version": "3.6.0"}
    assert terraform.relax(with_random, tf)[2] == ["registry.terraform.io/hashicorp/random"]


@needs_terraform
@pytest.mark.toolchain
def test_schema_fallback_finds_what_terraform_validate_finds(tmp_path: Path, toolchain_ready) -> None:
    tf = DETECTED.terraform
    cfg, _, _ = terraform.relax(BAD_CONFIG, tf)
    d = terraform.TfDir(tf, tmp_path)
    work = d.stage(cfg, tmp_path / "empty" if (tmp_path / "empty").mkdir() is None else tmp_path)
    data, failed = d.init(cfg, 120)
    assert failed is None
    c = terraform.call(tf, ["validate", "-json", "-no-color"], work, terraform.base_env(data), 120)
    by_terraform = {(_norm(x["summary"]), x["snippet"]["context"].removeprefix("resource."))
                    for x in json.loads(c.stdout)["diagnostics"]}
    by_schema = {(x["summary"], x["address"]) for x in schema_check.check(BAD_CONFIG, schema_check.load_schema(DEFAULT_PROFILE))}
    assert by_terraform == EXPECTED
    assert by_schema == EXPECTED
    # the same catalogue rules classify both
    fallback = schema_check.check(BAD_CONFIG, schema_check.load_schema(DEFAULT_PROFILE))
    assert {classify("validate", s)[0].id for s in fallback} == {
        "validate.unknown-argument", "validate.wrong-type", "validate.missing-argument"}


@needs_terraform
@pytest.mark.toolchain
def test_init_runs_once_per_provider_set(tmp_path: Path) -> None:
    tf = DETECTED.terraform
    cfg, _, _ = terraform.relax(BAD_CONFIG, tf)
    d = terraform.TfDir(tf, tmp_path)
    (tmp_path / "src").mkdir()
    for _ in range(3):
        d.stage(cfg, tmp_path / "src")
        data, failed = d.init(cfg, 120)
        assert failed is None and (d.work / ".terraform.lock.hcl").is_file()
    assert d.init_calls == 1


@pytest.mark.toolchain
def test_a_stack_that_needs_no_provider_plans(tmp_path: Path) -> None:
    """terraform init writes no lock file when a configuration needs no provider (corpus Pr6426's
    reference synthesizes such a stack beside its real ones): it plans like any other."""
    empty = {"terraform": {"required_providers": {}}, "output": {"x": {"value": "1"}}}
    seen = _stack_runs(tmp_path, {"empty": empty}, plan_first=True)
    assert seen["empty"][1] == "pass" and seen["empty"][3] == "pass"


def _region_stack(*regions: str) -> dict:
    """A stack whose plan reports each provider configuration's region (data sources read at plan)."""
    providers = [{"region": regions[0]}] + [{"region": r, "alias": r.replace("-", "_")} for r in regions[1:]]
    data = {"current": {}} | {r.replace("-", "_"): {"provider": f"aws.{r.replace('-', '_')}"} for r in regions[1:]}
    return {"terraform": {"required_providers": {"aws": {"source": "aws", "version": "6.23.0"}}},
            "provider": {"aws": providers}, "data": {"aws_region": data},
            "output": {name: {"value": f"${{data.aws_region.{name}.name}}"} for name in data}}


def _plan_outputs(tmp_path: Path, config: dict, reattach: bool, name: str) -> tuple[dict, list, int]:
    tools = PlanTools(tmp_path / f"tools-{reattach}", DEFAULT_PROFILE, PlanOptions(checkov=False, reattach=reattach,
                                                                                   terraform=DETECTED))
    outputs, signals = {}, []
    try:
        for i in range(2):  # two stacks in one slot: the second reuses the warm provider
            stack = tmp_path / f"{name}-{reattach}-{i}" / "stacks" / "s"
            stack.mkdir(parents=True)
            run = StackRun("s", config, stack)
            (tmp_path / "logs").mkdir(exist_ok=True)
            run_terraform(tools, run, {"AWS_REGION": "us-east-1"}, tmp_path / "logs")
            assert run.plan_state == "pass", (run.validate, run.plan)
            outputs = {k: v["value"] for k, v in run.plan_json["planned_values"]["outputs"].items()}
            signals.append((run.validate, run.plan))
        starts = tools._provider.starts if tools._provider else 0  # noqa: SLF001 - what the test is about
    finally:
        tools.close()
    return outputs, signals, starts


def _stack_runs(tmp_path: Path, configs: dict[str, dict], plan_first: bool) -> dict[str, tuple]:
    """Each config through ``run_terraform`` in one slot; what the findings are made of, per config."""
    tools = PlanTools(tmp_path / f"tools-pf{plan_first}", DEFAULT_PROFILE,
                      PlanOptions(checkov=False, plan_first=plan_first, terraform=DETECTED))
    seen = {}
    try:
        for name, config in configs.items():
            stack = tmp_path / f"pf{plan_first}-{name}" / "stacks" / "s"
            stack.mkdir(parents=True)
            logs = tmp_path / f"logs-pf{plan_first}-{name}"
            logs.mkdir()
            run = StackRun("s", config, stack)
            run_terraform(tools, run, {"AWS_REGION": "us-east-1"}, logs)
            planned = (run.plan_json or {}).get("planned_values")
            seen[name] = (run.validate, run.validate_state, run.plan, run.plan_state, run.plan_reason, planned,
                          (logs / "validate.log").read_text(encoding="utf-8"))
    finally:
        tools.close()
    return seen


@needs_terraform
@pytest.mark.toolchain
def test_plan_first_finds_what_validate_then_plan_finds(tmp_path: Path) -> None:
    """The warm path plans first and reads validate's diagnostics off the plan where it can; the
    cold path runs validate, then plan. Both must reach the same results on a clean stack, a stack
    validate rejects, stacks only the plan rejects (a variable without value stops the plan before
    its validate walk; a missing VPC fails the planning itself), a stack with a validate warning and
    a stack whose provider block sets what the emulator overrides (validate must see it as written)."""
    clean = _region_stack("us-west-2")
    plan_only = json.loads(json.dumps(clean)) | {"variable": {"need": {"type": "string"}}}
    plan_only["output"]["need"] = {"value": "${var.need}"}
    own_setting = json.loads(json.dumps(clean))
    own_setting["provider"]["aws"][0]["skip_region_validation"] = "sometimes"
    warns = json.loads(json.dumps(clean)) | {"resource": {"aws_s3_bucket": {"b": {"bucket": "b-dev", "acl": "private"}}}}
    no_vpc = json.loads(json.dumps(clean))
    no_vpc["data"]["aws_vpc"] = {"v": {"id": "vpc-0404"}}
    configs = {"clean": clean, "bad": BAD_CONFIG, "plan_only": plan_only, "own_setting": own_setting, "warns": warns,
               "no_vpc": no_vpc}
    first = _stack_runs(tmp_path, configs, plan_first=True)
    ordered = _stack_runs(tmp_path, configs, plan_first=False)
    for name in configs:
        assert first[name][:6] == ordered[name][:6], (name, first[name][0], ordered[name][0])
    assert first["clean"][3] == "pass" and first["clean"][5]["outputs"]
    assert first["bad"][1] == "fail" and first["plan_only"][1] == "pass" and first["plan_only"][3] == "fail"
    assert first["own_setting"][1] == "fail"
    assert first["warns"][1] == "pass" and {s["severity"] for s in first["warns"][0]} == {"warning"}
    # validate's diagnostics were read off the plan where it shows them exactly (nothing found, or
    # the plan stopped at the validate walk); terraform validate ran where only it can tell
    assert first["no_vpc"][1] == "pass" and first["no_vpc"][3] == "fail", first["no_vpc"]
    for name in ("clean", "bad", "no_vpc"):
        assert "terraform validate not run" in first[name][6] and "$ terraform validate" not in first[name][6], name
    for name in ("plan_only", "own_setting", "warns"):
        assert "$ terraform validate" in first[name][6], name
    assert all("$ terraform validate" in v[6] for v in ordered.values())


@needs_terraform
@pytest.mark.toolchain
def test_warm_provider_serves_single_provider_stacks_and_plans_as_terraform_does(tmp_path: Path) -> None:
    """Reattaching to one warm provider process (warm path) plans exactly as terraform's own plugin
    processes (cold path); stacks with aliased providers never share one process."""
    single = _region_stack("us-west-2")
    multi = _region_stack("us-east-1", "eu-west-1")
    assert terraform.reattachable(single) and not terraform.reattachable(multi)
    warm = _plan_outputs(tmp_path, single, True, "single")
    cold = _plan_outputs(tmp_path, single, False, "single")
    assert warm[0] == cold[0] == {"current": "us-west-2"}
    assert warm[1] == cold[1]
    assert (warm[2], cold[2]) == (1, 0)  # one provider process served validate, plan and show of both stacks
    warm_multi = _plan_outputs(tmp_path, multi, True, "multi")
    assert warm_multi[0] == {"current": "us-east-1", "eu_west_1": "eu-west-1"} and warm_multi[2] == 0


def test_infra_signatures_name_the_environment_not_the_model() -> None:
    assert infra_reason("creating X: operation error Foo: https response error StatusCode: 500, InternalError")
    assert infra_reason("Error: Failed to query available provider packages") == "mirror: provider not held"
    assert infra_reason("The ListTagsForResource action has not been implemented") == "emulator: API not implemented"
    # corpus Pr6426's reference reads a secret its pipeline's account holds; the empty emulator has none
    assert infra_reason("reading Secrets Manager Secret (rds-password-dev): couldn't find resource") == \
        "emulator: pre-existing resource not found"
    assert infra_reason("Missing required argument: The argument \"role\" is required") is None


def test_rego_example_policy_on_a_plan() -> None:
    plan = {"resource_changes": [
        {"type": "aws_lambda_function", "address": "aws_lambda_function.old",
         "change": {"actions": ["create"], "after": {"runtime": "python3.8"}}},
        {"type": "aws_lambda_function", "address": "aws_lambda_function.new",
         "change": {"actions": ["create"], "after": {"runtime": "python3.12"}}}]}
    signals = evaluate(plan)
    assert [s["address"] for s in signals] == ["aws_lambda_function.old"]
    assert classify("rules", signals[0])[0].id == "rego.lambda_runtime"
    assert evaluate({"resource_changes": []}) == []


@pytest.mark.toolchain
def test_checkov_warm_runner_and_our_severities(tmp_path: Path) -> None:
    cfg = {"resource": {"aws_s3_bucket_acl": {"public": {"bucket": "b", "acl": "public-read-write"}},
                        "aws_security_group": {"ssh": {"ingress": [{"from_port": 22, "to_port": 22, "protocol": "tcp",
                                                                    "cidr_blocks": ["0.0.0.0/0"]}]}}}}
    text = json.dumps(cfg, indent=2)
    (tmp_path / "main.tf.json").write_text(text)
    runner = CheckovRunner(tmp_path / "checkov.log")
    try:
        answer = runner.scan(tmp_path)
        again = runner.scan(tmp_path)  # the same warm process answers again
    finally:
        runner.close()
    assert answer == again
    ids = {f["check_id"] for f in answer["failed"]}
    assert "CKV_AWS_24" in ids  # SSH open to the world
    sev = {f["check_id"]: classify("checkov", {"kind": "checkov", **f, "address": "x"})[0].severity
           for f in answer["failed"]}
    assert sev["CKV_AWS_24"] == "High"
    starts = _resource_lines(text)
    assert dict(starts) == {4: "aws_s3_bucket_acl.public", 10: "aws_security_group.ssh"}
    ssh = next(f for f in answer["failed"] if f["check_id"] == "CKV_AWS_24")
    assert next(a for line, a in reversed(starts) if line <= ssh["lines"][0]) == "aws_security_group.ssh"


@pytest.mark.toolchain
def test_moto_servers_do_not_share_ports_or_state(tmp_path: Path) -> None:
    a, b = MotoServer(tmp_path / "a.log"), MotoServer(tmp_path / "b.log")
    a.start()
    b.start()
    try:
        assert a.port != b.port

        def s3(server: MotoServer):
            return boto3.client("s3", endpoint_url=server.url, region_name="us-east-1",
                                aws_access_key_id="testing", aws_secret_access_key="testing")

        s3(a).create_bucket(Bucket="only-in-a")
        assert [x["Name"] for x in s3(a).list_buckets()["Buckets"]] == ["only-in-a"]
        assert s3(b).list_buckets()["Buckets"] == []
        a.reset()
        assert s3(a).list_buckets()["Buckets"] == []
    finally:
        a.stop()
        b.stop()
    assert not a.alive and not b.alive


# --- the stages in a real run ---------------------------------------------------------------------

QUEUE = """
        from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
        q = SqsQueue(self, "q", name="jobs-" + kwargs["environment_suffix"])
"""
BAD_ARG = QUEUE + """        q.add_override("bogus_arg", "x")
"""


@pytest.fixture(scope="module")
def tf_tasks(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tftasks")
    write_task(root, "tf-arg", stack_md(BAD_ARG), stack_md(QUEUE))
    return root


@pytest.fixture(scope="module")
def tf_run(tf_tasks, tmp_path_factory, toolchain_ready) -> Path:
    if DETECTED.terraform is None:
        pytest.skip(f"terraform: {DETECTED.reason}")
    out = tmp_path_factory.mktemp("tfrun")
    site = tmp_path_factory.mktemp("site") / "static-site"
    shutil.copytree(TASKS / "static-site", site)
    proc = run_cli("run", str(tf_tasks), str(site), "--variant", "both", "--deploy", "--out", str(out),
                   "--run-id", "r", "--workers", "2", "--quiet")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out / "r"


def _frames(run_dir: Path):
    from harness.results import load_run

    return load_run(run_dir)


@needs_terraform
@pytest.mark.toolchain
def test_validate_reports_what_synth_let_through(tf_run) -> None:
    r = _frames(tf_run)
    o = r.outcomes.set_index(["task_id", "variant", "stage"])
    assert o.loc[("tf-arg", "model", "validate"), "status"] == "fail"
    assert o.loc[("tf-arg", "model", "plan"), "status"] == "skipped"
    assert o.loc[("tf-arg", "model", "plan"), "reason"] == "validate fail"
    f = r.findings[(r.findings.task_id == "tf-arg") & (r.findings.variant == "model") & (r.findings.stage == "validate")]
    assert list(f.rule_id) == ["validate.unknown-argument"]
    assert list(f.severity) == ["Critical"]
    ev = f.iloc[0].evidence
    assert ev["address"] == "aws_sqs_queue.q" and ev["construct"] == "TapStackdev/q" and ev["attribute"] == "bogus_arg"
    data = o.loc[("tf-arg", "model", "validate"), "data"]
    assert data["tool"] == "terraform"
    assert any(c["change"] == "provider version relaxed" for c in data["relaxed"][0])
    assert r.variants.set_index(["task_id", "variant"]).loc[("tf-arg", "model"), "verdict"] == "fail"


@needs_terraform
@pytest.mark.toolchain
def test_plan_runs_against_the_emulator_and_keeps_the_plan_json(tf_run) -> None:
    r = _frames(tf_run)
    o = r.outcomes.set_index(["task_id", "variant", "stage"])
    for key in (("tf-arg", "ideal"), ("static-site", "ideal")):
        assert o.loc[(*key, "validate"), "status"] == "pass"
        assert o.loc[(*key, "plan"), "status"] == "pass"
    plans = o.loc[("tf-arg", "ideal", "plan"), "data"]["plans"]
    plan = json.loads(Path(plans[0]).read_text())
    assert [(c["address"], c["change"]["actions"]) for c in plan["resource_changes"]] == [("aws_sqs_queue.q", ["create"])]
    assert plan["resource_changes"][0]["change"]["after"]["name"] == "jobs-dev"
    meta = json.loads((tf_run / "run.json").read_text())
    assert meta["terraform"]["found"] is True


@needs_terraform
@pytest.mark.toolchain
def test_deploy_applies_and_destroys_the_passing_example(tf_run) -> None:
    r = _frames(tf_run)
    o = r.outcomes.set_index(["task_id", "variant", "stage"])
    assert o.loc[("static-site", "ideal", "deploy"), "status"] == "pass"
    log = (tf_run / "logs" / "static-site" / "ideal" / "deploy.log").read_text()
    assert "$ terraform apply" in log and "$ terraform destroy" in log
    assert '"type":"apply_complete"' in log.replace(" ", "") and "Destroy complete" in log
    assert o.loc[("tf-arg", "model", "deploy"), "status"] == "skipped"


@pytest.mark.toolchain
def test_without_terraform_validate_falls_back_and_plan_says_why(tf_tasks, tmp_path, toolchain_ready) -> None:
    env_path = os.environ["PATH"]
    hidden = ":".join(p for p in env_path.split(":") if not (Path(p) / "terraform").exists())
    old = dict(os.environ)
    os.environ["PATH"] = hidden
    os.environ.pop("TAPGRADE_TERRAFORM", None)
    try:
        proc = run_cli("run", str(tf_tasks), "--variant", "both", "--out", str(tmp_path), "--run-id", "nt", "--quiet")
    finally:
        os.environ.clear()
        os.environ.update(old)
    assert proc.returncode == 0, proc.stderr
    assert "jsii schema fallback" in proc.stderr and "plan and deploy are skipped" in proc.stderr
    r = _frames(tmp_path / "nt")
    o = r.outcomes.set_index(["task_id", "variant", "stage"])
    v = o.loc[("tf-arg", "model", "validate")]
    assert v["data"]["tool"] == "jsii-schema" and v["reason"].startswith("jsii schema fallback")
    assert v["status"] == "fail"
    plan = o.loc[("tf-arg", "ideal", "plan")]
    assert plan["status"] == "skipped" and "no terraform binary" in plan["reason"]
    f = r.findings[(r.findings.variant == "model") & (r.findings.stage == "validate")]
    assert list(f.rule_id) == ["validate.unknown-argument"] and f.iloc[0].evidence["tool"] == "jsii-schema"
    assert o.loc[("tf-arg", "ideal", "validate"), "status"] == "pass"


def test_catalogue_has_a_rule_per_terraform_stage() -> None:
    for stage in ("validate", "plan", "deploy"):
        assert rule_by_id(f"{stage}.infra").severity == "Info"
        assert rule_by_id(f"{stage}.provider-version").severity == "Info"
