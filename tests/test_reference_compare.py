"""The reference comparison on hand-made stacks: what the prompt names and the response lacks is
High, a value the prompt states and the response contradicts is Medium, and what the prompt does
not ask for never goes above Info (two correct answers may differ)."""

from __future__ import annotations

from graders.catalogue import rule_by_id
from graders.reference_compare import compare, sentences

PROMPT = """Build a serverless order pipeline.
- CloudWatch log groups with 30-day retention for every function.
- A dead-letter queue for failed orders.
- Encrypt the S3 bucket with a customer-managed KMS key.
- Three private subnets.
The functions use Python 3.12."""


def res(**types) -> dict:
    return {"resource": types}


REFERENCE = res(
    aws_cloudwatch_log_group={"a": {"name": "a", "retention_in_days": 30}, "b": {"name": "b", "retention_in_days": 30}},
    aws_sqs_queue={"dlq": {"name": "dlq"}},
    aws_kms_key={"k": {"description": "k"}},
    aws_s3_bucket={"b": {"bucket": "b"}},
    aws_s3_bucket_server_side_encryption_configuration={"e": {"bucket": "${aws_s3_bucket.b.id}"}},
    aws_subnet={f"s{i}": {"cidr_block": f"10.0.{i}.0/24"} for i in range(3)},
    aws_iam_role={"r": {"name": "r"}},
    aws_lambda_function={"f": {"function_name": "f", "runtime": "python3.12", "memory_size": 256}})


def by_rule(sigs: list[dict]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for s in sigs:
        out.setdefault(s["rule"], []).append(s.get("resource_type", "") + ("." + s["attribute"] if "attribute" in s else ""))
    return {k: sorted(v) for k, v in out.items()}


def test_the_reference_against_itself_reports_nothing() -> None:
    assert compare([REFERENCE], [REFERENCE], PROMPT) == []


def test_missing_kinds_the_prompt_names_are_high_and_others_info() -> None:
    response = res(aws_cloudwatch_log_group={"a": {"name": "a", "retention_in_days": 30}},
                   aws_s3_bucket={"b": {"bucket": "b"}},
                   aws_subnet={f"s{i}": {"cidr_block": "x"} for i in range(3)},
                   aws_lambda_function={"f": {"function_name": "f", "runtime": "python3.12", "memory_size": 1024}})
    got = by_rule(compare([response], [REFERENCE], PROMPT))
    assert got["missing-control"] == ["aws_kms_key", "aws_s3_bucket_server_side_encryption_configuration"]
    assert got["missing-resource"] == ["aws_sqs_queue"]
    # an IAM role the prompt does not mention, a count the prompt does not state, a memory size it is silent on
    assert got["difference"] == ["aws_cloudwatch_log_group", "aws_iam_role"]
    assert "value-contradicts-prompt" not in got
    assert rule_by_id("reference.missing-resource").severity == "High"
    assert rule_by_id("reference.difference").severity == "Info"


def test_an_inline_block_provides_the_capability_of_the_separate_resource() -> None:
    inline = res(**{**REFERENCE["resource"], "aws_s3_bucket": {"b": {"bucket": "b", "server_side_encryption_configuration": {
        "rule": {"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms"}}}}}})
    del inline["resource"]["aws_s3_bucket_server_side_encryption_configuration"]
    assert compare([inline], [REFERENCE], PROMPT) == []


def test_a_value_the_prompt_states_and_the_response_contradicts_is_medium() -> None:
    response = res(**{**REFERENCE["resource"], "aws_cloudwatch_log_group": {"a": {"name": "a", "retention_in_days": 7}},
                      "aws_lambda_function": {"f": {"function_name": "f", "runtime": "python3.9"}}})
    sigs = [s for s in compare([response], [REFERENCE], PROMPT) if s["rule"] == "value-contradicts-prompt"]
    assert sorted((s["resource_type"], s["attribute"], s["response"]) for s in sigs) == [
        ("aws_cloudwatch_log_group", "retention_in_days", "7")]
    assert "30-day retention" in sigs[0]["prompt"] and "states 30" in sigs[0]["message"]
    assert rule_by_id("reference.value-contradicts-prompt").severity == "Medium"


def test_a_value_left_to_an_expression_is_not_judged() -> None:
    response = res(**{**REFERENCE["resource"],
                      "aws_cloudwatch_log_group": {"a": {"name": "a", "retention_in_days": "${var.days}"}}})
    assert [s["rule"] for s in compare([response], [REFERENCE], PROMPT)] == ["difference"]  # one log group fewer


def test_fewer_resources_than_the_prompt_counts_is_medium() -> None:
    response = res(**{**REFERENCE["resource"], "aws_subnet": {"s0": {"cidr_block": "x"}, "s1": {"cidr_block": "y"}}})
    sigs = compare([response], [REFERENCE], PROMPT)
    assert [(s["rule"], s["resource_type"], s["response"]) for s in sigs] == [
        ("value-contradicts-prompt", "aws_subnet", 2)]


def test_sentences_keep_versions_whole() -> None:
    assert "The functions use Python 3.12." in sentences(PROMPT)


def test_a_kind_the_prompt_names_only_to_avoid_it_is_not_asked_for() -> None:
    prompt = "- Include VPC endpoints for S3 to avoid internet gateway charges.\n- One VPC."
    ref = res(aws_vpc={"v": {"cidr_block": "10.0.0.0/16"}}, aws_internet_gateway={"g": {"vpc_id": "x"}})
    mine = res(aws_vpc={"v": {"cidr_block": "10.0.0.0/16"}})
    assert [s["rule"] for s in compare([mine], [ref], prompt)] == ["difference"]


def test_a_value_counts_only_in_a_sentence_about_its_attribute() -> None:
    prompt = "- Configure automated backups with 7-day retention.\n- Enable Performance Insights."
    ref = res(aws_rds_cluster_instance={"i": {"performance_insights_retention_period": 7}})
    mine = res(aws_rds_cluster_instance={"i": {"instance_class": "db.r6g.large"}})
    assert compare([mine], [ref], prompt) == []
