"""What a response's code may do while it runs in a local worker, enforced by an audit hook.

The docker backend isolates by construction (no network, a read-only root, the harness's files
not mounted, model code under a uid of its own). The local backend runs the worker as the user
running the harness, so the worker refuses, at the Python level, what no stack needs while it is
synthesized: a connection to anything but loopback (the slot's emulator), a name lookup of
anything but localhost, writing outside the workspace / its temporary directory / the variant's
own log directory, reading the host user's home (the toolchain under it excepted) or the system's
secret files, and signalling a process that is not its own child. Each refusal raises
``PermissionError`` in the response's code and is recorded, so it becomes a finding even when the
code catches the error.

Active only while response code runs (the import, instantiate and synth stages). Properties kept
on purpose: an audit hook cannot be removed, and the worker's integrity check reports any hook a
response adds; what it cannot see is said in the README: native code (ctypes, C extensions) and
child processes (a ``curl`` started by the response) are not subject to it.

Runs inside the toolchain interpreter: standard library only.
"""

from __future__ import annotations

import ipaddress
import os
import sys

import procstat  # a sibling file: this module runs in the toolchain worker

# Audit events that change the file system -> the paths they change (from the event's arguments).
_CHANGES = {
    "os.remove": lambda a: a[:1], "os.rmdir": lambda a: a[:1], "os.mkdir": lambda a: a[:1],
    "os.rename": lambda a: a[:2], "os.link": lambda a: a[:2], "os.symlink": lambda a: a[1:2],
    "os.chmod": lambda a: a[:1], "os.chown": lambda a: a[:1], "os.truncate": lambda a: a[:1],
    "os.utime": lambda a: a[:1], "os.chflags": lambda a: a[:1], "os.mkfifo": lambda a: a[:1],
    "os.mknod": lambda a: a[:1], "shutil.rmtree": lambda a: a[:1], "shutil.move": lambda a: a[:2],
    "shutil.copyfile": lambda a: a[1:2], "shutil.copymode": lambda a: a[1:2], "shutil.copystat": lambda a: a[1:2],
}
SECRET_FILES = ("/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/ssh", "/root/.ssh", "/root/.aws")
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _inside(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


class Policy:
    def __init__(self, deny_read: list[str], allow_read: list[str]) -> None:
        """``deny_read``: trees the code may not read (the host user's home, secret files);
        ``allow_read``: trees inside them it may (the interpreter, the toolchain, sys.path)."""
        self.deny_read = [os.path.realpath(p) for p in deny_read if p]
        self.allow_read = [os.path.realpath(p) for p in allow_read if p]
        self.active = False
        self.write_roots: list[str] = []
        self.refused: list[dict] = []

    def start(self, write_roots: list[str]) -> None:
        self.write_roots = [os.path.realpath(r) for r in write_roots if r] + ["/dev/null"]
        self.active = True

    def stop(self) -> list[dict]:
        self.active = False
        out, self.refused = self.refused, []
        return out

    def _refuse(self, what: str, message: str) -> None:
        self.refused.append({"kind": "sandbox-policy", "what": what, "message": message})
        raise PermissionError(f"refused by the grading sandbox: {message}")

    def hook(self, event: str, args: tuple) -> None:
        if not self.active:
            return
        if event == "open":
            self._open(args)
        elif event in _CHANGES:
            for path in _CHANGES[event](args):
                self._write(path, event)
        elif event == "socket.connect":
            self._connect(args[1])
        elif event == "socket.getaddrinfo":
            host = args[0]
            if isinstance(host, bytes):
                host = host.decode(errors="replace")
            if host not in (None, "", "localhost") and not _loopback(str(host)):
                self._refuse("network", f"name lookup of {host!r} (no network while a stack is synthesized)")
        elif event in ("resource.setrlimit", "resource.prlimit"):
            self._refuse("limits", f"{event}{args[:3]!r}: the grading limits are not the response's to change")
        elif event in ("os.kill", "os.killpg"):
            pid, sig = args[0], args[1]
            if sig != 0 and pid not in (0, os.getpid()) and not self._own_child(pid):
                self._refuse("kill", f"{event}({pid}, {sig}): not a process the response started")

    def _open(self, args: tuple) -> None:
        path, mode, flags = (list(args) + [None, None, None])[:3]
        if not isinstance(path, (str, bytes, os.PathLike)):
            return  # a file descriptor
        try:
            real = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError):
            return
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _WRITE_FLAGS)
        if writing:
            self._write(path, "writing")
        if _inside(real, self.deny_read) and not _inside(real, self.allow_read + self.write_roots):
            self._refuse("read", f"reading {real} (the host's secrets or home)")

    def _write(self, path, what: str) -> None:
        """A change to ``path`` (a write, a removal, a rename, a new link...) outside the write roots."""
        if not isinstance(path, (str, bytes, os.PathLike)):
            return  # a file descriptor: it was opened (and judged) before
        try:
            real = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError):
            return
        if not _inside(real, self.write_roots):
            verb = "writing" if what == "writing" else what.split(".", 1)[-1]
            self._refuse("write", f"{verb} {real} (outside the workspace)")

    def _connect(self, address) -> None:
        if isinstance(address, tuple) and address and isinstance(address[0], str):
            if not _loopback(address[0]):
                self._refuse("network", f"connecting to {address[0]}:{address[1] if len(address) > 1 else ''} "
                                        "(only the local emulator is reachable)")

    def _own_child(self, pid: int) -> bool:
        f = procstat.fields(pid)  # reading /proc is not refused: no write, no secret
        return f is not None and f[1] == str(os.getpid())


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return host == "localhost"


def install(host_home: str) -> Policy:
    """The policy for this worker: the host's home and secret files closed, except the trees the
    interpreter itself reads from (its prefix, the standard library, sys.path)."""
    allow = [sys.prefix, sys.base_prefix, sys.exec_prefix, *(p for p in sys.path if p and os.path.isdir(p))]
    policy = Policy([host_home, *SECRET_FILES], allow)
    sys.addaudithook(policy.hook)
    return policy
