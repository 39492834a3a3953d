"""The deploy-rules stage's checks on hand-made stacks: each rule fires on the defect it names and
stays quiet on the correct form (the corpus references, every one deployed, are judged in
tests/test_reference_stage.py), and the generated constraints are what botocore's models give."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from graders.api_rules import botocore_version, check_api, constraints, coverage
from graders.catalogue import rule_by_id
from graders.deploy_rules import CHECKS, check_deploy
from graders.tf_config import resolved_by_plan

ROOT = Path(__file__).resolve().parent.parent


def stack(resources: dict, providers: list[dict] | None = None) -> dict:
    return {"provider": {"aws": providers or [{"region": "us-east-1"}]}, "resource": resources}


def rules(config: dict) -> list[str]:
    return sorted(s["rule"] for s in check_deploy(config))


def test_generated_constraints_are_what_the_installed_botocore_gives() -> None:
    import botocore

    if botocore.__version__ != botocore_version():
        pytest.skip(f"the constraints were generated from botocore {botocore_version()}, "
                    f"this venv has {botocore.__version__}: regeneration would differ by design")
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_api_constraints.py"), "--check"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_constraints_come_from_the_service_models_and_the_documented_limits() -> None:
    table = constraints()
    assert table["aws_lambda_function"]["memory_size"]["api"] == "lambda CreateFunction MemorySize"
    assert (table["aws_lambda_function"]["memory_size"]["min"], table["aws_lambda_function"]["memory_size"]["max"]) \
        == (128, 32768)
    assert "python3.12" in table["aws_lambda_function"]["runtime"]["enum"]
    assert table["aws_lb"]["name"]["max"] == 32 and table["aws_lb"]["name"]["api"].startswith("documented")
    assert table["aws_iam_role"]["name"]["max"] == 64


def test_api_values_outside_the_model_are_flagged_and_expressions_are_not_guessed() -> None:
    cfg = stack({"aws_lambda_function": {
        "ok": {"function_name": "f", "runtime": "python3.12", "memory_size": 512, "timeout": 30},
        "bad": {"function_name": "g", "runtime": "python3.99", "memory_size": 64, "timeout": "${var.t}"}},
        "aws_lb": {"long": {"name": "payments-processing-alb-pr7427-east"}},
        "aws_cloudwatch_metric_alarm": {"a": {"alarm_name": "x", "alarm_actions": ["a", "b", "c", "d", "e", "f"]}},
        "aws_iam_role": {"r": {"name": "role-${var.suffix}"}}})
    sigs = check_api(cfg)
    got = sorted((s["address"], s["attribute"], s["rule"]) for s in sigs)
    assert got == [("aws_cloudwatch_metric_alarm.a", "alarm_actions", "api-list-size"),
                   ("aws_lambda_function.bad", "memory_size", "api-range"),
                   ("aws_lambda_function.bad", "runtime", "api-enum"),
                   ("aws_lb.long", "name", "api-length")]
    long = next(s for s in sigs if s["rule"] == "api-length")
    assert "35 characters" in long["message"] and "at most 32" in long["message"]
    assert rule_by_id("aws.api-length").severity == "High"


def test_enum_case_slip_names_the_spelling_aws_uses() -> None:
    cfg = stack({"aws_lb_target_group": {"t": {"name": "tg", "protocol": "http", "port": 80}}})
    msg = next(s["message"] for s in check_api(cfg) if s["attribute"] == "protocol")
    assert "AWS spells it 'HTTP'" in msg


def test_log_retention_must_be_one_of_the_allowed_values() -> None:
    ok = stack({"aws_cloudwatch_log_group": {"g": {"name": "g", "retention_in_days": 30}}})
    bad = stack({"aws_cloudwatch_log_group": {"g": {"name": "g", "retention_in_days": 45}}})
    assert rules(ok) == [] and rules(bad) == ["api-enum"]


def test_duplicate_waf_priorities() -> None:
    acl = lambda *p: {"name": "acl", "scope": "REGIONAL", "rule": [{"name": f"r{i}", "priority": x}  # noqa: E731
                                                                   for i, x in enumerate(p)]}
    assert rules(stack({"aws_wafv2_web_acl": {"w": acl(1, 2, 3)}})) == []
    assert rules(stack({"aws_wafv2_web_acl": {"w": acl(1, 2, 1)}})) == ["duplicate-priority"]


def test_cross_region_alarm_action_and_same_region_is_fine() -> None:
    providers = [{"region": "us-east-1"}, {"alias": "west", "region": "us-west-2"}]
    topic_west = {"name": "t", "provider": "aws.west"}
    alarm = {"alarm_name": "a", "alarm_actions": ["${aws_sns_topic.t.arn}"]}
    cross = stack({"aws_sns_topic": {"t": topic_west}, "aws_cloudwatch_metric_alarm": {"a": alarm}}, providers)
    same = stack({"aws_sns_topic": {"t": topic_west},
                  "aws_cloudwatch_metric_alarm": {"a": {**alarm, "provider": "aws.west"}}}, providers)
    assert rules(cross) == ["cross-region"] and rules(same) == []


def test_region_that_does_not_exist() -> None:
    assert rules(stack({}, [{"region": "us-east-7"}])) == ["region"]
    assert rules(stack({}, [{"region": "eu-central-2"}])) == []


def test_lambda_reserved_environment_variable() -> None:
    fn = lambda env: {"aws_lambda_function": {"f": {"function_name": "f", "environment": {"variables": env}}}}  # noqa: E731
    assert rules(stack(fn({"AWS_REGION": "us-east-1", "TABLE": "t"}))) == ["lambda-reserved-env"]
    assert rules(stack(fn({"REGION": "us-east-1"}))) == []


def test_https_listener_needs_a_certificate() -> None:
    lst = lambda **kw: stack({"aws_lb_listener": {"l": {"port": 443, "protocol": "HTTPS", **kw}}})  # noqa: E731
    assert rules(lst()) == ["listener-certificate"]
    assert rules(lst(certificate_arn="${aws_acm_certificate.c.arn}")) == []


def test_log_group_key_must_let_cloudwatch_logs_use_it() -> None:
    group = {"aws_cloudwatch_log_group": {"g": {"name": "g", "kms_key_id": "${aws_kms_key.k.arn}"}}}
    no_policy = stack({**group, "aws_kms_key": {"k": {"description": "k"}}})
    logs_policy = '{"Statement": [{"Principal": {"Service": "logs.us-east-1.amazonaws.com"}, "Action": "kms:*"}]}'
    with_logs = stack({**group, "aws_kms_key": {"k": {"policy": logs_policy}}})
    assert rules(no_policy) == ["kms-logs-policy"] and rules(with_logs) == []


def test_key_id_where_an_arn_is_required() -> None:
    mk = lambda attr: stack({"aws_kms_key": {"k": {"policy": "logs.amazonaws.com"}},  # noqa: E731
                             "aws_cloudwatch_log_group": {"g": {"name": "g", "kms_key_id": f"${{aws_kms_key.k.{attr}}}"}}})
    assert rules(mk("key_id")) == ["key-id-for-arn"] and rules(mk("id")) == ["key-id-for-arn"]
    assert rules(mk("arn")) == []


def test_api_deployment_must_follow_its_methods() -> None:
    base = {"aws_api_gateway_rest_api": {"api": {"name": "api"}},
            "aws_api_gateway_method": {"m": {"rest_api_id": "${aws_api_gateway_rest_api.api.id}", "http_method": "GET"}},
            "aws_api_gateway_integration": {"i": {"rest_api_id": "${aws_api_gateway_rest_api.api.id}", "type": "AWS_PROXY"}}}
    dep = {"rest_api_id": "${aws_api_gateway_rest_api.api.id}"}
    assert rules(stack({**base, "aws_api_gateway_deployment": {"d": dep}})) == ["api-deployment-order"]
    ordered = {**dep, "depends_on": ["aws_api_gateway_integration.i"]}
    assert rules(stack({**base, "aws_api_gateway_deployment": {"d": ordered}})) == []
    on_method = {**dep, "depends_on": ["aws_api_gateway_method.m"]}  # a race a deployed reference (Pr7785) runs
    assert rules(stack({**base, "aws_api_gateway_deployment": {"d": on_method}})) == []


def test_bucket_notification_needs_the_lambda_permission_first() -> None:
    fn = {"aws_lambda_function": {"f": {"function_name": "f"}}}
    note = {"bucket": "${aws_s3_bucket.b.id}",
            "lambda_function": [{"lambda_function_arn": "${aws_lambda_function.f.arn}", "events": ["s3:ObjectCreated:*"]}]}
    perm = {"aws_lambda_permission": {"p": {"function_name": "${aws_lambda_function.f.function_name}",
                                            "principal": "s3.amazonaws.com", "action": "lambda:InvokeFunction"}}}
    assert rules(stack({**fn, "aws_s3_bucket_notification": {"n": note}})) == ["notification-permission"]
    assert rules(stack({**fn, **perm, "aws_s3_bucket_notification": {"n": note}})) == ["notification-permission"]
    ordered = {**note, "depends_on": ["aws_lambda_permission.p"]}
    assert rules(stack({**fn, **perm, "aws_s3_bucket_notification": {"n": ordered}})) == []


def test_pull_through_cache_for_docker_hub_needs_credentials() -> None:
    rule = lambda **kw: stack({"aws_ecr_pull_through_cache_rule": {"r": {"ecr_repository_prefix": "hub", **kw}}})  # noqa: E731
    assert rules(rule(upstream_registry_url="registry-1.docker.io")) == ["pull-through-credentials"]
    assert rules(rule(upstream_registry_url="registry-1.docker.io", credential_arn="${aws_secretsmanager_secret.s.arn}")) == []
    assert rules(rule(upstream_registry_url="public.ecr.aws")) == []


def test_fargate_task_sizes() -> None:
    td = lambda cpu, mem: stack({"aws_ecs_task_definition": {"t": {  # noqa: E731
        "family": "t", "requires_compatibilities": ["FARGATE"], "cpu": cpu, "memory": mem}}})
    assert rules(td("256", "512")) == [] and rules(td("1024", "4096")) == []
    assert rules(td("256", "4096")) == ["fargate-size"]


def test_every_check_has_a_catalogue_rule() -> None:
    names = {"check_api": ["api-enum", "api-length", "api-pattern", "api-range", "api-list-size"]}
    for check in CHECKS:
        for name in names.get(check.__name__, []):
            assert rule_by_id(f"aws.{name}").stage == "deploy-rules"


def test_coverage_counts_checked_literal_values() -> None:
    cfg = stack({"aws_lambda_function": {"f": {"function_name": "f", "runtime": "python3.12", "role": "${x.y.arn}",
                                               "publish": True}}})
    assert coverage(cfg) == {"values": 4, "constrained": 2, "literal": 2, "checked": 2}
    # the role's expression and the bool count as values; only the literal function_name and runtime are judged


def test_database_and_cache_classes_must_be_instance_types() -> None:
    db = lambda cls: stack({"aws_db_instance": {"d": {"identifier": "d", "instance_class": cls}}})  # noqa: E731
    assert rules(db("db.r6g.large")) == [] and rules(db("db.serverless")) == []
    assert rules(db("db.t3.mega")) == ["api-enum"] and rules(db("r6g.large")) == ["api-enum"]
    cache = stack({"aws_elasticache_replication_group": {"r": {"node_type": "cache.t3.micro"}}})
    assert rules(cache) == []


def test_zones_and_endpoint_services_of_another_region() -> None:
    subnet = lambda az: stack({"aws_subnet": {"s": {"cidr_block": "10.0.1.0/24", "availability_zone": az}}})  # noqa: E731
    assert rules(subnet("us-east-1a")) == [] and rules(subnet("us-west-2a")) == ["cross-region"]
    ep = lambda svc: stack({"aws_vpc_endpoint": {"e": {"service_name": svc}}})  # noqa: E731
    assert rules(ep("com.amazonaws.us-east-1.s3")) == [] and rules(ep("com.amazonaws.eu-west-1.s3")) == ["cross-region"]


def test_cidr_blocks_outside_the_allowed_netmasks() -> None:
    vpc = lambda cidr: stack({"aws_vpc": {"v": {"cidr_block": cidr}}})  # noqa: E731
    assert rules(vpc("10.0.0.0/16")) == [] and rules(vpc("10.0.0.0/8")) == ["api-pattern"]


def test_values_left_to_an_expression_are_judged_as_the_plan_resolves_them() -> None:
    config = stack({"aws_lb": {"a": {"name": "${join(\"-\", [\"payments-processing\", \"alb\", var.env])}"},
                               "b": {"name": "${aws_s3_bucket.x.id}"}}})
    plan = {"resource_changes": [
        {"mode": "managed", "type": "aws_lb", "name": "a", "change": {"after": {"name": "payments-processing-alb-pr7427-dr"}}},
        {"mode": "managed", "type": "aws_lb", "name": "b", "change": {"after": {"name": None}, "after_unknown": {"name": True}}}]}
    resolved = resolved_by_plan(config, plan)
    assert resolved == {"resource": {"aws_lb": {"a": {"name": "payments-processing-alb-pr7427-dr"}}}}
    assert [s["rule"] for s in check_api(resolved)] == ["api-length"]
