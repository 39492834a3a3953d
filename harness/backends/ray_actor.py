"""On a node of a Ray cluster: one slot of the engine as a Ray actor (the ray backend's
``RaySlot`` drives it from the harness).

Like the grading container's ``slot_server``, it grades with exactly the local backend's code
(``WorkerSlot``: the warm toolchain worker, terraform, the emulator, checkov), in a run directory
of its own on the node; each variant's logs and artifacts go back packed with its records and are
removed here. The response's code runs in the toolchain worker the slot starts on this node, never
in the actor's interpreter. Task bundles arrive as tar bytes from Ray's object store (the driver
puts each once; see ``ray_cluster.py``) and are unpacked once per node.

With ``--container`` (``RayOptions.container``) the actor holds the docker backend's
``ContainerSlot`` instead: a hardened grading container on its node's Docker engine, which sees
the node's unpacked tasks through one read-only mount; the node then needs the grading image,
not the toolchain.

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
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

from ..bundles import load_task
from ..checkov_runner import CheckovRunner
from ..contract import choose_entry
from ..options import EngineOptions, detected_there, from_dict
from ..plan.reference import ReferenceStacks
from ..prepare import Prepared
from ..records import StageOutcome
from ..runstore import RunStore
from ..slot import WorkerSlot
from ..slot_server import pack, take_files
from ..terraform import Call, Inits, Terraform
from ..toolchain import DEFAULT_PROFILE, check
from .docker import ContainerSlot
from .local import LintSeat

BASE = Path(tempfile.gettempdir()) / "tapgrade-ray"


def node_check(image: str | None = None) -> dict:
    """What this node can grade with: the toolchain (versions or problems) and terraform, or with
    ``image`` the grading image in the node's Docker engine (built from this node's checkout)."""
    host = socket.gethostname()
    if image is not None:
        from ..image import ImageError
        from ..image import check as image_check

        try:
            status = image_check(image)
        except ImageError as exc:
            return {"host": host, "ok": False, "problems": [str(exc)], "versions": {},
                    "terraform": "", "has_terraform": False}
        return {"host": host, "ok": status.ok, "problems": status.problems, "versions": {"image": image, **status.labels},
                "terraform": f"inside the image {image}", "has_terraform": True}
    from .. import terraform

    st = check(DEFAULT_PROFILE)
    det = terraform.detect()
    return {"host": host, "ok": st.ok, "problems": st.problems, "versions": st.versions,
            "terraform": det.reason, "has_terraform": det.terraform is not None}


def remove_containers(run_id: str) -> list[str]:
    """The run's grading containers on this node, removed (those of actors that died included)."""
    from .containers import remove_run

    return remove_run(run_id, any_process=True)


def _node_opts(options: dict) -> EngineOptions:
    """The run's options as a node uses them: terraform is detected here, on the node, as the
    container's slot does in its image."""
    return detected_there(from_dict(EngineOptions, options))


def _node_id() -> str:
    import ray

    return ray.get_runtime_context().get_node_id()


class NodeServices:
    """What the slots of one run on one node share (a Ray actor, one per node, started by the
    driver), as the local backend's slots share them: one lint process (warmed with the modules
    the run's responses import), one checkov process, one ``terraform init`` per provider set and
    the references synthesized. Per actor they cost a lint warm-up, a checkov start and an init per
    provider set each (the bench measured +31% wall time against local warm without this).
    It runs no response code: its lint process parses the slot's files where they lie, on this
    node's file system."""

    def __init__(self, run_id: str, options: dict, warm_modules: list[str]):
        node = _node_id()
        self.root = BASE / "runs" / f"{run_id}-node-{node[:12]}-{os.getpid()}"
        self.root.mkdir(parents=True, exist_ok=True)
        store = RunStore(self.root)
        opts = _node_opts(options)
        self.lint_seat = LintSeat(DEFAULT_PROFILE, store, opts, name=f"lint-node-{node[:12]}")
        self.checkov = CheckovRunner(self.root / "workspaces" / "_checkov" / "checkov.log")
        self.inits = Inits(self.root / "workspaces" / "_terraform")
        self.references: dict[str, ReferenceStacks] = {}
        threading.Thread(target=self.lint_seat.warm, args=(warm_modules,), daemon=True, name="lint-warmup").start()

    def ping(self) -> str:
        return _node_id()

    def lint(self, prep: Prepared, request: dict, round_: int) -> list[StageOutcome]:
        return self.lint_seat.run(prep, request, round_)

    def scan(self, directory: str, timeout_s: float) -> dict:
        return self.checkov.scan(Path(directory), timeout_s)

    def init(self, tf: Terraform, config: dict, work: str, timeout_s: float) -> tuple[Path | None, Call | None]:
        return self.inits.init(tf, config, Path(work), timeout_s)

    def reference(self, key: str) -> ReferenceStacks | None:
        return self.references.get(key)

    def keep_reference(self, key: str, stacks: ReferenceStacks) -> None:
        self.references[key] = stacks

    def close(self) -> tuple[str, dict]:
        """A normal end: the lint and checkov processes stopped, their logs packed with what the
        run's metadata reports of the lint process, the directory removed."""
        self.lint_seat.close()
        self.checkov.close()
        meta = {"lint_peak_rss_kb": self.lint_seat.peak_rss_kb, "modules": len(self.lint_seat.warmed),
                "seconds": round(self.lint_seat.warm_s, 2)}
        return _hand_back(self.root), meta


