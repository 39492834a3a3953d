#!/usr/bin/env python3
"""Generate graders/data/aws_api_constraints.json from botocore's AWS service models.

For each resource type of ``graders/api_mapping.py``: the members of its create operation's input
(by name, ``MemorySize`` -> ``memory_size``, and the mapping's explicit paths), with what the
service model states about each: enum values, min/max length or value, pattern, list sizes. The
deploy-rules stage checks the synthesized stacks against this file; it is generated (like tflint's
AWS ruleset) and committed, so a run does not depend on which botocore the harness has, and a
review sees every change of the rules. ``tests/test_deploy_rules.py`` regenerates it and compares
when the installed botocore is the one it was made from.

    .venv/bin/python scripts/gen_api_constraints.py [--check]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import botocore
import botocore.session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from graders.api_mapping import API_MAPPING  # noqa: E402

OUT = ROOT / "graders" / "data" / "aws_api_constraints.json"
REGIONS = ROOT / "graders" / "data" / "aws_regions.json"
SCALARS = {"string", "integer", "long", "float", "double"}


def snake(name: str) -> str:
    """An API member's name as the Terraform argument it usually becomes (KMSKeyArn -> kms_key_arn)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _pattern(p: str) -> str | None:
    """The model's pattern if Python's re reads it the same way (no \\p{..} classes), else None."""
    if "\\p{" in p or "\\P{" in p:
        return None
    try:
        re.compile(p)
    except re.error:
        return None
    return p


def constraint(model: dict, shape_name: str, api: str) -> dict | None:
    """What the model states about one member's shape (None: nothing a value could break)."""
    shape = model["shapes"][shape_name]
    kind = shape["type"]
    if kind == "list":
        item = constraint(model, shape["member"]["shape"], api)
        out = {"api": api, "kind": "list", **{k: shape[k] for k in ("min", "max") if k in shape}}
        if item:
            out["item"] = {k: v for k, v in item.items() if k != "api"}
        return out if len(out) > 2 else None
    if kind not in SCALARS:
        return None
    out = {"api": api, "kind": "string" if kind == "string" else "number"}
    for key in ("min", "max"):
        if key in shape:
            out[key] = shape[key]
    if "enum" in shape:
        out["enum"] = list(shape["enum"])
    if "pattern" in shape and _pattern(shape["pattern"]) is not None:
        out["pattern"] = shape["pattern"]
    return out if len(out) > 2 else None


def member_shape(model: dict, op: str, path: str) -> str | None:
    """The shape of ``path`` (dotted member names, lists walked through) in ``op``'s input."""
    shape_name = model["operations"][op]["input"]["shape"]
    for part in path.split("."):
        shape = model["shapes"][shape_name]
        while shape["type"] == "list":
            shape_name = shape["member"]["shape"]
            shape = model["shapes"][shape_name]
        if shape["type"] != "structure" or part not in shape["members"]:
            return None
        shape_name = shape["members"][part]["shape"]
    return shape_name


def rules_for(loader, service: str, op: str, explicit: dict[str, str | None]) -> dict[str, dict]:
    """Constraints for one resource type: name-matched top-level members, then the explicit paths."""
    model = loader.load_service_model(service, "service-2")
    rules: dict[str, dict] = {}
    members = model["shapes"][model["operations"][op]["input"]["shape"]]["members"]
    for name, ref in members.items():
        attr = snake(name)
        if attr in explicit:
            continue
        got = constraint(model, ref["shape"], f"{service} {op} {name}")
        if got:
            rules[attr] = got
    for attr, target in explicit.items():
        if target is None:
            continue
        t_op, t_path = (target.split(".", 1) if target.split(".")[0] in model["operations"] else (op, target))
        shape = member_shape(model, t_op, t_path)
        if shape is None:
            raise SystemExit(f"{service} {t_op} has no member {t_path} (mapping of {attr})")
        got = constraint(model, shape, f"{service} {t_op} {t_path}")
        if got:
            rules[attr] = got
    return rules


def generate() -> dict:
    loader = botocore.session.get_session().get_component("data_loader")
    return {"botocore": botocore.__version__,
            "resources": {rtype: rules_for(loader, svc, op, explicit)
                          for rtype, (svc, op, explicit) in sorted(API_MAPPING.items())}}


def regions() -> dict:
    """Every region of every partition in botocore's endpoint data (the deploy rules' known regions)."""
    endpoints = botocore.session.get_session().get_component("data_loader").load_data("endpoints")
    names = sorted({r for part in endpoints["partitions"] for r in part.get("regions", {})})
    return {"botocore": botocore.__version__, "regions": names}


def main() -> int:
    data = generate()
    outputs = {OUT: json.dumps(data, indent=1, sort_keys=True) + "\n",
               REGIONS: json.dumps(regions(), indent=1) + "\n"}
    if "--check" in sys.argv:
        stale = [p.name for p, text in outputs.items() if not p.is_file() or p.read_text(encoding="utf-8") != text]
        print(f"{', '.join(stale)} differ from what botocore {data['botocore']} gives" if stale else "up to date")
        return 1 if stale else 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")
    n = sum(len(r) for r in data["resources"].values())
    print(f"{OUT.relative_to(ROOT)}: {n} attribute constraints over {len(data['resources'])} resource types "
          f"(botocore {data['botocore']})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
