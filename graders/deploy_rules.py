"""Cross-resource deploy rules: what AWS refuses at create time because of how resources relate,
which no single attribute's constraint (``api_rules.py``) and no plan against the emulator shows.

Post-hoc and read-only, like the config rules: each check reads the synthesized config and returns
``{"kind": "deploy-rule", "rule": <catalogue suffix>, ...}`` signals; severities are in the
catalogue (``aws.*`` rules of ``deploy_catalogue.py``). ``CHECKS`` is the table the stage walks.
Every check must hold on every corpus reference that synthesizes (each was deployed):
``tests/test_deploy_rules.py`` runs them there.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

from .api_rules import check_api
from .tf_config import Resource, depends_on, find, is_literal, provider_regions, refs, region_of, resources, walk

REGIONS_FILE = Path(__file__).with_name("data") / "aws_regions.json"

# Environment variables Lambda reserves: a function that sets one is refused (InvalidParameterValue).
LAMBDA_RESERVED_ENV = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"})

# Arguments that must name a resource in the region of the resource that uses them.
SAME_REGION_ATTRIBUTES = ("vpc_id", "subnet_id", "subnet_ids", "security_group_ids", "vpc_security_group_ids",
                          "security_groups", "kms_key_id", "kms_key_arn", "kms_master_key_id", "alarm_actions",
                          "ok_actions", "insufficient_data_actions", "target_group_arn", "load_balancer_arn",
                          "vpc_config.subnet_ids", "vpc_config.security_group_ids", "log_group_name")
# Types whose resources live in one region (a global resource, an IAM role, may be named anywhere).
REGIONAL_TARGETS = ("aws_vpc", "aws_subnet", "aws_security_group", "aws_kms_key", "aws_sns_topic", "aws_lb",
                    "aws_lb_target_group", "aws_cloudwatch_log_group", "aws_sqs_queue")

# Arguments AWS takes only as an ARN, and the key attributes that are not one.
ARN_ONLY = {("aws_cloudwatch_log_group", "kms_key_id"), ("aws_lambda_function", "kms_key_arn")}
NOT_ARN = {"aws_kms_key": ("id", "key_id")}

# Upstream registries whose pull-through cache rule needs a Secrets Manager credential.
AUTHENTICATED_REGISTRIES = ("registry-1.docker.io", "docker.io", "ghcr.io", "registry.gitlab.com", ".azurecr.io")

# Fargate task sizes: cpu units -> allowed memory (MiB).
FARGATE_MEMORY = {256: {512, 1024, 2048}, 512: set(range(1024, 4097, 1024)), 1024: set(range(2048, 8193, 1024)),
                  2048: set(range(4096, 16385, 1024)), 4096: set(range(8192, 30721, 1024)),
                  8192: set(range(16384, 61441, 4096)), 16384: set(range(32768, 122881, 8192))}


def _signal(rule: str, res: Resource, message: str, **extra) -> dict:
    return {"kind": "deploy-rule", "rule": rule, "address": res.address, "construct": res.construct,
            "message": f"{res.address}: {message}", **extra}


@cache
def known_regions() -> frozenset[str]:
    """Every region of every partition botocore's endpoint data names (generated beside the constraints)."""
    return frozenset(json.loads(REGIONS_FILE.read_text(encoding="utf-8"))["regions"])


def duplicate_priority(config: dict) -> list[dict]:
    """Two rules of one web ACL (or one listener) with the same priority: AWS refuses the second."""
    out = []
    for rtype in ("aws_wafv2_web_acl", "aws_wafv2_rule_group"):
        for res in resources(config, rtype):
            prios = [p for p in walk(res.body, "rule.priority") if is_literal(p)]
            out += [_signal("duplicate-priority", res, f"two or more rules share priority {p}")
                    for p, n in Counter(map(str, prios)).items() if n > 1]
    by_listener: dict[str, list[Resource]] = {}
    for res in resources(config, "aws_lb_listener_rule"):
        if is_literal(res.body.get("priority")) and isinstance(res.body.get("listener_arn"), str):
            by_listener.setdefault(f"{res.body['listener_arn']}#{res.body['priority']}", []).append(res)
    out += [_signal("duplicate-priority", group[1], f"listener rule priority {group[1].body['priority']} is also "
                    f"{group[0].address}'s on the same listener") for group in by_listener.values() if len(group) > 1]
    return out


def _regional(config: dict) -> Iterator[tuple[Resource, str, dict[str, str | None]]]:
    """Each resource whose region the config states literally, with it (and every provider's)."""
    regions = provider_regions(config)
    for res in resources(config):
        mine = region_of(res, regions)
        if mine is not None:
            yield res, mine, regions


