"""How a fenced block of a response is named, and where in the workspace a named file goes.

The naming conventions ``extract`` reads (see its docstring): a first-line comment, a heading, a
bold line or a prose line ending in ``:`` above the fence; for an unnamed whole module, its
content (``class TapStack``, an entry point). Then a path without a directory is placed (root
files, tests, ``lib/``) and a top directory the code reads under ``lib/`` is put there. Pure
string work on the markdown: nothing is executed.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from markdown_it import MarkdownIt

# A path-like token: optional directories, then a name with a known extension, or a known
# extension-less file name.
_EXT = r"py|json|txt|sh|ya?ml|toml|cfg|ini|js|ts|md|zip|tf|hcl|j2|conf"
_PATH_RE = re.compile(
    r"(?<![\w/.-])((?:\.{0,2}/)?(?:[\w.-]+/)*(?:[\w-][\w.-]*\.(?:" + _EXT + r")"
    r"|Dockerfile|Pipfile|Makefile|\.gitignore|\.pylintrc))(?![\w/-])"
)
_FIRST_LINE_RE = re.compile(r"^\s*(?:#|//)\s*(?:file(?:name)?\s*:\s*)?(\S+)\s*$", re.I)
_HEADING_RE = re.compile(r"^\s{0,3}#{1,6}\s+(.*)$")
_BOLD_RE = re.compile(r"^\s*\*\*(.+)$")

# Which fence languages may carry a file of a given extension.
_LANGS_FOR_EXT: dict[str, set[str]] = {
    ".py": {"python", "py", "python3", ""},
    ".json": {"json", "jsonc", ""},
    ".md": {"markdown", "md", ""},
    ".sh": {"bash", "sh", "shell", "zsh", ""},
    ".txt": {"txt", "text", "plaintext", ""},
    ".yaml": {"yaml", "yml", ""},
    ".yml": {"yaml", "yml", ""},
    ".toml": {"toml", "ini", ""},
    ".js": {"javascript", "js", ""},
    ".ts": {"typescript", "ts", ""},
    "Dockerfile": {"dockerfile", "docker", ""},
}
# Files that live at the workspace root when a response names them without a directory.
ROOT_NAMES = {
    "tap.py", "main.py", "setup.py", "cdktf.json", "requirements.txt", "Pipfile",
    "metadata.json", ".gitignore", "README.md", "Makefile", "Dockerfile", "package.json",
    ".pylintrc", "pytest.ini", "pyproject.toml", "conftest.py",
}
_CONTEXT_LINES = 6  # non-empty lines above a fence that may name it

@dataclass
class Block:
    """A fenced block of the markdown, with the lines above it that may name it."""

    index: int
    lang: str
    text: str
    md_line: int  # first content line (1-based)
    context: list[str]  # non-empty lines between the previous block and this one, nearest last


def fenced_blocks(markdown: str) -> list[Block]:
    """Every fenced block, in order, as commonmark parses it (a fence inside another is content)."""
    lines = markdown.splitlines()
    tokens = MarkdownIt("commonmark").parse(markdown)
    out: list[Block] = []
    prev_end = 0
    for tok in tokens:
        if tok.type != "fence" or tok.map is None:
            continue
        start, end = tok.map
        context = [ln for ln in lines[prev_end:start] if ln.strip()]
        lang = (tok.info or "").strip().split()[0].lower() if tok.info.strip() else ""
        out.append(Block(len(out), lang, tok.content, start + 2, context))
        prev_end = end
    return out


def _path_in(text: str) -> str | None:
    m = _PATH_RE.search(text.replace("`", " ").replace("*", " "))
    return m.group(1) if m else None


def named_path(block: Block) -> tuple[str | None, str]:
    """The path a block is named with, and which convention named it."""
    first = block.text.splitlines()[0] if block.text.strip() else ""
    m = _FIRST_LINE_RE.match(first)
    if m and _PATH_RE.fullmatch(m.group(1).strip("`")):
        return m.group(1).strip("`"), "first-line-comment"
    for line in reversed(block.context[-_CONTEXT_LINES:]):
        if (h := _HEADING_RE.match(line)) is not None:
            path = _path_in(h.group(1))
            return (path, "heading") if path else (None, "")
        if _BOLD_RE.match(line) and (path := _path_in(line)):
            return path, "bold-line"
        if line.rstrip().endswith(":") and (path := _path_in(line)):
            return path, "prose-colon"
    return None, ""


def _ext_key(path: str) -> str:
    base = posixpath.basename(path)
    if base == "Dockerfile":
        return "Dockerfile"
    return posixpath.splitext(base)[1]


def lang_fits(path: str, lang: str) -> bool:
    allowed = _LANGS_FOR_EXT.get(_ext_key(path))
    return allowed is None or lang in allowed


def place_bare(name: str, all_text: str) -> str:
    """Directory for a file named without one: root files stay, tests go to tests/, the rest lib/."""
    if name in ROOT_NAMES:
        return name
    stem = posixpath.splitext(name)[0]
    if name.endswith(".py") and (name.startswith("test_") or stem.endswith("_test")):
        return f"tests/unit/{name}"
    if name.endswith(".py") and re.search(rf"^\s*(?:from|import)\s+{re.escape(stem)}\b", all_text, re.M):
        return name  # imported as a top-level module by another block
    return f"lib/{name}"


def unnamed_python_path(text: str) -> tuple[str | None, str]:
    if re.search(r"^class\s+TapStack\b", text, re.M):
        return "lib/tap_stack.py", "content:TapStack"
    if re.search(r"\bApp\(\)", text) and ".synth()" in text:
        return "tap.py", "content:entry-point"
    return None, ""


def under_lib_if_referenced(path: str, all_text: str) -> str:
    """``lambda/x.py`` where the code reads ``lib/lambda``: the response meant ``lib/lambda/x.py``."""
    top = path.split("/", 1)[0]
    if re.search(rf"""lib[/\\]{re.escape(top)}\b|["']lib["']\s*,\s*["']{re.escape(top)}["']""", all_text):
        return f"lib/{path}"
    return path
