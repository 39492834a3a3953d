"""Config rules over synthesized Terraform JSON (pure: JSON in, signals out)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from graders.classify import classify
from graders.config_rules import Context, check_config

GOOD = {
    "terraform": {"backend": {"s3": {"bucket": "b", "key": "k", "region": "us-east-1"}}},
    "provider": {"aws": [{"region": "us-east-1", "default_tags": [{"tags": {"Team": "t"}}]}]},
    "resource": {
        "aws_route53_record": {"ok": {"type": "A", "records": ["10.0.0.1"], "name": "a"},
                               "ref_ok": {"type": "A", "records": ["${aws_instance.web.public_ip}"], "name": "b"},
                               "alias": {"type": "A", "alias": {"name": "x", "zone_id": "z"}, "name": "c"},
                               "cname": {"type": "CNAME", "records": ["${aws_lb.x.dns_name}"], "name": "d"}},
        "aws_iam_role": {"r": {"assume_role_policy": json.dumps({"Version": "2012-10-17", "Statement": []})},
                         "computed": {"assume_role_policy": "${data.aws_iam_policy_document.x.json}"}},
        "aws_db_instance": {"db": {"skip_final_snapshot": True, "deletion_protection": False}},
    },
}


TEMPLATE_PASSES = {"environment_suffix": "", "state_bucket": "iac-rlhf-tf-states", "state_bucket_region": "us-east-1",
                   "aws_region": "us-east-1", "default_tags": None}


def rules_of(config: dict, root: Path, region: str = "us-east-1", suffix: str = "",
             passed: dict | None = None) -> list[str]:
    passes = {**TEMPLATE_PASSES, "aws_region": region, "environment_suffix": suffix} if passed is None else passed
    return [classify("rules", s)[0].id for s in check_config(config, Context(root, passes))]


def test_a_clean_config_has_no_findings(tmp_path: Path) -> None:
    assert rules_of(GOOD, tmp_path) == []


def test_each_rule_fires(tmp_path: Path) -> None:
    (tmp_path / "notzip.py").write_text("print(1)")
    with zipfile.ZipFile(tmp_path / "ok.zip", "w") as zf:
        zf.writestr("index.py", "")
    bad = json.loads(json.dumps(GOOD))
    bad["terraform"]["backend"] = {"local": {"path": "x"}}
    bad["provider"]["aws"].append({"alias": "replica", "region": "us-west-2"})
    bad["resource"]["aws_route53_record"]["arn"] = {"type": "A", "records": ["${aws_lambda_function.f.arn}"]}
    bad["resource"]["aws_route53_record"]["name6"] = {"type": "AAAA", "records": ["10.0.0.1"]}
    bad["resource"]["aws_lambda_function"] = {"missing": {"filename": "nope.zip"},
                                              "notzip": {"filename": "notzip.py"}, "ok": {"filename": "ok.zip"}}
    bad["resource"]["aws_iam_policy"] = {"p": {"policy": "{not json"}, "q": {"policy": json.dumps({"Statement": []})}}
    bad["resource"]["aws_rds_cluster"] = {"c": {"deletion_protection": True}}
    got = rules_of(bad, tmp_path)
    assert got.count("config.backend-s3") == 1
    assert got.count("config.default-tags") == 1
    assert got.count("config.route53-address") == 2
    assert got.count("config.lambda-package") == 2
    assert got.count("config.iam-policy") == 2
    assert got.count("config.destroyable") == 2  # deletion protection, and a final snapshot required


def test_hard_coded_region_judges_only_the_default_provider(tmp_path: Path) -> None:
    cfg = json.loads(json.dumps(GOOD))
    assert "config.hard-coded-region" not in rules_of(cfg, tmp_path, region="us-east-1")
    assert rules_of(cfg, tmp_path, region="eu-west-1").count("config.hard-coded-region") == 1
    cfg["provider"]["aws"] = [{"alias": "primary", "region": "us-east-1", "default_tags": [{"tags": {}}]},
                              {"alias": "dr", "region": "us-west-2", "default_tags": [{"tags": {}}]}]
    assert "config.hard-coded-region" not in rules_of(cfg, tmp_path, region="eu-west-1")  # multi-region by design


def test_environment_suffix_is_one_finding_per_stack(tmp_path: Path) -> None:
    cfg = json.loads(json.dumps(GOOD))
    del cfg["resource"]["aws_route53_record"]
    cfg["resource"]["aws_s3_bucket"] = {"a": {"bucket": "logs-dev-1"}, "b": {"bucket": "logs-prod"},
                                        "c": {"bucket": "${var.x}"}}
    cfg["resource"]["aws_sqs_queue"] = {"q": {"name": "jobs"}}
    signals = check_config(cfg, Context(tmp_path, {**TEMPLATE_PASSES, "environment_suffix": "dev"}))
    suffix = [s for s in signals if s["rule"] == "environment-suffix"]
    assert len(suffix) == 1 and suffix[0]["count"] == 2
    assert "aws_s3_bucket.b.bucket='logs-prod'" in suffix[0]["message"] and "aws_sqs_queue.q" in suffix[0]["message"]
    assert classify("rules", suffix[0])[0].severity == "Medium"



def test_name_tags_without_the_suffix_are_one_low_finding_per_stack(tmp_path: Path) -> None:
    cfg = {"resource": {"aws_vpc": {"v": {"cidr_block": "10.0.0.0/16", "tags": {"Name": "main-vpc"}}},
                        "aws_subnet": {"a": {"tags": {"Name": "public-dev"}}, "b": {"tags": {"Name": "${var.n}"}},
                                       "c": {"tags": {"Team": "t"}}}}}
    signals = [s for s in check_config(cfg, Context(tmp_path, {"environment_suffix": "dev"}))
               if s["rule"] == "name-tag-suffix"]
    assert len(signals) == 1 and signals[0]["count"] == 1 and "aws_vpc.v Name='main-vpc'" in signals[0]["message"]
    assert classify("rules", signals[0])[0].severity == "Low"
    assert not [s for s in check_config(cfg, Context(tmp_path, {})) if s["rule"] == "name-tag-suffix"]


CONTRACT_RULES = {"config.backend-s3", "config.default-tags", "config.hard-coded-region", "config.environment-suffix"}


def test_contract_rules_judge_only_what_the_entry_passes(tmp_path: Path) -> None:
    """A task whose entry passes only environment_suffix (corpus Pr7789) cannot fault a stack for
    ignoring a state bucket, tags or a region it never receives; one that passes them can."""
    bare = {"provider": {"aws": [{"region": "eu-west-1"}]},
            "resource": {"aws_s3_bucket": {"b": {"bucket": "logs-prod"}}}}
    everything = set(rules_of(bare, tmp_path, region="us-east-1", suffix="dev"))
    assert CONTRACT_RULES <= everything
    assert not CONTRACT_RULES & set(rules_of(bare, tmp_path, passed={}))
    only_suffix = set(rules_of(bare, tmp_path, passed={"environment_suffix": "dev"}))
    assert only_suffix & CONTRACT_RULES == {"config.environment-suffix"}
    # region passed under another name (Pr6343 passes region=, Pr7354 primary_region=)
    for name in ("region", "primary_region"):
        assert "config.hard-coded-region" in rules_of(bare, tmp_path, passed={name: "us-east-1"})
    # a value only running the entry could tell (None) is not judged
    assert "config.hard-coded-region" not in rules_of(bare, tmp_path, passed={"aws_region": None})


def test_a_default_tags_block_without_tags_is_its_own_finding(tmp_path: Path) -> None:
    """A flat tag map given as the block (default_tags=[tags]) synthesizes as an empty block:
    every tag is dropped. Medium, and not the 'no default_tags' finding."""
    cfg = json.loads(json.dumps(GOOD))
    assert "config.default-tags-empty" not in rules_of(cfg, tmp_path)
    cfg["provider"]["aws"][0]["default_tags"] = [{}]
    got = rules_of(cfg, tmp_path)
    assert got.count("config.default-tags-empty") == 1 and "config.default-tags" not in got
