"""On a node of a Ray cluster: one slot of the engine as a Ray actor (the ray backend's
``RaySlot`` drives it from the harness).

Like the grading container's ``slot_server``, it grades with exactly the local backend's code
(``WorkerSlot``: the warm toolchain worker, terraform, the emulator, checkov), in a run directory
of its own on the node; each variant's logs and artifacts go back packed with its records and are
removed here. The response's code runs in the toolchain worker the slot starts on this node, never
in the actor's interpreter. Task bundles arrive as tar bytes from Ray's object store (the driver
puts each once; see ``ray_cluster.py``) and are unpacked once per node.

The class is plain Python: the backend wraps it with ``ray.remote`` and its options, so this
module does not need Ray to import, and Ray ships the class by reference (the node imports
``harness``: every node needs tapgrade and the toolchain installed).
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import tarfile
import tempfile
import threading
from dataclasses import replace
from pathlib import Path

from ..bundles import load_task
from ..contract import choose_entry
from ..options import EngineOptions, from_dict
from ..runstore import RunStore
from ..slot import WorkerSlot
from ..slot_server import pack, take_files
from ..toolchain import DEFAULT_PROFILE, check

BASE = Path(tempfile.gettempdir()) / "tapgrade-ray"


def node_check() -> dict:
    """What this node can grade with: the toolchain (versions or problems) and terraform."""
    from .. import terraform

    st = check(DEFAULT_PROFILE)
    det = terraform.detect()
    return {"host": socket.gethostname(), "ok": st.ok, "problems": st.problems, "versions": st.versions,
            "terraform": det.reason, "has_terraform": det.terraform is not None}


class SlotActor:
    """One worker seat on a node (a Ray actor)."""

    def __init__(self, index: int, run_id: str, created_at: str, options: dict):
        self.root = BASE / "runs" / f"{run_id}-slot{index}-{os.getpid()}"
        self.root.mkdir(parents=True, exist_ok=True)
        self.store = RunStore(self.root)
        self.created_at = created_at
        opts = from_dict(EngineOptions, options)
        # terraform is detected here, on the node, as the container's slot does in its image
        self.slot = WorkerSlot(index, DEFAULT_PROFILE, self.store, replace(opts, plan=replace(opts.plan, terraform=None)))

    def ready(self) -> dict:
        return {"pid": os.getpid(), "host": socket.gethostname(), "run_root": str(self.root)}

    def grade(self, bundle: bytes, digest: str, name: str, variant: str) -> dict:
        """Grade one variant of the task in ``bundle``: its records and packed files."""
        task = load_task(_task_root(bundle, digest, name))
        graded = self.slot.grade(task, variant, choose_entry(task), self.created_at, threading.Event())
        assert graded is not None  # the actor's own stop event is never set
        result, recs = graded
        return {"records": recs, "files": take_files(self.store, self.slot, task.id, result.variant),
                "run_root": str(self.root)}

    def close(self) -> str:
        """A normal end: the worker stopped, its logs packed, the run directory removed."""
        self.slot.close()
        files = pack(self.root, [Path("logs") / "_workers"])
        shutil.rmtree(self.root, ignore_errors=True)
        return files


_UNPACKING = threading.Lock()


def _task_root(bundle: bytes, digest: str, name: str) -> Path:
    """The task unpacked on this node, once per content digest (an edited bundle is a new one);
    the ``data`` filter refuses links out, absolute paths and devices."""
    dest = BASE / "tasks" / digest
    root = dest / name
    with _UNPACKING:
        if not root.is_dir():
            (BASE / "tasks").mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(dir=BASE / "tasks"))
            with tarfile.open(fileobj=io.BytesIO(bundle), mode="r:gz") as tar:
                tar.extractall(tmp, filter="data")
            dest.mkdir(parents=True, exist_ok=True)
            try:
                (tmp / name).rename(root)
            except OSError:  # another actor of this node unpacked it meanwhile
                pass
            shutil.rmtree(tmp, ignore_errors=True)
    return root
