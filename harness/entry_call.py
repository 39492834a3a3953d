"""The entry point's call of its stack class, read by parsing: which class, which keywords, the
types of the values passed and, given the variant's environment, the string values that can be
read without running anything (``os.getenv`` / ``os.environ`` reads with their defaults, names
bound once, ``or`` chains). What the contract rules judge a stack against
(``graders/config_rules.py``) and what the variant record keeps; ``contract.py`` attaches it to
the entry it chooses.
"""

from __future__ import annotations

import ast
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class StackCall:
    """The entry point's call of its stack class, as written."""

    cls: str
    module: str | None  # the lib.* module it is imported from
    positional: int
    keywords: dict[str, str]  # keyword -> type of the value passed (str, dict, list, ..., or "unknown")
    line: int
    star_kwargs: bool = False  # ``**kwargs`` in the call: the keyword set is not known

    def as_record(self) -> dict:
        return asdict(self)


def _imported_classes(tree: ast.Module) -> dict[str, str]:
    """Names the entry imports from ``lib.*`` -> their module."""
    out = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.ImportFrom) and n.module and n.level == 0 and n.module.split(".")[0] == "lib":
            for a in n.names:
                out[a.asname or a.name] = n.module
    return out


def _assignments(tree: ast.Module) -> dict[str, ast.expr]:
    """Names bound once, by a simple ``name = value``, anywhere in the entry (module level or
    ``main()``). A name bound twice (``if os.path.exists(f): region = ... else: region = ...``),
    or also by a loop, a ``with`` or an import, is left out: parsing cannot tell which value it holds."""
    values: dict[str, ast.expr] = {}
    bound: dict[str, int] = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
            values[n.targets[0].id] = n.value
        elif isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name) and n.value is not None:
            values[n.target.id] = n.value
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            bound[n.id] = bound.get(n.id, 0) + 1
    return {k: v for k, v in values.items() if bound.get(k) == 1}


def _is_env_read(call: ast.Call) -> str | None:
    """``os.getenv`` / ``os.environ.get`` / ``getenv``: the function's dotted name, else None."""
    f = call.func
    name = ast.unparse(f)
    return name if name in ("os.getenv", "getenv", "os.environ.get", "environ.get") else None


_LITERALS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    ((ast.Dict, ast.DictComp), "dict"), ((ast.List, ast.ListComp), "list"), (ast.Tuple, "tuple"), (ast.JoinedStr, "str"))
_CONVERSIONS = ("str", "int", "float", "bool", "dict", "list")


def _type_of(expr: ast.expr, names: dict[str, ast.expr], depth: int = 0) -> str:
    """The type of the value an expression passes, where parsing alone can tell, else "unknown":
    a literal, a name bound once (followed), an ``or`` of one type (None aside), an environment
    read (str), a conversion call, a sum of one type."""
    if depth > 8:
        return "unknown"
    if isinstance(expr, ast.Constant):
        return type(expr.value).__name__
    literal = next((kind for types, kind in _LITERALS if isinstance(expr, types)), None)
    if literal is not None:
        return literal
    if isinstance(expr, ast.Name):
        return _type_of(names[expr.id], names, depth + 1) if expr.id in names else "unknown"
    if isinstance(expr, ast.BoolOp):
        kinds = {_type_of(v, names, depth + 1) for v in expr.values} - {"NoneType"}
        return kinds.pop() if len(kinds) == 1 else "unknown"
    if isinstance(expr, ast.Subscript) and ast.unparse(expr.value) in ("os.environ", "environ"):
        return "str"
    if isinstance(expr, ast.Call):
        return _call_type(expr)
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        left = _type_of(expr.left, names, depth + 1)
        return left if left == _type_of(expr.right, names, depth + 1) else "unknown"
    return "unknown"


def _call_type(call: ast.Call) -> str:
    """An environment read gives a str; ``str(...)``, ``int(...)``, ... their type."""
    if _is_env_read(call):
        return "str"
    if isinstance(call.func, ast.Name) and call.func.id in _CONVERSIONS:
        return call.func.id
    return "unknown"


def stack_call(source: str) -> StackCall | None:
    """The entry's call of a class it imports from ``lib.*`` (the one with most keywords when it
    builds several), or None when there is none to read."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    classes = _imported_classes(tree)
    names = _assignments(tree)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
             and n.func.id in classes]
    if not calls:
        return None
    call = max(calls, key=lambda c: (len(c.keywords), -c.lineno))
    assert isinstance(call.func, ast.Name)
    return StackCall(call.func.id, classes[call.func.id], len(call.args),
                     {k.arg: _type_of(k.value, names) for k in call.keywords if k.arg is not None},
                     call.lineno, any(k.arg is None for k in call.keywords))


def _value_of(expr: ast.expr, names: dict[str, ast.expr], env: dict[str, str], depth: int = 0) -> str | None:
    """A string the expression evaluates to under ``env``, where parsing alone can tell."""
    if depth > 8:
        return None
    if isinstance(expr, ast.Constant):
        return expr.value if isinstance(expr.value, str) else None
    if isinstance(expr, ast.Name):
        return _value_of(names[expr.id], names, env, depth + 1) if expr.id in names else None
    if isinstance(expr, ast.BoolOp) and isinstance(expr.op, ast.Or):
        for v in expr.values:
            got = _value_of(v, names, env, depth + 1)
            if got:
                return got
        return None
    if isinstance(expr, ast.Subscript) and ast.unparse(expr.value) in ("os.environ", "environ"):
        key = _value_of(expr.slice, names, env, depth + 1)
        return env.get(key) if key else None
    if isinstance(expr, ast.Call) and _is_env_read(expr) and expr.args:
        key = _value_of(expr.args[0], names, env, depth + 1)
        if key is None:
            return None
        if key in env:
            return env[key]
        return _value_of(expr.args[1], names, env, depth + 1) if len(expr.args) > 1 else None
    return None


def passed_values(source: str, env: dict[str, str]) -> dict[str, str | None]:
    """Every keyword the entry passes its stack -> the string value it passes under ``env`` (None
    where that cannot be read without running it). What the contract rules judge against."""
    call = stack_call(source)
    if call is None:
        return {}
    tree = ast.parse(source)
    names = _assignments(tree)
    node = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n, "lineno", 0) == call.line
                and isinstance(n.func, ast.Name) and n.func.id == call.cls)
    return {k.arg: _value_of(k.value, names, env) for k in node.keywords if k.arg is not None}
