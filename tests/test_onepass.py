"""One pass finds every blocking failure (repair-and-continue), and neither a repair nor a static
check ever changes the verdict of an IDEAL that synthesizes. Real toolchain, real CLI."""

from __future__ import annotations

import pytest

from harness.results import load_run, one_pass_gain

from .conftest import CORPUS, corpus_part, run_cli

pytestmark = pytest.mark.toolchain


@pytest.fixture(scope="session")
def pr7427(slice_run):
    """Pr7427's model as the corpus-slice run graded it (default options, like a user's run)."""
    proc, run = slice_run
    return proc, corpus_part(run, ["Pr7427"], variants=["model"])


@pytest.fixture(scope="session")
def corpus_ideals(toolchain_ready, tmp_path_factory):
    """Every corpus IDEAL, without terraform and checkov: what is judged here (static checks against
    synth, repairs, verdicts from the findings present) does not depend on them."""
    out = tmp_path_factory.mktemp("runs")
    proc = run_cli("run", str(CORPUS), "--variant", "ideal", "--no-checkov", "--out", str(out), "--run-id", "ideals",
                   "--quiet", env={"TAPGRADE_TERRAFORM": str(out / "no-terraform")})
    assert proc.returncode == 0, proc.stderr
    return load_run(out / "ideals")


def test_pr7427_reference_failures_in_one_run(pr7427) -> None:
    """All nine items of the reference analysis, with its severities, from one run."""
    _, run = pr7427
    f = run.findings[run.findings.severity != "Info"]
    got = {(r.rule_id, r.severity) for r in f.itertuples()}
    assert ("import.provider-class-name", "Critical") in got
    assert ("contract.tapstack-signature", "Critical") in got
    assert ("jsii.struct-deserialize", "Critical") in got
    assert ("config.backend-s3", "High") in got
    assert ("config.default-tags", "High") in got
    assert ("lint.unspecified-encoding", "High") in got
    assert ("config.route53-address", "High") in got
    assert ("lint.unused-import", "Medium") in got
    assert ("lint.line-too-long", "Low") in got
    # One more Critical than the expert listed: the Lambda filename is the .py source, not a zip.
    crit = set(f[f.severity == "Critical"].rule_id)
    assert crit == {"import.provider-class-name", "contract.tapstack-signature", "jsii.struct-deserialize",
                    "config.lambda-package"}


def test_plan_level_findings_depend_on_the_repairs(pr7427) -> None:
    _, run = pr7427
    f = run.findings[run.findings.stage == "rules"]
    assert len(f) and all(list(d) == ["R1", "R2", "R3"] for d in f.depends_on)
    assert not any("_slot" in m for m in f.message)  # workspace paths are written as /workspace


def test_static_and_execution_evidence_are_one_row_each(pr7427) -> None:
    _, run = pr7427
    merged = ["import.provider-class-name", "contract.tapstack-signature", "jsii.struct-deserialize"]
    crit = run.findings[run.findings.rule_id.isin(merged)].set_index("rule_id")
    assert len(crit) == 3  # one row per defect
    assert list(crit.loc["import.provider-class-name", "sources"]) == ["static", "import"]
    assert list(crit.loc["contract.tapstack-signature", "sources"]) == ["static", "instantiate"]
    assert list(crit.loc["jsii.struct-deserialize", "sources"]) == ["static", "instantiate"]
    assert all(list(d) == [] for d in crit["depends_on"])  # the static stage saw each in the response as written


def test_repairs_are_diffs_and_the_repaired_copy_synthesizes(pr7427) -> None:
    proc, run = pr7427
    row = run.variants.iloc[0]
    assert [r["kind"] for r in row["repairs"]] == ["rename-import", "accept-contract", "dict-to-struct"]
    assert all(r["diff"].startswith("--- a/lib/tap_stack.py") for r in row["repairs"])
    assert "+from cdktf_cdktf_provider_aws.s3_bucket_replication_configuration import S3BucketReplicationConfigurationA" \
        in row["repairs"][0]["diff"]
    assert row["artifacts_repaired"] and row["verdict"] == "fail"  # the response as written still fails
    line = next(x for x in proc.stdout.splitlines() if "Pr7427" in x and " model " in x)
    assert "3 -> synth pass" in line, proc.stdout
    o = run.outcomes
    assert o[(o["round"] == 0) & (o["stage"] == "synth")].status.tolist() == ["skipped"]
    assert o[(o["round"] == 3) & (o["stage"] == "synth")].status.tolist() == ["pass"]


def test_one_pass_reports_more_than_stop_at_first_error(pr7427) -> None:
    _, run = pr7427
    gain = one_pass_gain(run).iloc[0]
    # the reference's three, plus the two Lambda packages that are .py files (config rules)
    assert (gain.stop_at_first_error, gain.one_pass) == (1, 5)


def test_ideals_that_synthesize_are_untouched(corpus_ideals) -> None:
    run = corpus_ideals
    o = run.outcomes
    passing = o[(o["round"] == 0) & (o["stage"] == "synth") & (o["status"] == "pass")]["task_id"]
    assert len(passing) >= 20
    f = run.findings
    # A static check that predicts a failure must never fire on code that synthesizes; what it
    # may say there (keys jsii silently drops) is Medium and leaves the verdict alone. The literal
    # checks (placeholder accounts, secrets in code) predict nothing about synth and may fire.
    static = f[f.task_id.isin(passing) & (f.stage == "static") & ~f.rule_id.str.startswith("static.literal-")]
    assert set(static.severity.astype(str)) <= {"Medium"}, static[["task_id", "rule_id", "message"]]
    assert set(static.rule_id) <= {"static.struct-dict-dropped"}
    v = run.variants.set_index("task_id")
    assert all(v.loc[t, "repairs"] == [] for t in passing)
    predicting = (f.stage == "static") & ~f.rule_id.str.startswith("static.literal-")
    worst_without_static = (f[f.task_id.isin(passing) & ~predicting]
                            .groupby("task_id")["severity"].min().astype(str).reindex(passing).fillna("-"))
    for t in passing:
        expected = "fail" if worst_without_static[t] in ("Critical", "High") else "pass"
        assert v.loc[t, "verdict"] == expected, t
