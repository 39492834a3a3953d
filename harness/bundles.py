"""Task bundles: the unit of work, read from either of two layouts without conversion.

Harness layout (``tasks/<id>/``, written by us)::

    task.toml            metadata (required): platform, language, region, description
    PROMPT.md            the prompt (required)
    MODEL_RESPONSE.md    variant "model"
    IDEAL_RESPONSE.md    variant "ideal"
    responses/<name>.md  extra variants, graded as "<name>"
    MODEL_FAILURES.md    optional human failure labels
    tap.py               optional: the task's own entry point (wins over every other tap.py)
    files/               optional: extra files copied into every variant's workspace
    reference/           optional: the code the task was merged with (its cdktf.json names the entry
                         point): the task's contract and its gold, graded as variant "reference"

Archive layout (``corpus/cdktf-py/<id>/``, the public archive): ``metadata.json`` instead of
``task.toml``, same markdown files, ``cdktf.json`` alongside, ``reference/`` as above.

A broken bundle raises ``BundleError`` whose text is one line naming the file and the problem;
``discover`` collects those and carries on with the rest of the batch.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

RESPONSE_FILES = {"model": "MODEL_RESPONSE.md", "ideal": "IDEAL_RESPONSE.md"}
REFERENCE = "reference"  # the variant graded from ``reference/`` as code, no markdown
SUPPORTED = ("cdktf", "py")


class BundleError(Exception):
    """A bundle that cannot be graded; str() is one line: '<file>: <problem>'."""

    def __init__(self, path: Path, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class Task:
    id: str
    root: Path
    layout: str  # "harness" | "archive"
    metadata: dict
    responses: dict[str, Path]  # variant name -> markdown file
    failures_md: Path | None = None
    tap_py: Path | None = None
    files_dir: Path | None = None
    reference_dir: Path | None = None  # reference/ holding a cdktf.json
    extra: dict = field(default_factory=dict)

    @property
    def variants(self) -> list[str]:
        """Every variant the bundle can be graded as: its responses, then the reference."""
        return [*self.responses, *([REFERENCE] if self.reference_dir is not None else [])]

    def source_text(self, variant: str) -> str:
        """What a variant is graded from, as text: its markdown, or the reference's Python files."""
        if variant == REFERENCE and self.reference_dir is not None:
            return "\n".join(p.read_text(encoding="utf-8", errors="replace")
                             for p in sorted(self.reference_dir.rglob("*.py")) if p.is_file() and not p.is_symlink())
        return read_response(self.responses[variant])[0]

    @property
    def environment_suffix(self) -> str:
        """The ENVIRONMENT_SUFFIX the task's pipeline deployed with: its metadata's, else the pull
        request's own (``pr7427`` for task ``Pr7427``, as the reference pipeline names its
        environments), else ``dev``. Names are judged at the length they deploy with: a load
        balancer name that fits with ``dev`` can overflow 32 characters with ``pr7427``."""
        if re.fullmatch(r"[a-z0-9]{1,20}", str(self.metadata.get("environment_suffix", ""))):
            return str(self.metadata["environment_suffix"])
        pr = re.fullmatch(r"pr-?(\d{1,8})", self.id, re.IGNORECASE)
        return f"pr{pr.group(1)}" if pr else "dev"

    @property
    def region(self) -> str:
        """The task's region: its metadata's, else the one its reference pipeline read from the
        reference's ``lib/AWS_REGION`` (31 corpus references carry one; most metadata has no region)."""
        if self.metadata.get("region"):
            return str(self.metadata["region"])
        if self.reference_dir is not None and (self.reference_dir / "lib" / "AWS_REGION").is_file():
            region = (self.reference_dir / "lib" / "AWS_REGION").read_text(encoding="utf-8", errors="replace").strip()
            if re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
                return region
        return "us-east-1"


