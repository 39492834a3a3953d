"""Shared fixtures. Toolchain tests run the real pinned toolchain through the real CLI; each
session-scoped run is graded once and read by many tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness import image
from harness.results import load_run

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "cdktf-py"
TASKS = REPO / "tasks"
HARNESS = Path(sys.executable).with_name("harness")


SLICE = ["Pr7427", "Pr4318", "Pr7180", "Pr2364", "Pr7434", "Pr6343", "Pr4931"]
EXTRA = ["Pr5662", "Pr6610", "Pr6767"]  # with SLICE: the 10-task slice (validate failures, missing zips)
HOSTILE = Path(__file__).parent / "fixtures" / "hostile"  # both backends (tests/test_hostile.py)
HOSTILE_CONTAINER = Path(__file__).parent / "fixtures" / "hostile-container"  # what only a container stops
HOST_SECRET = "tapgrade-host-secret-6f1d2c"  # in the harness's environment during hostile runs


def corpus_ids() -> list[str]:
    return sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


def run_cli(*args: str, timeout: float = 1800, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """The installed ``harness`` command, as a user runs it (``env``: variables to add)."""
    env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([str(HARNESS), *args], capture_output=True, text=True, timeout=timeout, env=env)


def run_cli_streamed(request: pytest.FixtureRequest, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    """``run_cli`` whose stderr (the plain display: a line per variant as it finishes) is also
    written to pytest's terminal as it arrives, so the CI log shows a corpus-slice run progress."""
    import threading

    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.Popen([str(HARNESS), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    err_lines: list[str] = []

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            err_lines.append(line)
            if capture is not None:
                with capture.global_and_fixture_disabled():
                    sys.stderr.write(f"  harness: {line}")
                    sys.stderr.flush()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    out = proc.stdout.read() if proc.stdout else ""
    proc.wait(timeout=timeout)
    reader.join(timeout=30)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, "".join(err_lines))


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
def references_run(toolchain_ready, tmp_path_factory):
    """Every corpus reference, synthesized and judged without terraform and checkov (the deploy rules
    read the synthesized JSON; a plan per reference would cost minutes and judge nothing here)."""
    out = tmp_path_factory.mktemp("runs")
    proc = run_cli("run", str(CORPUS), "--variant", "reference", "--no-checkov", "--out", str(out),
                   "--run-id", "references", env={"TAPGRADE_TERRAFORM": str(out / "no-terraform")})
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc, load_run(out / "references")


@pytest.fixture(scope="session")
def slice_run(toolchain_ready, tmp_path_factory, request):
    out = tmp_path_factory.mktemp("runs")
    proc = run_cli_streamed(request, "run", *(str(CORPUS / i) for i in SLICE), "--out", str(out), "--run-id", "slice")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc, load_run(out / "slice")


@pytest.fixture(scope="session")
def grading_image() -> str:
    try:
        image.client()
    except image.ImageError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs a Docker engine: {exc}")
        pytest.skip(str(exc))
    if not image.check().ok:
        # A source change since the last build: the cached layers make this a ~20 s rebuild.
        dc = image.client()
        base = "tapgrade-base:bookworm" if dc.images.list(name="tapgrade-base:bookworm") else image.DEFAULT_BASE
        image.build(base=base)
    status = image.check()
    assert status.ok, status.problems
    return image.DEFAULT_TAG


def generated_hostile(root: Path) -> list[Path]:
    """Hostile inputs too large to keep in the repository: a 10 MB response, one with 1,000 blocks."""
    filler = "".join(f"Paragraph {i}: " + "lorem ipsum " * 80 + "\n\n" for i in range(10_000))
    giant = "```python\n" + "x = 1\n" * 200_000 + "```\n\n"  # one 1.2 MB block
    write_task(root, "huge-response", "A 10 MB response.\n\n" + filler + giant + stack_md(""))
    blocks = "".join(f"Step {i}:\n\n```python\nprint({i})\n```\n\n" for i in range(1000))
    write_task(root, "many-blocks", "A response with 1,000 code blocks.\n\n" + blocks + stack_md(""))
    return [root / "huge-response", root / "many-blocks"]


def interleaved(corpus: list[str], hostile: list[Path]) -> list[str]:
    """Two hostile inputs, then a corpus task, and again: every corpus variant follows hostile ones
    on the same worker."""
    hostile_left, corpus_left, out = [str(p) for p in hostile], [str(CORPUS / i) for i in corpus], []
    while hostile_left or corpus_left:
        out += hostile_left[:2] + corpus_left[:1]
        hostile_left, corpus_left = hostile_left[2:], corpus_left[1:]
    return out


def start_hostile_run(tmp: Path, corpus: list[str], extra: list[Path], backend: str, stamp: str, *options: str):
    """Start the corpus tasks interleaved with every hostile input (and ``extra``), on one worker,
    with a secret in the harness's environment that must not reach the code; returns the function
    that waits for the run and loads it."""
    hostile = sorted(p for p in HOSTILE.iterdir() if p.is_dir()) + generated_hostile(tmp / "gen") + extra
    env = {**os.environ, "COLUMNS": "200", "TAPGRADE_TEST_HOST_SECRET": HOST_SECRET}
    log = open(tmp / "run.log", "w+", encoding="utf-8")  # noqa: SIM115 - read back when the run ends
    proc = subprocess.Popen([str(HARNESS), "run", *interleaved(corpus, hostile), "--variant", "both", "--workers", "1",
                             "--backend", backend, "--out", str(tmp / "runs"), "--run-id", "hostile", "--created-at",
                             stamp, "--stage-timeout", "15", *options],
                            stdout=log, stderr=subprocess.STDOUT, text=True, env=env)

    def finish():
        try:
            rc = proc.wait(timeout=3600)
        finally:
            if proc.poll() is None:
                proc.kill()
        log.seek(0)
        output = log.read()
        log.close()
        assert rc == 0, output
        return load_run(tmp / "runs" / "hostile")

    return finish


def corpus_part(run, tasks: list[str], variants: list[str] | None = None):
    """The rows of ``run`` that belong to ``tasks`` (a mixed run's corpus variants), and to
    ``variants`` if given."""
    from harness.results import Run

    def keep(df):
        rows = df["task_id"].isin(tasks) & (df["variant"].isin(variants) if variants is not None else True)
        return df[rows].reset_index(drop=True)

    return Run(run.meta, keep(run.outcomes), keep(run.findings), keep(run.variants), run.errors, run.path)


@pytest.fixture(scope="session")
def hostile_runs(slice_run, toolchain_ready, tmp_path_factory, request) -> dict:
    """The hostile suite on both backends, the two runs side by side: each has one worker (so that
    the corpus variants share it with the hostile inputs), so on two cores they take the time of
    the longer one. Local: the corpus slice, the memory bound 4 GB. Docker, one run for three
    proofs: the 10-task slice graded as locally, among the hostile inputs (no result changed by
    them) and the container-only ones; the worker's memory bound is set above the container's so
    that the kernel's limit acts on the memory bomb. Without a Docker engine (outside CI) the docker
    entry holds the reason its tests skip."""
    stamp = slice_run[1].meta["created_at"]
    local = start_hostile_run(tmp_path_factory.mktemp("hostile-local"), SLICE, [], "local", stamp, "--memory-mb", "4000")
    try:
        request.getfixturevalue("grading_image")
    except pytest.skip.Exception as exc:
        docker = str(exc)
    else:
        docker = start_hostile_run(tmp_path_factory.mktemp("docker-mixed"), SLICE + EXTRA,
                                   sorted(p for p in HOSTILE_CONTAINER.iterdir() if p.is_dir()) + [TASKS / "static-site"],
                                   "docker", stamp, "--memory-mb", "8000", "--container-memory-mb", "5000")
    runs = {"local": local()}
    runs["docker"] = docker if isinstance(docker, str) else docker()
    return runs


@pytest.fixture(scope="session")
def hostile_local(hostile_runs):
    """Local backend: the corpus slice among the hostile inputs, one worker."""
    return hostile_runs["local"]


@pytest.fixture(scope="session")
def docker_mixed_run(hostile_runs):
    """Docker backend: the 10-task slice among the hostile and the container-only inputs."""
    if isinstance(hostile_runs["docker"], str):
        pytest.skip(hostile_runs["docker"])
    return hostile_runs["docker"]
