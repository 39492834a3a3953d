"""Warm workers give what cold processes give; a killed run resumes to the same table; a saved
run re-classifies without executing. Real toolchain, real CLI, a real SIGKILL."""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from graders import catalogue
from harness.rescore import rescore
from harness.results import load_run
from harness.worker.tapgrade_stages import STAGES

from .conftest import CORPUS, HARNESS, TASKS, run_cli

pytestmark = pytest.mark.toolchain
KEY = ["task_id", "variant", "stage", "round", "rule_id", "severity", "file", "line", "message"]
# Graded cold too (each cold process loads the whole provider, ~25 s on a 2-core machine: CI's
# time is bounded); payments-dr's MODEL goes through a repair round. The bench compares warm and
# cold on ten corpus tasks.
SHARED = [TASKS / "payments-dr"]
# The warm run interleaves the shared task with others, in one worker; it is also the
# uninterrupted run the killed and resumed one is compared with.
WARM = [TASKS / "payments-dr", CORPUS / "Pr4318", TASKS / "static-site", CORPUS / "Pr7180", CORPUS / "Pr4931"]
WARM_ARGS = ["--workers", "1", "--quiet", "--created-at", "2026-01-01T00:00:00+00:00"]
# Graded by the lean cold baseline, compared with the warm run.
LEAN = [TASKS / "static-site"]


def findings(run, tasks=None) -> set[tuple]:
    f = run.findings
    if tasks is not None:
        f = f[f.task_id.isin(tasks)]
    return set(map(tuple, f[KEY].astype(str).values))


def stacks(run, tasks) -> dict[tuple, bytes]:
    out = {}
    for row in run.variants[run.variants.task_id.isin(tasks)].itertuples():
        for p in [*row.artifacts, *row.artifacts_repaired]:
            out[(row.task_id, row.variant, "repaired" in p, Path(p).parent.name)] = Path(p).read_bytes()
    return out


