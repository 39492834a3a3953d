"""The code is checked the way CI checks it: ruff and mypy, configured in pyproject.toml (mypy on
the harness side; the modules that run inside the toolchain interpreter are checked by running
them), and an import graph without a circle in which neither the engine nor the CLI names a
backend (they ask the registry)."""

from __future__ import annotations

import ast
import shutil
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


# What a reader can hold in mind at once (issue 16): measured on every harness and graders module,
# the worker's included. radon computes the cyclomatic complexity (the same numbers `radon cc` prints).
MAX_MODULE_LINES, MAX_FUNCTION_LINES, MAX_COMPLEXITY = 300, 60, 20


def _blocks(blocks):
    """radon's functions, methods and nested functions, flattened."""
    for b in blocks:
        if hasattr(b, "methods"):
            yield from _blocks(b.methods)
        else:
            yield b
        yield from _blocks(getattr(b, "closures", []))


def test_modules_and_functions_stay_small() -> None:
    from radon.complexity import cc_visit

    over = []
    files = [p for top in ("harness", "graders") for p in sorted((REPO / top).rglob("*.py"))
             if "workspace_template" not in p.parts]
    for path in files:
        rel, text = path.relative_to(REPO), path.read_text(encoding="utf-8")
        if len(text.splitlines()) > MAX_MODULE_LINES:
            over.append(f"{rel}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    over.append(f"{rel}:{node.lineno} {node.name}: {n} lines")
        over += [f"{rel}:{b.lineno} {b.name}: complexity {b.complexity}"
                 for b in _blocks(cc_visit(text)) if b.complexity > MAX_COMPLEXITY]
    assert len(files) > 50
    assert not over, "over the limits:\n" + "\n".join(over)


def test_an_installed_copy_holds_every_module(tmp_path: Path) -> None:
    """The grading image installs the harness without -e: every module and data file must be in
    that copy (a hand-kept package list once left a new package out). Built from a clean copy of
    the source, so no build/ directory of an earlier install can fill the gaps."""
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for part in ("harness", "graders"):
        shutil.copytree(REPO / part, src / part, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                           "--target", str(tmp_path / "site"), str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    shipped = {p.relative_to(tmp_path / "site").as_posix() for p in (tmp_path / "site").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts and ".dist-info" not in p.parts[0]}
    source = {p.relative_to(src).as_posix() for top in ("harness", "graders") for p in (src / top).rglob("*")
              if p.is_file()}
    assert source - shipped == set()
