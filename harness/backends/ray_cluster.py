"""The ray backend: each worker slot is a Ray actor on some node of a cluster, holding a warm
toolchain worker there (``ray_actor.SlotActor``, the local backend's ``WorkerSlot`` inside). The
run's slots on one node share that node's ``NodeServices`` actor (one lint process, one checkov
process, one terraform init per provider set, the synthesized references), as the local
backend's slots share the run's.

The engine is unchanged: it pulls variants (largest first, so a long one does not start last) and
calls ``RaySlot.grade``, which sends the variant to its actor and writes what comes back (records,
a tar of logs and artifacts) into the run store on this machine, as the docker backend does; so
progress, cache, resume and interrupt are the local backend's. Task bundles travel through Ray's
object store: the driver packs each task once (``ray.put``) and a node unpacks it once, so the
nodes need no shared file system (a KubeRay pod has none) and an edited bundle is a new object.

Faults: an actor or node that dies mid-variant (``RayActorError``), or a variant that overruns the
driver's timeout, kills that actor; the variant is tried again on a fresh actor (Ray places it on
any node with room) and after a second failure recorded as an infra error; the run goes on.
Ctrl-C / SIGTERM kills every actor of the run (``ray.kill``), and a Ray instance the run started
itself is shut down with it.

``--container``: each actor grades in the grading image on its node (the docker backend's
``ContainerSlot``; the node needs Docker and the image, not the toolchain). An actor killed cannot
remove its container, so the end of the run and Ctrl-C remove the run's containers on every node.
"""

from __future__ import annotations

import hashlib
import io
import logging
import tarfile
import threading
from pathlib import Path
from typing import Any

from .. import lint_warmup
from ..backend import Backend, BackendUnavailable, Preflight, Slot
from ..bundles import Task
from ..contract import Entry
from ..options import EngineOptions, to_dict
from ..records import Records, VariantResult, result_from_records
from ..result import infra_variant
from ..runstore import RunStore
from ..terraform import Detection
from ..toolchain import Profile
from . import register
from .containers import rewrite_paths, unpack
from .ray_nodes import connect, disconnect, node_checks, on_every_node, ray_api

log = logging.getLogger(__name__)
MB = 1024 * 1024


