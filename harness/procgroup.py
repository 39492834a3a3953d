"""Ending a helper process together with everything it started.

Every helper the harness starts (toolchain worker, terraform, provider server, checkov, emulator)
runs in its own session, so one ``killpg`` reaches the children it forked (jsii's node process,
provider plugins, whatever model code spawned). One place decides how that is done.
"""

from __future__ import annotations

import os
import signal
import subprocess


def kill_group(proc: subprocess.Popen, wait_s: float = 10.0) -> None:
    """SIGKILL the process group led by ``proc`` and reap the leader (never raises)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        pass
