"""Config rules over synthesized Terraform JSON (pure: JSON in, signals out)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from graders.classify import classify
from graders.config_rules import check_config

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


def rules_of(config: dict, root: Path) -> list[str]:
    return [classify("rules", s)[0].id for s in check_config(config, root)]


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
