"""Text edits by ``ast`` positions, shared by the mechanical repairs (``repairs``, ``repairs_args``).

Edits keep every line where it was (an added import joins the first import line), so findings after a
repair still map to the response's lines.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

Files = dict[str, str]
MARK = "  # added by tapgrade repair"
STUBBED = "bound to a stub returning None"  # in a repair's description when it stubbed names out


def stubs_names(kind: str, description: str) -> bool:
    """Whether a repair took names out for a stub (later findings may be the stub's doing)."""
    return kind == "stub-missing-name" or STUBBED in description


@dataclass
class Repair:
    kind: str  # the catalogue's repair name
    description: str
    files: Files  # path -> new text (only the files it changes)
    entry: str | None = None  # run this file as the entry point from now on (adopt-response-entry)


def first(signals: list[dict], key: str):
    return next((s[key] for s in signals if s.get(key)), None)


def file_of(signals: list[dict]) -> str | None:
    for s in signals:
        if s.get("file"):
            return s["file"]
        frames = s.get("frames") or []
        if frames:
            return frames[-1]["file"]
    return None


def offset(text: str, line: int | None, col: int | None) -> int:
    """Character offset of an ast (1-based line, utf-8 byte column) position."""
    assert line is not None and col is not None  # nodes parsed from source carry their positions
    lines = text.splitlines(keepends=True)
    head = "".join(lines[: line - 1])
    return len(head) + len(lines[line - 1].encode("utf-8")[:col].decode("utf-8", "replace"))


def span(text: str, node: ast.expr | ast.stmt) -> tuple[int, int]:
    """Character offsets of a parsed node's start and end in ``text``."""
    return offset(text, node.lineno, node.col_offset), offset(text, node.end_lineno, node.end_col_offset)


def source(text: str, node: ast.expr | ast.stmt) -> str:
    """The text of a parsed node, as written."""
    start, end = span(text, node)
    return text[start:end]


def python_modules(files: Files) -> Iterator[tuple[str, str, ast.Module]]:
    """Each Python file of the response that parses: path, text and tree (the repairs that rewrite
    the whole response, not one site)."""
    for path, text in files.items():
        if path.endswith(".py"):
            try:
                yield path, text, ast.parse(text)
            except SyntaxError:
                continue


def apply_edits(text: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def import_edit(text: str, statement: str) -> tuple[int, int, str]:
    """An edit that adds ``statement`` (an import) on the line of the module's first top-level
    import, joined by ``;``: lines stay, and the name is bound before any module-level code runs
    (an adopted ``main.py`` builds its stack at module level, after its imports). A module with
    no import gets it at its end."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        tree = None
    node = next((n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))
                 and not (isinstance(n, ast.ImportFrom) and n.module == "__future__")), None) if tree else None
    if node is None:
        newline = "" if text.endswith("\n") or not text else "\n"
        return (len(text), len(text), f"{newline}{statement}{MARK}\n")
    end = offset(text, node.end_lineno, node.end_col_offset)
    return (end, end, f"; {statement}")


def blank(text: str, start: int, end: int) -> tuple[int, int, str]:
    """An edit that removes ``text[start:end]`` but keeps its line breaks (lines stay in place)."""
    return (start, end, "\n" * text.count("\n", start, end))



class Site(NamedTuple):
    """Where a repair works: a response file, the line that raised, the file's text and tree."""

    path: str
    line: int
    text: str
    tree: ast.Module


def parsed_site(files: Files, path: str | None, line: int | None) -> Site | None:
    """The site, when the evidence names a file of the response and a line, and the file parses."""
    if path is None or path not in files or not line:
        return None
    try:
        return Site(path, line, files[path], ast.parse(files[path]))
    except SyntaxError:
        return None
