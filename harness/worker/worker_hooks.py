"""What the integrity check compares outside any module's namespace: the process-wide hooks, and
the files of the jsii package cache (see ``worker_integrity``).

Runs inside the toolchain interpreter (a sibling file of ``worker_integrity.py``): standard
library only.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
from typing import Any

# Audit events after which code ran that this interpreter cannot watch.
OUTSIDE_PYTHON = {"subprocess.Popen", "os.system", "os.posix_spawn", "os.exec", "os.fork", "os.forkpty",
                  "os.spawn", "pty.spawn", "ctypes.dlopen", "ctypes.cdata", "ctypes.call_function"}


def file_tree(root: str) -> dict[str, tuple]:
    """Every file under ``root`` -> (size, mtime, inode): a write, a swap or a new file shows."""
    out: dict[str, tuple] = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(dirpath, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            # jsii's node touches an entry's marker each time it uses the entry (any node the
            # code starts does): its time is not a change.
            mtime = 0 if name == ".jsii-runtime-package-cache" else st.st_mtime_ns
            out[os.path.relpath(path, root)] = (st.st_size, mtime, st.st_ino)
    return out


def process_hooks() -> dict[str, Any]:
    """Process-wide state outside any namespace."""
    handlers = {}
    for sig in signal.valid_signals():
        try:
            handlers[int(sig)] = signal.getsignal(sig)
        except (ValueError, OSError):
            continue
    return {
        "sys.meta_path": list(sys.meta_path), "sys.path_hooks": list(sys.path_hooks),
        "sys.gettrace": sys.gettrace(), "sys.getprofile": sys.getprofile(),
        "threading trace": getattr(threading, "_trace_hook", None),
        "threading profile": getattr(threading, "_profile_hook", None),
        "sys.excepthook": sys.excepthook, "sys.displayhook": sys.displayhook,
        "sys.unraisablehook": sys.unraisablehook, "threading.excepthook": threading.excepthook,
        "sys.stdin": sys.stdin, "sys.stdout": sys.stdout, "sys.stderr": sys.stderr,
        "recursion limit": sys.getrecursionlimit(), "switch interval": sys.getswitchinterval(),
        "atexit callbacks": atexit._ncallbacks(),  # noqa: SLF001 - the only way to count them
        "signal handlers": handlers,
    }


def hook_changes(key: str, before: Any, after: Any) -> list[str]:
    """One process-wide hook (see ``process_hooks``): what changed."""
    if key == "signal handlers":
        return [f"signal handler {signal.Signals(s).name} replaced" for s, h in before.items()
                if after.get(s) is not h]
    if isinstance(before, list):
        # A library the variant imported may add its finder (six does); those modules are
        # unloaded after the variant, so the list is put back. Losing or reordering the
        # toolchain's own entries is a change.
        kept = [a for a in after if any(a is b for b in before)]
        changed = len(kept) != len(before) or any(a is not b for a, b in zip(before, kept))
        getattr(sys, key.split(".")[1])[:] = before
        return [f"{key} changed"] if changed else []
    if before is not after and before != after:
        return [f"{key} changed"]
    return []