@pytest.fixture(scope="session")
def warm_and_cold(toolchain_ready, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    # The lean baseline differs from cold only in where static and lint run: one task shows it
    # (each cold process loads the whole provider, ~25 s here; CI's time is bounded).
    stamp = ["--quiet", "--created-at", "2026-01-01T00:00:00+00:00"]
    for label, paths, extra in (("warm", WARM, WARM_ARGS), ("cold", SHARED, ["--cold", "--workers", "2", *stamp]),
                                ("lean", LEAN, ["--cold-lean", "--workers", "2", *stamp])):
        proc = run_cli("run", *map(str, paths), "--out", str(out), "--run-id", label, *extra)
        assert proc.returncode == 0, proc.stderr
    return load_run(out / "warm"), load_run(out / "cold"), out


def roles(out, label: str) -> dict[str, str]:
    """What each worker process of a run loaded, from the line it writes into its log when ready."""
    found = {}
    for log in (out / label / "logs" / "_workers").glob("*.log"):
        m = re.search(r"tapgrade worker ready: (\{.*\})", log.read_text(errors="replace"))
        info = json.loads(m.group(1)) if m else {}
        found[log.name] = info.get("role", "?") + ("/" + info["provider"] if "provider" in info else "")
    return found


def test_warm_equals_cold(warm_and_cold) -> None:
    warm, cold, _ = warm_and_cold
    ids = [p.name for p in SHARED]
    assert findings(warm, ids) == findings(cold, ids) and findings(cold)
    a, b = stacks(warm, ids), stacks(cold, ids)
    # byte-identical JSON: the IDEAL's and the MODEL's repaired copy (it does not synthesize as written)
    assert a == b and len(a) >= 2 and any(k[2] for k in a)


def test_cold_starts_a_process_per_stage_group_and_warm_one_per_worker(warm_and_cold) -> None:
    warm, cold, out = warm_and_cold
    logs = {label: sorted(p.name for p in (out / label / "logs" / "_workers").glob("*.log")) for label in ("warm", "cold")}
    # warm: the one worker that ran every variant's code, and the run's one shared lint process
    assert logs["warm"] == ["slot0-1.log", "slotlint-1.log"]
    assert len(logs["cold"]) >= 3 * len(cold.variants)  # static, import..synth, lint (+ repair rounds)
    # warm: provider submodules on demand, lint without the cdktf runtime; cold: every process eager
    assert roles(out, "warm") == {"slot0-1.log": "toolchain/lazy", "slotlint-1.log": "lint"}
    assert set(roles(out, "cold").values()) == {"toolchain/eager"}
    # warm: the lint process parsed the responses' modules before their lint (findings unchanged:
    # test_warm_equals_cold); the cold baseline has no such process
    warmup = out / "warm" / "logs" / "_workers" / "lint-warmup" / "lint.log"
    assert warmup.read_text().count("score:") >= 2
    assert not (out / "cold" / "logs" / "_workers" / "lint-warmup").exists()


def test_lean_cold_runs_static_and_lint_in_light_processes(warm_and_cold) -> None:
    warm, _, out = warm_and_cold
    lean = load_run(out / "lean")
    assert findings(lean) == findings(warm, [p.name for p in LEAN]) and len(findings(lean))
    counts = collections.Counter(roles(out, "lean").values())
    assert counts["lint"] == 2 * len(lean.variants)  # static and lint, one light process each per variant
    assert counts["toolchain/eager"] >= len(lean.variants) and set(counts) == {"lint", "toolchain/eager"}


@pytest.fixture(scope="session")
def full_and_resumed(warm_and_cold):
    """The warm run is the uninterrupted one; the same command is killed after four variants and
    run again."""
    _, _, out = warm_and_cold
    args = [*map(str, WARM), "--out", str(out), *WARM_ARGS]
    killed = out / "killed"
    child = subprocess.Popen([str(HARNESS), "run", *args, "--run-id", "killed"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        rows = (killed / "variants.jsonl").read_text().count("\n") if (killed / "variants.jsonl").exists() else 0
        if rows >= 4 or child.poll() is not None:
            break
        time.sleep(0.2)
    assert child.poll() is None, "the run finished before it could be killed"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    committed_before = (killed / "variants.jsonl").read_text().count("\n")
    assert 4 <= committed_before < 2 * len(WARM)
    resumed = run_cli("run", *args, "--run-id", "killed")
    assert resumed.returncode == 0, resumed.stderr
    assert f"{committed_before} variant(s) already graded" in resumed.stderr
    return out / "warm", killed


def test_resumed_run_equals_uninterrupted_run(full_and_resumed) -> None:
    full, killed = map(load_run, full_and_resumed)
    cols = ["task_id", "variant", "verdict", "worst_severity", "n_critical", "n_high", "n_medium", "n_low"]
    a = full.variants[cols].sort_values(["task_id", "variant"]).reset_index(drop=True)
    b = killed.variants[cols].sort_values(["task_id", "variant"]).reset_index(drop=True)
    assert a.astype(str).equals(b.astype(str))
    assert findings(full) == findings(killed)


def test_no_duplicate_or_lost_rows(full_and_resumed) -> None:
    _, killed = full_and_resumed
    raw = [json.loads(line) for line in (killed / "variants.jsonl").read_text().splitlines() if line.endswith("}")]
    counts = collections.Counter((r["task_id"], r["variant"]) for r in raw)
    assert len(counts) == 2 * len(WARM) and set(counts.values()) == {1}
    run = load_run(killed)
    assert not run.outcomes.duplicated(["task_id", "variant", "stage", "round"]).any()
    assert len(run.outcomes[run.outcomes["round"] == 0]) == len(counts) * len([s for s in STAGES if s != "deploy"])


def test_no_worker_outlives_the_killed_run(full_and_resumed) -> None:
    _, killed = full_and_resumed
    deadline = time.monotonic() + 60
    while True:
        alive = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if os.readlink(f"/proc/{pid}/cwd").startswith(str(killed)):
                    alive.append(pid)
            except OSError:
                continue
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert alive == []


def test_changed_input_is_graded_again_and_rerun_forces(toolchain_ready, tmp_path) -> None:
    task = tmp_path / "tasks" / "static-site"
    task.parent.mkdir()
    subprocess.run(["cp", "-r", str(TASKS / "static-site"), str(task)], check=True)
    args = [str(task), "--variant", "model", "--out", str(tmp_path), "--run-id", "r", "--quiet", "--workers", "1"]
    assert run_cli("run", *args).returncode == 0
    again = run_cli("run", *args)
    assert "1 variant(s) already graded" in again.stderr
    md = task / "MODEL_RESPONSE.md"
    md.write_text(md.read_text().replace("force_destroy=True", "force_destroy=False"))
    changed = run_cli("run", *args)
    assert "already graded" not in changed.stderr
    forced = run_cli("run", *args, "--rerun")
    assert "already graded" not in forced.stderr
    raw = (tmp_path / "r" / "variants.jsonl").read_text().splitlines()
    assert len(raw) == 3  # first, changed, forced; the unchanged second run added nothing
    assert len(load_run(tmp_path / "r").variants) == 1


def test_rescore_reclassifies_without_running(full_and_resumed, tmp_path, monkeypatch) -> None:
    full, _ = full_and_resumed
    same = load_run(rescore(full, tmp_path / "same").root)
    assert findings(same) == findings(load_run(full))
    raised = dataclasses.replace(catalogue.PYLINT_RULES["line-too-long"], severity="High")
    monkeypatch.setitem(catalogue.PYLINT_RULES, "line-too-long", raised)  # a catalogue edit, not a fault
    changed = load_run(rescore(full, tmp_path / "changed").root)
    long_lines = changed.findings[changed.findings.rule_id == "lint.line-too-long"]
    # one level lower in a file the entry never imports (the catalogue's outside-graph rule)
    outside = long_lines.message.str.contains("never imports")
    assert len(long_lines[~outside]) and set(long_lines[~outside].severity.astype(str)) == {"High"}
    assert set(long_lines[outside].severity.astype(str)) <= {"Medium"}
    assert changed.meta["rescored_from"] == str(full.resolve())
    before = load_run(full).variants.set_index(["task_id", "variant"])
    after = changed.variants.set_index(["task_id", "variant"])
    hit = set(zip(long_lines.task_id, long_lines.variant))
    assert all(after.loc[k, "worst_severity"] in ("Critical", "High") for k in hit)
    assert (after["verdict"] != before["verdict"]).any() or all(before.loc[k, "verdict"] == "fail" for k in hit)
    assert not any(p.name == "logs" for p in (tmp_path / "changed").iterdir())  # nothing was executed
