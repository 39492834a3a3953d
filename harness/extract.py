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

import ast
import posixpath
import re
from dataclasses import dataclass, field

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
_ROOT_NAMES = {
    "tap.py", "main.py", "setup.py", "cdktf.json", "requirements.txt", "Pipfile",
    "metadata.json", ".gitignore", "README.md", "Makefile", "Dockerfile", "package.json",
    ".pylintrc", "pytest.ini", "pyproject.toml", "conftest.py",
}
_CONTEXT_LINES = 6  # non-empty lines above a fence that may name it
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


@dataclass
class _Block:
    index: int
    lang: str
    text: str
    md_line: int  # first content line (1-based)
    context: list[str]  # non-empty lines between the previous block and this one, nearest last


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


def _blocks(markdown: str) -> list[_Block]:
    lines = markdown.splitlines()
    tokens = MarkdownIt("commonmark").parse(markdown)
    out: list[_Block] = []
    prev_end = 0
    for tok in tokens:
        if tok.type != "fence" or tok.map is None:
            continue
        start, end = tok.map
        context = [ln for ln in lines[prev_end:start] if ln.strip()]
        lang = (tok.info or "").strip().split()[0].lower() if tok.info.strip() else ""
        out.append(_Block(len(out), lang, tok.content, start + 2, context))
        prev_end = end
    return out


def _path_in(text: str) -> str | None:
    m = _PATH_RE.search(text.replace("`", " ").replace("*", " "))
    return m.group(1) if m else None


def _named_path(block: _Block) -> tuple[str | None, str]:
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


def _lang_fits(path: str, lang: str) -> bool:
    allowed = _LANGS_FOR_EXT.get(_ext_key(path))
    return allowed is None or lang in allowed


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


def _looks_like_whole_file(text: str) -> bool:
    """Whole module by intent even if it does not parse (a truncated or broken file)."""
    if python_module_like(text):
        return True
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    head = lines[:5]
    return len(text.splitlines()) >= 30 and any(re.match(r"(?:from\s+\S+\s+)?import\s", ln) for ln in head)


def _is_python(lang: str) -> bool:
    return lang in ("python", "py", "python3")


def _place_bare(name: str, all_text: str) -> str:
    """Directory for a file named without one: root files stay, tests go to tests/, the rest lib/."""
    if name in _ROOT_NAMES:
        return name
    stem = posixpath.splitext(name)[0]
    if name.endswith(".py") and (name.startswith("test_") or stem.endswith("_test")):
        return f"tests/unit/{name}"
    if name.endswith(".py") and re.search(rf"^\s*(?:from|import)\s+{re.escape(stem)}\b", all_text, re.M):
        return name  # imported as a top-level module by another block
    return f"lib/{name}"


def _unnamed_python_path(text: str) -> tuple[str | None, str]:
    if re.search(r"^class\s+TapStack\b", text, re.M):
        return "lib/tap_stack.py", "content:TapStack"
    if re.search(r"\bApp\(\)", text) and ".synth()" in text:
        return "tap.py", "content:entry-point"
    return None, ""


def extract(markdown: str) -> Extraction:
    """Map every fenced block of ``markdown`` to a workspace file or an unmapped-block report."""
    blocks = _blocks(markdown)
    all_text = "\n".join(b.text for b in blocks)
    result = Extraction()
    candidates: dict[str, list[tuple[_Block, str]]] = {}

    for b in blocks:
        first = next((ln.strip() for ln in b.text.splitlines() if ln.strip()), "")[:120]
        if not b.text.strip():
            result.unmapped.append(UnmappedBlock(b.index, b.md_line, b.lang, "empty", "empty block", ""))
            continue
        if len(b.text) > MAX_FILE_CHARS:
            result.unmapped.append(UnmappedBlock(b.index, b.md_line, b.lang, "too-large",
                                                 f"{len(b.text):,} characters: over the {MAX_FILE_CHARS:,} a file may hold",
                                                 first))
            continue
        path, how = _named_path(b)
        if path is not None and not _lang_fits(path, b.lang):
            path, how = None, ""
        if path is None and (_is_python(b.lang) or b.lang == "") and _looks_like_whole_file(b.text):
            path, how = _unnamed_python_path(b.text)
        if path is None:
            module = (_is_python(b.lang) or b.lang == "") and _looks_like_whole_file(b.text)
            kind, reason = ("module", "whole Python module with no file name") if module else (
                "snippet", "no file name found; looks like a snippet or example")
            result.unmapped.append(UnmappedBlock(b.index, b.md_line, b.lang, kind, reason, first))
            continue
        try:
            norm = safe_path(path)
        except UnsafePath as exc:
            result.unmapped.append(UnmappedBlock(b.index, b.md_line, b.lang, "unsafe-path", str(exc), first))
            continue
        while norm.startswith("lib/lib/"):  # a doubled project prefix ("## File: lib/lib/tap_stack.py")
            norm = norm[len("lib/"):]
        if "/" not in norm:
            norm = _place_bare(norm, all_text)
        elif not norm.startswith(("lib/", "tests/", "test/")) and norm not in _ROOT_NAMES:
            norm = _under_lib_if_referenced(norm, all_text)
        if norm.endswith(".py") and _looks_like_fragment(b.text):
            result.unmapped.append(UnmappedBlock(
                b.index, b.md_line, b.lang, "snippet", f"fragment of {norm}, not a whole file", first))
            continue
        candidates.setdefault(norm, []).append((b, how))

    for path, claims in candidates.items():
        # A file shown in full and later in part (a "fix" excerpt): keep the fullest version.
        best = max(claims, key=lambda c: (python_module_like(c[0].text) if path.endswith(".py") else True,
                                          len(c[0].text.splitlines()), c[0].index))
        b, how = best
        result.files[path] = ExtractedFile(path, b.text, b.md_line, b.index, how)
        for other, _ in claims:
            if other is not b:
                first = next((ln.strip() for ln in other.text.splitlines() if ln.strip()), "")[:120]
                result.unmapped.append(UnmappedBlock(
                    other.index, other.md_line, other.lang, "duplicate",
                    f"another block for {path} was kept (block {b.index})", first))
    result.unmapped.sort(key=lambda u: u.block_index)
    return result


def _under_lib_if_referenced(path: str, all_text: str) -> str:
    """``lambda/x.py`` where the code reads ``lib/lambda``: the response meant ``lib/lambda/x.py``."""
    top = path.split("/", 1)[0]
    if re.search(rf"""lib[/\\]{re.escape(top)}\b|["']lib["']\s*,\s*["']{re.escape(top)}["']""", all_text):
        return f"lib/{path}"
    return path


def _looks_like_fragment(text: str) -> bool:
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
