"""AWS API constraints on the values of a synthesized stack: what the request that creates each
resource must satisfy, which neither the provider schema nor a plan against the emulator checks.

Post-hoc and read-only, data first: the constraints are ``data/aws_api_constraints.json``
(generated from botocore's service models through ``api_mapping.py``) and ``api_documented.py``
(limits AWS documents but the models omit). Each value known at synth (no Terraform expression in
it) is checked against its attribute's constraint; an expression is not guessed at. Signals are
``{"kind": "deploy-rule", "rule": "api-enum" | "api-length" | "api-pattern" | "api-range" |
"api-list-size", ...}``; severities come from the catalogue.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from .api_documented import DOCUMENTED
from .tf_config import Resource, is_literal, resources, walk

DATA = Path(__file__).with_name("data") / "aws_api_constraints.json"


# Node classes named after an EC2 instance type: (type, attribute, prefix, classes that are not).
INSTANCE_CLASSES = (("aws_db_instance", "instance_class", "db.", ("db.serverless",)),
                    ("aws_rds_cluster_instance", "instance_class", "db.", ("db.serverless",)),
                    ("aws_rds_cluster", "db_cluster_instance_class", "db.", ()),
                    ("aws_elasticache_replication_group", "node_type", "cache.", ()),
                    ("aws_elasticache_cluster", "node_type", "cache.", ()))


@cache
def constraints() -> dict[str, dict[str, dict]]:
    """type -> attribute path -> constraint: the generated ones, the documented ones over them, and
    the database and cache classes (EC2 instance types behind "db." / "cache.", which the EC2 model
    enumerates)."""
    generated = json.loads(DATA.read_text(encoding="utf-8"))["resources"]
    merged = {t: dict(attrs) for t, attrs in generated.items()}
    for rtype, attrs in DOCUMENTED.items():
        merged.setdefault(rtype, {}).update(attrs)
    ec2_types = merged["aws_instance"]["instance_type"]["enum"]
    for rtype, attr, prefix, extra in INSTANCE_CLASSES:
        merged.setdefault(rtype, {})[attr] = {
            "kind": "string", "enum": [*extra, *(prefix + t for t in ec2_types)],
            "api": f"documented: {prefix}<EC2 instance type> classes (ec2 RunInstances InstanceType)"}
    return merged


@cache
def botocore_version() -> str:
    return str(json.loads(DATA.read_text(encoding="utf-8"))["botocore"])


def _number(value: object) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value.strip()):
        return float(value)
    return None


def _shown(v: float) -> str:
    return str(int(v)) if v == int(v) else str(v)


def _number_problem(value: object, c: dict) -> tuple[str, str] | None:
    n = _number(value)
    if n is None:
        return None
    if "enum" in c and n not in [float(e) for e in c["enum"]]:
        return "api-enum", f"{_shown(n)} is not one of the values AWS accepts ({', '.join(map(str, c['enum']))})"
    if "min" in c and n < c["min"] or "max" in c and n > c["max"]:
        return "api-range", f"{_shown(n)} is outside {c.get('min', '-inf')}..{c.get('max', 'inf')}"
    return None


def _string_problem(value: str, c: dict) -> tuple[str, str] | None:
    if "enum" in c and value not in c["enum"]:
        near = [e for e in c["enum"] if e.lower() == value.lower()]
        hint = f" (AWS spells it {near[0]!r})" if near else ""
        return "api-enum", f"{value!r} is not a value the API knows{hint}"
    too_long = "max" in c and len(value) > c["max"]
    if too_long or "min" in c and len(value) < c["min"]:
        bound = f"at most {c['max']}" if too_long else f"at least {c['min']}"
        return "api-length", f"{value!r} is {len(value)} characters; the API takes {bound}"
    if "pattern" in c and re.search(c["pattern"], value) is None:
        return "api-pattern", f"{value!r} does not match the API's pattern {c['pattern']}"
    return None


def scalar_problem(value: object, c: dict) -> tuple[str, str] | None:
    """(rule, what is wrong) for one literal value against its constraint, or None."""
    if c["kind"] == "number":
        return _number_problem(value, c)
    if not isinstance(value, str) or value == "":  # "" is how Terraform leaves an argument unset
        return None
    return _string_problem(value, c)


def value_problems(value: object, c: dict) -> list[tuple[str, str]]:
    """Problems of an attribute's value (a list's size and each literal item, or one scalar)."""
    if c["kind"] != "list":
        return [p for p in [scalar_problem(value, c)] if p] if is_literal(value) else []
    if not isinstance(value, list):
        return []
    out = []
    if "max" in c and len(value) > c["max"] or "min" in c and 0 < len(value) < c["min"]:
        out.append(("api-list-size", f"{len(value)} items; the API takes {c.get('min', 0)}..{c.get('max', 'any')}"))
    item = c.get("item")
    if item:
        out += [p for v in value if is_literal(v) for p in [scalar_problem(v, item)] if p]
    return out


def _signal(res: Resource, attr: str, rule: str, what: str, c: dict) -> dict:
    return {"kind": "deploy-rule", "rule": rule, "address": res.address, "attribute": attr, "construct": res.construct,
            "api": c.get("api", ""), "message": f"{res.address}.{attr}: {what} [{c.get('api', '')}]"}


def check_api(config: dict) -> list[dict]:
    """Signals for every literal value of the config that its API constraint refuses."""
    table = constraints()
    out: list[dict] = []
    for res in resources(config):
        for attr, c in (table.get(res.type) or {}).items():
            for value in walk(res.body, attr):
                out += [_signal(res, attr, rule, what, c) for rule, what in value_problems(value, c)]
    return out


META = frozenset({"//", "provider", "depends_on", "lifecycle", "count", "for_each", "tags", "tags_all"})


def coverage(config: dict) -> dict[str, int]:
    """How much of a stack the constraints see: top-level attribute values (``values``), those with
    a constraint (``constrained``), and of the literal scalars among them (``literal``: known at
    synth, so a constraint can judge them) those checked (``checked``)."""
    table = constraints()
    out = dict.fromkeys(("values", "constrained", "literal", "checked"), 0)
    for res in resources(config):
        mine = table.get(res.type) or {}
        for attr, value in res.body.items():
            if attr in META:
                continue
            out["values"] += 1
            out["constrained"] += attr in mine
            if not isinstance(value, (dict, list)) and is_literal(value):
                out["literal"] += 1
                out["checked"] += attr in mine
    return out
