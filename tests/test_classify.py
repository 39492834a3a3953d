"""The catalogue and the classifier: reference-analysis severities and catalogue integrity."""

from __future__ import annotations

import pytest

from graders.catalogue import PYLINT_RULES, RULES, SEVERITIES
from graders.classify import classify, classify_defect


def test_rule_ids_are_unique_and_severities_known() -> None:
    ids = [r.id for r in (*RULES, *PYLINT_RULES.values())]
    assert len(ids) == len(set(ids))
    assert all(r.severity in SEVERITIES for r in (*RULES, *PYLINT_RULES.values()))
    assert all(r.title and r.root_cause and r.fix_hint for r in (*RULES, *PYLINT_RULES.values()))


def test_provider_class_import_error_is_critical_with_suggestion() -> None:
    sig = {"kind": "exception", "type": "ImportError", "qualified_type": "builtins.ImportError",
           "message": "cannot import name 'S3BucketReplicationConfiguration' from "
                      "'cdktf_cdktf_provider_aws.s3_bucket_replication_configuration'",
           "missing_name": "S3BucketReplicationConfiguration",
           "from_module": "cdktf_cdktf_provider_aws.s3_bucket_replication_configuration",
           "suggestions": ["S3BucketReplicationConfigurationA"],
           "frames": [{"file": "lib/tap_stack.py", "line": 7, "function": "<module>", "code": ""}]}
    rule, msg = classify("import", sig)
    assert (rule.id, rule.severity) == ("import.provider-class-name", "Critical")
    assert "`S3BucketReplicationConfigurationA`" in msg


def test_contract_type_error_from_tap_py_is_critical() -> None:
    sig = {"kind": "exception", "type": "TypeError", "qualified_type": "builtins.TypeError",
           "message": "TapStack.__init__() got an unexpected keyword argument 'state_bucket'",
           "frames": [{"file": "tap.py", "line": 40, "function": "<module>", "code": "TapStack("}]}
    rule, _ = classify("instantiate", sig)
    assert (rule.id, rule.severity) == ("contract.tapstack-signature", "Critical")


def test_unexpected_argument_inside_the_stack_is_not_the_contract() -> None:
    sig = {"kind": "exception", "type": "TypeError", "qualified_type": "builtins.TypeError",
           "message": "S3Bucket.__init__() got an unexpected keyword argument 'bucket_name'",
           "frames": [{"file": "tap.py", "line": 40, "function": "<module>", "code": ""},
                      {"file": "lib/tap_stack.py", "line": 12, "function": "__init__", "code": ""}]}
    assert classify("instantiate", sig)[0].id == "jsii.unexpected-argument"


def test_jsii_deserialize_is_critical() -> None:
    sig = {"kind": "exception", "type": "JSIIError", "qualified_type": "jsii.errors.JSIIError",
           "message": "Passed to parameter config of new @cdktf/provider-aws.dynamodbTable.DynamodbTable: "
                      "Unable to deserialize value as @cdktf/provider-aws.dynamodbTable.DynamodbTableConfig\n"
                      "├── ...", "frames": []}
    rule, msg = classify("instantiate", sig)
    assert (rule.id, rule.severity) == ("jsii.struct-deserialize", "Critical")
    assert "\n" not in msg


@pytest.mark.parametrize("symbol,category,rule_id,severity", [
    ("unspecified-encoding", "warning", "lint.unspecified-encoding", "High"),
    ("unused-import", "warning", "lint.unused-import", "Medium"),
    ("line-too-long", "convention", "lint.line-too-long", "Low"),
    ("unused-argument", "warning", "lint.warning", "Medium"),
    ("no-member", "error", "lint.error", "High"),
    ("consider-using-f-string", "convention", "lint.convention", "Low"),
])
def test_pylint_messages(symbol: str, category: str, rule_id: str, severity: str) -> None:
    sig = {"kind": "pylint", "symbol": symbol, "category": category, "msg_id": "X", "message": "m",
           "file": "lib/tap_stack.py", "line": 3}
    rule, _ = classify("lint", sig)
    assert (rule.id, rule.severity) == (rule_id, severity)