def read_response(path: Path) -> tuple[str, str | None]:
    """A response's markdown as text, and what was wrong with its encoding (None: valid UTF-8).
    Bytes that are not UTF-8 become U+FFFD: the response is still graded, the problem is a finding."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        text = raw.decode("utf-8", errors="replace")
        return text, f"not UTF-8: {text.count(chr(0xFFFD))} undecodable byte sequence(s), the first at byte {exc.start}"


def is_task_dir(path: Path) -> bool:
    return path.is_dir() and any((path / n).exists() for n in ("task.toml", "metadata.json", "MODEL_RESPONSE.md"))


def _read_metadata(root: Path) -> tuple[str, dict]:
    toml_path, json_path = root / "task.toml", root / "metadata.json"
    if toml_path.exists():
        try:
            return "harness", tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise BundleError(toml_path, f"invalid TOML: {exc}") from exc
    if json_path.exists():
        try:
            data = json.loads(json_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BundleError(json_path, f"invalid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise BundleError(json_path, "metadata must be a JSON object")
        return "archive", data
    raise BundleError(root, "no task.toml or metadata.json")


def load_task(root: Path) -> Task:
    """Read one bundle, validating what grading needs; raise BundleError on the first problem."""
    root = root.resolve()
    if not root.is_dir():
        raise BundleError(root, "not a directory")
    layout, meta = _read_metadata(root)
    meta_file = root / ("task.toml" if layout == "harness" else "metadata.json")
    platform, language = str(meta.get("platform", "cdktf")), str(meta.get("language", "py"))
    if (platform, language) != SUPPORTED:
        raise BundleError(meta_file, f"unsupported platform/language {platform}/{language} (want cdktf/py)")
    if not (root / "PROMPT.md").is_file():
        raise BundleError(root / "PROMPT.md", "missing")
    responses: dict[str, Path] = {}
    for variant, name in RESPONSE_FILES.items():
        if (root / name).is_file():
            responses[variant] = root / name
    extra_dir = root / "responses"
    if extra_dir.is_dir():
        for md in sorted(extra_dir.glob("*.md")):
            if md.stem in responses or md.stem == REFERENCE:
                raise BundleError(md, f"variant name {md.stem!r} is reserved")
            responses[md.stem] = md
    reference = root / REFERENCE if (root / REFERENCE / "cdktf.json").is_file() else None
    if not responses and reference is None:
        raise BundleError(root, "no MODEL_RESPONSE.md, IDEAL_RESPONSE.md, responses/*.md or reference/cdktf.json")
    task_id = str(meta.get("id") or root.name)
    return Task(
        id=task_id,
        root=root,
        layout=layout,
        metadata=meta,
        responses=responses,
        failures_md=root / "MODEL_FAILURES.md" if (root / "MODEL_FAILURES.md").is_file() else None,
        tap_py=root / "tap.py" if layout == "harness" and (root / "tap.py").is_file() else None,
        files_dir=root / "files" if (root / "files").is_dir() else None,
        reference_dir=reference,
    )


SKIP_DIRS = frozenset({"runs", "node_modules", "__pycache__"})  # besides every dot-folder


def _task_dirs(root: Path) -> list[Path]:
    """Task directories at or under ``root``: a folder of tasks, or of folders of tasks, at any
    depth; dot-folders (.git, .venv), run directories and a task's own insides are not searched."""
    if is_task_dir(root):
        return [root]
    found: list[Path] = []
    for child in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()):
        if child.name.startswith(".") or child.name in SKIP_DIRS:
            continue
        found += _task_dirs(child)
    return found


def discover(paths: list[Path]) -> tuple[list[Task], list[BundleError]]:
    """Tasks under each PATH (a task directory, or a folder holding them at any depth), and the
    bundles that failed to load."""
    tasks: list[Task] = []
    errors: list[BundleError] = []
    seen: set[Path] = set()
    for path in paths:
        if not path.exists():
            errors.append(BundleError(path, "does not exist"))
            continue
        candidates = _task_dirs(path) if path.is_dir() else []
        if not candidates:
            errors.append(BundleError(path, "no task directories inside"))
        for cand in candidates:
            if cand.resolve() in seen:
                continue
            seen.add(cand.resolve())
            try:
                tasks.append(load_task(cand))
            except BundleError as exc:
                errors.append(exc)
    return tasks, errors
