"""The CLI as a CI job sees it (stdout and stderr are pipes here, as in CI): one plain line per
finished variant, a markdown summary that clips nothing, the --fail-on gate, task selection,
option bounds, --version, show --json, recursive discovery."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from harness.bundles import discover
from harness.results import load_run

from .conftest import TASKS, run_cli

LINE = re.compile(r"^\[(\d+)/(\d+)\] (\S+) (\S+) (pass|fail|no-code|infra-error) (Critical|High|Medium|Low|-)"
                  r"( \(\w[\w-]*\))? \d+ s$")


@pytest.fixture(scope="session")
def gate_runs(examples_run, tmp_path_factory):
    """A copy of the examples run, resumed with a gate over two selections: payments-dr's model (it
    has Critical findings) and static-site's ideal (Low only). Nothing is graded again: the gate
    reads the finished run."""
    import shutil

    _, run = examples_run
    out = tmp_path_factory.mktemp("runs")
    shutil.copytree(run.path, out / "examples")
    common = ("run", str(TASKS), "--out", str(out), "--run-id", "examples", "--fail-on", "high")
    bad = run_cli(*common, "--task", "pay*", "--limit", "1", "--variant", "model")
    good = run_cli(*common, "--task", "static-*", "--variant", "ideal")
    return out, bad, good


@pytest.mark.toolchain
def test_plain_display_prints_a_line_per_variant_as_it_finishes(examples_run) -> None:
    proc, run = examples_run
    lines = [m for m in (LINE.match(x) for x in proc.stderr.splitlines()) if m]
    assert len(lines) == len(run.variants) == 4, proc.stderr
    assert [int(m.group(1)) for m in lines] == [1, 2, 3, 4] and {m.group(2) for m in lines} == {"4"}
    graded = {(r.task_id, r.variant): r.verdict for r in run.variants.itertuples()}
    assert {(m.group(3), m.group(4)): m.group(5) for m in lines} == graded
    # the summary is a markdown table with every task id and count whole
    assert "| task " in proc.stdout and "| payments-dr |" in proc.stdout and "| static-site |" in proc.stdout


@pytest.mark.toolchain
def test_fail_on_gates_the_exit_code_of_the_selected_variants(gate_runs) -> None:
    out, bad, good = gate_runs
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "--fail-on high" in bad.stderr and "1 variant(s) already graded" in bad.stderr
    assert good.returncode == 0, good.stdout + good.stderr
    assert "1 variant(s) already graded" in good.stderr  # --task and --variant narrowed it to one
    args = json.loads((out / "examples" / "run.json").read_text())["args"]
    assert (args["tasks"], args["fail_on"], args["display"]) == (["static-*"], "high", "plain")
    low = run_cli("run", str(TASKS), "--out", str(out), "--run-id", "examples", "--task", "static-*",
                  "--variant", "ideal", "--fail-on", "low")
    assert low.returncode == 1
    none = run_cli("run", str(TASKS), "--task", "nothing-*", "--out", str(out), "--run-id", "none")
    assert none.returncode == 2 and "matching --task nothing-*" in none.stderr


@pytest.mark.toolchain
def test_show_json_and_missing_paths(gate_runs) -> None:
    out, _, _ = gate_runs
    data = json.loads(run_cli("show", str(out / "examples"), "--json").stdout)
    assert data["status"] == "finished" and len(data["variants"]) == 4
    assert next(v for v in data["variants"] if (v["task"], v["variant"]) == ("payments-dr", "model"))["C"] >= 1
    missing = run_cli("show", str(out / "nope"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_option_bounds_and_version() -> None:
    zero = run_cli("run", str(TASKS), "--workers", "0")
    assert zero.returncode == 2 and "--workers" in zero.stderr
    negative = run_cli("run", str(TASKS), "--limit", "-3")
    assert negative.returncode == 2 and "--limit" in negative.stderr
    in_container = run_cli("run", str(TASKS), "--container")  # an option of the ray backend only
    assert in_container.returncode == 2 and "--backend ray" in in_container.stderr
    version = run_cli("--version")
    assert version.returncode == 0 and re.match(r"tapgrade \d+\.\d+\.\d+ \(toolchain profile: cdktf==", version.stdout)


def test_discovery_is_recursive_and_skips_dot_folders_and_runs(tmp_path: Path) -> None:
    for rel in (".git/objects", ".venv/lib", "runs/r1/artifacts", "batch/a", "deep/er/b"):
        (tmp_path / rel).mkdir(parents=True)
    for rel in ("batch/a", "deep/er/b", "runs/r1/artifacts"):
        (tmp_path / rel / "PROMPT.md").write_text("x")
        (tmp_path / rel / "metadata.json").write_text("{}")
        (tmp_path / rel / "MODEL_RESPONSE.md").write_text("```python\nprint(1)\n```\n")
    tasks, errors = discover([tmp_path])
    assert sorted(t.id for t in tasks) == ["a", "b"] and errors == []
    _, errors = discover([tmp_path / ".git"])
    assert [e.problem for e in errors] == ["no task directories inside"]


@pytest.mark.toolchain
def test_retry_errors_regrades_only_infra_errors(gate_runs, tmp_path) -> None:
    out, _, _ = gate_runs
    # a copy of the examples run in which payments-dr's model is recorded as an infra error (an edited row:
    # the environment failing cannot be caused on purpose here)
    import shutil

    copy = tmp_path / "runs"
    shutil.copytree(out / "examples", copy / "examples")
    rows = [json.loads(x) for x in (copy / "examples" / "variants.jsonl").read_text().splitlines()]
    row = next(r for r in reversed(rows) if (r["task_id"], r["variant"]) == ("payments-dr", "model"))
    row["verdict"] = "infra-error"
    (copy / "examples" / "variants.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    args = ("run", str(TASKS), "--out", str(copy), "--run-id", "examples", "--retry-errors")
    retried = run_cli(*args)
    assert retried.returncode == 0, retried.stderr
    lines = [x for x in retried.stderr.splitlines() if LINE.match(x)]
    assert len(lines) == 1 and lines[0].startswith("[1/1] payments-dr model fail"), retried.stderr
    assert "3 variant(s) already graded" in retried.stderr
    v = load_run(copy / "examples").variants.set_index(["task_id", "variant"])
    assert v.loc[("payments-dr", "model"), "verdict"] == "fail"
    again = run_cli(*args)
    assert not [x for x in again.stderr.splitlines() if LINE.match(x)] and "4 variant(s) already graded" in again.stderr


@pytest.mark.toolchain
def test_analyze_names_the_variant_and_suggests_the_task(gate_runs) -> None:
    out, _, _ = gate_runs
    ideal = run_cli("analyze", str(out / "examples"), "static-site", "--variant", "ideal")
    assert ideal.returncode == 0 and ideal.stdout.startswith("# IDEAL Response Failures Analysis - Task static-site")
    assert "MODEL_RESPONSE" not in ideal.stdout
    wrong = run_cli("analyze", str(out / "examples"), "STATIC-SITE")
    assert wrong.returncode == 2 and "did you mean static-site?" in wrong.stderr


@pytest.mark.toolchain
def test_a_corpus_slice_run_logs_a_line_per_variant(slice_run) -> None:
    """The slice fixture streams the run's stderr into pytest's terminal (the CI log) as it comes."""
    proc, run = slice_run
    lines = [m for m in (LINE.match(x) for x in proc.stderr.splitlines()) if m]
    assert len(lines) == len(run.variants) >= 14, proc.stderr
    assert [int(m.group(1)) for m in lines] == list(range(1, len(lines) + 1))
    assert {(m.group(3), m.group(4)): m.group(5) for m in lines} == \
        {(r.task_id, r.variant): r.verdict for r in run.variants.itertuples()}
