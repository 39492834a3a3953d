"""The validate stage's fallback when Terraform is absent: a schema check from the jsii assembly.

The provider package (cdktf-cdktf-provider-aws) ships its jsii assembly, which describes every
resource and data source as a config struct: property names, whether each is optional, its type,
and nested block structs. Its documentation links name the Terraform attribute exactly
(``.../resources/s3_bucket#force_destroy``), so no name guessing is needed for most properties.

Properties kept on purpose:
- data, not code: the assembly is read as JSON from the toolchain's package (nothing of the
  toolchain is imported or run); the derived schema is cached beside the toolchain, keyed by it.
- conservative: only clear cases are reported (an argument the schema does not know, a required
  argument that is absent, a literal of the wrong kind); anything holding a Terraform expression
  (``${...}``) is left to Terraform, which is not here.
- same signals as Terraform: findings carry Terraform's diagnostic summaries ("Unsupported
  argument", "Missing required argument", "Incorrect attribute value type") so one catalogue rule
  classifies both, and ``tool`` says which one ran.
"""

from __future__ import annotations

import gzip
import json
import re
import tarfile

from .toolchain import Profile

META_ARGUMENTS = {"//", "count", "depends_on", "for_each", "lifecycle", "provider", "provisioner", "connection"}
_LINK = re.compile(r"docs/(resources|data-sources)/(\w+)[ }]")
_ANCHOR = re.compile(r"#(\w+) [\w.]+#")
_BLOCK = re.compile(r"^(\w+) block\.")
SCHEMA_VERSION = 2


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _kind(t: dict, types: dict) -> dict:
    """Reduce a jsii type reference to what a JSON config can be checked against."""
    if "union" in t:
        kinds = [_kind(x, types) for x in t["union"]["types"] if x.get("fqn") != "cdktf.IResolvable"]
        return kinds[0] if len(kinds) == 1 else {"k": "any"}
    if "primitive" in t:
        return {"k": {"string": "string", "number": "number", "boolean": "bool"}.get(t["primitive"], "any")}
    if "collection" in t:
        inner = _kind(t["collection"]["elementtype"], types)
        if inner["k"] == "block":
            return {**inner, "list": True}
        return {"k": "map" if t["collection"]["kind"] == "map" else "list"}
    if "fqn" in t and t["fqn"] in types and types[t["fqn"]].get("kind") == "interface" \
            and types[t["fqn"]].get("datatype"):
        return {"k": "block", "struct": t["fqn"], "list": False}
    return {"k": "any"}


def _struct(fqn: str, types: dict) -> dict:
    props = {}
    for p in types[fqn].get("properties", []):
        docs = p.get("docs", {})
        summary = docs.get("summary", "")
        m = _ANCHOR.search(summary) or _BLOCK.match(summary)
        name = m.group(1) if m else _snake(p["name"])
        props[name] = {"required": not p.get("optional", False), **_kind(p["type"], types)}
    return props


def build_schema(assembly: dict) -> dict:
    """{"resource": {tf_type: struct_fqn}, "data": {...}, "structs": {fqn: {attr: spec}}}."""
    types = assembly["types"]
    out: dict = {"version": SCHEMA_VERSION, "provider_version": None, "resource": {}, "data": {}, "structs": {},
                 "attributes": {}}
    for ty in types.values():
        _add_class(out, ty, types)
    todo = [*out["resource"].values(), *out["data"].values()]
    while todo:
        fqn = todo.pop()
        if fqn in out["structs"]:
            continue
        out["structs"][fqn] = _struct(fqn, types)
        todo += [s["struct"] for s in out["structs"][fqn].values() if s["k"] == "block"]
    return out


def _add_class(out: dict, ty: dict, types: dict) -> None:
    """A resource or data source class of the assembly (its docs link to the Terraform page): its
    config struct, its exported attributes, and the provider version the link names."""
    m = _LINK.search(ty.get("docs", {}).get("summary", ""))
    if ty.get("kind") != "class" or not m or not ty.get("docs", {}).get("summary", "").startswith("Represents"):
        return
    params = (ty.get("initializer") or {}).get("parameters") or []
    config = next((p["type"].get("fqn") for p in params if p["name"] == "config"), None)
    if config is None or config not in types:
        return
    section = "resource" if m.group(1) == "resources" else "data"
    out[section][f"aws_{m.group(2)}"] = config
    # Exported attributes (the class's getters), to tell a reference to an attribute of a newer
    # provider from a reference to nothing.
    out["attributes"][f"{section}.aws_{m.group(2)}"] = sorted(
        {_snake(p["name"]) for p in ty.get("properties", [])
         if not p.get("static") and not p["name"].endswith("Input")})
    version = re.search(r"hashicorp/aws/([\d.]+)/", ty["docs"]["summary"])
    out["provider_version"] = out["provider_version"] or (version.group(1) if version else None)


