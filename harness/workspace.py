"""Workspace = the harness's cdktf-py template + one response's extracted files.

The entry point belongs to the task, not to the response: a response's own ``tap.py`` is kept
in the record but never run. Which ``tap.py`` runs is decided here, in one place:

1. the task bundle's own ``tap.py`` (harness layout);
2. for archive-layout tasks, the ``tap.py`` of the IDEAL_RESPONSE (the reference's contract,
   which the prompt usually states; a fixed template alone wrongly breaks about one corpus task
   in ten whose contract differs);
3. the template's.

Every write goes through ``_write_inside`` so a response path can never leave the workspace.
"""

from __future__ import annotations

import ast
import hashlib
import shutil
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .bundles import Task
from .extract import Extraction, extract

TEMPLATE_FILES = ("tap.py", "cdktf.json", "pylintrc", "lib/__init__.py")
# Files the harness owns: a response's version is recorded, never written over the template's.
PROTECTED = {"tap.py", "cdktf.json", ".pylintrc", "pylintrc"}


@dataclass(frozen=True)
class Entry:
    source: str
    origin: str  # "task" | "ideal" | "template"

    @property
    def stack_modules(self) -> list[str]:
        """The ``lib.*`` modules the entry imports: what the import stage loads."""
        return entry_stack_modules(self.source)


@dataclass
class Workspace:
    root: Path
    entry: Entry
    files: dict[str, str] = field(default_factory=dict)  # response files written, path -> sha256
    skipped: dict[str, str] = field(default_factory=dict)  # response path -> why not written

    @property
    def lint_targets(self) -> list[str]:
        """The response's Python files under lib/ (what the reference pipeline lints)."""
        return sorted(p for p in self.files if p.startswith("lib/") and p.endswith(".py"))

    @property
    def rcfile(self) -> Path:
        return self.root / ".pylintrc"


def template_text(name: str) -> str:
    return resources.files("harness.template").joinpath(name).read_text(encoding="utf-8")


def template_digest() -> str:
    """Hash of the template: part of every result's cache key."""
    h = hashlib.sha256()
    for name in TEMPLATE_FILES:
        h.update(name.encode() + b"\0" + template_text(name).encode() + b"\0")
    return h.hexdigest()


def entry_stack_modules(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    mods = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module
            and n.level == 0 and (n.module == "lib" or n.module.startswith("lib."))]
    return list(dict.fromkeys(mods))


def choose_entry(task: Task) -> Entry:
    if task.tap_py is not None:
        return Entry(task.tap_py.read_text(encoding="utf-8"), "task")
    if task.layout == "archive" and "ideal" in task.responses:
        ideal = extract(task.responses["ideal"].read_text(encoding="utf-8"))
        tap = ideal.files.get("tap.py")
        if tap is not None and entry_stack_modules(tap.text):
            return Entry(tap.text, "ideal")
    return Entry(template_text("tap.py"), "template")


def _write_inside(root: Path, rel: str, data: str | bytes) -> Path:
    target = (root / rel).resolve()
    if not target.is_relative_to(root.resolve()):
        raise ValueError(f"path {rel!r} leaves the workspace")
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        target.write_bytes(data)
    else:
        target.write_text(data, encoding="utf-8")
    return target


def clear_dir(dest: Path) -> None:
    """Empty ``dest`` but keep the directory itself.

    A warm worker's jsii node process resolves relative paths (``cdktf.out``, asset paths)
    against the cwd it was born with; the directory inode must survive between variants.
    """
    dest.mkdir(parents=True, exist_ok=True)
    for child in dest.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def materialize(dest: Path, task: Task, extraction: Extraction, entry: Entry) -> Workspace:
    """Build a fresh workspace in ``dest`` (emptied first, directory kept)."""
    clear_dir(dest)
    ws = Workspace(dest, entry)
    if task.files_dir is not None:
        for src in sorted(task.files_dir.rglob("*")):
            if src.is_file() and not src.is_symlink():
                _write_inside(dest, src.relative_to(task.files_dir).as_posix(), src.read_bytes())
    _write_inside(dest, "tap.py", entry.source)
    _write_inside(dest, "cdktf.json", template_text("cdktf.json"))
    _write_inside(dest, ".pylintrc", template_text("pylintrc"))
    _write_inside(dest, "lib/__init__.py", template_text("lib/__init__.py"))
    for path, f in sorted(extraction.files.items()):
        if path in PROTECTED:
            ws.skipped[path] = "owned by the task template; recorded, not used"
            continue
        try:
            _write_inside(dest, path, f.text)
        except (ValueError, OSError) as exc:
            ws.skipped[path] = str(exc)
            continue
        ws.files[path] = hashlib.sha256(f.text.encode()).hexdigest()
    return ws
