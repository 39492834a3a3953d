"""Repairs of a provider import statement, all its wrong names in one round.

The worker's static check lists every name an import statement asks of a module that lacks it,
with where the provider really defines it (``statement``: name -> home module, suggestions).
``relocate_import`` imports each name from its home (models often import ``Vpc`` from the top
package, as if it were flat). ``stub_missing_names`` takes out the names that have no home and no
honest near miss (often a block the model imagined as a struct class, where the provider takes
plain arguments) and binds each to a function returning None, so an argument given one is left
unset. Names with a near miss are left to the rename repair. The statement keeps its lines, so
findings after the repair still map to the response's lines.
"""

from __future__ import annotations

import ast
import re

from .edits import STUBBED, Files, Repair, apply_edits, file_of, first, import_edit, offset, python_modules, span
from .near_miss import near_misses


def _statement(signals: list[dict], files: Files) -> tuple[str, str, ast.ImportFrom, dict] | None:
    """The file, its text, the import statement the evidence names, and its missing names."""
    path, name = file_of(signals), first(signals, "missing_name")
    static = [s for s in signals if s.get("kind") in ("static-import", "static-module") and s.get("file") == path]
    line, statement = first(static, "line"), first(static, "statement")
    if path not in files or not name:
        return None
    try:
        tree = ast.parse(files[path])
    except SyntaxError:
        return None
    node = next((n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                 and any(a.name == name for a in n.names) and (line is None or n.lineno == line)), None)
    if node is None:
        return None
    return path, files[path], node, statement or {name: {"home": None, "suggestions": first(signals, "suggestions") or []}}


def _rewrite(text: str, node: ast.ImportFrom, moved: dict[str, tuple[str, str]], dropped: set[str],
             stubs: tuple[str, ...] = ()) -> tuple[int, int, str]:
    """The statement with ``moved`` names imported from their home, ``dropped`` ones gone and
    ``stubs`` bound to a function that returns None, on the same lines (statements joined by
    ``;``, the line breaks kept after them): bound where the import was, so module-level code
    after it (an adopted app's) sees them."""
    start = offset(text, node.lineno, node.col_offset)
    end = offset(text, node.end_lineno, node.end_col_offset)
    kept = [a for a in node.names if a.name not in moved and a.name not in dropped]

    def alias(a: ast.alias) -> str:
        return a.name + (f" as {a.asname}" if a.asname else "")

    parts = [f"from {'.' * node.level}{node.module or ''} import {', '.join(alias(a) for a in kept)}"] if kept else []
    parts += [f"from {moved[a.name][0]} import {moved[a.name][1]}"
              + (f" as {a.asname or a.name}" if (a.asname or a.name) != moved[a.name][1] else "")
              for a in node.names if a.name in moved]
    parts += [f"{n} = lambda *_args, **_kwargs: None" for n in stubs]
    return (start, end, ("; ".join(parts) or "pass") + "\n" * text.count("\n", start, end))


def relocate_import(signals: list[dict], files: Files) -> Repair | None:
    """Import each name of the statement that lives in another provider module from there."""
    found = _statement(signals, files)
    if found is None:
        return None
    path, text, node, statement = found
    present = {a.name for a in node.names}
    moved = {n: (s["home"], s.get("home_name") or n) for n, s in statement.items()
             if s.get("home") and n in present and s["home"] != node.module}
    if not moved:
        return None
    gone = _homeless(statement, node)  # in the same round, or the statement left behind is found again
    where = ", ".join(f"{n} from {m}" + (f" as {c}" if c != n else "") for n, (m, c) in sorted(moved.items()))
    return Repair("relocate-import", f"{path}:{node.lineno}: import {where}"
                  + (f"; {', '.join(gone)} (defined nowhere) {STUBBED}" if gone else ""),
                  {path: apply_edits(text, [_rewrite(text, node, moved, set(gone), tuple(gone))])})


def _homeless(statement: dict, node: ast.ImportFrom) -> list[str]:
    """The statement's names with no home and no honest near miss, imported under their own name."""
    return sorted(n for n, s in statement.items()
                  if not s.get("home") and not near_misses(n, s.get("suggestions") or [])
                  and any(a.name == n and a.asname is None for a in node.names))


