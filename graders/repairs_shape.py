"""Repairs for a value of the wrong shape, so the stages after it can judge the rest.

jsii names the shape it wanted in its deserialization tree: ``Key 'expiration': Unable to
deserialize value as ... array<...Expiration>`` over ``Failing value is an object`` (provider v21
takes every block as a list; models often pass one block) or the reverse, one struct wanted and a
list given. ``wrap_in_list`` puts such a value in a list (or takes the one element out of a
one-element list) where the call that raised, or the function around it, passes that key.
``add_argument`` gives a required argument the call left out a placeholder of its declared type
(the worker builds it: ``harness/worker/toolchain_placeholders.py``; an empty list, False, 0, a
struct of placeholders, or a string named so the configuration shows it came from the harness).
All are recorded findings with their diffs; the response as written keeps its verdict.
"""

from __future__ import annotations

import ast
import re

from .edits import Files, Repair, apply_edits, first, import_edit, offset, source, span
from .repairs_args import call_site, site_of

KEY = re.compile(r"Key '(\w+)': Unable to deserialize value as (.*)")
FAILING = re.compile(r"Failing value is an? (\w+)")
MISSING_ARG = re.compile(r"(\w+)\.__init__\(\) missing \d+ required (?:keyword-only |positional )?arguments?: (.*)")


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def shape_keys(message: str) -> dict[str, str]:
    """Each key whose value jsii rejected for its shape: ``wrap`` (a list wanted, one value given)
    or ``unwrap`` (one struct wanted, a list given), by the key's Python (snake_case) name."""
    lines = message.splitlines()
    out: dict[str, str] = {}
    for i, line in enumerate(lines):
        key = KEY.search(line)
        failing = FAILING.search(lines[i + 1]) if key and i + 1 < len(lines) else None
        if not key or not failing:
            continue
        wants_list, got = "array<" in key.group(2), failing.group(1)
        if wants_list and got == "object":
            out[_snake(key.group(1))] = "wrap"
        elif not wants_list and got == "array" and "@cdktf/provider-aws" in key.group(2):
            out[_snake(key.group(1))] = "unwrap"
    return out


STRUCT = re.compile(r"Unable to deserialize value as @cdktf/provider-aws\.(\w+)\.(\w+)\s*$")


def map_keys(message: str) -> dict[str, tuple[str, str]]:
    """Each key whose value (or list element) is a dict where jsii wants the provider's struct:
    key -> (Python module, struct class). jsii shows a dict as ``'$jsii.map'``; the provider's
    own structs arrive as ``'$jsii.struct'``."""
    lines = message.splitlines()
    out: dict[str, tuple[str, str]] = {}
    key = None
    for i, line in enumerate(lines):
        if m := KEY.search(line):
            key = _snake(m.group(1))
        struct = STRUCT.search(line)
        if (struct and key and not struct.group(2).endswith("Config") and i + 2 < len(lines)
                and FAILING.search(lines[i + 1]) and "'$jsii.map'" in lines[i + 2]):
            out.setdefault(key, (f"cdktf_cdktf_provider_aws.{_snake(struct.group(1))}", struct.group(2)))
    return out


def _enclosing(tree: ast.AST, line: int) -> list[ast.AST]:
    """Where to look for the key, nearest first: the outermost call spanning ``line``, then the
    function around it (the value is often built in a variable before the call)."""
    spans = [n for n in ast.walk(tree) if isinstance(n, (ast.Call, ast.FunctionDef))
             and n.lineno <= line <= (n.end_lineno or n.lineno)]
    calls = [n for n in spans if isinstance(n, ast.Call)]
    funcs = [n for n in spans if isinstance(n, ast.FunctionDef)]
    out: list[ast.AST] = []
    if calls:
        out.append(max(calls, key=lambda n: (n.end_lineno or n.lineno) - n.lineno))
    if funcs:
        out.append(min(funcs, key=lambda n: (n.end_lineno or n.lineno) - n.lineno))
    return out


def _values(scope: ast.AST, key: str) -> list[ast.expr]:
    """The values given ``key``, as a keyword argument or a dict key (snake or camel case)."""
    camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), key)
    found: list[ast.expr] = []
    for n in ast.walk(scope):
        if isinstance(n, ast.keyword) and n.arg == key:
            found.append(n.value)
        elif isinstance(n, ast.Dict):
            found += [v for k, v in zip(n.keys, n.values)
                      if isinstance(k, ast.Constant) and k.value in (key, camel)]
    return found


def _edit(text: str, value: ast.expr, how: str) -> tuple[int, int, str] | None:
    start, end = span(text, value)
    if how == "wrap" and not isinstance(value, (ast.List, ast.ListComp, ast.Tuple)):
        return (start, end, "[" + text[start:end] + "]")
    if how == "unwrap" and isinstance(value, ast.List) and len(value.elts) == 1:
        return (start, end, source(text, value.elts[0]))
    return None


