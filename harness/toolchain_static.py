"""Static checks, run inside the toolchain process: the response is parsed, never executed.

Names the response uses are resolved against the installed toolchain (which is trusted), so each
check answers with the pinned provider's own facts:

- imports of ``cdktf_cdktf_provider_aws`` / ``cdktf`` / ``constructs`` names that do not exist,
  with the closest existing names;
- the stack class's signature against the task entry's call of it (``TapStack(...)`` or whatever
  class the task's entry builds), with the exact TypeError that call would raise;
- dicts (or lists of dicts) passed where a provider class expects a struct that jsii can only
  deserialize from camelCase keys, using the parameter's own type annotation; keys that are not
  attributes of the struct; missing required struct attributes;
- keyword arguments that a provider class (resource, data source, struct) does not have.

Every signal carries a ``defect`` key that the execution stages' signals share when they meet the
same defect, so the harness can merge the two into one finding. Like the worker, this file may
import only the standard library and the toolchain's packages.
"""

from __future__ import annotations

import ast
import difflib
import importlib
import inspect
import os
import pkgutil
import re

ROOTS = ("cdktf_cdktf_provider_aws", "cdktf", "constructs")
PROVIDER = "cdktf_cdktf_provider_aws"


def close_names(wanted: str, names: list[str]) -> list[str]:
    """Nearest existing names, best first: a versioned twin (``XA``) before other spellings;
    struct ``...Config`` classes only when a Config was asked for; a class only for a class."""
    if not wanted.endswith("Config"):
        names = [n for n in names if not n.endswith("Config")]
    if wanted[:1].isupper():
        names = [n for n in names if n[:1].isupper()]
    twins = sorted((n for n in names if n != wanted and n.startswith(wanted) and len(n) - len(wanted) <= 2), key=len)
    return list(dict.fromkeys(twins + difflib.get_close_matches(wanted, names, n=5, cutoff=0.6)))[:5]


def _module(name: str):
    try:
        return importlib.import_module(name)
    except Exception:  # noqa: BLE001 - a missing toolchain module is the finding, not an error
        return None


def _public(mod) -> list[str]:
    return [n for n in dir(mod) if not n.startswith("_")]


def camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


# ------------------------------------------------------------------ import map and resolution


class Names:
    """What each local name of a module refers to in the toolchain: (module, attribute or None)."""

    def __init__(self, tree: ast.Module):
        self.map: dict[str, tuple[str, str | None]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                    and node.module.split(".")[0] in ROOTS:
                for a in node.names:
                    self.map[a.asname or a.name] = (node.module, a.name)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.split(".")[0] in ROOTS:
                        self.map[a.asname or a.name.split(".")[0]] = (a.name if a.asname else a.name.split(".")[0], None)

    def resolve(self, func: ast.expr):
        """The toolchain object a call's function expression names, or None."""
        parts: list[str] = []
        while isinstance(func, ast.Attribute):
            parts.insert(0, func.attr)
            func = func.value
        if not isinstance(func, ast.Name) or func.id not in self.map:
            return None
        modname, attr = self.map[func.id]
        obj = _module(modname)
        if obj is None:
            return None
        if attr is not None:
            obj = getattr(obj, attr, None)
        for p in parts:
            if obj is None:
                return None
            nxt = getattr(obj, p, None)
            if nxt is None and inspect.ismodule(obj):
                nxt = _module(f"{obj.__name__}.{p}")
            obj = nxt
        return obj


# ------------------------------------------------------------------ checks


def check_imports(tree: ast.Module, rel: str) -> list[dict]:
    out = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ImportFrom) and node.module and node.level == 0
                and node.module.split(".")[0] in ROOTS):
            continue
        mod = _module(node.module)
        if mod is None:
            parent, _, leaf = node.module.rpartition(".")
            pkg = _module(parent) if parent else None
            names = [i.name for i in pkgutil.iter_modules(pkg.__path__)] if pkg is not None and hasattr(pkg, "__path__") else []
            out.append({"kind": "static-module", "missing_module": node.module, "file": rel, "line": node.lineno,
                        "suggestions": [f"{parent}.{n}" for n in close_names(leaf, names)],
                        "message": f"module {node.module} does not exist in the installed toolchain",
                        "defect": f"module:{node.module}"})
            continue
        public = _public(mod)
        for a in node.names:
            if a.name != "*" and not hasattr(mod, a.name) and _module(f"{node.module}.{a.name}") is None:
                out.append({"kind": "static-import", "missing_name": a.name, "from_module": node.module,
                            "file": rel, "line": node.lineno, "suggestions": close_names(a.name, public),
                            "message": f"{node.module} has no {a.name}",
                            "defect": f"import:{node.module}:{a.name}"})
    return out


def _signature_stub(fn: ast.FunctionDef) -> str:
    """A def with the same parameters (defaults -> None, no annotations) to bind a call against."""
    a = fn.args
    parts: list[str] = []
    pos = [*a.posonlyargs, *a.args]
    first_default = len(pos) - len(a.defaults)
    for i, arg in enumerate(pos):
        parts.append(arg.arg + ("=None" if i >= first_default else ""))
        if a.posonlyargs and i == len(a.posonlyargs) - 1:
            parts.append("/")
    if a.vararg:
        parts.append("*" + a.vararg.arg)
    elif a.kwonlyargs:
        parts.append("*")
    for arg, default in zip(a.kwonlyargs, a.kw_defaults):
        parts.append(arg.arg + ("" if default is None else "=None"))
    if a.kwarg:
        parts.append("**" + a.kwarg.arg)
    return f"def __init__({', '.join(parts)}):\n    pass\n"


