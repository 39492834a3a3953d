"""The docker backend: each worker slot is one long-lived, hardened grading container.

The container runs ``slot_server.py`` (the local backend's ``WorkerSlot``, so grading is the same code as
the local backend) and serves many variants, paying the toolchain load once per container. It
gets no network, a read-only root file system, tmpfs for its run directory and home, memory /
CPU / pids limits, no capabilities and no-new-privileges; task bundles are mounted read-only.
What a variant produced comes back over the attach stream (records plus a tar of its logs and
artifacts) and goes into the host's run store exactly as a local result would.

Containers carry labels (run id, host pid) so that Ctrl-C / SIGTERM (``kill``), a normal end
(``close``) and ``harness clean`` (``containers.remove_leftovers``: containers whose harness is dead) leave
none behind. A container that dies or overruns the per-variant timeout is killed and the variant
retried once in a fresh one; a second failure is recorded as an infra error of that variant.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import socket
import threading
from pathlib import Path
from typing import Any

from ..backend import Backend, BackendUnavailable, Preflight, Slot
from ..bundles import Task
from ..contract import Entry
from ..image import LABEL, ImageError, client
from ..image import check as image_check
from ..options import ContainerOptions, EngineOptions, to_dict
from ..records import Records, VariantResult, result_from_records
from ..result import infra_variant
from ..runstore import RunStore
from ..terraform import Detection
from ..toolchain import Profile
from . import register
from .containers import RUNS_IN, SHARED_TASKS_IN, options_inside, remove_leftovers, remove_run, rewrite_paths, task_mounts, unpack

log = logging.getLogger(__name__)


class ContainerGone(Exception):
    """The container stopped answering (died, OOM-killed, or overran the variant timeout)."""


@register("docker")
class DockerBackend(Backend):
    """One hardened grading container per slot."""

    @classmethod
    def preflight(cls, opts: EngineOptions, profile: Profile) -> Preflight:
        image = opts.container.image
        try:
            status = image_check(image)
        except ImageError as exc:
            raise BackendUnavailable(f"docker backend: {exc}") from None
        if not status.ok:
            raise BackendUnavailable(f"docker backend: image {image} not usable: " + "; ".join(status.problems))
        return Preflight(toolchain={"image": image, **status.labels},
                         terraform=Detection(None, f"detected inside the image {image}"),
                         checkov=(True, "in the image") if opts.plan.checkov else (False, "not requested"))

    def slots(self) -> list[Slot]:
        return [ContainerSlot(i, self.profile, self.store, self.opts, self.tasks)
                for i in range(max(1, self.opts.workers))]

    def interrupt(self) -> None:
        try:
            remove_run(self.store.run_id)
        except Exception:  # noqa: BLE001 - the interrupt must still end the run cleanly
            log.debug("removing the containers of run %s after an interrupt", self.store.run_id, exc_info=True)

    @classmethod
    def leftovers(cls, all_runs: bool = False) -> list[str]:
        try:
            return remove_leftovers(all_runs)
        except ImageError as exc:
            raise BackendUnavailable(str(exc)) from None


class ContainerSlot(Slot):
    """A worker seat whose worker is a grading container."""

    def __init__(self, index: int, profile: Profile, store: RunStore, opts: EngineOptions, tasks: list[Task],
                 tasks_dir: Path | None = None, run_id: str | None = None):
        """``tasks_dir``: a directory mounted whole, whose tasks may arrive while the container runs
        (a Ray actor unpacks the bundles it is sent there); ``tasks`` are mounted one by one.
        ``run_id``: the run the container is labelled with, when ``store`` is not the run's own
        (a Ray actor's store on its node), so that the run's end and Ctrl-C find it."""
        self.index, self.profile, self.store, self.opts = index, profile, store, opts
        self.run_id = run_id or store.run_id
        self.dopts: ContainerOptions = opts.container
        self.mounts = task_mounts(tasks)
        self.tasks_dir = tasks_dir.resolve() if tasks_dir is not None else None
        self.container: Any = None  # docker.models.containers.Container, once created
        self.sock: Any = None  # the attach socket
        self.events: queue.Queue = queue.Queue()
        self.starts = 0
        self.run_in = f"{RUNS_IN}/{store.run_id}"
        self.killed = False  # set by kill(): a container created after it is removed at once
        self.log_dir = store.root / "logs" / "_workers"

    # -- lifecycle
    def _memory_mb(self) -> int:
        return self.dopts.memory_mb or self.opts.limits.memory_mb + 2048

    def ensure(self, created_at: str) -> None:
        if self.container is not None:
            return
        if self.killed:
            raise ContainerGone("run interrupted")
        dc = client()
        self.starts += 1
        log.info("slot %s: starting grading container #%d (%s)", self.index, self.starts, self.dopts.image)
        mem = f"{self._memory_mb()}m"
        self.container = dc.containers.create(
            self.dopts.image, command=["python", "-m", "harness.slot_server"],
            # The slot runs as root with only the capabilities it needs to start the response's
            # code under uid 1001 (SETUID/SETGID), hand it its workspace (CHOWN), end what it
            # leaves (KILL) and clean up after it (DAC_OVERRIDE, FOWNER); model code has none.
            stdin_open=True, user="0:0", working_dir="/tmp",
            network_mode="none", read_only=True,
            tmpfs={"/tapgrade": f"rw,exec,mode=1777,size={self.dopts.tmpfs_mb}m",
                   "/tmp": "rw,exec,mode=1777,size=1024m"},
            volumes={host: {"bind": inside, "mode": "ro"} for host, inside in self._volumes().items()},
            mem_limit=mem, memswap_limit=mem, nano_cpus=int(self.dopts.cpus * 1e9),
            pids_limit=self.dopts.pids_limit, cap_drop=["ALL"], security_opt=["no-new-privileges"],
            cap_add=["SETUID", "SETGID", "CHOWN", "KILL", "DAC_OVERRIDE", "FOWNER"],
            environment={"HOME": "/tmp/home", "TMPDIR": "/tmp"},  # jsii and pylint keep caches in HOME
            labels={f"{LABEL}.run": self.run_id, f"{LABEL}.pid": str(os.getpid()),
                    f"{LABEL}.host": socket.gethostname(), f"{LABEL}.slot": str(self.index)},
            name=f"tapgrade-{self.run_id}-slot{self.index}-{self.starts}-{os.getpid()}",
        )
        if self.killed:  # Ctrl-C arrived while the engine was creating it
            self.kill()
            raise ContainerGone("run interrupted")
        self.sock = dc.api.attach_socket(self.container.id, params={"stdin": 1, "stdout": 1, "stream": 1})
        self.events = queue.Queue()
        threading.Thread(target=self._read, args=(self.sock, self.events), daemon=True).start()
        self.container.start()
        self._send({"op": "init", "run_root": self.run_in, "created_at": created_at, "index": self.index,
                    "options": to_dict(options_inside(self.opts))})
        ev = self._wait(self.opts.limits.ready_timeout_s)
        if ev.get("event") != "ready":
            raise ContainerGone(f"container did not get ready: {ev}")

    def _volumes(self) -> dict[str, str]:
        if self.tasks_dir is None:
            return self.mounts
        return {**self.mounts, str(self.tasks_dir): SHARED_TASKS_IN}

    def _inside(self, task: Task) -> str:
        """Where the container sees ``task``."""
        root = Path(task.root).resolve()
        if str(root) in self.mounts:
            return self.mounts[str(root)]
        if self.tasks_dir is not None and root.is_relative_to(self.tasks_dir):
            return f"{SHARED_TASKS_IN}/{root.relative_to(self.tasks_dir).as_posix()}"
        raise ValueError(f"task {task.id} ({root}) is not mounted in the containers of this run")

    @staticmethod
    def _read(sock, q: queue.Queue) -> None:
        """Demultiplex the attach stream (8-byte frame headers) into JSON lines."""
        from docker.utils.socket import frames_iter  # noqa: PLC0415

        buf = b""
        try:
            for _stream, data in frames_iter(sock, tty=False):
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    try:
                        q.put(json.loads(line))
                    except json.JSONDecodeError:
                        continue
        except OSError:
            pass
        q.put(None)

    def _send(self, msg: dict) -> None:
        try:
            self.sock._sock.sendall((json.dumps(msg) + "\n").encode())  # noqa: SLF001 - the SDK's raw socket
        except OSError as exc:
            raise ContainerGone(f"container stream closed: {exc}") from exc

    def _wait(self, timeout_s: float) -> dict:
        try:
            ev = self.events.get(timeout=timeout_s)
        except queue.Empty:
            raise ContainerGone(f"no answer from the container within {timeout_s:.0f}s") from None
        if ev is None:
            raise ContainerGone(self._death())
        return ev

    def _death(self) -> str:
        """Why the container stopped, from the engine's own record of it."""
        try:
            self.container.reload()
            state = self.container.attrs["State"]
            if state.get("OOMKilled"):
                return f"container killed by the kernel at its {self._memory_mb()} MB memory limit"
            return f"container exited (status {state.get('ExitCode')})"
        except Exception as exc:  # noqa: BLE001
            return f"container gone ({exc})"

    def _save_log(self) -> None:
        if self.container is None:
            return
        try:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            (self.log_dir / f"container-slot{self.index}-{self.starts}.log").write_bytes(
                self.container.logs(stdout=False, stderr=True))
        except Exception:  # noqa: BLE001 - a log we cannot fetch is not worth failing a run for
            log.debug("no log from the container of slot %s", self.index, exc_info=True)

    def retire(self) -> None:
        """Nothing to drop: a fault inside the container came back as an error event, and the slot
        in there keeps or replaces its worker as the local backend does."""

    def kill(self) -> None:
        """Remove the container now (Ctrl-C, SIGTERM)."""
        self.killed = True
        self._remove()

    def _remove(self) -> None:
        c, self.container = self.container, None
        if c is not None:
            try:
                c.remove(force=True)
            except Exception:  # noqa: BLE001 - already gone
                log.debug("container of slot %s already gone", self.index, exc_info=True)
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None

    def close(self) -> None:
        if self.container is not None:
            try:
                self._send({"op": "exit"})
                ev = self._wait(120)
                if ev.get("event") == "bye":
                    unpack(ev.get("files", ""), self.store.root)
            except ContainerGone:
                pass
            self._save_log()
        self._remove()

    # -- work
    def grade(self, task: Task, variant: str, entry: Entry, created_at: str,
              stop: threading.Event) -> tuple[VariantResult, Records] | None:
        inside = self._inside(task)
        last = ""
        for _attempt in range(2):
            if stop.is_set():
                return None
            try:
                self.ensure(created_at)
                self._send({"op": "grade", "task_root": inside, "variant": variant})
                ev = self._wait(self.dopts.variant_timeout_s)
            except ImageError:
                raise
            except ContainerGone as exc:
                last = str(exc)
                self._save_log()
                self._remove()
                continue
            if ev.get("event") == "error":
                raise RuntimeError(f"grading {task.id}/{variant} failed inside the container:\n{ev['message']}")
            recs = rewrite_paths(ev["records"], self.run_in, str(self.store.root))
            unpack(ev.get("files", ""), self.store.root)
            return result_from_records(recs), recs
        if stop.is_set():
            return None
        return self._infra_result(task, variant, entry, created_at, last)

    def _infra_result(self, task: Task, variant: str, entry: Entry, created_at: str,
                      message: str) -> tuple[VariantResult, Records]:
        """Twice no answer: an infra error of this variant (harness-side extraction only, no code run)."""
        return infra_variant(self.store, self.profile, task, variant, entry, created_at, f"docker backend: {message}",
                             f"_docker{self.index}")
