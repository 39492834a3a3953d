"""The docker backend's containers from the outside: what crosses into one (options, task mounts)
and out of one (records, a tar of logs and artifacts), and finding and removing the containers a
run left (labels: run id, host, harness pid).
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import socket
import tarfile
import threading
from dataclasses import replace
from pathlib import Path

from ..bundles import Task
from ..image import LABEL, client
from ..options import EngineOptions, detected_there
from ..slot_server import CODE_UID

log = logging.getLogger(__name__)

# Fixed places inside the container: independent of where the host keeps runs and tasks (a host
# path under /root would not even be traversable by the image's non-root user).
RUNS_IN = "/tapgrade/runs"
TASKS_IN = "/tapgrade-tasks"


def options_inside(opts: EngineOptions) -> EngineOptions:
    """The run's options as the container's slot takes them: the response's code under the
    image's uid for it, not the slot's (root); terraform detected in there, not here."""
    return replace(detected_there(opts), limits=replace(opts.limits, code_uid=CODE_UID))


SHARED_TASKS_IN = f"{TASKS_IN}/shared"


def task_mounts(tasks: list[Task]) -> dict[str, str]:
    """Host task root -> its path in the container (read-only bind), keeping the directory name
    (a task's id can be its directory name)."""
    out: dict[str, str] = {}
    for t in tasks:
        root = str(Path(t.root).resolve())
        if root not in out:
            out[root] = f"{TASKS_IN}/{len(out)}/{Path(root).name}"
    return out


def rewrite_paths(obj, old: str, new: str):
    """Container paths in records -> host paths, so both backends store the same rows."""
    return json.loads(json.dumps(obj).replace(old, new)) if old != new else obj


_UNPACK = threading.Lock()


def unpack(files_b64: str, dest: Path) -> None:
    """Unpack a container's tar into the run store; the ``data`` filter refuses absolute paths,
    ``..``, links out of ``dest`` and device files (the tar was written where model code ran).
    One slot at a time: two variants of a task share ``artifacts/<task>``, and tarfile's check-then-
    ``makedirs`` of a parent directory races with another slot's (FileExistsError, seen in CI)."""
    if not files_b64:
        return
    with _UNPACK, tarfile.open(fileobj=io.BytesIO(base64.b64decode(files_b64)), mode="r:gz") as tar:
        tar.extractall(dest, filter="data")


def _labelled(*labels: str) -> list[dict]:
    """Containers carrying these labels, as the engine lists them (ids, names, labels).

    The low-level listing on purpose: the high-level one fetches each container again and fails
    on one being removed meanwhile (a slot removing its own while Ctrl-C cleans up)."""
    return client().api.containers(all=True, filters={"label": list(labels)})


def _remove_all(found: list[dict]) -> list[str]:
    api = client().api
    removed = []
    for c in found:
        try:
            api.remove_container(c["Id"], force=True)
        except Exception:  # noqa: BLE001 - already gone, or being removed by its own slot
            log.debug("container %s already gone", c["Id"][:12], exc_info=True)
            continue
        removed.append(c["Names"][0].lstrip("/") if c.get("Names") else c["Id"][:12])
    return removed


def remove_run(run_id: str, any_process: bool = False) -> list[str]:
    """Remove every container this process started for ``run_id`` (the last word on Ctrl-C), or
    that any process of this machine started for it (the ray backend: each actor starts its own)."""
    labels = [f"{LABEL}.run={run_id}"] if any_process else [f"{LABEL}.run={run_id}", f"{LABEL}.pid={os.getpid()}"]
    return _remove_all(_labelled(*labels))


def leftovers(all_runs: bool = False) -> list[dict]:
    """Containers of this harness whose run is over: their harness process is gone (or all)."""
    here = socket.gethostname()
    out = []
    for c in _labelled(f"{LABEL}.run"):
        labels = c.get("Labels") or {}
        pid = int(labels.get(f"{LABEL}.pid", "0") or 0)
        alive = labels.get(f"{LABEL}.host") == here and pid > 0 and Path(f"/proc/{pid}").exists()
        if all_runs or not alive:
            out.append(c)
    return out


def remove_leftovers(all_runs: bool = False) -> list[str]:
    return _remove_all(leftovers(all_runs))
