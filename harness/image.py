"""The grading image: assemble its build context, build it, and say whether it matches this harness.

The docker backend runs a slot's grading loop inside the image (``slot_server.py``), so the image
must hold *this* harness source and *these* toolchain pins; anything else would grade with other
code than the local backend. ``build`` stamps both digests into image labels and ``check`` compares
them with the checkout, so a stale image is reported before a long run instead of after it.

Built through the Docker SDK's low-level API (the legacy builder: no BuildKit needed, which
Debian's docker.io 20.10 may lack); layers are ordered so that a rebuild after a source change
reuses the toolchain, terraform and dependency layers (seconds, not minutes).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__, terraform
from .errors import RunFatal
from .toolchain import CHECKOV_PROFILE, DEFAULT_PROFILE

REPO = Path(__file__).resolve().parent.parent
DOCKERFILE = REPO / "Dockerfile"
DEFAULT_TAG = "tapgrade-grader:local"
DEFAULT_BASE = "python:3.11-slim-bookworm"
LABEL = "tapgrade"
# What the image's grading depends on: the harness and graders source, the package metadata and
# the Dockerfile. (The pins live in toolchain.py, so they are covered too.)
SOURCE_PARTS = ("harness", "graders", "pyproject.toml", "Dockerfile")


def _source_files() -> list[Path]:
    files: list[Path] = []
    for part in SOURCE_PARTS:
        p = REPO / part
        if p.is_file():
            files.append(p)
        elif p.is_dir():
            files += [f for f in p.rglob("*") if f.is_file() and "__pycache__" not in f.parts
                      and not f.name.endswith((".pyc", ".pyo"))]
    return sorted(files)


def source_digest() -> str:
    """Digest of every file the image's grading code is built from."""
    h = hashlib.sha256()
    for f in _source_files():
        h.update(str(f.relative_to(REPO)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def expected_labels() -> dict[str, str]:
    return {f"{LABEL}.source": source_digest(), f"{LABEL}.toolchain": DEFAULT_PROFILE.digest,
            f"{LABEL}.checkov": CHECKOV_PROFILE.digest, f"{LABEL}.version": __version__}


def _link_or_copy(src: Path, dst: Path) -> None:
    """Hard links where the file systems allow (the provider mirror is ~700 MB), else copies."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def assemble_context(dest: Path, terraform_source: str, tf: terraform.Terraform | None) -> None:
    """Write the build context: Dockerfile, source, and ``tf/`` (host terraform + mirror, or empty)."""
    shutil.copy2(DOCKERFILE, dest / "Dockerfile")
    shutil.copy2(REPO / "pyproject.toml", dest / "pyproject.toml")
    for part in ("harness", "graders"):
        shutil.copytree(REPO / part, dest / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for sub in ("tf/bin", "tf/plugins"):
        (dest / sub).mkdir(parents=True, exist_ok=True)
        (dest / sub / ".keep").write_text("", encoding="utf-8")
    if terraform_source == "context":
        assert tf is not None
        _link_or_copy(tf.binary.resolve(), dest / "tf/bin/terraform")
        for f in tf.mirror.rglob("*"):
            if f.is_file():
                _link_or_copy(f, dest / "tf/plugins" / f.relative_to(tf.mirror))


@dataclass
class BuildResult:
    tag: str
    image_id: str
    seconds: float
    size_bytes: int
    terraform_source: str
    base: str
    log_tail: list[str] = field(default_factory=list)


class ImageError(RunFatal):
    """The image cannot be built or used; the message says why and what to do."""


def client():
    """A Docker SDK client, or an ImageError naming the problem (no SDK, no engine)."""
    try:
        import docker  # noqa: PLC0415 - optional at import: the local backend needs no Docker
    except ImportError as exc:
        raise ImageError("the Docker SDK for Python is not installed (pip install docker)") from exc
    try:
        c = docker.from_env(timeout=600)
        c.ping()
        return c
    except Exception as exc:  # noqa: BLE001 - any connection problem reads the same to a user
        raise ImageError(f"no Docker engine answers ({exc}); start dockerd (scripts/start_dockerd.sh)") from exc


def build(tag: str = DEFAULT_TAG, base: str = DEFAULT_BASE, terraform_source: str = "auto",
          progress: Callable[[str], None] = lambda _: None, no_cache: bool = False) -> BuildResult:
    """Build the grading image. ``terraform_source``: ``context`` copies the host's terraform and
    provider mirror, ``download`` fetches the pinned releases, ``auto`` copies when the host has them."""
    tf = terraform.detect().terraform
    if terraform_source == "auto":
        terraform_source = "context" if tf is not None else "download"
    if terraform_source == "context" and tf is None:
        raise ImageError("--terraform context: this machine has no terraform + provider mirror to copy "
                         "(see `harness toolchain check`); use --terraform download")
    if terraform_source not in ("context", "download"):
        raise ImageError(f"terraform source must be auto, context or download, not {terraform_source!r}")
    dc = client()
    t0 = time.monotonic()
    tail: list[str] = []
    with tempfile.TemporaryDirectory(prefix="tapgrade-build-", dir=os.environ.get("TAPGRADE_BUILD_DIR")) as tmp:
        ctx = Path(tmp)
        assemble_context(ctx, terraform_source, tf)
        args = {"BASE_IMAGE": base, "TERRAFORM_SOURCE": terraform_source}
        if tf is not None and terraform_source == "download":
            args["TERRAFORM_VERSION"] = tf.version
        image_id = None
        for chunk in dc.api.build(path=str(ctx), tag=tag, buildargs=args, labels=expected_labels(),
                                  rm=True, forcerm=True, decode=True, nocache=no_cache, pull=False):
            if "stream" in chunk:
                for line in chunk["stream"].splitlines():
                    if line.strip():
                        tail = (tail + [line])[-40:]
                        progress(line)
            if "aux" in chunk and "ID" in chunk["aux"]:
                image_id = chunk["aux"]["ID"]
            if "error" in chunk:
                raise ImageError("docker build failed: " + chunk["error"].strip() + "\n" + "\n".join(tail[-15:]))
    img = dc.images.get(image_id or tag)
    return BuildResult(tag, img.id, time.monotonic() - t0, int(img.attrs.get("Size", 0)), terraform_source, base, tail)


@dataclass
class ImageStatus:
    ok: bool
    tag: str
    problems: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)
    size_bytes: int = 0


def check(tag: str = DEFAULT_TAG) -> ImageStatus:
    """Does the image exist and was it built from this checkout's source and pins?"""
    status = ImageStatus(False, tag)
    try:
        dc = client()
    except ImageError as exc:
        status.problems.append(str(exc))
        return status
    from docker.errors import ImageNotFound  # noqa: PLC0415 - optional at import, as above

    try:
        img = dc.images.get(tag)
    except ImageNotFound:
        status.problems.append(f"image {tag} does not exist (run: harness image build)")
        return status
    status.labels = dict(img.labels or {})
    status.size_bytes = int(img.attrs.get("Size", 0))
    names = {f"{LABEL}.source": "harness source", f"{LABEL}.toolchain": "toolchain pins",
             f"{LABEL}.checkov": "checkov pins", f"{LABEL}.version": "harness version"}
    for key, want in expected_labels().items():
        have = status.labels.get(key)
        if have != want:
            status.problems.append(f"{names[key]} differ from this checkout (image {str(have)[:12]}, "
                                   f"checkout {want[:12]}); rebuild: harness image build")
    status.ok = not status.problems
    return status
