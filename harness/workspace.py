"""Workspace = the harness's cdktf-py template + one response's extracted files.

The entry point belongs to the task, not to the response (``contract.py`` decides which one):
it is written at its own path (``tap.py``, ``bin/main.py``, ...) and a response's file at that
path is kept in the record but never run. The ``reference`` variant is the reference directory
itself, copied as it is (Lambda sources and zips included, its tests left out).

Every write goes through ``_write_inside`` so a response path can never leave the workspace.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .bundles import Task
from .contract import Entry, template_text
from .extract import ExtractedFile, Extraction

TEMPLATE_FILES = ("tap.py", "cdktf.json", "pylintrc", "lib/__init__.py")
# Files the harness owns: a response's version is recorded, never written over the task's. The
# entry point's own path is added per task (``protected``).
PROTECTED = {"tap.py", "cdktf.json", ".pylintrc", "pylintrc"}
# Not part of the reference's app: its tests (they import the stack, they are not run by synth),
# and what a checkout may carry.
REFERENCE_SKIP = {"tests", "test", ".git", "__pycache__", "node_modules", "cdktf.out", ".gen", ".terraform"}


def protected(entry: Entry) -> set[str]:
    return PROTECTED | {entry.path}


@dataclass
class Workspace:
    root: Path
    entry: Entry
    files: dict[str, str] = field(default_factory=dict)  # response files written, path -> sha256
    skipped: dict[str, str] = field(default_factory=dict)  # response path -> why not written
    refused_links: list[str] = field(default_factory=list)  # symlinks of the bundle's files/ or reference/

    @property
    def python_files(self) -> list[str]:
        """Every Python file of the response written here, but its tests (what static checks and
        lint read: a main.py or bin/ script is the response's code as much as lib/ is)."""
        return sorted(p for p in self.files if p.endswith(".py") and not _is_test(p))

    @property
    def rcfile(self) -> Path:
        return self.root / ".pylintrc"


def _is_test(path: str) -> bool:
    parts = path.split("/")
    return parts[0] in ("tests", "test") or parts[-1].startswith("test_") or parts[-1].endswith("_test.py")


def template_digest() -> str:
    """Hash of the template: part of every result's cache key."""
    h = hashlib.sha256()
    for name in TEMPLATE_FILES:
        h.update(name.encode() + b"\0" + template_text(name).encode() + b"\0")
    return h.hexdigest()


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


def _tree_files(root: Path, skip: set[str] | frozenset[str] = frozenset(),
                links: list[str] | None = None) -> list[tuple[str, Path]]:
    """Regular files under ``root`` (relative POSIX path, path), sorted; symlinks are neither
    followed nor copied (one could point anywhere on the host) but named in ``links``; top-level
    names in ``skip`` left out."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):  # os.walk never descends into a symlinked dir
        here = Path(dirpath)
        if here == root:
            dirnames[:] = [d for d in dirnames if d not in skip]
        for name in [*filenames, *(d for d in dirnames if (here / d).is_symlink())]:
            src = here / name
            rel = src.relative_to(root).as_posix()
            if here == root and name in skip:
                continue
            if src.is_symlink():
                if links is not None:
                    links.append(rel)
            elif src.is_file():
                out.append((rel, src))
    return sorted(out)


def reference_extraction(ref: Path, entry: Entry) -> Extraction:
    """The reference directory as an extraction: its text files (binary ones, such as Lambda
    zips, are copied by ``materialize``), with no markdown lines to map back to."""
    out = Extraction()
    for rel, src in _tree_files(ref, REFERENCE_SKIP):
        if rel in protected(entry):
            continue
        try:
            text = src.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        out.files[rel] = ExtractedFile(rel, text, 0, -1, "reference")
    return out


def reference_digest(ref: Path) -> str:
    """Hash of the reference's files: its variant's input, as the markdown is a response's."""
    h = hashlib.sha256()
    for rel, src in _tree_files(ref, REFERENCE_SKIP):
        h.update(rel.encode() + b"\0" + src.read_bytes() + b"\0")
    return h.hexdigest()


def materialize(dest: Path, task: Task, extraction: Extraction, entry: Entry, base: Path | None = None) -> Workspace:
    """Build a fresh workspace in ``dest`` (emptied first, directory kept).

    ``base``: a directory copied in first, byte for byte (the reference variant's code)."""
    clear_dir(dest)
    ws = Workspace(dest, entry)
    for tree, skip in ((task.files_dir, set()), (base, REFERENCE_SKIP)):
        if tree is not None:
            links: list[str] = []
            for rel, src in _tree_files(tree, skip, links):
                _write_inside(dest, rel, src.read_bytes())
            ws.refused_links += [f"{tree.name}/{rel}" for rel in links]
    _write_inside(dest, entry.path, entry.source)
    _write_inside(dest, "cdktf.json", template_text("cdktf.json"))
    _write_inside(dest, ".pylintrc", template_text("pylintrc"))
    if not (dest / "lib" / "__init__.py").exists():
        _write_inside(dest, "lib/__init__.py", template_text("lib/__init__.py"))
    owned = protected(entry)
    for path, f in sorted(extraction.files.items()):
        if path in owned:
            ws.skipped[path] = "owned by the task (its entry point or project files); recorded, not used"
            continue
        try:
            _write_inside(dest, path, f.text)
        except (ValueError, OSError) as exc:
            ws.skipped[path] = str(exc)
            continue
        ws.files[path] = hashlib.sha256(f.text.encode()).hexdigest()
    fix_mtimes(dest)
    return ws


# Every file and directory of a fresh workspace carries this modification time (1980-01-01, the
# earliest a zip entry can hold): stacks that zip their Lambda sources at synth time
# (``zipfile.write`` records each file's mtime) then build the same bytes, and the same
# ``source_code_hash``, whenever and wherever the variant is graded.
FIXED_MTIME = 315532800


def fix_mtimes(root: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        for name in (*filenames, *dirnames):
            os.utime(os.path.join(dirpath, name), (FIXED_MTIME, FIXED_MTIME), follow_symlinks=False)