class _RemoteLint:
    """A slot's lint requests, sent to its node's ``NodeServices`` (the ``Linter`` of ``slot``)."""

    def __init__(self, services: Any):
        self.services = services

    def run(self, prep: Prepared, request: dict, round_: int = 0) -> list[StageOutcome]:
        import ray

        return ray.get(self.services.lint.remote(prep, request, round_))


class _RemoteCheckov(CheckovRunner):
    """The node's checkov process, as the slot's plan tools call it."""

    def __init__(self, services: Any):
        super().__init__(Path(os.devnull))
        self.services = services

    def scan(self, directory: Path, timeout_s: float = 120.0) -> dict:
        import ray

        return ray.get(self.services.scan.remote(str(directory), timeout_s))

    def close(self) -> None:
        """The node's process outlives the slot: ``NodeServices.close`` ends it."""


class _RemoteInits(Inits):
    """The node's initialized terraform data directories (one init per provider set per node)."""

    def __init__(self, services: Any):
        super().__init__(Path(os.devnull))
        self.services = services

    def init(self, tf: Terraform, config: dict, work: Path, timeout_s: float) -> tuple[Path | None, Call | None]:
        import ray

        return ray.get(self.services.init.remote(tf, config, str(work), timeout_s))


class _RemoteReferences(MutableMapping):
    """The references the node's slots synthesized, by input hash (get and set are all a slot does)."""

    def __init__(self, services: Any):
        self.services = services

    def __getitem__(self, key: str) -> ReferenceStacks:
        import ray

        got = ray.get(self.services.reference.remote(key))
        if got is None:
            raise KeyError(key)
        return got

    def __setitem__(self, key: str, value: ReferenceStacks) -> None:
        import ray

        ray.get(self.services.keep_reference.remote(key, value))

    def __delitem__(self, key: str) -> None:
        raise NotImplementedError("a slot never forgets a reference")

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


class SlotActor:
    """One worker seat on a node (a Ray actor); its lint, checkov, terraform inits and references
    are its node's ``NodeServices``, which the driver hands it (``use``) once it knows the node."""

    def __init__(self, index: int, run_id: str, created_at: str, options: dict):
        self.index, self.run_id = index, run_id
        self.root = BASE / "runs" / f"{run_id}-slot{index}-{os.getpid()}"
        self.root.mkdir(parents=True, exist_ok=True)
        self.store = RunStore(self.root)
        self.created_at = created_at
        self.opts = _node_opts(options)
        self.slot: WorkerSlot | ContainerSlot | None = None

    def ready(self) -> dict:
        return {"pid": os.getpid(), "host": socket.gethostname(), "run_root": str(self.root), "node_id": _node_id()}

    def use(self, services: Any) -> None:
        """Grade with the node's shared services (None: the slot's own, as a container's slot), or
        in the grading image (``--container``: the services are the container's own)."""
        if self.opts.ray.container:
            (BASE / "tasks").mkdir(parents=True, exist_ok=True)
            self.slot = ContainerSlot(self.index, DEFAULT_PROFILE, self.store, self.opts, [], tasks_dir=BASE / "tasks",
                                      run_id=self.run_id)
            return
        if services is None:
            self.slot = WorkerSlot(self.index, DEFAULT_PROFILE, self.store, self.opts)
            return
        self.slot = WorkerSlot(self.index, DEFAULT_PROFILE, self.store, self.opts, _RemoteLint(services),
                               checkov=_RemoteCheckov(services), inits=_RemoteInits(services),
                               references=_RemoteReferences(services))

    def grade(self, bundle: bytes, digest: str, name: str, variant: str) -> dict:
        """Grade one variant of the task in ``bundle``: its records and packed files."""
        assert self.slot is not None, "use() first"
        task = load_task(_task_root(bundle, digest, name))
        graded = self.slot.grade(task, variant, choose_entry(task), self.created_at, threading.Event())
        assert graded is not None  # the actor's own stop event is never set
        result, recs = graded
        return {"records": recs, "files": take_files(self.store, self.opts.keep_workspaces, task.id, result.variant),
                "run_root": str(self.root)}

    def close(self) -> str:
        """A normal end: the worker stopped, its logs packed, the run directory removed."""
        if self.slot is not None:
            self.slot.close()
        return _hand_back(self.root)


def _hand_back(root: Path) -> str:
    """An actor's end: the logs of its processes packed for the driver's run store, and its run
    directory on this node removed."""
    files = pack(root, [Path("logs") / "_workers"])
    shutil.rmtree(root, ignore_errors=True)
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
