"""Inside a grading container: one slot of the engine, serving the host over stdin/stdout.

The docker backend (``backends/docker.py``) starts one long-lived container per worker slot and
runs this module in it. It grades with exactly the code the local backend uses (``WorkerSlot``:
the warm toolchain worker, terraform, the emulator, checkov), so the two backends cannot drift;
the container only changes where that happens: no network, a read-only root, tmpfs for the run
directory, and the engine's memory/CPU/pids limits enforced by the kernel as well.

Protocol, one JSON object per line:
  host -> ``{"op": "init", "run_root", "created_at", "index", "options"}`` -> ``{"event": "ready"}``
  host -> ``{"op": "grade", "task_root", "variant"}`` -> ``{"event": "result", "records", "files"}``
  host -> ``{"op": "exit"}`` -> ``{"event": "bye", "files"}``
``files`` is a base64 tar of what the variant left in the run directory (logs, artifacts, kept
workspace), which the host unpacks into its own run store; nothing else leaves the container.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import sys
import tarfile
import threading
import traceback
from pathlib import Path

from .bundles import load_task
from .contract import choose_entry
from .options import EngineOptions, from_dict
from .runstore import RunStore
from .slot import WorkerSlot
from .toolchain import DEFAULT_PROFILE

CODE_UID = 1001  # the image's uid for model code (the slot itself runs as root with a few capabilities)


def pack(root: Path, parts: list[Path]) -> str:
    """Base64 tar of ``parts`` (paths relative to ``root``; missing ones skipped)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for rel in parts:
            if (root / rel).exists():
                tar.add(root / rel, arcname=str(rel))
    return base64.b64encode(buf.getvalue()).decode("ascii")


def take_files(store: RunStore, keep_workspaces: bool, task_id: str, variant: str) -> str:
    """What a variant left in the slot's run directory (logs, artifacts, the kept workspace), packed
    for the host's run store and removed here (a container's tmpfs is memory, a node's disk is not ours)."""
    parts = [Path(d) / task_id / variant for d in ("logs", "artifacts")]
    if keep_workspaces:
        parts.append(Path("workspaces") / task_id / variant)
        parts.append(Path("workspaces") / task_id / f"{variant}.request.json")
    files = pack(store.root, parts)
    for rel in parts:
        if (store.root / rel).is_dir():
            shutil.rmtree(store.root / rel, ignore_errors=True)
        else:
            (store.root / rel).unlink(missing_ok=True)
    return files


def serve(stdin=None, out=None) -> None:
    stdin = stdin or sys.stdin
    out = out or sys.stdout
    lock = threading.Lock()

    def send(obj: dict) -> None:
        with lock:
            out.write(json.dumps(obj, default=str) + "\n")
            out.flush()

    slot: WorkerSlot | None = None
    store: RunStore | None = None
    created_at = ""
    for line in stdin:
        msg = json.loads(line)
        op = msg.get("op")
        if op == "init":
            store = RunStore(Path(msg["run_root"]))
            store.root.mkdir(parents=True, exist_ok=True)
            created_at = msg["created_at"]
            slot = WorkerSlot(int(msg["index"]), DEFAULT_PROFILE, store, from_dict(EngineOptions, msg["options"]))
            det = slot.tools.opts.terraform
            send({"event": "ready", "terraform": det.reason if det else None})
        elif op == "grade":
            assert slot is not None and store is not None
            try:
                task = load_task(Path(msg["task_root"]))
                graded = slot.grade(task, msg["variant"], choose_entry(task), created_at, threading.Event())
                assert graded is not None
                result, recs = graded
                files = take_files(store, slot.opts.keep_workspaces, task.id, result.variant)
                send({"event": "result", "records": recs, "files": files})
            except Exception:  # noqa: BLE001 - a harness bug in here is reported, not hidden
                send({"event": "error", "message": traceback.format_exc()})
        elif op == "exit":
            break
    if slot is not None:
        slot.close()
    files = pack(store.root, [Path("logs") / "_workers"]) if store is not None else ""
    send({"event": "bye", "files": files})


def main() -> None:
    # Our protocol owns the real stdout; anything else that prints (a library, a warning) goes to
    # stderr, which the host keeps as the container's log.
    proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    serve(sys.stdin, proto)


if __name__ == "__main__":
    main()
