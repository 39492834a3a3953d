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
from pathlib import Path
from typing import Callable

Signal = dict
REF = re.compile(r"\$\{([^}]*)\}")


def _resources(config: dict, rtype: str):
    for name, body in (config.get("resource", {}).get(rtype) or {}).items():
        yield name, body, ((body.get("//") or {}).get("metadata") or {}).get("path", f"{rtype}.{name}")


def _signal(rule: str, message: str, path: str | None = None, **extra) -> Signal:
    return {"kind": "config-rule", "rule": rule, "message": message, "construct": path, **extra}


def s3_backend(config: dict, _root: Path) -> list[Signal]:
    backend = (config.get("terraform") or {}).get("backend") or {}
    if "s3" in backend:
        return []
    kind = next(iter(backend), "local (none configured)")
    return [_signal("backend-s3", f"state backend is {kind}, not the S3 backend the pipeline expects")]


def provider_default_tags(config: dict, _root: Path) -> list[Signal]:
    out = []
    for p in (config.get("provider") or {}).get("aws") or []:
        if not p.get("default_tags"):
            alias = p.get("alias", "default")
            out.append(_signal("default-tags", f"AWS provider '{alias}' has no default_tags", f"provider.aws.{alias}"))
    return out


def _is_ip(value: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(value).version == version
    except ValueError:
        return False


def route53_address_records(config: dict, _root: Path) -> list[Signal]:
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


def lambda_packages(config: dict, root: Path) -> list[Signal]:
    """Lambda ``filename`` must exist next to the synthesized stack (or in the workspace) and be a zip."""
    out = []
    for _name, body, path in _resources(config, "aws_lambda_function"):
        filename = body.get("filename")
        if not filename or REF.search(str(filename)):
            continue
        candidates = [Path(filename)] if Path(filename).is_absolute() else [root / filename]
        found = next((c for c in candidates if c.is_file()), None)
        if found is None:
            out.append(_signal("lambda-package", f"Lambda package {filename!r} does not exist", path))
        elif not zipfile.is_zipfile(found):
            out.append(_signal("lambda-package", f"Lambda package {filename!r} is not a zip file", path))
    return out


POLICY_FIELDS = {"aws_iam_role": ("assume_role_policy",), "aws_iam_policy": ("policy",),
                 "aws_iam_role_policy": ("policy",), "aws_s3_bucket_policy": ("policy",)}


def iam_policy_documents(config: dict, _root: Path) -> list[Signal]:
    out = []
    for rtype, fields in POLICY_FIELDS.items():
        for _name, body, path in _resources(config, rtype):
            for field in fields:
                doc = body.get(field)
                if not isinstance(doc, str) or REF.search(doc):
                    continue  # computed (jsonencode, data source): judged by validate/plan
                try:
                    parsed = json.loads(doc)
                except json.JSONDecodeError as exc:
                    out.append(_signal("iam-policy", f"{field} is not valid JSON ({exc.msg})", path))
                    continue
                if not isinstance(parsed, dict) or "Statement" not in parsed or "Version" not in parsed:
                    out.append(_signal("iam-policy", f"{field} lacks Version or Statement", path))
    return out


def destroyable(config: dict, _root: Path) -> list[Signal]:
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


CHECKS: tuple[Callable[[dict, Path], list[Signal]], ...] = (
    s3_backend, provider_default_tags, route53_address_records, lambda_packages, iam_policy_documents,
    destroyable,
)


def check_config(config: dict, stack_dir: Path) -> list[Signal]:
    """Every rule's signals for one synthesized stack (``stack_dir`` holds its cdk.tf.json)."""
    return [s for check in CHECKS for s in check(config, stack_dir)]
