"""The hostile-input suite (tests/fixtures/hostile/, written by us), graded by both backends, each
expected outcome asserted; and the proof that one response cannot change another's result: the
corpus slice graded interleaved with every hostile input in one run, on one worker (so they share
it), gives every corpus variant the findings and the synthesized JSON of a clean run.

Local backend: the worker's sandbox policy refuses and reports what a stack does not need (network,
writes outside the workspace, the host's secrets, signals to other processes); the integrity check
catches a changed toolchain. Docker backend: the same, inside a container that makes the attempts
impossible besides (no network, read-only root, model code under its own uid).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .conftest import HOST_SECRET, SLICE

pytestmark = pytest.mark.toolchain

# What each hostile input must end as (rule ids among its findings), on either backend.
EXPECTED: dict[str, set[str]] = {
    "loop-import": {"exec.timeout"},
    "loop-construct": {"exec.timeout"},
    "loop-synth": {"exec.timeout"},
    "many-resources": {"exec.timeout"},
    "fork-bomb": {"exec.resource-limit"},
    "memory-bomb": {"exec.resource-limit"},
    "big-write": {"exec.disk-limit"},
    "daemon": {"exec.left-behind"},
    "exit-zero": {"import.error"},
    "os-exit": {"exec.crash"},
    "kill-parent": {"exec.sandbox-refused"},
    "fd-close": {"exec.crash"},
    "fd-write": {"exec.toolchain-tampered"},
    "write-outside": {"exec.sandbox-refused"},
    "network": {"exec.sandbox-refused"},
    "secrets": {"exec.sandbox-refused"},
    "monkeypatch": {"exec.toolchain-tampered"},
    "hooks": {"exec.toolchain-tampered", "exec.left-behind"},
    "bad-json": {"synth.invalid-output"},
    "path-traversal": {"extract.unsafe-path", "extract.no-code"},
    "not-utf8": {"extract.not-utf8"},
    "fences": {"extract.unmapped-block"},
    "symlink-files": {"extract.unsafe-file"},
    "huge-response": set(),  # graded like any response: in time, its giant block refused (below)
    "many-blocks": {"extract.unmapped-block"},
}


def _corpus_keyed(run) -> tuple[list, dict]:
    f = run.findings[run.findings.task_id.isin(SLICE)]
    rows = sorted(map(tuple, f[["task_id", "variant", "stage", "rule_id", "severity", "message", "file", "line"]]
                      .astype(str).values.tolist()))
    stacks = {str(p.relative_to(run.path / "artifacts")): p.read_bytes()
              for t in SLICE for p in (run.path / "artifacts" / t).rglob("cdk.tf.json")}
    return rows, stacks


def _check_suite(run) -> None:
    assert set(EXPECTED) <= set(run.variants.task_id)
    for task, rules in EXPECTED.items():
        got = set(run.findings[run.findings.task_id == task].rule_id)
        assert rules <= got, (task, rules - got, got)
    v = run.variants.set_index("task_id")["verdict"]
    assert v["symlink-files"] == "pass" and v["huge-response"] == "pass"
    huge = run.findings[(run.findings.task_id == "huge-response") & (run.findings.rule_id == "extract.unmapped-block")]
    assert any("over the 1,000,000" in m for m in huge.message)
    # what the sandbox refused, named
    msgs = " ".join(run.findings[run.findings.rule_id == "exec.sandbox-refused"].message)
    for needle in ("name lookup of 'example.com'", "reading /etc/shadow", "os.kill(", "writing "):
        assert needle in msgs, needle
    tampered = " ".join(run.findings[run.findings.task_id == "monkeypatch"].message)
    assert "S3Bucket.__init__ replaced" in tampered and "builtins.sorted replaced" in tampered
    hooks = " ".join(run.findings[run.findings.task_id == "hooks"].message)
    assert "signal handler SIGTERM replaced" in hooks and "atexit callbacks" in hooks and "hostile-sleeper" in hooks
    # no credential of the host reached the code: the environment it dumped holds none
    for art in run.variants.set_index("task_id").artifacts["secrets"]:
        text = Path(art).read_text()
        env = json.loads(json.loads(text)["output"]["environment"]["value"])
        assert HOST_SECRET not in text and "TAPGRADE_TEST_HOST_SECRET" not in env
        assert env["AWS_ACCESS_KEY_ID"] == "testing" and env["HOME"] != str(Path.home())
    assert not Path("/tmp/tapgrade-hostile-was-here").exists() and not Path("/tmp/tapgrade-hostile-atexit").exists()
    assert not Path(__file__).parents[1].joinpath("harness", "__init__.py").read_text().count("hostile")


def test_hostile_inputs_end_as_findings_locally(hostile_local) -> None:
    _check_suite(hostile_local)


@pytest.mark.docker
def test_hostile_inputs_end_as_findings_in_docker(docker_mixed_run) -> None:
    _check_suite(docker_mixed_run)


@pytest.mark.parametrize("fixture", ["hostile_local", pytest.param("docker_mixed_run", marks=pytest.mark.docker)])
def test_no_response_changes_another_ones_result(fixture, slice_run, request) -> None:
    """Each corpus variant graded after hostile ones on the same worker: its findings and its
    synthesized JSON are those of the clean run (docker == local is shown in test_docker_backend)."""
    run = request.getfixturevalue(fixture)
    clean_rows, clean_stacks = _corpus_keyed(slice_run[1])
    rows, stacks = _corpus_keyed(run)
    assert rows == clean_rows
    assert stacks == clean_stacks and stacks


def test_no_process_is_left_behind(hostile_local) -> None:
    """The daemon's children (one in a session of its own) ended with the variant."""
    procs = []
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"trap '' TERM; sleep 300" in cmd:
            procs.append(pid)
    assert not procs