def wrap_in_list(signals: list[dict], files: Files, _response: Files | None = None) -> Repair | None:
    """Give each key jsii rejected for its shape the shape it wants, near the call that raised."""
    keys = shape_keys("\n".join(str(s.get("message", "")) for s in signals))
    site = site_of(signals, files) if keys else None
    if site is None:
        return None
    path, line, text, tree = site
    for scope in _enclosing(tree, line):
        edits = {(e[0], e[1]): e for key, how in keys.items() for v in _values(scope, key)
                 if (e := _edit(text, v, how)) is not None}
        if edits:
            what = ", ".join(f"{k} ({'one value in a list' if h == 'wrap' else 'the list element alone'})"
                             for k, h in sorted(keys.items()))
            return Repair("wrap-in-list", f"{path}:{line}: give {what} the shape the provider declares",
                          {path: apply_edits(text, sorted(edits.values()))})
    return None


def _dicts(value: ast.expr) -> list[ast.Dict]:
    """The dict literals a value is: itself, the elements of a list literal, or those of either
    branch of a conditional (``[{...}] if provisioned else [{...}]``)."""
    if isinstance(value, ast.Dict):
        return [value]
    if isinstance(value, (ast.List, ast.Tuple)):
        return [e for e in value.elts if isinstance(e, ast.Dict)]
    if isinstance(value, ast.IfExp):
        return _dicts(value.body) + _dicts(value.orelse)
    return []


def map_to_struct(signals: list[dict], files: Files, _response: Files | None = None) -> Repair | None:
    """Build the struct class from each dict literal jsii received where it wants a struct (dicts
    the static check could not place: built in a variable, or inside another dict)."""
    keys = map_keys("\n".join(str(s.get("message", "")) for s in signals))
    site = site_of(signals, files) if keys else None
    if site is None:
        return None
    path, line, text, tree = site
    for scope in _enclosing(tree, line):
        found = [(d, keys[k]) for k in keys for v in _values(scope, k) for d in _dicts(v)]
        if not found:
            continue
        edits: list[tuple[int, int, str]] = []
        for d, (_, cls) in found:
            start, end = span(text, d)
            edits += [(start, start, f"{cls}(**"), (end, end, ")")]
        imports = sorted({m_c for _, m_c in found})
        new = apply_edits(text, sorted(set(edits)) + [import_edit(text, f"from {m} import {c}") for m, c in imports])
        return Repair("map-to-struct", f"{path}:{line}: build {', '.join(c for _, c in imports)} instead of dicts",
                      {path: new})
    return None


def add_argument(signals: list[dict], files: Files, _response: Files | None = None) -> Repair | None:
    """Give the call a placeholder for each required argument it left out."""
    m = MISSING_ARG.search(" ".join(str(s.get("message", "")) for s in signals))
    path, line = call_site(signals)
    if not m or path not in files or not line:
        return None
    cls, names = m.group(1), re.findall(r"'(\w+)'", m.group(2))
    text = files[path]
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and n.lineno <= line <= (n.end_lineno or n.lineno)
             and ast.unparse(n.func).split(".")[-1] == cls]
    if not calls or not names:
        return None
    call = min(calls, key=lambda n: (n.end_lineno or n.lineno) - n.lineno)
    if any(k.arg is None for k in call.keywords):  # **kwargs may carry it: nothing mechanical to add
        return None
    end = offset(text, call.end_lineno, call.end_col_offset) - 1  # the closing parenthesis
    before = text[:end].rstrip()
    sep = "" if before.endswith(("(", ",")) else ", "
    values = first(signals, "arg_placeholders") or {}  # the worker's, from the declared types
    added = ", ".join(f"{n}={values.get(n) or repr('tapgrade-missing-' + n)}" for n in names)
    return Repair("add-argument", f"{path}:{call.lineno}: {cls} requires {', '.join(names)}: "
                  f"given a placeholder ({added})", {path: apply_edits(text, [(end, end, sep + added)])})


EMPTY_ZIP = "PK\x05\x06" + "\x00" * 18  # the end-of-central-directory record alone: a valid, empty archive


def _packs_a_directory(signals: list[dict], files: Files) -> bool:
    """Whether the call that raised is a TerraformAsset of type ARCHIVE or DIRECTORY."""
    site = site_of(signals, files)
    if site is None:
        return False
    path, line, _, tree = site
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and n.lineno <= line <= (n.end_lineno or n.lineno)]
    return any(isinstance(k.value, ast.Attribute) and k.value.attr in ("ARCHIVE", "DIRECTORY")
               for c in calls for k in c.keywords if k.arg == "type")


def create_asset(signals: list[dict], files: Files, _response: Files | None = None) -> Repair | None:
    """A file the code packages that the response does not ship: an empty one (an empty zip for a
    ``.zip``) in the scratch copy, so the stages after synth judge the rest; the finding stays."""
    path = next((s["missing_path"] for s in signals if s.get("missing_path")), None)
    if not path or path in files:
        return None
    if _packs_a_directory(signals, files):  # TerraformAsset ARCHIVE / DIRECTORY: cdktf wants a folder there
        return Repair("create-asset", f"{path}: the response does not ship it; an empty folder stands in",
                      {f"{path}/.tapgrade-placeholder": ""})
    archive = path.endswith(".zip")
    return Repair("create-asset", f"{path}: the response does not ship it; an empty "
                  f"{'archive' if archive else 'file'} stands in", {path: EMPTY_ZIP if archive else ""})
