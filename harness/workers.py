"""Harness side of a toolchain worker: start it, send a workspace, watch it, kill it.

The worker (``toolchain_worker.py``) runs in its own session (process group) so that killing it
also kills the jsii node process and anything model code forked. While a stage runs, this side
enforces the stage's time limit and watches the group's memory and process count; crossing one
kills the group and becomes a ``timeout`` / ``resource-limit`` signal for that stage, and a
worker that dies becomes a ``crash`` signal. The harness never runs model code itself.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import IO, Any, NoReturn, cast

import psutil

from .options import Limits
from .procgroup import kill_group
from .toolchain import Profile
from .usage import group_usage, oom_kills

WORKER_SCRIPT = Path(__file__).parent / "worker" / "toolchain_worker.py"
# The worker's parent: a small process that only starts the worker and waits for it. Model code
# that signals its parent (``os.kill(os.getppid(), 9)``) reaches this, never the harness; a guard
# dead by a signal tells the harness the response did it. A subreaper, so what a dead worker
# leaves running stays in reach of ``kill_group``.
GUARD = """
import ctypes, os, sys
try:
    ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)
except Exception:
    pass
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
while True:
    try:
        got, status = os.waitpid(-1, 0)
    except ChildProcessError:
        sys.exit(0)
    if got == pid:
        sys.exit(os.waitstatus_to_exitcode(status) & 0xFF)
"""


def hand_over(uid: int | None, *paths: Path) -> None:
    """Give ``paths`` (recursively) to the uid the response's code runs as: its workspace, its
    temporary directory, the variant's log directory."""
    if uid is None:
        return
    for top in paths:
        if not top.exists():
            continue
        os.chown(top, uid, uid, follow_symlinks=False)
        for dirpath, dirnames, filenames in os.walk(top):
            for name in (*dirnames, *filenames):
                os.chown(os.path.join(dirpath, name), uid, uid, follow_symlinks=False)


class WorkerFailure(Exception):
    """The worker stopped answering mid-variant; ``signal`` says how, ``events`` what came before."""

    def __init__(self, stage: str | None, signal_: dict, events: list[dict]):
        super().__init__(f"{stage}: {signal_['message']}")
        self.stage = stage
        self.signal = signal_
        self.events = events


class WorkerStartError(Exception):
    """The toolchain could not even start: an infra problem, never a model failure."""


def _is_worker(pid: int) -> bool:
    """Whether ``pid`` is still a toolchain worker (not a reused pid): it may have left its group."""
    try:
        return any(str(WORKER_SCRIPT) in arg for arg in psutil.Process(pid).cmdline())
    except psutil.Error:
        return False


