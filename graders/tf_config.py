"""Reading a synthesized Terraform JSON config as data: its resources, the references between them,
the region each resource is created in. Shared by the deploy rules and the reference comparison,
which both reason across resources (a config rule of ``config_rules.py`` mostly reads one).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# "${aws_kms_key.logs.arn}" -> ("aws_kms_key", "logs", "arn"); data sources as "data.aws_x.n.attr"
# (inside a string holding a token: one expression may name several, ``jsonencode({...})`` nests braces)
REF = re.compile(r"(?<![\w.])((?:data\.)?aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)(?:\[[^\]]*\])?\.([a-z0-9_]+)")
TOKEN = "${"


@dataclass(frozen=True)
class Resource:
    """One resource (or data source, ``data=True``) of a stack: its address and configured body."""
    type: str
    name: str
    body: dict
    data: bool = False

    @property
    def address(self) -> str:
        return f"{'data.' if self.data else ''}{self.type}.{self.name}"

    @property
    def construct(self) -> str:
        """The construct path cdktf records (what a finding points a reader at)."""
        return ((self.body.get("//") or {}).get("metadata") or {}).get("path", self.address)


def resources(config: dict, rtype: str | None = None, data: bool = False) -> Iterator[Resource]:
    """Every resource (or data source) of the config, of one type when ``rtype`` is given."""
    section = config.get("data" if data else "resource") or {}
    for t, instances in section.items():
        if rtype is not None and t != rtype:
            continue
        for name, body in (instances or {}).items():
            if isinstance(body, dict):
                yield Resource(t, name, body, data)


def find(config: dict, address: str) -> Resource | None:
    """The resource at ``aws_type.name`` (or ``data.aws_type.name``)."""
    data = address.startswith("data.")
    parts = address.removeprefix("data.").split(".")
    body = ((config.get("data" if data else "resource") or {}).get(parts[0]) or {}).get(parts[1]) if len(parts) > 1 else None
    return Resource(parts[0], parts[1], body, data) if isinstance(body, dict) else None


def refs(value: object) -> list[tuple[str, str, str]]:
    """(type, name, attribute) of every resource reference inside a value (strings, lists, dicts)."""
    if isinstance(value, str):
        return REF.findall(value) if TOKEN in value else []
    if isinstance(value, list):
        return [r for v in value for r in refs(v)]
    if isinstance(value, dict):
        return [r for k, v in value.items() if k != "//" for r in refs(v)]
    return []


def walk(body: object, path: str) -> list[object]:
    """The values at a dotted attribute path; nested blocks may be objects or lists of them."""
    values = [body]
    for part in path.split("."):
        nxt: list[object] = []
        for v in values:
            for item in (v if isinstance(v, list) else [v]):
                if isinstance(item, dict) and part in item:
                    nxt.append(item[part])
        values = nxt
    return values


def is_literal(value: object) -> bool:
    """A value known at synth: not a Terraform expression (a token) or a structure holding one."""
    if isinstance(value, str):
        return TOKEN not in value
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def provider_regions(config: dict) -> dict[str, str | None]:
    """Provider reference ("aws" or "aws.<alias>") -> its literal region (None: not known at synth)."""
    out: dict[str, str | None] = {}
    blocks = (config.get("provider") or {}).get("aws") or []
    for block in blocks if isinstance(blocks, list) else [blocks]:
        if isinstance(block, dict):
            key = f"aws.{block['alias']}" if block.get("alias") else "aws"
            region = block.get("region")
            out[key] = region if isinstance(region, str) and is_literal(region) else None
    return out


def region_of(res: Resource, regions: dict[str, str | None]) -> str | None:
    """The region a resource is created in, when the config states it literally."""
    return regions.get(str(res.body.get("provider") or "aws"))


def depends_on(res: Resource) -> set[str]:
    """Addresses a resource explicitly depends on."""
    return {str(d) for d in res.body.get("depends_on") or []}


def resolved_by_plan(config: dict, plan_json: dict) -> dict:
    """A config holding, for each resource, the values its configuration left to an expression and
    the plan resolved (a name joined by ``Fn.join``, a local, a variable): what the API constraints
    can judge only after planning. Values known only after apply stay out."""
    out: dict = {"resource": {}}
    for rc in plan_json.get("resource_changes") or []:
        if rc.get("mode") != "managed" or rc.get("module_address"):
            continue
        configured = ((config.get("resource") or {}).get(rc["type"]) or {}).get(rc["name"])
        change = rc.get("change") or {}
        after, unknown = change.get("after") or {}, change.get("after_unknown") or {}
        if not isinstance(configured, dict) or not isinstance(after, dict):
            continue
        body = {k: v for k, v in after.items() if k in configured and not is_literal(configured[k])
                and isinstance(configured[k], str) and v is not None and not unknown.get(k)}
        if body:
            out["resource"].setdefault(rc["type"], {})[rc["name"]] = body
    return out
