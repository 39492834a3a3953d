"""Rules over the synthesized Terraform JSON (``cdk.tf.json``): what only shows after synth.

Post-hoc and read-only: each check reads the synthesized config (never runs anything) and
returns raw signals ``{"kind": "config-rule", "rule": <catalogue suffix>, ...}``; severities come
from the catalogue (``config.*`` rules). ``CHECKS`` is the table the stage walks; adding a rule is
a function here and a row in ``catalogue.py``.
"""

from __future__ import annotations

import ipaddress
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .tf_config import resources

Signal = dict


# Rules that judge whether the stack uses what the task's entry point passes it: each applies only
# when the entry passes one of these keyword arguments (the first one passed is the value judged).
# A parameter the entry does not pass cannot be ignored (``harness/contract.py`` reads the call).
CONTRACT_PARAMETERS: dict[str, tuple[str, ...]] = {
    "backend-s3": ("state_bucket",),
    "default-tags": ("default_tags",),
    "hard-coded-region": ("aws_region", "region", "primary_region"),
    "environment-suffix": ("environment_suffix",),
}


@dataclass(frozen=True)
class Context:
    """What a rule may know besides the config: where the stack sits and what the task's entry
    point passed it (keyword -> the string value under the variant's environment, None where only
    running the entry could tell)."""

    stack_dir: Path
    passed: dict[str, str | None] = field(default_factory=dict)

    def contract_value(self, rule: str) -> tuple[str, str | None] | None:
        """(parameter, value) the entry passes for a contract rule, or None: the rule does not apply."""
        return next(((p, self.passed[p]) for p in CONTRACT_PARAMETERS[rule] if p in self.passed), None)

    @property
    def aws_region(self) -> str:
        got = self.contract_value("hard-coded-region")
        return (got[1] or "") if got else ""

    @property
    def environment_suffix(self) -> str:
        got = self.contract_value("environment-suffix")
        return (got[1] or "") if got else ""


REF = re.compile(r"\$\{([^}]*)\}")


def _resources(config: dict, rtype: str):
    for res in resources(config, rtype):
        yield res.name, res.body, res.construct


def _signal(rule: str, message: str, path: str | None = None, **extra) -> Signal:
    return {"kind": "config-rule", "rule": rule, "message": message, "construct": path, **extra}


def s3_backend(config: dict, ctx: Context) -> list[Signal]:
    passed = ctx.contract_value("backend-s3")
    backend = (config.get("terraform") or {}).get("backend") or {}
    if passed is None or "s3" in backend:
        return []
    kind = next(iter(backend), "local (none configured)")
    return [_signal("backend-s3", f"state backend is {kind}, not the S3 backend the pipeline expects "
                                  f"(the task's entry passes {passed[0]})", parameter=passed[0])]


def provider_default_tags(config: dict, ctx: Context) -> list[Signal]:
    passed = ctx.contract_value("default-tags")
    if passed is None:
        return []
    out = []
    for p in (config.get("provider") or {}).get("aws") or []:
        blocks, alias = p.get("default_tags"), p.get("alias", "default")
        if not blocks:
            out.append(_signal("default-tags", f"AWS provider '{alias}' has no default_tags (the task's entry "
                                               f"passes {passed[0]})", f"provider.aws.{alias}", parameter=passed[0]))
        elif not any(isinstance(b, dict) and b.get("tags") for b in blocks):  # a flat tag map given as the block
            out.append(_signal("default-tags-empty", f"AWS provider '{alias}' has a default_tags block with no tags: the "
                                               f"map the task's entry passes ({passed[0]}) did not become its `tags` "
                                               "(a flat tag map given as the block is dropped)", f"provider.aws.{alias}",
                               parameter=passed[0]))
    return out


