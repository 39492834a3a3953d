"""Whether a fenced block's code is a whole file or a snippet: what ``extract`` asks before it
writes a block out as a workspace file. Parsing only (``ast.parse``), never running it."""

from __future__ import annotations

import ast
import re


def python_module_like(text: str) -> bool:
    """Whole module rather than snippet: parses, imports something, and defines or does enough."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    body = tree.body
    has_import = any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in body)
    has_def = any(isinstance(n, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) for n in body)
    return has_import and (has_def or len(body) >= 8 or ".synth()" in text)


def looks_like_whole_file(text: str) -> bool:
    """Whole module by intent even if it does not parse (a truncated or broken file)."""
    if python_module_like(text):
        return True
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    head = lines[:5]
    return len(text.splitlines()) >= 30 and any(re.match(r"(?:from\s+\S+\s+)?import\s", ln) for ln in head)


def is_python(lang: str) -> bool:
    return lang in ("python", "py", "python3")


def looks_like_fragment(text: str) -> bool:
    """A named .py block that cannot stand alone: it starts indented (cut from a body), or it
    does not parse and has none of the shape of a whole file (a signature, an elided excerpt).

    A block that opens like a module (imports, docstring) is kept even when it does not parse: a
    whole file with a SyntaxError is a finding of the import stage, not something extraction may hide.
    """
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if first[:1].isspace():
        return True
    try:
        ast.parse(text)
    except (SyntaxError, ValueError):
        return not _opens_like_a_module(text)
    return False


def _opens_like_a_module(text: str) -> bool:
    """First statement is an import, a docstring or a shebang: how files begin, not excerpts."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if lines and lines[0].startswith("#!"):
        return True
    code = [ln for ln in lines if not ln.lstrip().startswith("#")]
    return bool(code) and re.match(r"(import\s|from\s+\S+\s+import\s|[rRuU]?(\"\"\"|\'\'\'))", code[0]) is not None
