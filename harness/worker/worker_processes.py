"""The processes around the toolchain worker: its own memory, and the processes a response leaves.

Runs inside the toolchain interpreter (a sibling file of ``toolchain_worker.py``): standard
library only.
"""

from __future__ import annotations

import contextlib
import os
import time

import procstat  # a sibling file, stdlib only


def rss_kb() -> int:
    """This process's resident memory (kB), reported to the harness with each answer."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def become_subreaper() -> None:
    """Orphans of the response's processes (a daemon that double-forked, or called setsid) are
    re-parented to this worker, not to init, so ``sweep_children`` finds and ends them."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def children() -> list[int]:
    return procstat.children(os.getpid())


def _cmdline(pid: int) -> str:
    """A process's command line, for the finding ("?" when it is gone)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace").strip()[:200]
    except OSError:
        return "?"


def sweep_children(own: set[int]) -> list[tuple[int, str]]:
    """End every child process but the worker's own (jsii's node): the response's code is over,
    whatever it started must not outlive it. Returns what was running (pid, command line)."""
    found: list[tuple[int, str]] = []
    for _round in range(20):  # a killed process's own children come to us next
        stray = [p for p in children() if p not in own]
        if not stray:
            break
        for pid in stray:
            cmd = _cmdline(pid)
            if procstat.alive(pid) and pid not in {p for p, _ in found}:
                found.append((pid, cmd or "?"))
            with contextlib.suppress(OSError):
                os.kill(pid, 9)
        time.sleep(0.05)
        for pid in stray:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)
    return found

