"""Repairs of a provider import statement, all its wrong names in one round.

The worker's static check lists every name an import statement asks of a module that lacks it,
with where the provider really defines it (``statement``: name -> home module, suggestions).
``relocate_import`` imports each name from its home (models often import ``Vpc`` from the top
package, as if it were flat). ``stub_missing_names`` takes out the names that have no home and no
honest near miss (often a block the model imagined as a struct class, where the provider takes
plain arguments) and defines each as a function returning None, so an argument given one is left
unset. Names with a near miss are left to the rename repair. The statement keeps its lines, so
findings after the repair still map to the response's lines.
"""

from __future__ import annotations

import ast

from .edits import MARK, Files, Repair, apply_edits, file_of, first, offset
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


def _rewrite(text: str, node: ast.ImportFrom, moved: dict[str, tuple[str, str]], dropped: set[str]) -> tuple[int, int, str]:
    """The statement with ``moved`` names imported from their home and ``dropped`` ones gone, on
    the same lines (statements joined by ``;``, the line breaks kept after them)."""
    start = offset(text, node.lineno, node.col_offset)
    end = offset(text, node.end_lineno, node.end_col_offset)
    kept = [a for a in node.names if a.name not in moved and a.name not in dropped]

    def alias(a: ast.alias) -> str:
        return a.name + (f" as {a.asname}" if a.asname else "")

    parts = [f"from {'.' * node.level}{node.module or ''} import {', '.join(alias(a) for a in kept)}"] if kept else []
    parts += [f"from {moved[a.name][0]} import {moved[a.name][1]}"
              + (f" as {a.asname or a.name}" if (a.asname or a.name) != moved[a.name][1] else "")
              for a in node.names if a.name in moved]
    return (start, end, ("; ".join(parts) or "pass") + "\n" * text.count("\n", start, end))


def relocate_import(signals: list[dict], files: Files) -> Repair | None:
    """Import each name of the statement that lives in another provider module from there."""
    found = _statement(signals, files)
    if found is None:
        return None
    path, text, node, statement = found
    present = {a.name for a in node.names}
    moved = {n: (s["home"], s.get("home_name") or n) for n, s in statement.items() if s.get("home") and n in present}
    if not moved:
        return None
    where = ", ".join(f"{n} from {m}" + (f" as {c}" if c != n else "") for n, (m, c) in sorted(moved.items()))
    return Repair("relocate-import", f"{path}:{node.lineno}: import {where}",
                  {path: apply_edits(text, [_rewrite(text, node, moved, set())])})


def stub_missing_names(signals: list[dict], files: Files) -> Repair | None:
    """Take the statement's names that have no home and no near miss out; calls to them give None."""
    found = _statement(signals, files)
    if found is None:
        return None
    path, text, node, statement = found
    gone = sorted(n for n, s in statement.items()
                  if not s.get("home") and not near_misses(n, s.get("suggestions") or [])
                  and any(a.name == n and a.asname is None for a in node.names))
    if not gone:
        return None
    new = apply_edits(text, [_rewrite(text, node, {}, set(gone))]).rstrip("\n") + "\n"
    new += "".join(f"\n\ndef {n}(*_args, **_kwargs):{MARK}\n    return None{MARK}\n" for n in gone)
    return Repair("stub-missing-name", f"{path}:{node.lineno}: {node.module} has no {', '.join(gone)} nor a near "
                  "miss (if it is a block of a resource, its fields are plain arguments): calls to it give None, "
                  "so the argument given one is left unset", {path: new})


JSON_LITERALS = {"true": "True", "false": "False", "null": "None"}


def define_name(signals: list[dict], files: Files, _response: Files | None = None) -> Repair | None:
    """A name the code never defines: a JSON literal becomes Python's throughout the module; a
    provider class is imported from the module that defines it (at the end of the module, so the
    lines stay and the import is done before any stack is built)."""
    name, path = first(signals, "undefined_name"), file_of(signals)
    if not name or path not in files:
        return None
    text = files[path]
    if name in JSON_LITERALS:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            return None
        edits = [(offset(text, n.lineno, n.col_offset), offset(text, n.end_lineno, n.end_col_offset), JSON_LITERALS[name])
                 for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == name]
        return Repair("define-name", f"{path}: JSON {name} written as Python {JSON_LITERALS[name]}",
                      {path: apply_edits(text, edits)}) if edits else None
    home, real = first(signals, "home_module"), first(signals, "home_name")
    if not home:
        return None
    alias = f" as {name}" if real != name else ""
    new = text.rstrip("\n") + f"\nfrom {home} import {real}{alias}{MARK}\n"
    return Repair("define-name", f"{path}: {name} is used but never imported: imported from {home}", {path: new})
