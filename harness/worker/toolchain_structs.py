"""Dicts passed where a provider class expects a jsii struct: what jsii will do with them.

A static check of ``toolchain_static``: the response is parsed, never executed; the struct's
fields come from the installed provider (trusted). Like the worker, this file may import only the
standard library and the toolchain's packages.
"""

from __future__ import annotations

import ast
import inspect
import re

PROVIDER = "cdktf_cdktf_provider_aws"


def camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _struct_for(cls, param: str):
    """(struct class, is_list) a provider class's keyword parameter takes, from its annotation.

    The two shapes behave differently in jsii's Python bindings: a single struct parameter turns a
    dict into ``Struct(**dict)`` (snake_case keys, unknown keys raise TypeError); a list of structs
    passes dicts raw to the jsii kernel, which maps only camelCase keys and silently drops others.
    """
    try:
        ann = inspect.signature(cls.__init__).parameters[param].annotation
    except (KeyError, ValueError, TypeError):
        return None, False
    text = ann if isinstance(ann, str) else repr(ann)
    mod = inspect.getmodule(cls)
    for name in re.findall(r"[\"'.]?([A-Z]\w+)[\"']?", text):
        obj = getattr(mod, name, None)
        if inspect.isclass(obj) and obj.__module__.startswith(PROVIDER) and _struct_fields(obj) is not None:
            return obj, "Sequence[" in text
    return None, False


def _struct_fields(struct) -> tuple[set[str], set[str]] | None:
    """(all fields, required fields) of a jsii struct class, by its keyword-only __init__."""
    try:
        params = inspect.signature(struct.__init__).parameters
    except (ValueError, TypeError):
        return None
    if "scope" in params:
        return None  # a construct (resource, data source), not a struct
    fields = {n for n, p in params.items() if n != "self"}
    if not fields or any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params.values()):
        return None
    return fields, {n for n in fields if params[n].default is inspect.Parameter.empty}


def _dicts_in(value: ast.expr) -> list[ast.Dict]:
    if isinstance(value, ast.Dict):
        return [value]
    if isinstance(value, (ast.List, ast.Tuple)):
        return [e for e in value.elts if isinstance(e, ast.Dict)]
    return []


def _check_dict(d: ast.Dict, struct, is_list: bool) -> dict | None:
    """What jsii will do with this dict literal: None when it works as written."""
    fields, required = _struct_fields(struct) or (set(), set())
    keys = [k.value for k in d.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
    if len(keys) != len(d.keys):
        return None  # **spread or computed keys: cannot judge statically
    if not is_list:  # Struct(**dict): Python keyword rules
        return _as_keywords(keys, fields, required)
    return _as_kernel_dict(keys, fields, required)


def _as_keywords(keys: list[str], fields: set[str], required: set[str]) -> dict | None:
    """A single struct parameter: ``Struct(**dict)``, so an unknown key or a missing field is a TypeError."""
    unknown = [k for k in keys if k not in fields]
    missing = sorted(required - set(keys))
    if not unknown and not missing:
        return None
    return {"bad_keys": [], "unknown_keys": unknown, "missing_required": missing, "fatal": True}


def _as_kernel_dict(keys: list[str], fields: set[str], required: set[str]) -> dict | None:
    """A list of structs: each dict goes raw to the jsii kernel, which maps camelCase keys only."""
    camel_fields = {camel(f): f for f in fields}
    mapped = {camel_fields[k] for k in keys if k in camel_fields}  # the keys the kernel understands
    dropped_snake = [k for k in keys if k not in camel_fields and k in fields]
    unknown = [k for k in keys if k not in camel_fields and k not in fields]
    missing = sorted(required - mapped)
    if not dropped_snake and not unknown and not missing:
        return None
    return {"bad_keys": dropped_snake, "unknown_keys": unknown, "missing_required": missing, "fatal": bool(missing)}


# What each list of a problem says in a signal's detail, in this order.
_DETAIL = (("bad_keys", "snake_case keys jsii drops in a list (it maps camelCase only)"),
           ("unknown_keys", "keys the struct lacks"),
           ("missing_required", "required attributes missing"))


def struct_signals(cls, kw: ast.keyword, node: ast.Call, rel: str) -> list[dict]:
    """Signals for the dict literals of one keyword argument of a provider class's call."""
    dicts = _dicts_in(kw.value)
    if not dicts:
        return []
    struct, is_list = _struct_for(cls, kw.arg)
    if struct is None:
        return []
    out = []
    for d in dicts:
        problem = _check_dict(d, struct, is_list)
        if problem is not None:
            out.append(_struct_signal(cls, kw, node, rel, d, struct, is_list, problem))
    return out


def _struct_signal(cls, kw: ast.keyword, node: ast.Call, rel: str, d: ast.Dict, struct, is_list: bool,
                   problem: dict) -> dict:
    """The signal for one dict literal jsii cannot use as written (``problem``: from ``_check_dict``)."""
    fatal = problem.pop("fatal")
    detail = "".join(f"; {label}: {', '.join(problem[key])}" for key, label in _DETAIL if problem[key])
    defect = f"struct:{rel}:{node.lineno}"
    if not is_list and problem["unknown_keys"]:
        defect = f"arg:{rel}:{node.lineno}:{problem['unknown_keys'][0]}"  # the TypeError's argument
    return {"kind": "static-struct-dict" if fatal else "static-struct-dropped", "list": is_list,
            "class": cls.__name__, "param": kw.arg, "detail": detail,
            "struct": struct.__name__, "struct_module": struct.__module__, "file": rel,
            "line": node.lineno, "dict_line": d.lineno, "dict_col": d.col_offset,
            "dict_end_line": d.end_lineno, "dict_end_col": d.end_col_offset, **problem,
            "message": (f"{cls.__name__}({kw.arg}=...) gets a dict that jsii cannot turn into "
                        f"{struct.__name__}" if fatal else
                        f"{cls.__name__}({kw.arg}=...) gets dicts whose keys jsii silently drops "
                        f"(they never reach Terraform)"),
            "defect": defect}
