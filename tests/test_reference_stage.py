"""The deploy-rules and reference stages in real runs: no deploy rule flags a corpus reference
(each was deployed by its pipeline), names are judged with the pipeline's suffix, and every other
variant is compared with its task's reference, synthesized in the same seat."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.toolchain


def test_no_deploy_rule_flags_a_corpus_reference_that_synthesizes(references_run) -> None:
    _, run = references_run
    o = run.outcomes
    synthesized = set(o[(o.stage == "synth") & (o.status == "pass")].task_id)
    assert len(synthesized) >= 55, "fewer references synthesize than the corpus runs have shown (58)"
    judged = o[(o.stage == "deploy-rules") & o.task_id.isin(synthesized)]
    assert set(judged.task_id) == synthesized
    flagged = run.findings[run.findings.stage == "deploy-rules"]
    assert flagged.empty, flagged[["task_id", "rule_id", "message"]].to_string()
    assert (judged.status == "pass").all()


def test_references_synthesize_with_the_pipeline_suffix_and_are_not_compared_with_themselves(references_run) -> None:
    _, run = references_run
    v = run.variants.set_index("task_id")
    stack = json.loads(Path(v.loc["Pr4931", "artifacts"][0]).read_text())
    assert stack["//"]["metadata"]["stackName"] == "TapStackpr4931"
    ref = run.outcomes[(run.outcomes.stage == "reference")]
    assert set(ref.status) == {"skipped"}


def test_model_variants_are_compared_with_the_reference(contract_run) -> None:
    _, run = contract_run
    o = run.outcomes
    compared = o[(o.stage == "reference") & (o.variant == "model") & (o.status.isin(["pass", "fail"]))]
    assert len(compared) >= 3, o[(o.stage == "reference")][["task_id", "variant", "status", "reason"]].to_string()
    assert all(data["reference_stacks"] >= 1 for data in compared.data)
    # warm slots share the synthesized reference: a task's variants pay for it once (twice when two
    # slots start on the task at the same moment), the others record 0
    every = o[(o.stage == "reference") & o.status.isin(["pass", "fail"])]
    # (a variant that synthesized nothing may have paid, its reference outcome skipped)
    assert any(d["reference_synth_s"] > 0 for d in every.data)
    for task, group in every.groupby("task_id"):
        assert sum(d["reference_synth_s"] > 0 for d in group.data) <= 2, task
    assert set(o[(o.stage == "reference") & (o.variant == "reference")].status) == {"skipped"}
