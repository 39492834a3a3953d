"""The ray backend on a real Ray cluster: a head and a second worker node on loopback, started
here with Ray's own ``ray start`` (one CPU each, so the two slots' actors land one per node).

The examples and a corpus slice grade through it exactly as locally (findings, outcomes, verdicts,
byte-identical stacks), the slots of a node sharing its lint process; an actor's process killed
mid-variant costs a retry on a fresh actor, not a result; Ctrl-C leaves no actor (slot or node
services) and no toolchain worker behind. With ``--container`` each actor grades in the grading
image: the same results, and neither a killed actor nor Ctrl-C leaves a container behind.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from harness import image
from harness.backends.containers import LABEL
from harness.results import load_run

from .agree import assert_same
from .conftest import CORPUS, HARNESS, REPO, TASKS, corpus_part

pytestmark = [pytest.mark.toolchain, pytest.mark.ray]
RAY = Path(sys.executable).with_name("ray")
# Loopback and a cluster of this test only: no token (Ray 2.60's `ray start` turns token auth on by
# default; a real cluster keeps it and its drivers set RAY_AUTH_MODE=token), no usage reporting,
# and workers at the ordinary niceness as the README advises for a grading cluster.
RAY_ENV = {"RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0", "RAY_worker_niceness": "0"}
SLICE3 = ["Pr7427", "Pr4931", "Pr6343"]
WORKER_SCRIPT = str(REPO / "harness" / "worker" / "toolchain_worker.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ours(temp: str) -> list[psutil.Process]:
    """The cluster's processes (their command lines name its temp dir) and everything under them."""
    found = []
    for p in psutil.process_iter(["cmdline"]):
        if any(temp in a for a in p.info["cmdline"] or []):
            found.append(p)
            found += p.children(recursive=True)
    return found


@pytest.fixture(scope="module")
def ray_cluster():
    if not RAY.exists():
        if os.environ.get("CI"):
            pytest.fail("ray is not installed (scripts/setup.sh installs tapgrade[ray])")
        pytest.skip("ray is not installed")
    temp = f"/tmp/tgray-{secrets.token_hex(3)}"  # short: Ray's socket paths must fit 107 bytes
    port = _free_port()
    env = {**os.environ, **RAY_ENV}
    common = ["--node-ip-address=127.0.0.1", "--num-cpus=1", f"--temp-dir={temp}", "--disable-usage-stats"]
    subprocess.run([str(RAY), "start", "--head", f"--port={port}", "--include-dashboard=false", *common],
                   env=env, check=True, capture_output=True, timeout=120)
    try:
        subprocess.run([str(RAY), "start", f"--address=127.0.0.1:{port}", *common], env=env, check=True,
                       capture_output=True, timeout=120)
        yield f"127.0.0.1:{port}"
    finally:
        for p in _ours(temp):
            try:
                p.kill()
            except psutil.Error:
                pass
        psutil.wait_procs(_ours(temp), timeout=30)
        shutil.rmtree(temp, ignore_errors=True)


def _actors() -> list[psutil.Process]:
    """The run's actors: slots and nodes' services."""
    return [p for p in psutil.process_iter(["cmdline"])
            if (p.info["cmdline"] or [""])[0].startswith(("ray::SlotActor", "ray::NodeServices"))]


def _our_workers() -> list[psutil.Process]:
    return [p for p in psutil.process_iter(["cmdline"]) if any(WORKER_SCRIPT in a for a in p.info["cmdline"] or [])]


def _start(address: str, out: Path, run_id: str, *args: str, created_at: str) -> subprocess.Popen:
    return subprocess.Popen([str(HARNESS), "--log-level", "info", "run", *args, "--backend", "ray", "--address",
                             address, "--workers", "2", "--out", str(out), "--run-id", run_id, "--created-at",
                             created_at], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **RAY_ENV, "COLUMNS": "200"})


def _wait_for_line(proc: subprocess.Popen, seen: list[str], prefix: str, timeout: float = 600) -> None:
    """Read the run's stderr until a line starting with ``prefix``."""
    assert proc.stderr is not None
    deadline = time.monotonic() + timeout
    for line in proc.stderr:
        seen.append(line)
        if line.startswith(prefix) or time.monotonic() > deadline:
            return


