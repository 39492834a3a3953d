"""Which of a response's Python files the stack's import graph reaches, read by AST (nothing runs).

Static checks and lint look at every Python file of the response (a ``main.py`` or ``bin/`` script
holds wrong imports as often as ``lib/``), but a defect in a file the task's entry never imports
cannot break synthesis: its findings are marked ``outside_graph`` and the catalogue rates them one
level lower (``graders.catalogue.OUTSIDE_GRAPH_DOWNGRADE``).
"""

from __future__ import annotations

import ast


def _module_path(module: str, files: set[str]) -> str | None:
    base = module.replace(".", "/")
    return next((p for p in (f"{base}.py", f"{base}/__init__.py") if p in files), None)


def _imported(tree: ast.AST, here: str) -> list[str]:
    """Module names a file imports (relative ones resolved against its own package)."""
    package = here.rsplit("/", 1)[0].replace("/", ".") if "/" in here else ""
    out: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                parts = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join([*parts, base] if base else parts)
            out.append(base)
            out += [f"{base}.{a.name}" for a in node.names]  # from pkg import module
    return out


def reachable(sources: dict[str, str], roots: list[str]) -> set[str]:
    """The files of ``sources`` (path -> text) that the ``roots`` (paths) import, directly or not,
    roots included. A file that does not parse ends its branch."""
    files = set(sources)
    seen: set[str] = set()
    todo = [r for r in roots if r in files]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        try:
            tree = ast.parse(sources[path])
        except (SyntaxError, ValueError):
            continue
        for name in _imported(tree, path):
            parts = name.split(".")
            for i in range(1, len(parts) + 1):  # a.b.c imports a/__init__, a/b/__init__ and a/b/c
                found = _module_path(".".join(parts[:i]), files)
                if found and found not in seen:
                    todo.append(found)
    return seen
