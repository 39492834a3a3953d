"""Reading ``/proc/<pid>/stat``: both sides of the worker protocol need it (the toolchain worker
finds the processes a response started, the harness finds a worker's process group), so it is
stdlib only and imported by the worker as a sibling file (``import procstat``) as well as by the
harness (``from . import procstat``)."""

from __future__ import annotations

import os


def fields(pid: int | str) -> list[str] | None:
    """The fields after the command name (state, ppid, pgrp, ...), or None for a process gone.
    The name is in parentheses and may hold spaces or ')', so the split is at the last ')'."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            rest = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return rest or None


def parents() -> dict[int, int]:
    """pid -> parent pid, for every process."""
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            f = fields(entry)
            try:
                if f is not None:
                    out[int(entry)] = int(f[1])
            except (ValueError, IndexError):
                continue
    return out


def pids_where(index: int, value: int) -> list[int]:
    """Every process whose stat field ``index`` (0: state, 1: ppid, 2: pgrp) equals ``value``."""
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            f = fields(entry)
            try:
                if f is not None and int(f[index]) == value:
                    out.append(int(entry))
            except (ValueError, IndexError):
                continue
    return out


def children(pid: int) -> list[int]:
    return pids_where(1, pid)


def group(pgid: int) -> list[int]:
    return pids_where(2, pgid)


def alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped."""
    f = fields(pid)
    return f is not None and f[0] not in ("Z", "X")
