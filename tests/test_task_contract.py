"""Grading through the task's own contract, end to end on real corpus tasks (real toolchain,
terraform when the machine has it): the reference entry, rules that judge only what the entry
passes, the reference variant, the response's own app as a repair, providers the mirror lacks."""

from __future__ import annotations

import pytest

from harness import terraform
from harness.results import load_run

from .conftest import CONTRACT_SLICE, run_cli, write_task

pytestmark = pytest.mark.toolchain

CONTRACT_RULES = {"config.backend-s3", "config.default-tags", "config.hard-coded-region", "contract.tapstack-signature",
                  "static.contract"}


def findings(run, task: str, variant: str):
    f = run.findings
    return f[(f.task_id == task) & (f.variant == variant)]


def test_every_variant_runs_through_the_reference_entry(contract_run) -> None:
    _, run = contract_run
    assert set(run.variants.task_id) == set(CONTRACT_SLICE)
    for row in run.variants.itertuples():
        assert row.entry_origin == "reference" and row.contract["origin"] == "reference", (row.task_id, row.variant)
    paths = run.variants.drop_duplicates("task_id").set_index("task_id").contract.map(lambda c: c["path"])
    assert paths["Pr7481"] == "bin/main.py" and paths["Pr7958"] == "bin/main.py" and paths["Pr7789"] == "tap.py"
    call = run.variants.set_index(["task_id", "variant"]).contract[("Pr7789", "model")]["call"]
    assert call["cls"] == "TapStack" and call["keywords"] == {"environment_suffix": "str"}


def test_no_finding_for_a_parameter_the_entry_does_not_pass(contract_run) -> None:
    """Pr7789 and Pr7958 pass environment_suffix (and regions): before, graded through the template's
    tap.py, their models got contract.tapstack-signature Critical and backend-s3 / default-tags High."""
    _, run = contract_run
    for task in ("Pr7789", "Pr7958"):
        for variant in ("model", "reference"):
            got = set(findings(run, task, variant).rule_id)
            assert not got & {"config.backend-s3", "config.default-tags", "contract.tapstack-signature",
                              "static.contract"}, (task, variant, got & CONTRACT_RULES)


def test_rules_still_judge_what_the_entry_does_pass(contract_run) -> None:
    """Pr6739's entry passes state_bucket and default_tags; its model's own app builds a stack with
    neither, which the rules report once the response's app has been run (repair R1)."""
    _, run = contract_run
    f = findings(run, "Pr6739", "model")
    backend = f[f.rule_id == "config.backend-s3"]
    assert len(backend) == 1 and backend.iloc[0].severity == "High" and list(backend.iloc[0].depends_on) == ["R1"]
    assert "state_bucket" in backend.iloc[0].message


def test_a_response_that_does_not_fit_the_entry_runs_its_own_app(contract_run) -> None:
    _, run = contract_run
    f = findings(run, "Pr6739", "model")
    assert "extract.no-stack-module" in set(f[f.severity == "Critical"].rule_id)  # the finding stays
    v = run.variants.set_index(["task_id", "variant"]).loc[("Pr6739", "model")]
    assert v.repairs[0]["kind"] == "adopt-response-entry" and "lib/main.py" in v.repairs[0]["description"]
    assert v.artifacts_repaired  # its configuration synthesized, so validate/plan/rules judged it
    assert v.verdict == "fail"


def test_reference_variant_is_graded_as_code(contract_run) -> None:
    _, run = contract_run
    o = run.outcomes[(run.outcomes.variant == "reference") & (run.outcomes["round"] == 0)]
    synth = o[o.stage == "synth"].set_index("task_id").status
    assert (synth == "pass").all(), synth.to_dict()
    v = run.variants.set_index(["task_id", "variant"])
    assert v.loc[("Pr7789", "reference")].verdict == "pass"
    assert v.loc[("Pr7481", "reference")].file_md_lines == {}  # code, no markdown to map to
    assert "lib/transaction_api_stack.py" in v.loc[("Pr7481", "reference")].files


def test_a_provider_missing_from_the_mirror_is_infra_never_the_models(contract_run) -> None:
    """Pr6845's reference uses hashicorp/random (the toolchain has its Python package; the offline
    mirror may not hold the provider): validate is an infra error naming it, static and synth
    still judge the code."""
    _, run = contract_run
    det = terraform.detect()
    o = run.outcomes[(run.outcomes.task_id == "Pr6845") & (run.outcomes.variant == "reference")
                     & (run.outcomes["round"] == 0)].set_index("stage")
    assert o.loc["synth"].status == "pass" and o.loc["static"].status in ("pass", "fail")
    if det.terraform is not None and "registry.terraform.io/hashicorp/random" not in det.terraform.providers:
        assert o.loc["validate"].status == "infra-error" and "hashicorp/random" in o.loc["validate"].reason
        assert o.loc["plan"].status == "skipped"
    tf = findings(run, "Pr6845", "reference")
    assert set(tf[tf.stage.isin(["validate", "plan"])].severity) <= {"Info"}


def test_default_tags_as_the_entry_passes_them(contract_run) -> None:
    """Pr2364's entry passes default_tags as a list: the reference, built for it, synthesizes."""
    _, run = contract_run
    assert run.variants.set_index(["task_id", "variant"]).contract[("Pr2364", "reference")]["call"]["keywords"][
        "default_tags"] == "list"
    assert "jsii.struct-deserialize" not in set(findings(run, "Pr2364", "reference").rule_id)


ADOPTED_APP = '''## File: main.py

```python
from cdktf import App, TerraformStack
from constructs import Construct
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.eip import Eip


class NetworkStack(TerraformStack):
    def __init__(self, scope: Construct, ns: str):
        super().__init__(scope, ns)
        AwsProvider(self, "aws", region="us-east-1")
        Eip(self, "nat", vpc=True)


app = App()
NetworkStack(app, "network")
app.synth()
```
'''


def test_a_type_error_in_an_adopted_app_is_the_responses_not_the_contracts(toolchain_ready, tmp_path) -> None:
    """Once the response's own app is adopted, a TypeError raised in it (here ``vpc``, an argument
    provider v21 dropped) is an argument finding, never contract.tapstack-signature: the entry
    that raised it is the response's, not the task's."""
    write_task(tmp_path / "tasks", "adopted", ADOPTED_APP)
    proc = run_cli("run", str(tmp_path / "tasks"), "--out", str(tmp_path / "runs"), "--run-id", "a")
    assert proc.returncode == 0, proc.stderr
    run = load_run(tmp_path / "runs" / "a")
    v = run.variants.iloc[0]
    assert [r["kind"] for r in v.repairs][:1] == ["adopt-response-entry"]
    got = set(run.findings.rule_id)
    assert "contract.tapstack-signature" not in got and "static.contract" not in got
    assert got & {"static.unknown-argument", "jsii.unexpected-argument"}