def cross_region_reference(config: dict) -> list[dict]:
    """A resource that names a VPC, key, topic, subnet... created in another region."""
    out = []
    for res, mine, regions in _regional(config):
        for attr in SAME_REGION_ATTRIBUTES:
            for rtype, name, _ in refs(walk(res.body, attr)):
                target = find(config, f"{rtype}.{name}")
                theirs = region_of(target, regions) if target and rtype in REGIONAL_TARGETS else None
                if theirs is not None and theirs != mine:
                    out.append(_signal("cross-region", res, f"{attr} names {rtype}.{name} in {theirs}, but the "
                                       f"resource is created in {mine}", attribute=attr))
    return out


def invalid_region(config: dict) -> list[dict]:
    """A provider whose literal region AWS does not have."""
    return [{"kind": "deploy-rule", "rule": "region", "address": f"provider.{key}", "construct": None,
             "message": f"provider {key}: region {region!r} does not exist"}
            for key, region in provider_regions(config).items() if region and region not in known_regions()]


def lambda_reserved_env(config: dict) -> list[dict]:
    """A function that sets an environment variable Lambda reserves (AWS_REGION...)."""
    out = []
    for res in resources(config, "aws_lambda_function"):
        for variables in walk(res.body, "environment.variables"):
            if isinstance(variables, dict):
                bad = sorted(k for k in variables if k in LAMBDA_RESERVED_ENV)
                out += [_signal("lambda-reserved-env", res, f"sets the reserved environment variable(s) "
                                f"{', '.join(bad)}; Lambda refuses the function")] if bad else []
    return out


def listener_certificate(config: dict) -> list[dict]:
    """An HTTPS or TLS listener without a certificate: CreateListener refuses it."""
    return [_signal("listener-certificate", res, f"protocol {res.body.get('protocol')} without certificate_arn")
            for res in resources(config, "aws_lb_listener")
            if str(res.body.get("protocol", "")).upper() in ("HTTPS", "TLS") and not res.body.get("certificate_arn")]


def _key_policies(config: dict, key: Resource) -> list[str]:
    """The text of a key's policy: its own argument, an aws_kms_key_policy's, and the policy documents
    (data sources) either references."""
    texts = [key.body.get("policy")] + [r.body.get("policy") for r in resources(config, "aws_kms_key_policy")
                                        if any(n == key.name for _, n, _ in refs(r.body.get("key_id")))]
    out = [t for t in texts if isinstance(t, str)]
    for t in list(out):
        out += [json.dumps(d.body) for rtype, name, _ in refs(t) if rtype == "data.aws_iam_policy_document"
                for d in [find(config, f"data.aws_iam_policy_document.{name}")] if d]
    return out


def kms_logs_policy(config: dict) -> list[dict]:
    """A log group encrypted with a key whose policy does not let CloudWatch Logs use it: AWS refuses
    the log group (AccessDeniedException) unless the key policy names the logs service principal."""
    out = []
    for res in resources(config, "aws_cloudwatch_log_group"):
        for rtype, name, _ in refs(res.body.get("kms_key_id")):
            key = find(config, f"{rtype}.{name}") if rtype == "aws_kms_key" else None
            if key is None:
                continue
            policies = _key_policies(config, key)
            if any("logs." in p and "amazonaws.com" in p for p in policies):
                continue
            if any(not is_literal(p) and not refs(p) for p in policies):
                continue  # a policy built by an expression this rule cannot read
            why = "has no key policy (the default one grants only the account)" if not policies else \
                "has a key policy that does not name the CloudWatch Logs service principal"
            out.append(_signal("kms-logs-policy", res, f"encrypted with {key.address}, which {why}"))
    return out


def key_id_for_arn(config: dict) -> list[dict]:
    """An argument AWS takes only as an ARN given a key's id."""
    out = []
    for rtype_attr in ARN_ONLY:
        for res in resources(config, rtype_attr[0]):
            for rtype, name, attr in refs(res.body.get(rtype_attr[1])):
                if attr in NOT_ARN.get(rtype, ()):
                    out.append(_signal("key-id-for-arn", res, f"{rtype_attr[1]} is {rtype}.{name}.{attr}, "
                                       "a key id; the API takes the key's ARN", attribute=rtype_attr[1]))
    return out


def _rest_api(res: Resource) -> set[str]:
    return {n for t, n, _ in refs(res.body.get("rest_api_id")) if t == "aws_api_gateway_rest_api"}


