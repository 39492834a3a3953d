"""``harness debug`` on Pr7427's model, the task of the reference analysis: a re-grade into the run
with the workspace kept, the failing lines quoted from the response markdown, a reproduce command
that gives the same error by hand, and one stage re-run on the edited workspace without grading
the rest."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from harness.options import EngineOptions, from_dict

from .conftest import run_cli

pytestmark = pytest.mark.toolchain
MISSING = "cannot import name 'S3BucketReplicationConfiguration'"


@pytest.fixture(scope="module")
def debugged(slice_run, tmp_path_factory):
    """A copy of the corpus-slice run (it graded Pr7427), debugged: the copy gains the re-grade."""
    run_dir = tmp_path_factory.mktemp("runs") / "r"
    shutil.copytree(slice_run[1].path, run_dir)
    before = (run_dir / "variants.jsonl").read_text().count("\n")
    proc = run_cli("debug", str(run_dir), "Pr7427")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return run_dir, before, proc.stdout


def test_debug_regrades_into_the_run_and_quotes_the_failing_markdown(debugged) -> None:
    run_dir, before, out = debugged
    assert (run_dir / "variants.jsonl").read_text().count("\n") == before + 1  # a new attempt, in the run
    assert "round 0 (the response as written)" in out
    import_part = out.split("  import        fail", 1)[1].split("  instantiate", 1)[0]
    assert "Critical import.provider-class-name lib/tap_stack.py:7" in import_part
    assert ">    14 | from cdktf_cdktf_provider_aws.s3_bucket_replication_configuration import " \
           "S3BucketReplicationConfiguration," in import_part  # the response markdown's line, in context
    kept = run_dir / "workspaces" / "Pr7427" / "model"
    # the kept files are the response as written, not the copy the repair rounds rewrote
    assert "import S3BucketReplicationConfiguration," in (kept / "lib" / "tap_stack.py").read_text().splitlines()[6]


def test_the_run_records_the_options_a_regrade_starts_from(debugged) -> None:
    run_dir, _, _ = debugged
    meta = json.loads((run_dir / "run.json").read_text())
    opts = from_dict(EngineOptions, meta["options"])  # every field read back (regrade's first step)
    assert opts.plan.terraform is None  # detected again where the variant grades
    assert opts.plan.checkov == (meta["checkov"] != "not requested") and opts.plan.deploy == meta["deploy"]
    assert opts.workers == meta["args"]["workers"] and opts.execution.name == meta["args"]["execution"]


def test_the_printed_command_reproduces_the_error_by_hand(debugged) -> None:
    _, _, out = debugged
    command = next(line for line in out.splitlines() if line.startswith("import: cd ")).removeprefix("import: ")
    by_hand = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=300)
    assert by_hand.returncode != 0 and MISSING in by_hand.stderr, by_hand.stderr[-2000:]
    lint = next(line for line in out.splitlines() if line.startswith("lint: cd ")).removeprefix("lint: ")
    assert "-m pylint --rcfile=" in lint
    assert any(line.startswith("validate: cd ") and "TF_DATA_DIR=" in line for line in out.splitlines())


def test_one_stage_runs_again_on_the_edited_workspace_and_nothing_else(debugged) -> None:
    run_dir, before, _ = debugged
    again = run_cli("debug", str(run_dir), "Pr7427", "--stage", "import")
    assert again.returncode == 1, again.stderr
    stages = [line.split()[0] for line in again.stdout.splitlines() if line.startswith("  ") and not line.startswith("    ")]
    assert stages == ["import"], again.stdout  # only the stage asked for
    assert "Critical import.provider-class-name lib/tap_stack.py:7" in again.stdout
    # edit the kept workspace as a user would, and re-run the one stage
    stack = run_dir / "workspaces" / "Pr7427" / "model" / "lib" / "tap_stack.py"
    stack.write_text(stack.read_text().replace("import S3BucketReplicationConfiguration,",
                                               "import S3BucketReplicationConfigurationA as "
                                               "S3BucketReplicationConfiguration,", 1))
    fixed = run_cli("debug", str(run_dir), "Pr7427", "--stage", "import")
    assert fixed.returncode == 0 and "  import        pass" in fixed.stdout, fixed.stdout + fixed.stderr
    assert (run_dir / "variants.jsonl").read_text().count("\n") == before + 1  # nothing recorded by --stage
    bad = run_cli("debug", str(run_dir), "Pr7427", "--stage", "bogus")
    assert bad.returncode == 2 and "not a stage" in bad.stderr
