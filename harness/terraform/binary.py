"""Finding terraform and the provider mirror, running one call in its own session with a time
limit, and reading the diagnostics it prints."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

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
