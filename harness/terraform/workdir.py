"""The copy of a synthesized stack terraform works on (provider pins relaxed to the mirror, no
backend) and the per-slot data directories that reuse one ``terraform init`` per provider set."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

from .binary import REGISTRY, Call, Terraform, base_env, call


def _source(name: str, spec: dict) -> str:
    src = str(spec.get("source") or f"hashicorp/{name}")
    parts = src.split("/")
    if len(parts) == 1:
        parts = ["hashicorp", parts[0]]
    if len(parts) == 2:
        parts = [REGISTRY, *parts]
    return "/".join(parts).lower()


def relax(config: dict, tf: Terraform) -> tuple[dict, list[dict], list[str]]:
    """A copy of the config that Terraform can initialize from the mirror.

    Returns (config, changes recorded in the run, providers the mirror lacks)."""
    cfg = json.loads(json.dumps(config))
    block = cfg.setdefault("terraform", {})
    changes: list[dict] = []
    missing: list[str] = []
    if block.pop("backend", None) is not None:
        changes.append({"change": "backend removed", "why": "plan-level stages use local state; the "
                        "backend-s3 rule judges the backend"})
    if "cloud" in block:
        block.pop("cloud")
        changes.append({"change": "cloud block removed", "why": "offline"})
    for name, spec in (block.get("required_providers") or {}).items():
        spec = spec if isinstance(spec, dict) else {"version": spec}
        src = _source(name, spec)
        held = tf.providers.get(src)
        if not held:
            missing.append(src)
            continue
        want = spec.get("version")
        if want != held[-1]:
            changes.append({"change": "provider version relaxed", "provider": src, "from": want, "to": held[-1]})
        block["required_providers"][name] = {**spec, "source": src, "version": held[-1]}
    return cfg, changes, missing


def provider_key(config: dict) -> str:
    """Identity of the provider set an initialized data directory serves."""
    req = (config.get("terraform") or {}).get("required_providers") or {}
    return hashlib.sha256(json.dumps(req, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class Inits:
    """Initialized Terraform data directories, one per provider set. A slot's own, or (warm,
    local backend) the run's, shared by its slots: one ``terraform init`` per set per run. Later
    commands only read a data dir (plugins, no backend: init ran with ``-backend=false``)."""

    root: Path
    dirs: dict[str, Path] = field(default_factory=dict)
    calls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def init(self, tf: Terraform, config: dict, work: Path, timeout_s: float) -> tuple[Path | None, Call | None]:
        """The data dir for ``config``'s provider set, initialized once (its lock file copied into
        ``work``); (None, failed call) if init failed."""
        key = provider_key(config)
        data = self.root / "data" / key
        with self.lock:  # a second slot asking for the same set waits for the first init
            if key in self.dirs:
                shutil.copy(data / "lock.hcl", work / ".terraform.lock.hcl")
                return data, None
            shutil.rmtree(data, ignore_errors=True)
            seed = self.root / "seed" / key
            shutil.rmtree(seed, ignore_errors=True)
            seed.mkdir(parents=True)
            req = {"terraform": {"required_providers": (config.get("terraform") or {}).get("required_providers") or {}}}
            (seed / "main.tf.json").write_text(json.dumps(req), encoding="utf-8")
            self.calls += 1
            c = call(tf, ["init", "-backend=false", "-input=false", "-no-color", f"-plugin-dir={tf.mirror}"],
                     seed, base_env(data), timeout_s)
            if c.returncode != 0:
                return None, c
            data.mkdir(parents=True, exist_ok=True)
            lock = seed / ".terraform.lock.hcl"  # absent for a stack that needs no provider at all
            (data / "lock.hcl").write_bytes(lock.read_bytes() if lock.is_file() else b"")
            shutil.copy(data / "lock.hcl", work / ".terraform.lock.hcl")
            self.dirs[key] = data
            return data, None


@dataclass
class TfDir:
    """A slot's Terraform working directory, and the data directories it may use."""

    tf: Terraform
    root: Path
    inits: Inits | None = None  # None: the slot's own, under root
    work: Path = Path()

    def __post_init__(self) -> None:
        if self.inits is None:
            self.inits = Inits(self.root)

    @property
    def init_calls(self) -> int:
        assert self.inits is not None
        return self.inits.calls

    def stage(self, config: dict, stack_dir: Path) -> Path:
        """Fresh copy of the stack (assets included) with ``config`` as its only configuration.

        The copy sits beside the stack directory, at the same depth, so relative paths the stack
        holds (``../../../lambda.zip``) name the same files as in the synthesized original."""
        self.work = stack_dir.parent / f".tapgrade-{stack_dir.name}"
        shutil.rmtree(self.work, ignore_errors=True)
        shutil.copytree(stack_dir, self.work, symlinks=False,
                        ignore=shutil.ignore_patterns("cdk.tf.json", ".terraform*", "*.tfstate*", "*.tfplan"))
        # Pretty-printed so a diagnostic's line number points at one attribute, not the whole file.
        (self.work / "main.tf.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
        return self.work

    def init(self, config: dict, timeout_s: float) -> tuple[Path | None, Call | None]:
        """The data dir for this provider set, initialized once; (None, failed call) if init failed."""
        assert self.inits is not None
        return self.inits.init(self.tf, config, self.work, timeout_s)
