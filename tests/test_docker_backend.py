"""The docker backend, run for real: a grading image built from this checkout, a Docker engine,
hardened containers. Local and docker runs must agree finding for finding; hostile responses
become findings inside the container and leave the host untouched; an interrupted run leaves no
container behind.

Needs a running Docker engine (``scripts/setup.sh --docker`` installs and starts one and builds the
image). Without one the module is skipped, except under CI=1, where that is a failure.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import signal
import subprocess
import tarfile
import time
from dataclasses import replace
from pathlib import Path

import pytest

from harness import image
from harness.backends.docker import LABEL, unpack
from harness.results import load_run

from .agree import assert_same
from .conftest import CORPUS, EXTRA, HARNESS, SLICE, TASKS, corpus_part, run_cli, stack_md, write_task

pytestmark = [pytest.mark.toolchain, pytest.mark.docker]


def _containers(run_id: str) -> list:
    """The run's containers. The low-level listing: the high-level one fetches each container again
    and raises NotFound for one the run is removing meanwhile (seen in CI)."""
    return image.client().api.containers(all=True, filters={"label": f"{LABEL}.run={run_id}"})


def test_examples_grade_the_same_in_docker_and_locally(examples_run, grading_image, tmp_path) -> None:
    _, local = examples_run
    proc = run_cli("run", str(TASKS), "--backend", "docker", "--out", str(tmp_path), "--run-id", "docker-examples",
                   "--workers", "2", "--created-at", local.meta["created_at"])
    assert proc.returncode == 0, proc.stderr + proc.stdout
    run = load_run(tmp_path / "docker-examples")
    assert run.meta["backend"] == "docker"
    assert_same([local], run)
    assert not _containers("docker-examples")


def test_corpus_slice_grades_the_same_in_docker_and_locally(slice_run, docker_mixed_run, tmp_path) -> None:
    """The docker run grades the 10-task slice among the hostile inputs (conftest.docker_mixed_run):
    its corpus variants against local runs of the same tasks."""
    _, local = slice_run
    proc = run_cli("run", *(str(CORPUS / i) for i in EXTRA), "--out", str(tmp_path), "--run-id", "local-extra",
                   "--created-at", local.meta["created_at"])
    assert proc.returncode == 0, proc.stderr + proc.stdout
    run = corpus_part(docker_mixed_run, SLICE + EXTRA)
    assert len(set(run.variants.task_id)) == 10
    assert_same([local, load_run(tmp_path / "local-extra")], run)


def _failure(run, task: str) -> tuple[str, str, str, str]:
    f = run.findings
    row = f[(f.task_id == task) & (f.severity == "Critical")].iloc[0]
    return row.stage, row.rule_id, row.severity, row.message


# The hostile inputs of tests/fixtures/hostile-container/ act from a child process, which the worker's
# sandbox policy does not see (tests/test_hostile.py covers the in-process attempts): what stops
# them is the container.
def test_network_is_refused_inside_the_container(docker_mixed_run) -> None:
    run = docker_mixed_run
    assert "Network is unreachable" in _failure(run, "child-network")[3]
    assert "name resolution" in _failure(run, "child-dns")[3]


def test_write_outside_the_workspace_fails_and_the_host_is_untouched(docker_mixed_run) -> None:
    run = docker_mixed_run
    stage, _, severity, message = _failure(run, "child-outside")
    assert (stage, severity) == ("instantiate", "Critical") and "Read-only file system" in message
    assert not Path("/etc/tapgrade-escape-test").exists()


def test_model_code_runs_under_its_own_uid(docker_mixed_run) -> None:
    """The slot runs as root with a few capabilities; the response's code as uid 1001, which
    owns nothing of the slot's (its records, the toolchain, the harness)."""
    arts = docker_mixed_run.variants.set_index("task_id").artifacts["whoami"]
    doc = json.loads(Path(arts[0]).read_text())
    ids = json.loads(doc["output"]["ids"]["value"])
    assert ids["uid"] == 1001 and ids["euid"] == 1001 and ids["groups"] == [1001]
    assert ids["can_write_toolchain"] is False and ids["can_write_run_root"] is False


