"""The ray backend's view of the cluster: joining it (or starting a Ray instance for the run),
leaving it, and running one small function on every node (the preflight's checks, removing a
run's containers), each pinned to its node."""

from __future__ import annotations

import logging
from typing import Any

from ..backend import BackendUnavailable
from ..options import RayOptions

_STARTED: list[bool] = []  # a Ray instance this process started (ended with the run)


def ray_api():
    try:
        import ray
    except ImportError:
        raise BackendUnavailable("ray backend: Ray is not installed here (pip install 'tapgrade[ray]')") from None
    return ray


def connect(opts: RayOptions) -> None:
    """Join the cluster ``opts.address`` names, or start a Ray instance on this machine (which
    ``disconnect`` ends).

    Ray starts its workers at niceness 15 (``worker_niceness``), below its own daemons and the
    driver; on a small machine these then take the CPU the grading needs while they start. The
    run's own instance exists only to grade, so its workers run at the ordinary niceness, as the
    local backend's do. A cluster's niceness is its operator's choice (README:
    ``RAY_worker_niceness=0`` on ``ray start``); asking for it per actor (a ``runtime_env``) would
    keep the actors off Ray's prestarted workers: ~2 s more per actor start, measured here."""
    ray = ray_api()
    if ray.is_initialized():
        return
    try:
        if opts.address:
            ray.init(address=opts.address, log_to_driver=False, logging_level=logging.WARNING)
        else:
            # "local": a new instance even when Ray remembers another cluster (/tmp/ray's
            # ray_current_cluster, RAY_ADDRESS), which a bare ray.init() would try to join.
            ray.init(address="local", include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING,
                     _system_config={"worker_niceness": 0})
            _STARTED.append(True)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise BackendUnavailable(f"ray backend: cannot reach the Ray cluster at {opts.address or 'a local instance'}: "
                                 f"{str(exc).splitlines()[0]}") from None


def disconnect() -> None:
    """Leave the cluster; a Ray instance this process started ends with it."""
    ray = ray_api()
    if ray.is_initialized():
        ray.shutdown()
    _STARTED.clear()


def on_every_node(fn: Any, *args: Any, timeout: float = 300) -> list:
    """``fn(*args)`` run once on each alive node (a Ray task pinned there), the answers in node order."""
    ray = ray_api()
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    remote = ray.remote(num_cpus=0)(fn)
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    refs = [remote.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)).remote(*args)
            for n in nodes]
    return ray.get(refs, timeout=timeout)


def node_checks(image: str | None = None) -> list[dict]:
    """The toolchain and terraform of every alive node (or the grading image ``image`` in its
    Docker engine), checked on the node itself: in this process when the run's own Ray instance is
    this machine (no Ray worker to start for it, ~1 s)."""
    from .ray_actor import node_check

    return [node_check(image)] if _STARTED else on_every_node(node_check, image)
