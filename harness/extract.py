"""Extract code files from a response's markdown.

Model responses name their files in many ways (``## File: lib/x.py`` at any heading level, bare
paths in headings, ``### 3. lib/x.py - description``, bold lines, a prose line ending in ``:``,
``# lib/x.py`` as the first line inside the fence, bare file names that belong under ``lib/``).
This module turns all of them into ``{path: source}`` and reports every fenced block it could not
map, so nothing a response wrote is silently dropped.

Properties kept on purpose:
- pure: markdown in, dataclasses out; nothing is executed (the response is untrusted);
- safe: every path is normalised and can never leave the workspace (``..``, absolute, drive
  letters, NUL are refused and reported as ``unsafe-path``);
- deterministic: the same markdown always gives the same files and the same report.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from .extract_naming import (
    ROOT_NAMES,
    Block,
    fenced_blocks,
    lang_fits,
    named_path,
    place_bare,
    under_lib_if_referenced,
    unnamed_python_path,
)
from .extract_shape import is_python, looks_like_fragment, looks_like_whole_file, python_module_like

# A block larger than this is not a project file (the corpus's largest is ~60,000 characters):
# written out, pylint and the toolchain would spend minutes on it.
MAX_FILE_CHARS = 1_000_000


@dataclass(frozen=True)
class ExtractedFile:
    """One file recovered from the markdown, with where it came from (for line mapping)."""

    path: str
    text: str
    md_line: int  # 1-based line of the markdown holding the file's first line
    block_index: int
    how: str  # which naming convention mapped it


@dataclass(frozen=True)
class UnmappedBlock:
    """A fenced block that did not become a file, and why."""

    block_index: int
    md_line: int
    lang: str
    kind: str  # module | snippet | duplicate | unsafe-path | empty | too-large
    reason: str
    first_line: str


@dataclass
class Extraction:
    files: dict[str, ExtractedFile] = field(default_factory=dict)
    unmapped: list[UnmappedBlock] = field(default_factory=list)

    @property
    def python_files(self) -> list[str]:
        return sorted(p for p in self.files if p.endswith(".py"))


class UnsafePath(ValueError):
    """A path that would leave the workspace."""


def safe_path(raw: str) -> str:
    """Normalise a response-supplied path to a relative POSIX path inside the workspace.

    Raises UnsafePath for anything that could escape: ``..`` components, drive letters, NUL,
    home-relative paths. A leading ``/`` is read as the project root, as responses use it.
    """
    p = raw.strip().strip("`'\"").replace("\\", "/")
    if not p or "\x00" in p or p.startswith("~") or re.match(r"^[A-Za-z]:", p):
        raise UnsafePath(f"refused path {raw!r}")
    p = p.lstrip("/")
    norm = posixpath.normpath(p)
    if norm in ("", ".") or norm.startswith("../") or norm == ".." or "/../" in f"/{norm}/":
        raise UnsafePath(f"path {raw!r} leaves the workspace")
    return norm


def extract(markdown: str) -> Extraction:
    """Map every fenced block of ``markdown`` to a workspace file or an unmapped-block report."""
    blocks = fenced_blocks(markdown)
    all_text = "\n".join(b.text for b in blocks)
    result = Extraction()
    candidates: dict[str, list[tuple[Block, str]]] = {}
    for b in blocks:
        claim = _claim(b, all_text)
        if isinstance(claim, UnmappedBlock):
            result.unmapped.append(claim)
        else:
            candidates.setdefault(claim[0], []).append((b, claim[1]))
    for path, claims in candidates.items():
        _keep_fullest(path, claims, result)
    result.unmapped.sort(key=lambda u: u.block_index)
    return result


def _first_line(text: str) -> str:
    """A block's first non-empty line, as its unmapped report quotes it."""
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), "")[:120]


def _claim(b: Block, all_text: str) -> tuple[str, str] | UnmappedBlock:
    """The workspace path a block claims and the convention that named it, or why it is no file:
    empty, too large, unnamed (a module or a snippet), an unsafe path, a fragment of a file."""
    first = _first_line(b.text)
    if not b.text.strip():
        return UnmappedBlock(b.index, b.md_line, b.lang, "empty", "empty block", "")
    if len(b.text) > MAX_FILE_CHARS:
        return UnmappedBlock(b.index, b.md_line, b.lang, "too-large",
                             f"{len(b.text):,} characters: over the {MAX_FILE_CHARS:,} a file may hold", first)
    path, how = _block_path(b)
    if path is None:
        module = (is_python(b.lang) or b.lang == "") and looks_like_whole_file(b.text)
        kind, reason = ("module", "whole Python module with no file name") if module else (
            "snippet", "no file name found; looks like a snippet or example")
        return UnmappedBlock(b.index, b.md_line, b.lang, kind, reason, first)
    try:
        norm = _workspace_path(path, all_text)
    except UnsafePath as exc:
        return UnmappedBlock(b.index, b.md_line, b.lang, "unsafe-path", str(exc), first)
    if norm.endswith(".py") and looks_like_fragment(b.text):
        return UnmappedBlock(b.index, b.md_line, b.lang, "snippet", f"fragment of {norm}, not a whole file", first)
    return norm, how


def _block_path(b: Block) -> tuple[str | None, str]:
    """The path a block is named with, if its fence language fits the path; for an unnamed whole
    Python module, the path its content implies."""
    path, how = named_path(b)
    if path is not None and not lang_fits(path, b.lang):
        path, how = None, ""
    if path is None and (is_python(b.lang) or b.lang == "") and looks_like_whole_file(b.text):
        path, how = unnamed_python_path(b.text)
    return path, how


def _workspace_path(path: str, all_text: str) -> str:
    """Where a named file goes in the workspace (UnsafePath when it would leave it)."""
    norm = safe_path(path)
    while norm.startswith("lib/lib/"):  # a doubled project prefix ("## File: lib/lib/tap_stack.py")
        norm = norm[len("lib/"):]
    if "/" not in norm:
        return place_bare(norm, all_text)
    if not norm.startswith(("lib/", "tests/", "test/")) and norm not in ROOT_NAMES:
        return under_lib_if_referenced(norm, all_text)
    return norm


def _keep_fullest(path: str, claims: list[tuple[Block, str]], result: Extraction) -> None:
    """A file shown in full and later in part (a "fix" excerpt): keep the fullest version; the
    other blocks are reported as duplicates."""
    best = max(claims, key=lambda c: (python_module_like(c[0].text) if path.endswith(".py") else True,
                                      len(c[0].text.splitlines()), c[0].index))
    b, how = best
    result.files[path] = ExtractedFile(path, b.text, b.md_line, b.index, how)
    for other, _ in claims:
        if other is not b:
            result.unmapped.append(UnmappedBlock(
                other.index, other.md_line, other.lang, "duplicate",
                f"another block for {path} was kept (block {b.index})", _first_line(other.text)))