def _is_ip(value: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(value).version == version
    except ValueError:
        return False


def route53_address_records(config: dict, _ctx: Context) -> list[Signal]:
    """A/AAAA records (without alias) must hold IP addresses: not ARNs, names or non-IP attributes."""
    out = []
    for _name, body, path in _resources(config, "aws_route53_record"):
        rtype = str(body.get("type", "")).upper()
        if rtype not in ("A", "AAAA") or body.get("alias"):
            continue
        for value in body.get("records") or []:
            value = str(value)
            refs = REF.findall(value)
            if refs:
                bad = [r for r in refs if "ip" not in r.rsplit(".", 1)[-1].lower()]
            else:
                bad = [] if _is_ip(value, 4 if rtype == "A" else 6) else [value]
            if bad:
                out.append(_signal("route53-address", f"{rtype} record holds {bad[0]!r}, not an IP address", path))
                break
    return out


def lambda_packages(config: dict, ctx: Context) -> list[Signal]:
    """Lambda ``filename`` must exist next to the synthesized stack (or in the workspace) and be a zip."""
    out = []
    for _name, body, path in _resources(config, "aws_lambda_function"):
        filename = body.get("filename")
        if not filename or REF.search(str(filename)):
            continue
        candidates = [Path(filename)] if Path(filename).is_absolute() else [ctx.stack_dir / filename]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            out.append(_signal("lambda-package", f"Lambda package {filename!r} does not exist", path))
        elif not zipfile.is_zipfile(found):
            out.append(_signal("lambda-package", f"Lambda package {filename!r} is not a zip file", path))
    return out


POLICY_FIELDS = {"aws_iam_role": ("assume_role_policy",), "aws_iam_policy": ("policy",),
                 "aws_iam_role_policy": ("policy",), "aws_s3_bucket_policy": ("policy",)}


def iam_policy_documents(config: dict, _ctx: Context) -> list[Signal]:
    out = []
    for rtype, fields in POLICY_FIELDS.items():
        for _name, body, path in _resources(config, rtype):
            for attr in fields:
                doc = body.get(attr)
                if not isinstance(doc, str) or REF.search(doc):
                    continue  # computed (jsonencode, data source): judged by validate/plan
                try:
                    parsed = json.loads(doc)
                except json.JSONDecodeError as exc:
                    out.append(_signal("iam-policy", f"{attr} is not valid JSON ({exc.msg})", path))
                    continue
                if not isinstance(parsed, dict) or "Statement" not in parsed or "Version" not in parsed:
                    out.append(_signal("iam-policy", f"{attr} lacks Version or Statement", path))
    return out


def destroyable(config: dict, _ctx: Context) -> list[Signal]:
    out = []
    for rtype in ("aws_db_instance", "aws_rds_cluster", "aws_lb", "aws_dynamodb_table"):
        for _name, body, path in _resources(config, rtype):
            if body.get("deletion_protection") is True:
                out.append(_signal("destroyable", f"{rtype} has deletion_protection on", path))
    for rtype in ("aws_db_instance", "aws_rds_cluster"):
        for _name, body, path in _resources(config, rtype):
            if not body.get("skip_final_snapshot"):
                out.append(_signal("destroyable", f"{rtype} needs a final snapshot to be destroyed "
                                                  "(skip_final_snapshot is not true)", path))
    return out


def hard_coded_region(config: dict, ctx: Context) -> list[Signal]:
    """The default (unaliased) AWS provider must use the region the task's entry passes
    (``aws_region``, ``region`` or ``primary_region``).

    Aliased providers of multi-region stacks name their regions on purpose and are not judged. A
    literal equal to the region passed cannot be told apart in the synthesized config."""
    passed = ctx.contract_value("hard-coded-region")
    if not ctx.aws_region or passed is None:
        return []
    out = []
    for p in (config.get("provider") or {}).get("aws") or []:
        region = p.get("region")
        if "alias" in p or not isinstance(region, str) or REF.search(region):
            continue
        if region != ctx.aws_region:
            out.append(_signal("hard-coded-region", f"default AWS provider uses region {region!r}; the stack "
                                                    f"receives {passed[0]} {ctx.aws_region!r}", "provider.aws",
                               parameter=passed[0]))
    return out


# Top-level arguments that name a resource in AWS (the ones that collide between environments).
NAME_ARGUMENTS = ("name", "name_prefix", "bucket", "bucket_prefix", "function_name", "table_name",
                  "cluster_identifier", "identifier", "repository_name", "domain_name", "alarm_name",
                  "queue_name", "topic_name", "stream_name", "state_machine_name", "role_name")


def _lacks_suffix(value: object, suffix: str) -> bool:
    """A literal (no Terraform reference) that does not contain the suffix."""
    return isinstance(value, str) and bool(value) and not REF.search(value) and suffix not in value.lower()


def _suffix_check(rule: str, what: str, config: dict, ctx: Context,
                  place: Callable[[str, str, dict, str], str | None]) -> list[Signal]:
    """One signal for the stack naming the first few places ``place`` reports as lacking the
    suffix, so a stack that never uses it counts once, not once per resource."""
    suffix = ctx.environment_suffix.lower()
    if not suffix:
        return []
    missing = [p for rtype, instances in sorted((config.get("resource") or {}).items())
               for name, body in (instances or {}).items() if (p := place(rtype, name, body, suffix))]
    if not missing:
        return []
    shown = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
    return [_signal(rule, f"{len(missing)} {what} without the environment suffix {ctx.environment_suffix!r}: {shown}",
                    None, count=len(missing))]


def environment_suffix(config: dict, ctx: Context) -> list[Signal]:
    """Literal resource names must include the environment suffix, or two environments collide."""
    def place(rtype: str, name: str, body: dict, suffix: str) -> str | None:
        arg = next((a for a in NAME_ARGUMENTS if _lacks_suffix(body.get(a), suffix)), None)
        return f"{rtype}.{name}.{arg}={body[arg]!r}" if arg else None
    return _suffix_check("environment-suffix", "resource name(s)", config, ctx, place)


def name_tag_suffix(config: dict, ctx: Context) -> list[Signal]:
    """Literal ``Name`` tags should carry the environment suffix too: they are what the console and
    cost reports show, and two environments' resources become indistinguishable. Lower than a name
    (nothing collides)."""
    def place(rtype: str, name: str, body: dict, suffix: str) -> str | None:
        tag = body["tags"].get("Name") if isinstance(body.get("tags"), dict) else None
        return f"{rtype}.{name} Name={tag!r}" if _lacks_suffix(tag, suffix) else None
    return _suffix_check("name-tag-suffix", "Name tag(s)", config, ctx, place)


CHECKS: tuple[Callable[[dict, Context], list[Signal]], ...] = (
    s3_backend, provider_default_tags, route53_address_records, lambda_packages, iam_policy_documents,
    destroyable, hard_coded_region, environment_suffix, name_tag_suffix,
)


def check_config(config: dict, ctx: Context) -> list[Signal]:
    """Every rule's signals for one synthesized stack (``ctx.stack_dir`` holds its cdk.tf.json)."""
    return [s for check in CHECKS for s in check(config, ctx)]