@register("ray")
class RayBackend(Backend):
    """One Ray actor per slot, anywhere on the cluster."""

    largest_first = True

    @classmethod
    def preflight(cls, opts: EngineOptions, profile: Profile) -> Preflight:
        ray = ray_api()
        connect(opts.ray)
        image = opts.container.image if opts.ray.container else None
        checks = node_checks(image)
        problems = [f"{c['host']}: {p}" for c in checks for p in c["problems"]]
        if problems:
            fix = (f"build the image {image} there: scripts/setup.sh --docker" if image
                   else "run `harness toolchain install` there")
            raise BackendUnavailable(f"ray backend: a node cannot grade ({fix}): " + "; ".join(problems))
        without = sorted({c["host"] for c in checks if not c["has_terraform"]})
        warnings = [f"ray backend: no terraform on {', '.join(without)}: plan and deploy are skipped for "
                    "the variants graded there"] if without else []
        return Preflight(toolchain={"ray": ray.__version__, "nodes": len(checks), **checks[0]["versions"]},
                         terraform=Detection(None, "detected on each node: " + "; ".join(
                             sorted({f"{c['host']}: {c['terraform']}" for c in checks}))),
                         checkov=(True, "on each node") if opts.plan.checkov else (False, "not requested"),
                         warnings=warnings)

    def __init__(self, profile: Profile, store: RunStore, opts: EngineOptions, tasks: list[Task]):
        super().__init__(profile, store, opts, tasks)
        connect(opts.ray)
        self.bundles: dict[str, tuple[Any, str]] = {}  # task root -> (object ref, digest)
        self.lock = threading.Lock()
        # Warm: per node, the run's slots there share one NodeServices actor (node id -> handle)
        self.services: dict[str, Any] = {}
        self.warm_modules: list[str] = []

    def start(self, todo: list[tuple[Task, str]]) -> None:
        if not self.opts.execution.shared_services:
            return
        self.warm_modules = lint_warmup.modules_for(todo, self.profile)
        # No more nodes than slots: every node gets a slot, so its services start now and their lint
        # warm-up overlaps the actors' start, as it does locally (else on a slot's first use there).
        nodes = [n["NodeID"] for n in ray_api().nodes() if n.get("Alive") and n.get("Resources", {}).get("CPU")]
        if len(nodes) <= self.opts.workers:
            for node_id in nodes:
                self.node_services(node_id)

    def node_services(self, node_id: str, check: bool = False) -> Any:
        """The run's ``NodeServices`` on ``node_id``, started on first use; with ``check`` (a slot
        whose actor was lost) started again if they died too. None in a grading container, which
        has its own. Without ``check`` nothing waits for them to be up: a slot's first variant
        needs its lint only after synth."""
        if not self.opts.execution.shared_services or self.opts.ray.container:
            return None
        ray = ray_api()
        from ray.exceptions import GetTimeoutError, RayActorError
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        from .ray_actor import NodeServices

        with self.lock:
            handle = self.services.get(node_id)
            if handle is not None and not check:
                return handle
            if handle is not None:
                try:
                    ray.get(handle.ping.remote(), timeout=60)
                    return handle
                except (RayActorError, GetTimeoutError):
                    log.warning("the run's services on node %s were lost; starting them again", node_id[:12])
                    ray.kill(handle, no_restart=True)
            handle = ray.remote(NodeServices).options(
                name=f"tapgrade-{self.store.run_id}-node-{node_id[:12]}", get_if_exists=True, num_cpus=0,
                max_concurrency=64, max_restarts=0,
                scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False),
            ).remote(self.store.run_id, to_dict(self.opts), self.warm_modules)
            self.services[node_id] = handle
            return handle

    def _end_services(self, collect: bool) -> dict:
        """Stop every node's services: their logs into the run store and what they report (a
        normal end), or just kill them (an interrupt)."""
        ray = ray_api()
        peak, modules, seconds = 0, 0, 0.0
        with self.lock:
            handles, self.services = list(self.services.values()), {}
        for handle in handles:
            if collect:
                try:
                    files, meta = ray.get(handle.close.remote(), timeout=120)
                    unpack(files, self.store.root)
                    peak = max(peak, meta["lint_peak_rss_kb"])
                    modules, seconds = modules + meta["modules"], seconds + meta["seconds"]
                except Exception:  # noqa: BLE001 - a lost node has no logs to give back
                    log.debug("closing a node's services", exc_info=True)
            try:
                ray.kill(handle, no_restart=True)
            except Exception:  # noqa: BLE001 - already gone with its node
                log.debug("a node's services already gone", exc_info=True)
        if not handles or not collect:
            return {}
        return {"lint_peak_rss_kb": peak, "lint_warmup": {"modules": modules, "seconds": round(seconds, 2)}}

    def bundle(self, task: Task) -> tuple[Any, str]:
        """The task's bundle in the object store (put once per run) and its content digest."""
        key = str(Path(task.root).resolve())
        with self.lock:
            if key not in self.bundles:
                buf = io.BytesIO()
                with tarfile.open(fileobj=buf, mode="w:gz") as tar:
                    tar.add(key, arcname=Path(key).name)
                data = buf.getvalue()
                self.bundles[key] = (ray_api().put(data), hashlib.sha256(data).hexdigest()[:16])
            return self.bundles[key]

    def slots(self) -> list[Slot]:
        return [RaySlot(i, self) for i in range(max(1, self.opts.workers))]

    def _remove_containers(self) -> None:
        """With --container: the run's containers left on any node (an actor killed, or lost with
        its attach stream, cannot remove its own), removed there."""
        if not self.opts.ray.container:
            return
        from .ray_actor import remove_containers

        try:
            for removed in on_every_node(remove_containers, self.store.run_id, timeout=120):
                if removed:
                    log.info("removed the run's leftover containers: %s", ", ".join(removed))
        except Exception:  # noqa: BLE001 - a node lost meanwhile; `harness clean` there removes them
            log.warning("could not remove the run's containers on every node", exc_info=True)

    def close(self) -> dict:
        nodes = len([n for n in ray_api().nodes() if n.get("Alive")])
        shared = self._end_services(collect=True)
        self._remove_containers()
        disconnect()
        return {"ray": {"address": self.opts.ray.address or "started for the run", "nodes": nodes,
                        "container": self.opts.container.image if self.opts.ray.container else None}, **shared}

    def interrupt(self) -> None:
        """After every slot killed its actor: kill the nodes' services, remove the run's containers
        and leave the cluster (ending a Ray instance of our own)."""
        self._end_services(collect=False)
        self._remove_containers()
        disconnect()