class LocalWorker:
    """One warm toolchain process serving many variants."""

    def __init__(self, profile: Profile, log_path: Path, workspace: Path, limits: Limits | None = None,
                 lazy_provider: bool = False, lint_only: bool = False, jsii_cache: Path | None = None,
                 single_use: bool = False):
        self.profile = profile
        self.lint_only = lint_only  # the run's shared lint process: pylint, no cdktf runtime
        # Warm workers import the provider's submodules on demand (harness/worker/provider_lazy.py); the
        # cold baseline imports all of them per process, as `python tap.py` does.
        self.lazy_provider = lazy_provider
        self.workspace = workspace  # the worker's cwd for life: every variant is materialized here
        self.limits = limits or Limits()
        self.log_path = log_path
        # Where jsii's node keeps the packages it unpacked (the provider's is ~400 MB, ~9 s to
        # unpack): shared by the workers that may share it, None: unpacked anew into the
        # worker's own temporary directory (a cache a response may have changed is not reused).
        self.jsii_cache = jsii_cache
        self.single_use = single_use  # ended after one request (the cold baseline): no integrity snapshot
        self.proc: subprocess.Popen | None = None
        self.served = 0
        self.ready_info: dict = {}
        self._events: queue.Queue = queue.Queue()

    # -- lifecycle
    @property
    def tmpdir(self) -> Path:
        """The worker's own TMPDIR (jsii unpacks its runtime there); removed with the worker."""
        return self.log_path.with_suffix(".tmp")

    def start(self) -> dict:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.workspace.mkdir(parents=True, exist_ok=True)
        self.tmpdir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        home = self.tmpdir / "home"  # a home of its own: ~/.ssh, ~/.aws of the host are not the response's
        home.mkdir(exist_ok=True)
        uid = self.limits.code_uid
        hand_over(uid, self.tmpdir, self.workspace)
        cache = {"JSII_RUNTIME_PACKAGE_CACHE": "disabled"}
        if self.jsii_cache is not None:
            self.jsii_cache.mkdir(parents=True, exist_ok=True)
            if uid is not None and self.jsii_cache.stat().st_uid != uid:
                hand_over(uid, self.jsii_cache)
            cache = {"JSII_RUNTIME_PACKAGE_CACHE_ROOT": str(self.jsii_cache)}
        python = str(self.profile.python)
        as_user: dict[str, Any] = {"user": uid, "group": uid, "extra_groups": []} if uid is not None else {}
        self.proc = subprocess.Popen(
            [python, "-c", GUARD, python, str(WORKER_SCRIPT)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
            env={**self.profile.env(), "TMPDIR": str(self.tmpdir), "HOME": str(home),
                 "TAPGRADE_HOST_HOME": str(Path.home()), **cache,
                 **({"TAPGRADE_LAZY_PROVIDER": "1"} if self.lazy_provider else {}),
                 **({"TAPGRADE_LINT_ONLY": "1"} if self.lint_only else {}),
                 **({"TAPGRADE_SINGLE_USE": "1"} if self.single_use else {})}, start_new_session=True,
            cwd=str(self.workspace), **as_user,
        )
        log.close()
        self._events = queue.Queue()
        threading.Thread(target=self._read, args=(self.proc, self._events), daemon=True).start()
        try:
            ev = self._events.get(timeout=self.limits.ready_timeout_s)
        except queue.Empty:
            self.kill()
            raise WorkerStartError(f"toolchain worker not ready after {self.limits.ready_timeout_s:.0f}s; "
                                   f"see {self.log_path}") from None
        if ev is None or ev.get("event") != "ready":
            self.kill()
            raise WorkerStartError(f"toolchain worker failed to start; see {self.log_path}")
        self.ready_info = ev
        return ev

    @staticmethod
    def _read(proc: subprocess.Popen, q: queue.Queue) -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            try:
                q.put(json.loads(raw))
            except json.JSONDecodeError:
                continue
        q.put(None)  # EOF: the worker is gone

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.proc is None:
            return
        kill_group(self.proc, also=tuple(p for p in [self.ready_info.get("pid")] if p and _is_worker(p)))
        self.proc = None
        self.ready_info = {}
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def close(self) -> None:
        """End the worker without a goodbye: it holds nothing to flush (the harness writes every
        record; stage logs are closed at each stage end), and a graceful interpreter exit over a
        large heap is slow (5.4 s for the lint process after a 4-task run, timed by hand)."""
        self.kill()

    def rss_kb(self) -> int:
        return group_usage(self.proc.pid)[0] if self.alive and self.proc else 0

    # -- work
    def grade(self, request: dict, count: bool = True) -> tuple[list[dict], dict]:
        """Send one workspace; return (stage_end events, done event) or raise WorkerFailure.

        ``count``: the request ends a variant (``served`` counts variants, for recycling)."""
        assert self.proc is not None and self.proc.stdin is not None
        self.served += int(count)
        rid = self._send(request)
        events: list[dict] = []
        stage: str | None = None
        deadline = time.monotonic() + 60.0  # between stages: the worker's own bookkeeping
        ooms = oom_kills()
        while True:
            try:
                ev = self._events.get(timeout=0.25)
            except queue.Empty:
                ev = "tick"
            if ev is None:
                self._gone(stage, ooms, events)
            if ev != "tick" and ev.get("id") != rid:
                continue  # a line the response wrote, or left over from an earlier request
            if ev == "tick":
                self._watch(stage, deadline, events)
                continue
            kind = ev.get("event")
            if kind == "stage_start":
                stage = ev["stage"]
                deadline = time.monotonic() + self.limits.stage_timeout_s.get(stage, 120.0)
            elif kind == "stage_end":
                events.append(ev)
                stage = None
                deadline = time.monotonic() + 60.0
            elif kind == "done":
                return events, ev

    def _send(self, request: dict) -> str:
        """Write the request with a fresh id; the id its answers will carry."""
        proc = cast(subprocess.Popen, self.proc)
        rid = uuid.uuid4().hex  # only events naming it answer this request (the response can forge
        request = {**request, "id": rid}  # lines, but cannot know the next request's id)
        try:
            cast(IO[bytes], proc.stdin).write((json.dumps(request) + "\n").encode())
            cast(IO[bytes], proc.stdin).flush()
        except (BrokenPipeError, OSError):
            raise WorkerFailure(None, {"kind": "crash", "message": "worker gone before the request"}, []) from None
        return rid

    def _gone(self, stage: str | None, ooms: int, events: list[dict]) -> NoReturn:
        """The worker's output ended: it died (the OOM killer's count says whether it did it)."""
        code = self.proc.poll() if self.proc else None
        self.kill()
        if oom_kills() > ooms:
            raise WorkerFailure(stage, {"kind": "resource-limit", "message": "killed by the kernel's OOM killer "
                                        "at the memory limit of its cgroup (the container's, in the docker "
                                        "backend)"}, events)
        raise WorkerFailure(stage, {"kind": "crash", "message": f"toolchain process died (exit status {code})"
                                    + (f" during {stage}" if stage else "")}, events)

    def _watch(self, stage: str | None, deadline: float, events: list[dict]) -> None:
        """No answer yet: raise if the worker's parent was killed, the deadline passed, or the group
        is over its memory or process bound (the group is killed first)."""
        proc = cast(subprocess.Popen, self.proc)
        if proc.poll() is not None and proc.returncode < 0:
            sig = -proc.returncode
            self.kill()
            raise WorkerFailure(stage, {"kind": "parent-killed", "message": f"the process that started the "
                                        f"toolchain worker was killed (signal {sig}) during {stage or 'the variant'}: "
                                        "code of the response signalled its parent"}, events)
        now = time.monotonic()
        if now > deadline:
            self.kill()
            limit = self.limits.stage_timeout_s.get(stage or "", 60.0)
            raise WorkerFailure(stage, {"kind": "timeout",
                                        "message": f"{stage or 'worker'} did not finish within {limit:.0f}s"},
                                events)
        rss, nproc = group_usage(proc.pid, self.limits.memory_mb * 1024, self.limits.max_processes)
        if nproc > self.limits.max_processes or rss > self.limits.memory_mb * 1024:
            self.kill()
            what = (f"{nproc} processes over the bound of {self.limits.max_processes}"
                    if nproc > self.limits.max_processes
                    else f"memory {rss // 1024} MB over the {self.limits.memory_mb} MB bound")
            raise WorkerFailure(stage, {"kind": "resource-limit", "message": what}, events)
