"""The code is checked the way CI checks it: ruff and mypy, configured in pyproject.toml (mypy on
the harness side; the modules that run inside the toolchain interpreter are checked by running
them), and an import graph without a circle in which neither the engine nor the CLI names a
backend (they ask the registry)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_ruff_finds_nothing() -> None:
    proc = subprocess.run([str(BIN / "ruff"), "check", "harness", "graders", "tests", "bench", "scripts"],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_finds_nothing() -> None:
    proc = subprocess.run([str(BIN / "mypy")], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _imports() -> dict[str, set[str]]:
    """Module -> the harness/graders modules it imports (anywhere in it, functions included)."""
    files = {".".join(p.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__"): p
             for top in ("harness", "graders") for p in (REPO / top).rglob("*.py") if "workspace_template" not in p.parts}
    graph: dict[str, set[str]] = {}
    for mod, path in files.items():
        package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package
                for _ in range(node.level - 1):
                    base = base.rsplit(".", 1)[0]
                full = (f"{base}.{node.module}" if node.module else base) if node.level else (node.module or "")
                found |= {full, *(f"{full}.{a.name}" for a in node.names)}
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
        graph[mod] = {m for m in found if m in files and m != mod}
    return graph


def test_no_import_circle() -> None:
    graph = _imports()
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(mod: str) -> None:
        state[mod] = 1
        path.append(mod)
        for dep in sorted(graph[mod]):
            assert state.get(dep) != 1, "import circle: " + " -> ".join(path[path.index(dep):] + [dep])
            if dep not in state:
                visit(dep)
        path.pop()
        state[mod] = 2

    for mod in sorted(graph):
        if mod not in state:
            visit(mod)
    assert len(graph) > 40


def test_engine_and_cli_name_no_backend() -> None:
    graph = _imports()
    concrete = {m for m in graph if m.startswith("harness.backends.")}
    assert concrete >= {"harness.backends.local", "harness.backends.docker"}
    for mod in ("harness.engine", "harness.cli", *sorted(m for m in graph if m.startswith("harness.cli."))):
        assert not graph[mod] & concrete, (mod, graph[mod] & concrete)
        assert "docker" not in graph[mod] and "harness.slot_server" not in graph[mod]
