"""Item-level agreement (issue 17) on label files and findings written here: recall, false alarms,
severity agreement and per-category recall are computed, and bad label files say what is wrong."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from harness.reports.agreement import score
from harness.reports.labels import LabelError, load_labels

ITEMS = """task,item,title,human_severity,verdict,judged_severity,category,rule,text,why
T1,1,wrong class name,Critical,offline,Critical,provider-name,static\\.provider-class-name,S3BucketVersioning,no such class
T1,2,constructor misses kwargs,Critical,offline,Critical,contract,contract\\..*,,init lacks state_bucket
T1,3,unit tests missing,High,not-defect,,tests-docs,,,about tests only
T1,4,no WAF as asked,High,prompt,High,requirement,reference\\.missing-.*,wafv2,the prompt asks for WAF
T2,1,missing zip,Critical,offline,High,packaging,validate\\.missing-file,,lambda zip never built
"""
EXTRA = """task,rule,text,judged_severity,why
T2,config\\.default-tags,,High,provider built without default tags
"""


def _findings(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame([{"task_id": t, "variant": "model", "stage": r.split(".")[0], "rule_id": r, "severity": s,
                          "message": m, "file": None, "line": None} for t, r, s, m in rows])


def _labels(tmp_path: Path, items: str = ITEMS, extra: str = EXTRA):
    (tmp_path / "l.csv").write_text(items, encoding="utf-8")
    (tmp_path / "l-extra.csv").write_text(extra, encoding="utf-8")
    return load_labels(tmp_path / "l.csv")


def test_recall_precision_and_severity_agreement(tmp_path: Path) -> None:
    found = _findings([
        ("T1", "static.provider-class-name", "Critical", "cannot import S3BucketVersioning from m"),
        ("T1", "lint.unused-import", "Low", "unused import os"),
        ("T1", "jsii.error", "Critical", "something nobody labelled"),  # a false alarm
        ("T2", "validate.missing-file", "Critical", "no such file lambda.zip"),
        ("T2", "config.default-tags", "High", "no default tags"),  # explained by the extra list
        ("T3", "jsii.error", "Critical", "a task nobody labelled: not scored"),
    ])
    res = score(found, {"T1", "T2", "T3"}, _labels(tmp_path))
    assert res.tasks == ["T1", "T2"] and res.unscored == []
    assert res.recall(("offline",)) == (2, 3)  # the contract item is missed
    assert res.recall() == (2, 4)  # the prompt item counts among all real items
    assert res.high_findings == 4 and list(res.false_alarms.rule_id) == ["jsii.error"]
    assert res.severity_agreement() == (1, 2, 2)  # T2's Critical vs a judged High: within one
    cat = res.per_category()
    assert cat.loc["provider-name", "recall"] == 1.0 and cat.loc["contract", "recall"] == 0.0
    assert "tests-docs" not in cat.index  # not-defect items are not recall items


def test_the_judged_stages_precision_counts_what_labels_explain(tmp_path: Path) -> None:
    found = _findings([
        ("T1", "reference.missing-control", "High", "the reference creates 1 aws_wafv2_web_acl, the response none"),
        ("T1", "reference.difference", "Info", "the reference creates 2 aws_iam_role, the response 1"),
        ("T2", "aws.api-length", "High", "aws_lb.a.name: 'x' is 40 characters"),
    ])
    found["stage"] = ["reference", "reference", "deploy-rules"]
    res = score(found, {"T1", "T2"}, _labels(tmp_path))
    late = res.judged_stages
    assert sorted(zip(late.stage, late.explained)) == [("deploy-rules", False), ("reference", True)]  # Info not counted
    assert res.recall(("prompt",)) == (1, 1)


def test_info_findings_do_not_detect(tmp_path: Path) -> None:
    found = _findings([("T2", "validate.missing-file", "Info", "no such file")])
    assert score(found, {"T2"}, _labels(tmp_path)).recall(("offline",)) == (0, 1)


def test_a_bad_label_file_names_its_row(tmp_path: Path) -> None:
    with pytest.raises(LabelError, match=r"row 2: verdict 'maybe'"):
        _labels(tmp_path, ITEMS.replace("T1,1,wrong class name,Critical,offline", "T1,1,wrong class name,Critical,maybe"))
    with pytest.raises(LabelError, match=r"rule '\(' is not a regular expression"):
        _labels(tmp_path, ITEMS.replace("contract\\..*", "("))
    with pytest.raises(LabelError, match="missing column"):
        _labels(tmp_path, "task,item\nT1,1\n")