def load_schema(profile: Profile) -> dict:
    """The derived schema of the profile's AWS provider package, built once and cached."""
    cache = profile.home / ".tapgrade-aws-schema.json.gz"
    if cache.exists():
        data = json.loads(gzip.decompress(cache.read_bytes()))
        if data.get("version") == SCHEMA_VERSION:
            return data
    pkg = profile.package_dir("cdktf_cdktf_provider_aws")
    tgz = next(pkg.glob("_jsii/*.jsii.tgz"), None) if pkg is not None else None
    if tgz is None:
        raise FileNotFoundError(f"no AWS provider jsii assembly under {profile.home}")
    with tarfile.open(tgz) as tar:
        member = tar.extractfile("package/.jsii")
        assert member is not None
        schema = build_schema(json.load(member))
    tmp = cache.with_suffix(".tmp")
    tmp.write_bytes(gzip.compress(json.dumps(schema).encode()))
    tmp.replace(cache)
    return schema


def knows_argument(schema: dict, section: str, rtype: str, name: str) -> bool:
    """Whether the pinned provider package defines ``name`` anywhere in a resource's config."""
    fqn = schema[section].get(rtype)
    seen, todo = set(), [fqn] if fqn else []
    while todo:
        cur = todo.pop()
        if cur in seen:
            continue
        seen.add(cur)
        struct = schema["structs"].get(cur, {})
        if name in struct:
            return True
        todo += [s["struct"] for s in struct.values() if s["k"] == "block"]
    return False


def knows_attribute(schema: dict, section: str, rtype: str, name: str) -> bool:
    return name in schema["attributes"].get(f"{section}.{rtype}", ()) or knows_argument(schema, section, rtype, name)


def _is_expr(value) -> bool:
    return isinstance(value, str) and "${" in value


def _wrong_kind(k: str, value) -> str | None:
    """Why a literal is not of the kind ``k`` (None: it is, or the kind is not checked)."""
    if k == "bool" and not isinstance(value, bool) and str(value).lower() not in ("true", "false"):
        return "a bool is required"
    if k == "number" and (isinstance(value, (bool, dict, list))
                          or (isinstance(value, str) and not re.fullmatch(r"-?\d+(\.\d+)?", value))):
        return "a number is required"
    if k == "string" and isinstance(value, (dict, list)):
        return "a string is required"
    if k in ("map",) and not isinstance(value, dict):
        return "a map is required"
    if k == "list" and not isinstance(value, list):
        return "a list is required"
    return None


def _check_value(spec: dict, value, where: str, schema: dict, out: list[dict], ctx: dict) -> None:
    if _is_expr(value) or value is None:
        return
    k = spec["k"]
    wrong = _wrong_kind(k, value)
    if wrong:
        out.append({**ctx, "summary": "Incorrect attribute value type",
                    "detail": f"Inappropriate value for attribute \"{where}\": {wrong}.", "attribute": where})
        return
    if k == "block":
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict):
                _check_block(schema["structs"][spec["struct"]], item, schema, out, ctx, where + ".")
            elif not _is_expr(item):
                out.append({**ctx, "summary": "Incorrect attribute value type",
                            "detail": f"Inappropriate value for block \"{where}\": an object is required.",
                            "attribute": where})


def _check_block(struct: dict, body: dict, schema: dict, out: list[dict], ctx: dict, prefix: str = "") -> None:
    for key, value in body.items():
        if not prefix and key in META_ARGUMENTS:
            continue
        if key not in struct:
            out.append({**ctx, "summary": "Unsupported argument",
                        "detail": f"An argument named \"{prefix}{key}\" is not expected here.",
                        "attribute": prefix + key})
            continue
        _check_value(struct[key], value, prefix + key, schema, out, ctx)
    for key, spec in struct.items():
        if spec["required"] and key not in body:
            out.append({**ctx, "summary": "Missing required argument",
                        "detail": f"The argument \"{prefix}{key}\" is required, but no definition was found.",
                        "attribute": prefix + key})


def check(config: dict, schema: dict) -> list[dict]:
    """Schema signals for every AWS resource and data source of a synthesized config."""
    out: list[dict] = []
    for section, prefix in (("resource", ""), ("data", "data.")):
        for rtype, instances in (config.get(section) or {}).items():
            fqn = schema[section].get(rtype)
            if fqn is None:
                if rtype.startswith("aws_"):
                    out.append({"kind": "terraform-diagnostic", "tool": "jsii-schema", "severity": "error",
                                "summary": "Invalid resource type",
                                "detail": f"The provider does not support {section} type \"{rtype}\".",
                                "address": f"{prefix}{rtype}", "construct": None})
                continue
            for name, body in (instances or {}).items():
                ctx = {"kind": "terraform-diagnostic", "tool": "jsii-schema", "severity": "error",
                       "address": f"{prefix}{rtype}.{name}",
                       "construct": ((body.get("//") or {}).get("metadata") or {}).get("path")}
                _check_block(schema["structs"][fqn], body, schema, out, ctx)
    for sig in out:
        sig["message"] = f"{sig['address']}: {sig['summary']}: {sig['detail']}"
    return out
