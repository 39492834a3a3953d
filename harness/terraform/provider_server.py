"""One warm AWS provider process per slot that validate, plan and show of single-provider stacks
reattach to (``TF_REATTACH_PROVIDERS``), instead of starting the plugin for every call."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from pathlib import Path

from ..procgroup import kill_group
from .binary import REGISTRY, Terraform

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
