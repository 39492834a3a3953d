"""Untrusted responses: a hang, a crash, a memory bomb, a fork bomb, stdout noise and a path
escape each become a finding while the run goes on; the template contract reaches TapStack;
the same input synthesizes byte-identically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.results import load_run

from .conftest import run_cli, stack_md, write_task

pytestmark = pytest.mark.toolchain

CONTRACT = stack_md('''        TerraformOutput(self, "contract", value=json.dumps(
            {k: kwargs[k] for k in sorted(kwargs)}, sort_keys=True))
''', imports="import json")


@pytest.fixture(scope="session")
def isolation_run(toolchain_ready, tmp_path_factory):
    """What the hostile suite (tests/fixtures/hostile/) does not grade: noise on the protocol's
    streams, a syntax error, the template contract and a twin response."""
    root = tmp_path_factory.mktemp("isolation")
    tasks = root / "tasks"
    write_task(tasks, "contract", CONTRACT)
    (tasks / "contract" / "responses").mkdir()
    (tasks / "contract" / "responses" / "twin.md").write_text(CONTRACT)
    write_task(tasks, "noisy", stack_md(
        '        import sys\n        print("{\\"event\\": \\"done\\"}")\n        sys.stdout.write("x" * 100000)\n'
        '        sys.stderr.write("noise\\n")\n        sys.stdin.read()\n'))
    write_task(tasks, "syntax", "# Stack\n\n## File: lib/tap_stack.py\n\n```python\nimport os\n\ndef broken(:\n"
               "    pass\n```\n")
    out = root / "runs"
    proc = run_cli("run", str(tasks), "--variant", "all", "--out", str(out), "--run-id", "isolation", "--workers", "2")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return root, load_run(out / "isolation")


def finding(run, task: str, variant: str = "model"):
    f = run.findings
    return f[(f.task_id == task) & (f.variant == variant) & (f.severity != "Info")]


def test_every_variant_was_recorded(isolation_run) -> None:
    _, run = isolation_run
    assert sorted(map(tuple, run.variants[["task_id", "variant"]].values.tolist())) == [
        ("contract", "model"), ("contract", "twin"), ("noisy", "model"), ("syntax", "model")]
    assert not (run.outcomes.status == "infra-error").any()


# The hang, crash, memory and fork bombs and the path escape are inputs of the hostile suite; its
# local run (one worker, among the corpus slice) shows each one's stage and message.
def test_hang_is_a_timeout_finding(hostile_local) -> None:
    f = finding(hostile_local, "loop-construct")
    assert ("instantiate", "exec.timeout", "Critical") in set(zip(f.stage, f.rule_id, f.severity))


def test_crash_is_a_finding(hostile_local) -> None:
    f = finding(hostile_local, "os-exit")
    assert ("import", "exec.crash", "Critical") in set(zip(f.stage, f.rule_id, f.severity))


def test_memory_bomb_is_a_finding(hostile_local) -> None:
    f = finding(hostile_local, "memory-bomb")
    assert ("instantiate", "exec.resource-limit", "Critical") in set(zip(f.stage, f.rule_id, f.severity))
    assert "memory" in f[f.rule_id == "exec.resource-limit"].iloc[0].message


def test_fork_bomb_is_a_finding(hostile_local) -> None:
    f = finding(hostile_local, "fork-bomb")
    hit = f[f.rule_id == "exec.resource-limit"]
    assert len(hit) == 1 and "processes" in hit.iloc[0].message


def test_escaping_path_is_refused_and_nothing_written_outside(hostile_local) -> None:
    f = hostile_local.findings
    esc = f[(f.task_id == "path-traversal") & (f.rule_id == "extract.unsafe-path")]
    assert len(esc) == 2  # ../../escaped.py, lib/../../../escaped_too.py (/etc/cron.d/... names no file)
    root = hostile_local.path.parents[1]
    assert not list(root.rglob("escaped*.py"))
    assert not Path("/escaped.py").exists() and not Path("/etc/cron.d/tapgrade").exists()


def test_noise_on_stdout_and_stdin_does_not_break_the_protocol(isolation_run) -> None:
    root, run = isolation_run
    v = run.variants.set_index(["task_id", "variant"])["verdict"]
    assert v[("noisy", "model")] == "pass"
    inst_log = root / "runs" / "isolation" / "logs" / "noisy" / "model" / "instantiate.log"
    assert '{"event": "done"}' in inst_log.read_text()


def test_syntax_error_maps_to_the_markdown_line(isolation_run) -> None:
    _, run = isolation_run
    f = finding(run, "syntax")
    row = f[f.rule_id == "import.syntax-error"].iloc[0]
    assert (row.file, int(row.line), int(row.md_line)) == ("lib/tap_stack.py", 3, 8)


def test_template_contract_reaches_tapstack(isolation_run) -> None:
    _, run = isolation_run
    art = run.variants.set_index(["task_id", "variant"])["artifacts"][("contract", "model")]
    doc = json.loads(Path(art[0]).read_text())
    kwargs = json.loads(doc["output"]["contract"]["value"])
    assert set(kwargs) == {"environment_suffix", "state_bucket", "state_bucket_region", "aws_region", "default_tags"}
    assert kwargs["environment_suffix"] == "dev" and kwargs["aws_region"] == "us-east-1"
    tags = kwargs["default_tags"]["tags"]
    assert {"Environment", "Repository", "Author", "PRNumber", "Team", "CreatedAt"} <= set(tags)
    assert tags["CreatedAt"] == run.meta["started_at"] == run.meta["created_at"]  # fixed per run
    assert doc["output"]["cwd_is_workspace"]["value"] == "True"


def test_same_input_synthesizes_byte_identical_json(isolation_run) -> None:
    _, run = isolation_run
    arts = run.variants.set_index(["task_id", "variant"])["artifacts"]
    a, b = Path(arts[("contract", "model")][0]), Path(arts[("contract", "twin")][0])
    assert a.read_bytes() == b.read_bytes()