def check_contract(tree: ast.Module, rel: str, call: dict) -> list[dict]:
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == call["cls"]), None)
    if cls is None:
        return []
    init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    if init is None:
        return []
    namespace: dict = {}
    exec(compile(_signature_stub(init), "<signature>", "exec"), {}, namespace)  # a def with no body of the response's
    fn = namespace["__init__"]
    fn.__qualname__ = f"{call['cls']}.__init__"
    try:
        fn(*([None] * (1 + call["positional"])), **{k: None for k in call["keywords"]})
    except TypeError as exc:
        params = {a.arg for a in (*init.args.posonlyargs, *init.args.args, *init.args.kwonlyargs)}
        unexpected = [] if init.args.kwarg else [k for k in call["keywords"] if k not in params]
        return [{"kind": "static-contract", "type": "TypeError", "message": str(exc), "file": rel,
                 "line": init.lineno, "unexpected": unexpected, "call_keywords": list(call["keywords"]),
                 "stack_class": call["cls"], "defect": "contract"}]
    return []


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
        unknown = [k for k in keys if k not in fields]
        missing = sorted(required - set(keys))
        if not unknown and not missing:
            return None
        return {"bad_keys": [], "unknown_keys": unknown, "missing_required": missing, "fatal": True}
    camel_fields = {camel(f): f for f in fields}
    mapped = {camel_fields[k] for k in keys if k in camel_fields}  # the keys the kernel understands
    dropped_snake = [k for k in keys if k not in camel_fields and k in fields]
    unknown = [k for k in keys if k not in camel_fields and k not in fields]
    missing = sorted(required - mapped)
    if not dropped_snake and not unknown and not missing:
        return None
    return {"bad_keys": dropped_snake, "unknown_keys": unknown, "missing_required": missing, "fatal": bool(missing)}


def check_calls(tree: ast.Module, rel: str) -> list[dict]:
    names = Names(tree)
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        cls = names.resolve(node.func)
        if not inspect.isclass(cls) or not (getattr(cls, "__module__", "") or "").startswith(PROVIDER):
            continue
        try:
            params = inspect.signature(cls.__init__).parameters
        except (ValueError, TypeError):
            continue
        accepts_any = any(p.kind == p.VAR_KEYWORD for p in params.values())
        for kw in node.keywords:
            if kw.arg is None:
                continue
            if kw.arg not in params and not accepts_any:
                out.append({"kind": "static-unknown-arg", "class": cls.__name__, "arg": kw.arg, "file": rel,
                            "line": node.lineno, "suggestions": close_names(kw.arg, [p for p in params if p != "self"]),
                            "message": f"{cls.__name__} has no argument {kw.arg!r}",
                            "defect": f"arg:{rel}:{node.lineno}:{kw.arg}"})
                continue
            dicts = _dicts_in(kw.value)
            if not dicts:
                continue
            struct, is_list = _struct_for(cls, kw.arg)
            if struct is None:
                continue
            for d in dicts:
                problem = _check_dict(d, struct, is_list)
                if problem is None:
                    continue
                fatal = problem.pop("fatal")
                detail = "".join(f"; {label}: {', '.join(problem[key])}" for key, label in (
                    ("bad_keys", "snake_case keys jsii drops in a list (it maps camelCase only)"),
                    ("unknown_keys", "keys the struct lacks"),
                    ("missing_required", "required attributes missing")) if problem[key])
                defect = f"struct:{rel}:{node.lineno}"
                if not is_list and problem["unknown_keys"]:
                    defect = f"arg:{rel}:{node.lineno}:{problem['unknown_keys'][0]}"  # the TypeError's argument
                out.append({"kind": "static-struct-dict" if fatal else "static-struct-dropped", "list": is_list,
                            "class": cls.__name__, "param": kw.arg, "detail": detail,
                            "struct": struct.__name__, "struct_module": struct.__module__, "file": rel,
                            "line": node.lineno, "dict_line": d.lineno, "dict_col": d.col_offset,
                            "dict_end_line": d.end_lineno, "dict_end_col": d.end_col_offset, **problem,
                            "message": (f"{cls.__name__}({kw.arg}=...) gets a dict that jsii cannot turn into "
                                        f"{struct.__name__}" if fatal else
                                        f"{cls.__name__}({kw.arg}=...) gets dicts whose keys jsii silently drops "
                                        f"(they never reach Terraform)"),
                            "defect": defect})
    return out


def analyse(workspace: str, files: list[str], call: dict | None, stack_modules: list[str]) -> list[dict]:
    """Every static signal for the response's Python files (workspace-relative paths).

    ``call``: the task entry's call of its stack class (``harness.contract.StackCall`` as a
    record; None when the entry builds no stack the harness can read, or passes ``**kwargs``)."""
    if call is not None and call.get("star_kwargs"):
        call = None
    stack_files = {m.replace(".", "/") + ".py" for m in stack_modules}
    signals: list[dict] = []
    for rel in files:
        try:
            with open(os.path.join(workspace, rel), encoding="utf-8") as fh:
                tree = ast.parse(fh.read(), filename=rel)
        except (SyntaxError, ValueError, OSError, UnicodeDecodeError):
            continue  # the import stage reports what does not parse
        signals += check_imports(tree, rel)
        signals += check_calls(tree, rel)
        if call is not None and rel in stack_files:
            signals += check_contract(tree, rel, call)
    return signals
