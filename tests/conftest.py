"""Shared fixtures. Toolchain tests run the real pinned toolchain through the real CLI; each
session-scoped run is graded once and read by many tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.results import load_run

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "cdktf-py"
TASKS = REPO / "tasks"
HARNESS = Path(sys.executable).with_name("harness")


SLICE = ["Pr7427", "Pr4318", "Pr7180", "Pr2364", "Pr7434", "Pr6343", "Pr4931"]


def corpus_ids() -> list[str]:
    return sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


def run_cli(*args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    """The installed ``harness`` command, as a user runs it."""
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([str(HARNESS), *args], capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="session")
def toolchain_ready() -> None:
    from harness import toolchain

    status = toolchain.check()
    assert status.ok, f"toolchain not installed ({status.problems}); run: harness toolchain install"


def write_task(root: Path, task_id: str, model: str, ideal: str | None = None, tap: str | None = None) -> Path:
    """A harness-layout task written by a test."""
    d = root / task_id
    d.mkdir(parents=True)
    (d / "task.toml").write_text(f'id = "{task_id}"\nplatform = "cdktf"\nlanguage = "py"\nregion = "us-east-1"\n')
    (d / "PROMPT.md").write_text("Test task.\n")
    (d / "MODEL_RESPONSE.md").write_text(model)
    if ideal is not None:
        (d / "IDEAL_RESPONSE.md").write_text(ideal)
    if tap is not None:
        (d / "tap.py").write_text(tap)
    return d


def stack_md(body: str, imports: str = "") -> str:
    """A response whose lib/tap_stack.py holds a contract-conforming TapStack running ``body``."""
    return f"""## File: lib/tap_stack.py

```python
import os
from cdktf import S3Backend, TerraformStack, TerraformOutput
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct
{imports}

class TapStack(TerraformStack):
    def __init__(self, scope: Construct, ns: str, **kwargs):
        super().__init__(scope, ns)
        S3Backend(self, bucket=kwargs["state_bucket"], key="test.tfstate", region=kwargs["state_bucket_region"])
        AwsProvider(self, "aws", region=kwargs["aws_region"], default_tags=[kwargs["default_tags"]])
{body}
        TerraformOutput(self, "cwd_is_workspace", value=str(os.path.isfile("lib/tap_stack.py")))
```
"""


# Session runs many test modules read (each graded once).
@pytest.fixture(scope="session")
def examples_run(toolchain_ready, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    proc = run_cli("run", str(TASKS), "--out", str(out), "--run-id", "examples", "--workers", "2")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc, load_run(out / "examples")


# Corpus tasks whose contract differs from the template's (tests/test_task_contract.py).
CONTRACT_SLICE = ["Pr7789", "Pr7958", "Pr7481", "Pr6739", "Pr6845", "Pr2364"]


@pytest.fixture(scope="session")
def contract_run(toolchain_ready, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    proc = run_cli("run", *(str(CORPUS / i) for i in CONTRACT_SLICE), "--variant", "all", "--out", str(out),
                   "--run-id", "contract")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc, load_run(out / "contract")


@pytest.fixture(scope="session")
def slice_run(toolchain_ready, tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    proc = run_cli("run", *(str(CORPUS / i) for i in SLICE), "--out", str(out), "--run-id", "slice")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc, load_run(out / "slice")

