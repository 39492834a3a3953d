"""What the run's lint process parses before the first lint asks for it.

A warm lint is almost all astroid parsing the toolchain modules a stack imports, the first time
any variant of the run imports them: ``cdktf`` alone is 1.4 MB of source (~2.7 s), a provider
submodule 0.1-0.6 s; once parsed, a lint of the same stack takes ~0.1 s (timed by hand on the
bench slice). The shared lint process (``engine.LintSeat``) otherwise sits idle until the first
variant reaches lint, and later variants queue behind each other's first parses, so the run's
lint process parses, while idle, the modules the batch's responses name, in the order the
variants will be graded.

The parse is a real pylint run, with the template's pylintrc, on a throwaway file that imports
those modules: astroid caches them exactly as a variant's lint would have (it is the same code
path), and the findings cannot change, only when the parsing happens. Over-reading a response
(a module named in prose) costs time, never a finding; names the provider does not have are
left out.
"""

from __future__ import annotations

import re
from pathlib import Path

from .bundles import Task
from .contract import template_text
from .toolchain import Profile

PROVIDER = "cdktf_cdktf_provider_aws"
# Every stack's lint imports these: the cdktf core, constructs, the provider's root and its
# provider configuration class.
ALWAYS = ("cdktf", "constructs", PROVIDER, f"{PROVIDER}.provider")
_DOTTED = re.compile(rf"\b{PROVIDER}\.([a-z0-9_]+)")
_FROM = re.compile(rf"from\s+{PROVIDER}\s+import\s+\(?([\w\s,]+)\)?")
WARM_FILE = "lib/_tapgrade_warm.py"


def named_modules(text: str) -> list[str]:
    """Provider submodules a response names, in order of first mention."""
    names = _DOTTED.findall(text)
    for group in _FROM.findall(text):
        names += [n.strip() for n in group.split(",") if n.strip()]
    return [f"{PROVIDER}.{n}" for n in dict.fromkeys(names)]


def modules_for(jobs: list[tuple[Task, str]], profile: Profile) -> list[str]:
    """The modules to parse, the ones the first jobs need first; only submodules that exist."""
    pkg = profile.package_dir(PROVIDER)
    found: dict[str, None] = dict.fromkeys(ALWAYS)
    for task, variant in jobs:
        try:
            text = task.source_text(variant)
        except OSError:
            continue
        for name in named_modules(text):
            if pkg is not None and (pkg / name.split(".", 1)[1] / "__init__.py").is_file():
                found.setdefault(name)
    return list(found)


def chunks(modules: list[str], size: int = 3) -> list[list[str]]:
    """``cdktf`` alone first (the longest parse, needed by every lint), then small batches, so a
    variant's lint waits at most one batch."""
    head = [m for m in modules if m == "cdktf"]
    rest = [m for m in modules if m != "cdktf"]
    return ([head] if head else []) + [rest[i:i + size] for i in range(0, len(rest), size)]


def write_workspace(root: Path, modules: list[str]) -> dict:
    """A throwaway workspace importing ``modules``; the lint request for it."""
    (root / "lib").mkdir(parents=True, exist_ok=True)
    (root / ".pylintrc").write_text(template_text("pylintrc"), encoding="utf-8")
    (root / WARM_FILE).write_text("".join(f"import {m}  # noqa\n" for m in modules), encoding="utf-8")
    return {"workspace": str(root), "stages": ["lint"], "lint_files": [WARM_FILE],
            "static_files": [], "rcfile": str(root / ".pylintrc"), "stack_modules": [], "entry": "tap.py",
            "blocked": None, "env": {}}