def stub_missing_names(signals: list[dict], files: Files) -> Repair | None:
    """Take the statement's names that have no home and no near miss out; calls to them give None."""
    found = _statement(signals, files)
    if found is None:
        return None
    path, text, node, statement = found
    gone = _homeless(statement, node)
    if not gone:
        return None
    new = apply_edits(text, [_rewrite(text, node, {}, set(gone), tuple(gone))])
    return Repair("stub-missing-name", f"{path}:{node.lineno}: {node.module} has no {', '.join(gone)} nor a near "
                  "miss (if it is a block of a resource, its fields are plain arguments): calls to it give None, "
                  "so the argument given one is left unset", {path: new})


JSON_LITERALS = {"true": "True", "false": "False", "null": "None"}


def define_name(signals: list[dict], files: Files, _response: Files | None = None) -> Repair | None:
    """A name the code never defines: a JSON literal becomes Python's throughout the module; a
    provider class is imported from the module that defines it (on the line of the module's first
    import, so the lines stay and the name is bound before any module-level code runs)."""
    name, path = first(signals, "undefined_name"), file_of(signals)
    if not name or path not in files:
        return None
    text = files[path]
    if name in JSON_LITERALS:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            return None
        edits = [(*span(text, n), JSON_LITERALS[name]) for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == name]
        return Repair("define-name", f"{path}: JSON {name} written as Python {JSON_LITERALS[name]}",
                      {path: apply_edits(text, edits)}) if edits else None
    home, real = first(signals, "home_module"), first(signals, "home_name")
    if not home:
        return _stub_undefined(name, path, text)
    statement = f"from {home} import {real}" + (f" as {name}" if real != name else "")
    if statement in text:  # imported already, and still undefined where it is used: not this repair's
        return None
    return Repair("define-name", f"{path}: {name} is used but never imported: imported from {home}",
                  {path: apply_edits(text, [import_edit(text, statement)])})


def _stub_undefined(name: str, path: str, text: str) -> Repair | None:
    """A class-like name defined nowhere (a construct the response never wrote): bound to a stub
    that returns None, on the first import line, so the rest of the stack can be built and judged."""
    stub = f"{name} = lambda *_args, **_kwargs: None"
    if not name[:1].isupper() or stub in text:
        return None
    return Repair("stub-missing-name", f"{path}: {name} is used but defined nowhere (not in the response, not in "
                  "the provider): calls to it give None", {path: apply_edits(text, [import_edit(text, stub)])})


def _local_prefix(module: str, files: Files) -> str | None:
    """The package the response ships ``module`` under, when exactly one file path ends as the
    module would (``stacks.vpc_stack`` -> ``lib`` for lib/stacks/vpc_stack.py)."""
    tail = module.replace(".", "/")
    prefixes = {p[: -len(suffix)].replace("/", ".") for p in files
                for suffix in (f"/{tail}.py", f"/{tail}/__init__.py") if p.endswith(suffix)}
    return next(iter(prefixes)) if len(prefixes) == 1 else None


def local_module(signals: list[dict], files: Files, _response: Files | None = None) -> Repair | None:
    """A module the response ships under another package path than it imports it by (``from
    stacks.x import X`` while the file is lib/stacks/x.py): every such import of the response
    rewritten to the path it ships (lines kept)."""
    missing = first(signals, "missing_module")
    if not missing or "." in missing:
        return None
    out: dict[str, str] = {}
    moved: set[str] = set()
    for path, text, tree in python_modules(files):
        edits = []
        for n in ast.walk(tree):
            if not (isinstance(n, ast.ImportFrom) and n.level == 0 and n.module
                    and (n.module == missing or n.module.startswith(missing + "."))):
                continue
            prefix = _local_prefix(n.module, files)
            if prefix is None:
                continue
            new = f"{prefix}.{n.module}"
            start = offset(text, n.lineno, n.col_offset)
            m = re.match(rf"from\s+{re.escape(n.module)}\b", text[start:])
            if m:
                edits.append((start, start + m.end(), f"from {new}"))
                moved.add(f"{n.module} -> {new}")
        if edits:
            out[path] = apply_edits(text, edits)
    if not out:
        return None
    return Repair("local-module", f"{', '.join(sorted(out))}: import the response's own modules by the path it "
                  f"ships them under ({'; '.join(sorted(moved))})", out)
