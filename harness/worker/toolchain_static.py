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

from toolchain_literals import check_literals  # sibling files, stdlib + toolchain only
from toolchain_structs import PROVIDER, struct_signals

ROOTS = ("cdktf_cdktf_provider_aws", "cdktf", "constructs")
BINDINGS = "imports"  # where ``cdktf get`` writes generated provider bindings (``from imports.aws import Vpc``)


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


def home_module(name: str) -> tuple[str, str] | None:
    """Where the provider defines ``name``: (module, class name). Models often import a class from
    the top package as if it were flat (``Vpc`` -> ``...vpc``, ``LbListenerDefaultAction`` ->
    ``...lb_listener``), or miss that a resource was versioned (``S3BucketVersioning`` ->
    ``...s3_bucket_versioning.S3BucketVersioningA``, and its structs ``S3BucketVersioningA...``).
    The longest snake_case prefix that is a module holding it; the provider class in ``provider``."""
    if not name[:1].isupper():
        return None
    words = re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", name)
    if name.endswith("Provider") and hasattr(_module(f"{ROOTS[0]}.provider"), name):
        return f"{ROOTS[0]}.provider", name
    for n in range(len(words), 0, -1):
        mod = _module(f"{ROOTS[0]}.{'_'.join(w.lower() for w in words[:n])}")
        if mod is None:
            continue
        head = "".join(words[:n])
        for candidate in (name, name + "A", head + "A" + name[len(head):]):
            if hasattr(mod, candidate):
                return mod.__name__, candidate
    return None


def _missing_module(node: ast.ImportFrom, rel: str) -> dict:
    """An import from a toolchain module that does not exist, with its closest siblings."""
    parent, _, leaf = node.module.rpartition(".")
    pkg = _module(parent) if parent and parent.split(".")[0] in ROOTS else None
    names = [i.name for i in pkgutil.iter_modules(pkg.__path__)] if pkg is not None and hasattr(pkg, "__path__") else []
    # where the names it was asked for really live (``iam_policy_document`` -> ``data_aws_iam_policy_document``);
    # a name with no home (``EventbridgeSchedule``) is listed too, for the stub repair
    homes = {a.name: home_module(a.name) for a in node.names
             if node.module.split(".")[0] in (ROOTS[0], BINDINGS) and a.name != "*"}
    statement = {n: {"home": h[0] if h else None, "home_name": h[1] if h else None, "suggestions": []}
                 for n, h in homes.items()}
    return {"kind": "static-module", "missing_module": node.module, "file": rel, "line": node.lineno,
            "statement": statement, "missing_name": next(iter(statement), None),
            "suggestions": [f"{parent}.{n}" for n in close_names(leaf, names)],
            "message": f"module {node.module} does not exist in the installed toolchain"
                       + (" (generated bindings the response does not ship; the prebuilt provider has its names)"
                          if node.module.split(".")[0] == BINDINGS else ""),
            # Python reports a missing package by its top name: the exception's defect is that one
            "defect": f"module:{BINDINGS if node.module.split('.')[0] == BINDINGS else node.module}"}


def _missing_names(node: ast.ImportFrom, mod, rel: str) -> list[dict]:
    """One signal per name the module lacks, each carrying the whole statement's missing names and
    where each lives (a repair fixes them at once)."""
    public = _public(mod)
    missing = [a.name for a in node.names if a.name != "*" and not hasattr(mod, a.name)
               and _module(f"{node.module}.{a.name}") is None]
    homes = {n: home_module(n) if node.module.split(".")[0] == ROOTS[0] else None for n in missing}
    # a name that lives in the imported module under another name is the rename repair's
    statement = {n: {"home": h[0] if h and h[0] != node.module else None, "home_name": h[1] if h else None,
                     "suggestions": close_names(n, public)} for n, h in homes.items()}
    out = []
    for n in missing:
        home, home_name = statement[n]["home"], statement[n]["home_name"]
        where = f" (it is defined in {home}" + (f" as {home_name}" if home_name != n else "") + ")" if home else ""
        out.append({"kind": "static-import", "missing_name": n, "from_module": node.module,
                    "file": rel, "line": node.lineno, "suggestions": statement[n]["suggestions"],
                    "home_module": home, "statement": statement,
                    "message": f"{node.module} has no {n}{where}", "defect": f"import:{node.module}:{n}"})
    return out


def check_imports(tree: ast.Module, rel: str, workspace: str = ".") -> list[dict]:
    """Imports from the toolchain's packages that name something they lack; and imports of
    ``cdktf get`` bindings the workspace does not hold (never imported here: the workspace's own
    code runs only in the import stage)."""
    out = []
    shipped = os.path.exists(os.path.join(workspace, BINDINGS))
    for node in ast.walk(tree):
        if not (isinstance(node, ast.ImportFrom) and node.module and node.level == 0
                and node.module.split(".")[0] in (*ROOTS, BINDINGS)):
            continue
        if node.module.split(".")[0] == BINDINGS:
            out += [] if shipped else [_missing_module(node, rel)]
            continue
        mod = _module(node.module)
        out += [_missing_module(node, rel)] if mod is None else _missing_names(node, mod, rel)
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


def check_calls(tree: ast.Module, rel: str) -> list[dict]:
    """Keyword arguments of provider classes: names the class lacks, dicts jsii cannot use as written."""
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
            out += struct_signals(cls, kw, node, rel)
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
        signals += check_imports(tree, rel, workspace)
        signals += check_calls(tree, rel)
        signals += check_literals(tree, rel)
        if call is not None and rel in stack_files:
            signals += check_contract(tree, rel, call)
    return signals
