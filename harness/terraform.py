"""Terraform for the validate, plan and deploy stages: found, pinned to the mirror, reused, offline.

Properties kept on purpose:
- found, never assumed: ``detect()`` looks for the binary (``TAPGRADE_TERRAFORM`` or ``PATH``)
  and an AWS provider filesystem mirror (``TAPGRADE_TF_PLUGIN_DIR``, default ``/opt/tf-plugins``);
  when either is missing it says which, and the stages say they were skipped or fell back.
- offline: providers come from the mirror (``-plugin-dir``), never a registry; the host's CLI
  configuration plays no part (an empty one is used) and checkpoint calls are off.
- the synthesized stack is never edited: every stage works on a copy whose provider version pin
  is relaxed to what the mirror holds and whose backend is removed (the ``backend-s3`` config rule
  judges the backend). Both changes are returned so the run records them.
- reused: one ``terraform init`` per provider set per slot; later variants with the same
  providers copy its lock file and point ``TF_DATA_DIR`` at the same initialized data directory
  (``init`` costs ~2 s, the bulk of a validate of a small stack); and one warm AWS provider
  process per slot that validate/plan/show of single-provider stacks reattach to (``ProviderServer``).
- contained: every call runs in its own session with a time limit; on expiry the whole process
  group (terraform and its provider plugin) is killed and the caller records a timeout.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .procgroup import kill_group

DEFAULT_MIRROR = "/opt/tf-plugins"
REGISTRY = "registry.terraform.io"
BUILTIN_PROVIDERS = ("terraform.io/builtin/terraform",)


@dataclass(frozen=True)
class Terraform:
    binary: Path
    version: str
    mirror: Path
    providers: dict[str, list[str]]  # "registry.terraform.io/hashicorp/aws" -> versions held, newest last

    def describe(self) -> str:
        held = ", ".join(f"{p.split('/', 1)[1]} {v[-1]}" for p, v in sorted(self.providers.items()))
        return f"terraform {self.version} with mirror {self.mirror} ({held})"


@dataclass
class Detection:
    terraform: Terraform | None
    reason: str  # why not, when terraform is None; what was found otherwise


def _version_key(v: str) -> tuple:
    return tuple(int(x) if x.isdigit() else x for x in v.replace("-", ".").split("."))


def mirror_providers(mirror: Path) -> dict[str, list[str]]:
    """Providers a filesystem mirror holds in the unpacked layout HOST/NAMESPACE/TYPE/VERSION/OS_ARCH."""
    out: dict[str, list[str]] = {}
    for version_dir in mirror.glob("*/*/*/*"):
        if version_dir.is_dir() and any(version_dir.glob("linux_amd64/terraform-provider-*")):
            host, ns, name = version_dir.parts[-4:-1]
            out.setdefault(f"{host}/{ns}/{name}", []).append(version_dir.name)
    return {k: sorted(v, key=_version_key) for k, v in out.items()}


def detect(env: dict[str, str] | None = None) -> Detection:
    env = dict(os.environ if env is None else env)
    binary = env.get("TAPGRADE_TERRAFORM") or shutil.which("terraform", path=env.get("PATH", ""))
    if not binary or not Path(binary).is_file():
        return Detection(None, "no terraform binary on PATH (or TAPGRADE_TERRAFORM)")
    mirror = Path(env.get("TAPGRADE_TF_PLUGIN_DIR", DEFAULT_MIRROR))
    providers = mirror_providers(mirror) if mirror.is_dir() else {}
    if f"{REGISTRY}/hashicorp/aws" not in providers:
        return Detection(None, f"no AWS provider in a filesystem mirror at {mirror} (TAPGRADE_TF_PLUGIN_DIR)")
    try:
        out = subprocess.run([binary, "version", "-json"], capture_output=True, text=True, timeout=60,
                             env=base_env(None)).stdout
        version = json.loads(out)["terraform_version"]
    except (subprocess.SubprocessError, OSError, json.JSONDecodeError, KeyError) as exc:
        return Detection(None, f"{binary} did not answer 'version -json': {exc}")
    tf = Terraform(Path(binary), version, mirror, providers)
    return Detection(tf, tf.describe())


_EMPTY_CLI_CONFIG = Path(os.environ.get("TMPDIR", "/tmp")) / "tapgrade-empty.tfrc"


def base_env(data_dir: Path | None, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A clean environment: no host CLI config, no checkpoint, no inherited AWS profile."""
    _EMPTY_CLI_CONFIG.touch(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR", "SSL_CERT_FILE")}
    env.update({"TF_CLI_CONFIG_FILE": str(_EMPTY_CLI_CONFIG), "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1",
                "TF_INPUT": "0"})
    if data_dir is not None:
        env["TF_DATA_DIR"] = str(data_dir)
    env.update(extra or {})
    return env


@dataclass
class Call:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    duration_s: float
    timed_out: bool = False


def call(tf: Terraform, args: list[str], cwd: Path, env: dict[str, str], timeout_s: float) -> Call:
    """Run one terraform command in its own session; on timeout kill the group (plugins too)."""
    t0 = time.monotonic()
    proc = subprocess.Popen([str(tf.binary), *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, errs = proc.communicate(timeout=timeout_s)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, errs = proc.communicate()
        timed_out = True
    return Call(args, proc.returncode, out, errs, round(time.monotonic() - t0, 3), timed_out)


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
        key = provider_key(config)
        inits = self.inits
        assert inits is not None
        data = inits.root / "data" / key
        with inits.lock:  # a second slot asking for the same set waits for the first init
            if key in inits.dirs:
                shutil.copy(data / "lock.hcl", self.work / ".terraform.lock.hcl")
                return data, None
            shutil.rmtree(data, ignore_errors=True)
            seed = inits.root / "seed" / key
            shutil.rmtree(seed, ignore_errors=True)
            seed.mkdir(parents=True)
            req = {"terraform": {"required_providers": (config.get("terraform") or {}).get("required_providers") or {}}}
            (seed / "main.tf.json").write_text(json.dumps(req), encoding="utf-8")
            inits.calls += 1
            c = call(self.tf, ["init", "-backend=false", "-input=false", "-no-color", f"-plugin-dir={self.tf.mirror}"],
                     seed, base_env(data), timeout_s)
            if c.returncode != 0:
                return None, c
            data.mkdir(parents=True, exist_ok=True)
            lock = seed / ".terraform.lock.hcl"  # absent for a stack that needs no provider at all
            (data / "lock.hcl").write_bytes(lock.read_bytes() if lock.is_file() else b"")
            shutil.copy(data / "lock.hcl", self.work / ".terraform.lock.hcl")
            inits.dirs[key] = data
            return data, None


def diagnostics_from_lines(stdout: str) -> list[dict]:
    """Diagnostics of a ``-json`` streaming command (plan/apply/destroy): one JSON object a line."""
    out = []
    for line in stdout.splitlines():
        try:
            msg = json.loads(line)
        except json.JSONDecodeError:
            continue
        if msg.get("type") == "diagnostic" and isinstance(msg.get("diagnostic"), dict):
            out.append(msg["diagnostic"])
    return out


AWS = f"{REGISTRY}/hashicorp/aws"
_REATTACH = re.compile(r"TF_REATTACH_PROVIDERS='(\{.*\})'")
# The provider runs under a shell that holds a pipe from the harness on its stdin: when the pipe
# closes (the harness exited, even by SIGKILL) the shell kills the provider, so none outlives a run.
_WATCHED = 'exec 3<&0; "$@" <&- & child=$!; cat <&3 >/dev/null; kill -9 "$child"'


def reattachable(config: dict) -> bool:
    """Whether one running AWS provider process may serve this (relaxed) stack's terraform calls.

    Terraform normally starts one provider process per provider *configuration*; a reattached
    process is shared by all of them, and the AWS provider keeps one configured client. So only a
    stack with exactly one, unaliased ``aws`` provider block qualifies; every other stack (multi-
    region, aliased) gets terraform's own provider processes."""
    blocks = (config.get("provider") or {}).get("aws")
    return isinstance(blocks, list) and len(blocks) == 1 and isinstance(blocks[0], dict) and "alias" not in blocks[0]


class ProviderServer:
    """A warm AWS provider plugin (``-debug`` mode) that terraform reattaches to (``TF_REATTACH_PROVIDERS``).

    Terraform launches and discards the ~0.7 GB provider binary for every validate, plan and show
    (~1 s of each, on top of the schema exchange). One process per slot, started with the
    environment terraform would have given its plugin (the provider reads AWS_* settings from its
    own environment when configured), restarted when that environment changes, when it dies, and
    after ``max_uses`` calls."""

    def __init__(self, tf: Terraform, log_path: Path, max_uses: int = 200):
        self.tf, self.log_path, self.max_uses = tf, log_path, max_uses
        self.proc: subprocess.Popen | None = None
        self.reattach: str | None = None
        self.key: tuple | None = None
        self.uses = 0
        self.starts = 0

    def binary(self) -> Path | None:
        versions = self.tf.providers.get(AWS) or []
        if not versions:
            return None
        found = sorted((self.tf.mirror / AWS / versions[-1]).glob("*/terraform-provider-aws*"))
        return found[0] if found else None

    def env_for(self, call_env: dict[str, str]) -> dict[str, str]:
        """``TF_REATTACH_PROVIDERS`` for a call with ``call_env`` ({} if no server can be had)."""
        key = tuple(sorted((k, v) for k, v in call_env.items() if k.startswith("AWS_")))
        if self.proc is None or self.proc.poll() is not None or key != self.key or self.uses >= self.max_uses:
            self.stop()
            if not self._start(call_env):
                return {}
            self.key = key
        self.uses += 1
        assert self.reattach is not None
        return {"TF_REATTACH_PROVIDERS": self.reattach}

    def _start(self, call_env: dict[str, str], timeout_s: float = 60.0) -> bool:
        binary = self.binary()
        if binary is None:
            return False
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.starts += 1
        env = {k: v for k, v in call_env.items() if k not in ("TF_REATTACH_PROVIDERS",)}
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(["sh", "-c", _WATCHED, "sh", str(binary), "-debug"],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
                                         env=env, start_new_session=True, cwd=self.log_path.parent)
        deadline = time.monotonic() + timeout_s
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            m = _REATTACH.search(line)
            if m:
                self.reattach = m.group(1)
                self.uses = 0
                # Keep draining its stdout so the provider never blocks on a full pipe.
                threading.Thread(target=self.proc.stdout.read, daemon=True).start()
                return True
        self.stop()
        return False

    def stop(self) -> None:
        if self.proc is not None:
            kill_group(self.proc)
        self.proc, self.reattach, self.key = None, None, None