def test_memory_limit_of_the_container_is_a_finding(docker_mixed_run) -> None:
    run = docker_mixed_run
    stage, rule, _, message = _failure(run, "memory-bomb")
    assert (stage, rule) == ("instantiate", "exec.resource-limit") and "OOM" in message
    v = run.variants.set_index(["task_id", "variant"])["verdict"]
    assert v[("static-site", "model")] == "pass"  # graded after it: the run went on, in a fresh container
    assert not _containers(run.meta["run_id"])


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_leaves_no_container(grading_image, tmp_path, sig) -> None:
    # A response that hangs (with a long stage timeout) keeps the run mid-variant until the signal.
    write_task(tmp_path / "tasks", "hang", stack_md("        while True:\n            pass\n"))
    run_id = f"interrupt-{sig.name.lower()}-{secrets.token_hex(3)}"
    # Started with SIGINT ignored, as a background job of a non-interactive shell (CI) starts it:
    # `kill -INT` must still end the run.
    proc = subprocess.Popen([str(HARNESS), "run", str(tmp_path / "tasks"), "--backend", "docker", "--out",
                             str(tmp_path / "runs"), "--run-id", run_id, "--workers", "1", "--stage-timeout", "900"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        deadline = time.monotonic() + 180
        while not _containers(run_id) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.5)
        assert _containers(run_id), "no container was started"
        time.sleep(5)  # inside the hanging variant (or still loading the toolchain: either is mid-run)
        assert proc.poll() is None
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 130, stderr
        assert "interrupted" in stderr
        assert not _containers(run_id)
        assert load_run(tmp_path / "runs" / run_id).meta["status"] == "interrupted"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for c in _containers(run_id):
            image.client().api.remove_container(c["Id"], force=True)


def test_clean_removes_containers_of_dead_runs_only(grading_image) -> None:
    dc = image.client()
    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid that no longer runs
    made = []
    for name, pid in (("dead", dead.pid), ("alive", os.getpid())):
        made.append(dc.containers.create(grading_image, command=["sleep", "600"], name=f"tapgrade-clean-{name}-"
                                         f"{secrets.token_hex(3)}", labels={
                                             f"{LABEL}.run": f"clean-{name}", f"{LABEL}.pid": str(pid),
                                             f"{LABEL}.host": os.uname().nodename}))
    try:
        proc = run_cli("clean")
        assert proc.returncode == 0, proc.stderr
        names = {c.name for c in dc.containers.list(all=True, filters={"label": f"{LABEL}.run"})}
        assert made[0].name not in names and made[1].name in names
        assert made[0].name in proc.stdout
    finally:
        for c in made:
            try:
                c.remove(force=True)
            except Exception:  # noqa: BLE001 - already removed by the test
                pass


def test_image_check_names_a_stale_or_missing_image(grading_image) -> None:
    assert "does not exist" in image.check("tapgrade-grader:never-built").problems[0]
    dc = image.client()
    stale = "tapgrade-grader:stale-test"
    dc.images.build(fileobj=io.BytesIO(f"FROM {grading_image}\nLABEL tapgrade.source=0000\n".encode()), tag=stale,
                    rm=True)
    try:
        problems = image.check(stale).problems
        assert len(problems) == 1 and problems[0].startswith("harness source differ")
        proc = run_cli("run", str(TASKS), "--backend", "docker", "--image", stale, "--out", "/tmp/never")
        assert proc.returncode == 2 and "not usable" in proc.stderr
    finally:
        dc.images.remove(stale, force=True)


def test_container_output_cannot_escape_the_run_store(tmp_path) -> None:
    """The tar a container sends back was written where model code ran: members that leave the
    run directory are refused. (Built by hand: a real container cannot be made to send one
    without patching the harness inside the image.)"""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        data = b"pwned"
        info = tarfile.TarInfo("../outside.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    import base64

    with pytest.raises(tarfile.OutsideDestinationError):
        unpack(base64.b64encode(buf.getvalue()).decode(), tmp_path / "run")
    assert not (tmp_path / "outside.txt").exists()


def test_options_reach_the_container_unchanged() -> None:
    """The container's slot gets the host's options whole (tests/test_options.py round-trips every
    field), except what the backend decides for inside: the code's uid, terraform detected there
    (the --cold baseline must not get the warm provider inside a container either)."""
    from harness.backends.docker import options_inside
    from harness.options import COLD, EngineOptions, Limits, PlanOptions, from_dict, to_dict
    from harness.terraform import Detection

    opts = EngineOptions(keep_workspaces=True, recycle_after=7, recycle_rss_mb=1234, execution=COLD,
                         limits=Limits(stage_timeout_s={"import": 5.0}, memory_mb=999, max_processes=9),
                         plan=PlanOptions(deploy=True, checkov=False, timeout_s=12.0, reattach=False,
                                          terraform=Detection(None, "detected inside the image")))
    back = from_dict(EngineOptions, json.loads(json.dumps(to_dict(options_inside(opts)))))
    assert back.limits == replace(opts.limits, code_uid=1001) and back.plan.terraform is None
    assert replace(back, limits=opts.limits, plan=opts.plan) == opts
