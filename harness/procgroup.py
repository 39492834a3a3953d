"""Ending a helper process together with everything it started.

Every helper the harness starts (toolchain worker, terraform, provider server, checkov, emulator)
runs in its own session, so one ``killpg`` reaches the children it forked (jsii's node process,
provider plugins, whatever model code spawned). A child that left the group (``setsid``, a
daemon) is still a descendant by parentage, so the tree under the helper is ended too. One place
decides how that is done.
"""

from __future__ import annotations

import os
import signal
import subprocess

import psutil


def descendants(pid: int) -> list[int]:
    """Every process under ``pid`` by parentage (children, their children, ...)."""
    parents = {}
    for proc in psutil.process_iter(["ppid"]):
        parents[proc.pid] = proc.info["ppid"]
    found, frontier = [], [pid]
    while frontier:
        kids = [p for p, pp in parents.items() if pp in frontier and p not in found]
        found += kids
        frontier = kids
    return found


def kill_group(proc: subprocess.Popen, wait_s: float = 10.0, also: tuple[int, ...] = ()) -> None:
    """SIGKILL the process group led by ``proc`` and every descendant of it (and of the pids in
    ``also``: a worker whose parent is gone, or that left the group), and reap the leader (never
    raises)."""
    for _round in range(3):  # a process forking while we kill: look again
        tree = [p for root in (proc.pid, *also) for p in (root, *descendants(root)) if p != proc.pid]
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for pid in tree:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if not tree:
            break
    try:
        proc.wait(timeout=wait_s)
    except subprocess.TimeoutExpired:
        pass