def api_deployment_order(config: dict) -> list[dict]:
    """A REST API deployment that nothing orders after the API's methods and integrations (no
    depends_on on any of them, no triggers): created first, AWS refuses it ("The REST API doesn't
    contain any methods"). A deployment that depends on the methods only can still race their
    integrations, but a deployed reference (Pr7785) does just that, so it is not flagged."""
    out = []
    wired = ("aws_api_gateway_method", "aws_api_gateway_integration")
    for res in resources(config, "aws_api_gateway_deployment"):
        api = _rest_api(res)
        body = (config.get("resource", {}).get("aws_api_gateway_rest_api", {}).get(next(iter(api), ""), {}) or {})
        if not api or res.body.get("triggers") or body.get("body"):  # an OpenAPI body deploys whole
            continue
        members = {r.address for t in wired for r in resources(config, t) if _rest_api(r) & api}
        if members and not members & depends_on(res):
            out.append(_signal("api-deployment-order", res, f"does not depend on any of the API's {len(members)} "
                               "methods and integrations (no depends_on, no triggers)"))
    return out


def notification_permission(config: dict) -> list[dict]:
    """An S3 notification to a function, created before (or without) the permission that lets S3
    invoke it: AWS refuses it ("Unable to validate the following destination configurations")."""
    out = []
    perms = {n: p for p in resources(config, "aws_lambda_permission")
             if "s3" in str(p.body.get("principal", "")) for _, n, _ in refs(p.body.get("function_name"))}
    for res in resources(config, "aws_s3_bucket_notification"):
        for fn in dict.fromkeys(n for _, n, _ in refs(walk(res.body, "lambda_function.lambda_function_arn"))):
            perm = perms.get(fn)
            if perm is None:
                out.append(_signal("notification-permission", res, f"invokes aws_lambda_function.{fn}, which no "
                                   "aws_lambda_permission lets S3 invoke"))
            elif perm.address not in depends_on(res):
                out.append(_signal("notification-permission", res, f"does not depend on {perm.address}, the "
                                   f"permission S3 needs to invoke aws_lambda_function.{fn} (created in parallel, "
                                   "the notification is refused)"))
    return out


def pull_through_credentials(config: dict) -> list[dict]:
    """A pull-through cache rule for a registry that requires authentication, without credentials."""
    return [_signal("pull-through-credentials", res, f"upstream {res.body.get('upstream_registry_url')} needs "
                    "credential_arn (a Secrets Manager secret)")
            for res in resources(config, "aws_ecr_pull_through_cache_rule")
            if any(r in str(res.body.get("upstream_registry_url", "")) for r in AUTHENTICATED_REGISTRIES)
            and not res.body.get("credential_arn")]


def fargate_size(config: dict) -> list[dict]:
    """A Fargate task definition whose cpu and memory are not a combination Fargate offers."""
    out = []
    for res in resources(config, "aws_ecs_task_definition"):
        cpu, mem = res.body.get("cpu"), res.body.get("memory")
        if "FARGATE" not in [str(c).upper() for c in res.body.get("requires_compatibilities") or []]:
            continue
        if not (is_literal(cpu) and is_literal(mem)) or not str(cpu).isdigit() or not str(mem).isdigit():
            continue
        allowed = FARGATE_MEMORY.get(int(str(cpu)))
        if allowed is None or int(str(mem)) not in allowed:
            out.append(_signal("fargate-size", res, f"cpu {cpu} with memory {mem} is not a Fargate task size"))
    return out


def literal_region_names(config: dict) -> list[dict]:
    """An Availability Zone or a VPC endpoint service named for another region than the resource's."""
    out = []
    for res, mine, _ in _regional(config):
        zone = res.body.get("availability_zone")
        if isinstance(zone, str) and is_literal(zone) and re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d[a-z]", zone) \
                and zone[:-1] != mine:
            out.append(_signal("cross-region", res, f"availability_zone {zone} is not in {mine}, the region the "
                               "resource is created in", attribute="availability_zone"))
        service = res.body.get("service_name") if res.type == "aws_vpc_endpoint" else None
        named = re.match(r"com\.amazonaws\.([a-z]{2}(?:-[a-z]+)+-\d)\.", service) if isinstance(service, str) else None
        if named and named.group(1) != mine:
            out.append(_signal("cross-region", res, f"service_name {service} is an endpoint service of "
                               f"{named.group(1)}, not of {mine}", attribute="service_name"))
    return out


CHECKS: tuple[Callable[[dict], list[dict]], ...] = (
    check_api, literal_region_names, duplicate_priority, cross_region_reference, invalid_region, lambda_reserved_env,
    listener_certificate, kms_logs_policy, key_id_for_arn, api_deployment_order, notification_permission,
    pull_through_credentials, fargate_size)


def check_deploy(config: dict) -> list[dict]:
    """Every deploy rule's signals on one synthesized stack."""
    return [s for check in CHECKS for s in check(config)]