class RaySlot(Slot):
    """A worker seat whose worker lives in a Ray actor."""

    def __init__(self, index: int, backend: RayBackend):
        self.index, self.backend = index, backend
        self.store, self.opts = backend.store, backend.opts
        self.actor: Any = None
        self.starts = 0
        self.killed = False

    def ensure(self, created_at: str) -> Any:
        if self.actor is not None:
            return self.actor
        if self.killed:
            raise RuntimeError("run interrupted")
        ray = ray_api()
        from .ray_actor import SlotActor

        ropts = self.opts.ray
        memory = (ropts.slot_memory_mb or self.opts.limits.memory_mb + 2048) * MB
        self.starts += 1
        cls = ray.remote(SlotActor).options(num_cpus=ropts.slot_cpus, memory=memory, max_restarts=0,
                                            name=f"tapgrade-{self.store.run_id}-slot{self.index}-{self.starts}")
        self.actor = cls.remote(self.index, self.store.run_id, created_at, to_dict(self.opts))
        info = ray.get(self.actor.ready.remote(), timeout=self.opts.limits.ready_timeout_s)
        ray.get(self.actor.use.remote(self.backend.node_services(info["node_id"], check=self.starts > 1)), timeout=120)
        log.info("slot %s: actor #%d on %s (pid %s)", self.index, self.starts, info["host"], info["pid"])
        return self.actor

    def grade(self, task: Task, variant: str, entry: Entry, created_at: str,
              stop: threading.Event) -> tuple[VariantResult, Records] | None:
        ray = ray_api()
        from ray.exceptions import GetTimeoutError, RayActorError, RayTaskError, WorkerCrashedError

        ref, digest = self.backend.bundle(task)
        last = ""
        for _attempt in range(2):
            if stop.is_set():
                return None
            try:
                actor = self.ensure(created_at)
                out = ray.get(actor.grade.remote(ref, digest, Path(task.root).resolve().name, variant),
                              timeout=self.opts.ray.variant_timeout_s)
            # RayTaskError: the actor raised, e.g. its node's services were lost under it
            except (RayActorError, WorkerCrashedError, GetTimeoutError, RayTaskError) as exc:
                last = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
                log.warning("slot %s: actor lost on %s/%s (%s); %s", self.index, task.id, variant, last,
                            "retrying on a fresh actor" if _attempt == 0 else "recording an infra error")
                self._drop()
                continue
            recs = rewrite_paths(out["records"], out["run_root"], str(self.store.root))
            unpack(out["files"], self.store.root)
            return result_from_records(recs), recs
        if stop.is_set():
            return None
        return infra_variant(self.store, self.backend.profile, task, variant, entry, created_at,
                             f"ray backend: the actor died or gave no answer twice ({last})", f"_ray{self.index}")

    def _drop(self) -> None:
        actor, self.actor = self.actor, None
        if actor is not None:
            try:
                ray_api().kill(actor, no_restart=True)
            except Exception:  # noqa: BLE001 - already gone with its node
                log.debug("actor of slot %s already gone", self.index, exc_info=True)

    def retire(self) -> None:
        """Nothing to drop: the slot in the actor keeps or replaces its worker as the local one does."""

    def close(self) -> None:
        if self.actor is not None:
            try:
                files = ray_api().get(self.actor.close.remote(), timeout=120)
                unpack(files, self.store.root)
            except Exception:  # noqa: BLE001 - a lost actor has no logs to give back
                log.debug("closing the actor of slot %s", self.index, exc_info=True)
        self._drop()

    def kill(self) -> None:
        self.killed = True
        self._drop()