@pytest.mark.parametrize("stage,sig,rule_id", [
    ("extract", {"kind": "no-stack-module", "message": "m"}, "extract.no-stack-module"),
    ("extract", {"kind": "no-code", "message": "m"}, "extract.no-code"),
    ("extract", {"kind": "unmapped-block", "block_kind": "module", "message": "m"}, "extract.unmapped-module"),
    ("extract", {"kind": "unmapped-block", "block_kind": "snippet", "message": "m"}, "extract.unmapped-block"),
    ("instantiate", {"kind": "timeout", "message": "m"}, "exec.timeout"),
    ("synth", {"kind": "crash", "message": "m"}, "exec.crash"),
    ("import", {"kind": "resource-limit", "message": "m"}, "exec.resource-limit"),
    ("import", {"kind": "exception", "type": "SyntaxError", "qualified_type": "builtins.SyntaxError",
                "message": "m", "frames": []}, "import.syntax-error"),
    ("synth", {"kind": "exception", "type": "ValueError", "qualified_type": "builtins.ValueError",
               "message": "m", "frames": []}, "synth.error"),
])
def test_other_signals(stage: str, sig: dict, rule_id: str) -> None:
    assert classify(stage, sig)[0].id == rule_id


def test_unknown_signal_is_an_error_not_a_silent_pass() -> None:
    with pytest.raises(LookupError):
        classify("lint", {"kind": "mystery"})


def test_findings_outside_the_stacks_import_graph_are_one_level_lower() -> None:
    sig = {"kind": "static-import", "missing_name": "S3Bucket2", "from_module": "cdktf_cdktf_provider_aws.s3_bucket",
           "file": "bin/tool.py", "line": 3, "suggestions": []}
    inside, _, _ = classify_defect("static", sig)
    outside, message, _ = classify_defect("static", {**sig, "outside_graph": True})
    assert (inside.id, inside.severity) == ("static.provider-class-name", "Critical")
    assert (outside.id, outside.severity) == ("static.provider-class-name", "High")
    assert message.endswith("(in a file the stack's entry never imports)")
    lint = {"kind": "pylint", "symbol": "unused-import", "category": "warning", "msg_id": "W0611", "message": "x",
            "file": "bin/tool.py", "line": 1}
    assert classify_defect("lint", lint)[0].severity == "Medium"
    assert classify_defect("lint", {**lint, "outside_graph": True})[0].severity == "Low"
    floor = next(s for s, r in PYLINT_RULES.items() if r.severity == "Low")
    assert classify_defect("lint", {**lint, "symbol": floor, "outside_graph": True})[0].severity == "Low"  # never below


def test_a_data_source_the_mirror_lacks_and_the_pinned_package_defines_is_a_version_difference() -> None:
    """The mirror's Terraform provider (5.x) may lack a data source the pinned package (6.x) generates
    bindings for: the response is not at fault (Info), unlike a type neither knows."""
    from harness.plan.diagnostics import signals

    diag = {"severity": "error", "summary": "Invalid data source",
            "detail": 'The provider hashicorp/aws does not support data source "aws_vpn_connection".'}
    schema = {"resource": {}, "data": {"aws_vpn_connection": {}}, "provider_version": "6.0.0"}
    assert [s["kind"] for s in signals([diag], {}, schema)] == ["provider-version"]
    unknown = {**diag, "detail": 'The provider hashicorp/aws does not support data source "aws_imaginary".'}
    assert [s["kind"] for s in signals([unknown], {}, schema)] == ["terraform-diagnostic"]


def test_a_provider_package_the_toolchain_lacks_is_not_the_responses_fault() -> None:
    sig = {"kind": "exception", "type": "ModuleNotFoundError", "missing_module": "cdktf_cdktf_provider_kubernetes",
           "message": "No module named 'cdktf_cdktf_provider_kubernetes'"}
    rule, _ = classify("import", sig)
    assert (rule.id, rule.severity) == ("import.provider-not-installed", "Info")
    rule, _ = classify("import", {**sig, "missing_module": "cdktf_cdktf_provider_aws.imaginary"})
    assert rule.severity == "Critical"
    rule, _ = classify("import", {**sig, "missing_module": "stacks"})
    assert rule.id == "import.module-not-found"


def test_a_missing_argument_after_a_stub_is_not_blamed_on_the_response() -> None:
    from graders.catalogue import rule_by_id
    from graders.classify import after_stub

    rule, message = after_stub(rule_by_id("validate.missing-argument"), "Insufficient statement blocks", ["R2"])
    assert rule.severity == "Info" and "R2" in message
    assert after_stub(rule_by_id("validate.missing-argument"), "m", [])[0].severity == "Critical"
    assert after_stub(rule_by_id("validate.unknown-argument"), "m", ["R2"])[0].severity == "Critical"
    none = "AttributeError: 'NoneType' object has no attribute 'name'"  # read off what the stub returned
    assert after_stub(rule_by_id("exec.missing-attribute"), none, ["R1"])[0].severity == "Info"
    assert after_stub(rule_by_id("exec.missing-attribute"), "AttributeError: 'Vpc' object has no attribute 'x'",
                      ["R1"])[0].severity == "Critical"
