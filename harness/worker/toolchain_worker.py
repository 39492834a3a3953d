"""The toolchain worker: runs inside the toolchain's interpreter, never the harness's.

It is started with the toolchain venv's python, loads cdktf, the AWS provider (~10-20 s, once)
and pylint, takes a snapshot of interpreter state, then grades one workspace per request and
restores the snapshot after each. The harness reads its answers as JSON lines on a private
descriptor (a dup of the original stdout); the real fds 0/1/2 point at /dev/null and the stage
log files, so whatever model code prints or reads can never corrupt the protocol.

Only the standard library and the toolchain's own packages may be imported here: this file is
executed by another interpreter and must not import the ``harness`` package. Its parts are sibling
files, imported by name before the harness directory leaves ``sys.path``: ``worker_stages`` (the
stages and the loop over them), ``worker_state`` (preload, snapshot, restore), ``worker_context``
(stage logs, the fixed clock), ``worker_signals`` (signals from exceptions), ``worker_processes``
(what the response leaves running), ``worker_policy`` and ``worker_integrity`` (the guards).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time

import procstat  # sibling files, stdlib + toolchain only
import worker_integrity
import worker_policy
import worker_stages
from worker_processes import become_subreaper, children, rss_kb, sweep_children
from worker_state import Snapshot, preload

# This file runs as a script, so its directory (harness/worker) heads sys.path: drop it, so
# response code can never import the worker's modules by accident.
sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != os.path.dirname(os.path.realpath(__file__))]

PROTO = None
REQUEST_ID: str | None = None  # every event names the request it answers: a stale line is never read as the next one's
FILE_SIZE_LIMIT = 256 * 2**20
CHAIN = worker_stages.CHAIN


def send(obj: dict) -> None:
    PROTO.write(json.dumps({**obj, "id": REQUEST_ID}) + "\n")
    PROTO.flush()


def open_channels():
    """The protocol's two descriptors (dups of the original stdin and stdout); fds 0/1/2 then point
    at /dev/null and the worker's log, so nothing the code prints or reads reaches the protocol."""
    global PROTO
    PROTO = os.fdopen(os.dup(1), "w", buffering=1)
    requests = os.fdopen(os.dup(0), "r")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # stray output before any stage goes to the worker's own log (fd 2)
    return requests


def prepare() -> tuple[dict, worker_policy.Policy, Snapshot, worker_integrity.Integrity | None]:
    """Load the toolchain, put the guards in place and take the snapshots: (ready info, sandbox
    policy, interpreter snapshot, integrity snapshot or None)."""
    info = preload()
    print(f"tapgrade worker ready: {json.dumps(info)}", file=sys.stderr, flush=True)  # into the worker's log
    become_subreaper()
    # One file may not outgrow this (jsii's node, started by preload, is not bound: it unpacks the
    # provider's assembly); Python ignores SIGXFSZ, so a larger write fails with EFBIG: a finding.
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
    policy = worker_policy.install(os.environ.pop("TAPGRADE_HOST_HOME", ""))
    snapshot = Snapshot()
    # The run's lint process runs no response code (pylint parses it): nothing to guard there.
    # A process that serves one request and is then ended (the cold baseline's) hands nothing on to
    # another variant: nothing to guard there either, and a snapshot of the eagerly loaded provider
    # (every submodule and class) costs seconds.
    single_use = os.environ.pop("TAPGRADE_SINGLE_USE", "") == "1"
    integrity = worker_integrity.Integrity() if info["role"] != "lint" and not single_use else None
    t0 = time.monotonic()
    if integrity is not None:
        integrity.take()  # after the policy's audit hook: a hook added later is a response's
        integrity.take_cache(os.environ.get("JSII_RUNTIME_PACKAGE_CACHE_ROOT", ""))
    info["integrity_snapshot_s"] = round(time.monotonic() - t0, 4)
    return info, policy, snapshot, integrity


def left_behind(ran_code: bool, own: set[int], snapshot: Snapshot) -> list[str]:
    """The processes the response's code left running (ended now); after a request that ran none,
    what was started meanwhile is the toolchain's own from now on."""
    if ran_code:
        return [f"process {p} ({cmd}) still running" for p, cmd in sweep_children(own)]
    # Static and lint run no response code: a process started meanwhile is the toolchain's
    # own (a light process's static check imports cdktf, whose jsii starts its node).
    own |= set(children())
    snapshot.threads |= {t.ident for t in threading.enumerate()}  # jsii's stderr sink, likewise
    return []


def serve(req: dict, policy: worker_policy.Policy, snapshot: Snapshot,
          integrity: worker_integrity.Integrity | None, own: set[int]) -> None:
    """Grade one request, clean up after it and send ``done``: what it left, what it changed."""
    t0 = time.monotonic()
    worker_stages.grade(req, send, policy)
    t1 = time.monotonic()
    aws_sdk = "botocore" in sys.modules and "botocore" not in snapshot.modules  # may have written to the emulator
    ran_code = bool(set(req["stages"]) & set(CHAIN)) and not req.get("blocked")
    left = left_behind(ran_code, own, snapshot)
    dirty = snapshot.restore(req["workspace"])
    tampered, check_s = integrity.check() if integrity is not None and ran_code else ([], 0.0)
    tampered += [f"the toolchain's own process {p} (jsii's node) is gone" for p in own if not procstat.alive(p)]
    if integrity is not None and ran_code:
        tampered += integrity.check_cache()
    elif integrity is not None:
        # A static or lint request runs no response code (pylint fills astroid's classes lazily):
        # what the toolchain did to itself is the new normal.
        t1 = time.monotonic()
        integrity.rebase()
        check_s = time.monotonic() - t1
    send({"event": "done", "rss_kb": rss_kb(), "dirty": dirty, "aws_sdk": aws_sdk,
          "left_behind": left + dirty, "tampered": tampered[:40],
          "duration_s": round(time.monotonic() - t0, 4), "restore_s": round(time.monotonic() - t1, 4),
          "integrity_s": round(check_s, 4)})


def main() -> None:
    global REQUEST_ID
    requests = open_channels()
    info, policy, snapshot, integrity = prepare()
    own = set(children())  # jsii's node process
    send({"event": "ready", "pid": os.getpid(), "rss_kb": rss_kb(), **info})
    for line in requests:
        if not line.strip():
            continue
        req = json.loads(line)
        REQUEST_ID = req.get("id")
        serve(req, policy, snapshot, integrity, own)
        REQUEST_ID = None


if __name__ == "__main__":
    main()
