"""What a toolchain worker's process group uses (psutil) and the cgroup's OOM count: the harness
side's view for the bounds it enforces on a worker (``workers.LocalWorker``). The worker's own
side (``worker/procstat.py``) reads /proc itself: it runs in the toolchain's interpreter, stdlib only."""

from __future__ import annotations

import os
from pathlib import Path

import psutil


def _rss_kb(pid: int) -> int:
    try:
        return psutil.Process(pid).memory_info().rss // 1024
    except psutil.Error:
        return 0


def _pss_kb(pid: int) -> int:
    """Proportional set size: shared (copy-on-write) pages counted once across a forked group.

    Costly (~0.1 s for a warm worker: psutil reads the smaps, which locks the target's memory
    map), so it is read only when the cheap RSS sum is already over the bound."""
    try:
        return psutil.Process(pid).memory_full_info().pss // 1024
    except (psutil.Error, AttributeError):  # AttributeError: a platform without PSS
        return 0


OOM_COUNTERS = (Path("/sys/fs/cgroup/memory.events"),  # cgroup v2
                Path("/sys/fs/cgroup/memory/memory.oom_control"))  # cgroup v1


def oom_kills() -> int:
    """How many processes the kernel's OOM killer has killed in our memory cgroup (a container's,
    in the docker backend): a worker that dies while this grows hit the cgroup's limit."""
    for path in OOM_COUNTERS:
        try:
            for line in path.read_text(encoding="ascii").splitlines():
                if line.startswith("oom_kill "):
                    return int(line.split()[1])
        except (OSError, ValueError):
            continue
    return 0


def group(pgid: int) -> list[int]:
    """The live processes of a process group."""
    out = []
    for proc in psutil.process_iter():
        try:
            if os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                out.append(proc.pid)
        except (OSError, psutil.Error):
            continue
    return out


def group_usage(pgid: int, memory_kb: int | None = None, max_processes: int | None = None) -> tuple[int, int]:
    """(memory in kB, process count) of a process group (psutil).

    Memory is the RSS sum, or the PSS sum when the RSS sum exceeds ``memory_kb`` (forked children
    share pages that RSS counts once per process). Over ``max_processes`` memory is not read."""
    pids = group(pgid)
    if max_processes is not None and len(pids) > max_processes:
        return 0, len(pids)
    rss = sum(_rss_kb(p) for p in pids)
    if memory_kb is not None and rss > memory_kb:
        rss = sum(_pss_kb(p) for p in pids)
    return rss, len(pids)