def _busy_actor(timeout: float = 60) -> psutil.Process:
    """An actor in the middle of a variant (Ray titles it ``ray::SlotActor.grade``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = [p for p in _actors() if p.info["cmdline"][0].startswith("ray::SlotActor.grade")]
        if busy:
            return busy[0]
        time.sleep(0.2)
    raise AssertionError("no actor was grading")


def test_a_corpus_slice_grades_the_same_on_ray_as_locally(slice_run, ray_cluster, tmp_path) -> None:
    _, local = slice_run
    proc = _start(ray_cluster, tmp_path, "ray-slice", *(str(CORPUS / i) for i in SLICE3),
                  created_at=local.meta["created_at"])
    out, err = proc.communicate(timeout=1800)
    assert proc.returncode == 0, err + out
    run = load_run(tmp_path / "ray-slice")
    assert run.meta["backend"] == "ray" and run.meta["ray"]["nodes"] == 2
    assert_same([corpus_part(local, SLICE3)], run)
    assert err.count(": actor #1 on ") == 2  # one actor per slot, each started once
    # the slots of a node share its one lint process (and checkov, inits): one per node here
    logs = sorted(p.name for p in (run.path / "logs" / "_workers").iterdir())
    assert len({n.rsplit("-", 1)[0] for n in logs if n.startswith("slotlint-node-")}) == 2, logs
    assert run.meta["lint_warmup"]["modules"] > 0 and run.meta["lint_peak_rss_kb"] > 0


def test_an_actor_killed_mid_variant_is_retried_and_the_examples_grade_the_same(examples_run, ray_cluster,
                                                                                 tmp_path) -> None:
    """The examples through the cluster with one actor's process killed (SIGKILL, as a node's OOM
    killer would) while it grades: the variant it held goes to a fresh actor; every result equals
    the local run's."""
    _, local = examples_run
    proc = _start(ray_cluster, tmp_path, "ray-kill", str(TASKS), created_at=local.meta["created_at"])
    seen: list[str] = []
    _wait_for_line(proc, seen, "[1/4]")
    victim = _busy_actor()
    victim.kill()
    out, err = proc.communicate(timeout=1800)
    err = "".join(seen) + err
    assert proc.returncode == 0, err + out
    assert "actor lost on " in err and "retrying on a fresh actor" in err, err
    run = load_run(tmp_path / "ray-kill")
    assert len(run.variants) == 4
    assert_same([local], run)  # the killed variant graded again, identically; nothing is an infra error
    assert not _our_workers()  # the toolchain worker under the killed actor ended with it


def test_interrupt_leaves_no_actor_and_no_worker(ray_cluster, examples_run, tmp_path) -> None:
    _, local = examples_run
    proc = _start(ray_cluster, tmp_path, "ray-int", str(TASKS), created_at=local.meta["created_at"])
    _busy_actor(timeout=300)
    time.sleep(2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err + out
    assert load_run(tmp_path / "ray-int").meta["status"] == "interrupted"
    deadline = time.monotonic() + 60
    while (_actors() or _our_workers()) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _actors(), [p.info["cmdline"] for p in _actors()]
    assert not _our_workers(), [p.info["cmdline"][-1] for p in _our_workers()]


def _containers(run_id: str) -> list:
    return image.client().api.containers(all=True, filters={"label": f"{LABEL}.run={run_id}"})


@pytest.mark.docker
def test_in_containers_a_killed_actor_is_retried_and_leaves_no_container(examples_run, grading_image, ray_cluster,
                                                                          tmp_path) -> None:
    """--container: each actor grades in the grading image on its node. One actor killed while it
    grades (its container cannot be removed by it) costs a retry, not a result; the run's end
    removes the dead actor's container."""
    _, local = examples_run
    proc = _start(ray_cluster, tmp_path, "ray-ctr", str(TASKS), "--container", "--image", grading_image,
                  created_at=local.meta["created_at"])
    seen: list[str] = []
    _wait_for_line(proc, seen, "[1/4]")
    victim = _busy_actor()
    assert _containers("ray-ctr")  # the variants grade in containers
    victim.kill()
    out, err = proc.communicate(timeout=1800)
    err = "".join(seen) + err
    assert proc.returncode == 0, err + out
    assert "retrying on a fresh actor" in err, err
    run = load_run(tmp_path / "ray-ctr")
    assert run.meta["ray"]["container"] == grading_image
    assert_same([local], run)
    logs = [p.name for p in (run.path / "logs" / "_workers").iterdir()]
    assert any(n.startswith("container-slot") for n in logs) and not any(n.startswith("slotlint-node") for n in logs)
    assert not _containers("ray-ctr")


@pytest.mark.docker
def test_interrupt_in_containers_leaves_no_container(ray_cluster, grading_image, tmp_path) -> None:
    proc = _start(ray_cluster, tmp_path, "ray-ctr-int", str(TASKS), "--container", "--image", grading_image,
                  created_at="2026-01-01T00:00:00Z")
    try:
        _busy_actor(timeout=300)
        deadline = time.monotonic() + 120
        while not _containers("ray-ctr-int") and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _containers("ray-ctr-int"), "no container was started"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 130, err + out
        assert not _containers("ray-ctr-int")
        deadline = time.monotonic() + 60
        while _actors() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not _actors(), [p.info["cmdline"] for p in _actors()]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for c in _containers("ray-ctr-int"):
            image.client().api.remove_container(c["Id"], force=True)


def test_the_runs_own_ray_instance_grades_at_the_ordinary_niceness(monkeypatch) -> None:
    """Without --address the run starts a Ray instance of its own: its one node (this machine) is
    checked, and its workers are not niced below Ray's daemons (Ray's default is 15)."""
    from harness.backends.ray_nodes import connect, disconnect, node_checks, ray_api
    from harness.options import RayOptions

    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")

    def niceness() -> int:
        return os.nice(0)

    connect(RayOptions())
    try:
        ray = ray_api()
        checks = node_checks()
        worker_niceness = ray.get(ray.remote(num_cpus=0)(niceness).remote(), timeout=120)
    finally:
        disconnect()
    assert worker_niceness == os.nice(0)
    assert [c["host"] for c in checks] == [socket.gethostname()] and checks[0]["ok"], checks
