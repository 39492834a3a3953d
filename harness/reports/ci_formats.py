"""A run as the files CI systems read: SARIF 2.1.0 (code scanning) and JUnit XML (test reports).

``harness export RUN --format sarif|junit``. SARIF puts each finding on the line of the response
markdown that holds the code it is about (``md_line``), so code scanning annotates the response a
model wrote, not a workspace file that exists only inside the grader; its ``ruleId`` is the
catalogue's rule, with the catalogue's title, root cause and fix as the rule's descriptions.
JUnit has one test case per task x variant (classname = task, name = variant): a variant fails when
its verdict is fail (a Critical or High finding, or no synthesized stack), errors when the harness
could not grade it (infra error), is skipped when the response has no code; every finding is in
its output.
Both are written through maintained libraries' models (json for SARIF, ``junitparser`` for JUnit)
and read nothing but ``load_run``'s frames and the task bundles.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd

from graders.catalogue import SEVERITIES, rule_by_id

from .. import __version__
from ..bundles import Task
from ..results import Run
from .compare import POSITION

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
# Code scanning's three levels: what blocks a merge, what should be looked at, what is advice.
SARIF_LEVEL = {"Critical": "error", "High": "error", "Medium": "warning", "Low": "note", "Info": "note"}
BLOCKING = ("Critical", "High")


def _rule(rule_id: str, stage: str, severity: str, title: str) -> dict[str, Any]:
    """The rule's entry in the driver: the catalogue's words where it knows the rule."""
    try:
        r = rule_by_id(rule_id)
        texts = {"shortDescription": {"text": r.title}, "fullDescription": {"text": r.root_cause},
                 "help": {"text": r.fix_hint}}
    except KeyError:
        texts = {"shortDescription": {"text": title or rule_id}}
    return {"id": rule_id, **texts, "defaultConfiguration": {"level": SARIF_LEVEL.get(severity, "note")},
            "properties": {"stage": stage, "severity": severity}}


def _uri(path: Path, root: Path) -> tuple[str, str | None]:
    """The response file relative to ``root`` (what code scanning resolves against the checkout),
    or its absolute file URI when it lies elsewhere."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix(), "SRCROOT"
    except ValueError:
        return path.resolve().as_uri(), None


def to_sarif(run: Run, tasks: dict[str, Task], root: Path) -> dict[str, Any]:
    """One SARIF run holding every finding of ``run``, located in the response markdown."""
    f = run.findings
    rules: dict[str, dict] = {}
    results = []
    for r in f.itertuples():
        sev = str(r.severity)
        if r.rule_id not in rules or SEVERITIES.index(sev) < SEVERITIES.index(rules[r.rule_id]["properties"]["severity"]):
            rules[r.rule_id] = _rule(r.rule_id, r.stage, sev, r.title if isinstance(r.title, str) else "")
        result: dict[str, Any] = {
            "ruleId": r.rule_id, "level": SARIF_LEVEL.get(sev, "note"), "message": {"text": str(r.message)},
            # What compare calls the same finding: moved code keeps its fingerprint.
            "partialFingerprints": {"tapgradeFinding/v1": hashlib.sha256(
                "\x1f".join([r.task_id, r.variant, r.stage, r.rule_id, POSITION.sub("#", str(r.message))])
                .encode()).hexdigest()},
            "properties": {"task_id": r.task_id, "variant": r.variant, "stage": r.stage, "severity": sev,
                           "workspace_file": r.file if isinstance(r.file, str) else None,
                           "workspace_line": None if pd.isna(r.line) else int(r.line)}}
        task = tasks.get(r.task_id)
        md = task.responses.get(r.variant) if task else None
        if md is not None:
            uri, base = _uri(md, root)
            loc: dict[str, Any] = {"artifactLocation": {"uri": uri, **({"uriBaseId": base} if base else {})}}
            if not pd.isna(r.md_line) and int(r.md_line) >= 1:
                loc["region"] = {"startLine": int(r.md_line)}
            result["locations"] = [{"physicalLocation": loc}]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA, "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "tapgrade", "version": __version__, "rules": list(rules.values())}},
            "automationDetails": {"id": f"tapgrade/{run.meta.get('run_id', '')}"},
            "originalUriBaseIds": {"SRCROOT": {"uri": root.resolve().as_uri() + "/"}},
            "results": results,
        }],
    }


def to_junit(run: Run, dest: Path) -> Path:
    """One test case per task x variant in one suite named for the run; written to ``dest``."""
    from junitparser import Error, Failure, JUnitXml, Skipped, TestCase, TestSuite

    suite = TestSuite(f"tapgrade {run.meta.get('run_id', '')}")
    f, o = run.findings, run.outcomes
    durations = o.groupby(["task_id", "variant"])["duration_s"].sum() if len(o) else pd.Series(dtype=float)
    for v in run.variants.sort_values(["task_id", "variant"]).itertuples():
        ff = f[(f.task_id == v.task_id) & (f.variant == v.variant)].sort_values("severity")
        case = TestCase(v.variant, classname=v.task_id, time=float(durations.get((v.task_id, v.variant), 0.0)))
        lines = [f"{s} [{x.stage}] {x.rule_id}: {x.message}"
                 + (f" (response line {int(x.md_line)})" if not pd.isna(x.md_line) else "")
                 for x, s in zip(ff.itertuples(), ff.severity.astype(str))]
        blocking = ff[ff.severity.isin(BLOCKING)]
        if v.verdict == "infra-error":  # the environment's fault, not the response's
            case.result = [Error("not graded: the environment kept a stage from judging", "infra-error")]
        elif v.verdict == "no-code":
            case.result = [Skipped("the response holds no code")]
        elif v.verdict == "fail":
            first = blocking.iloc[0] if len(blocking) else None
            case.result = [Failure(f"{len(blocking)} Critical/High finding(s); first: {first.rule_id}: "
                                   f"{str(first.message)[:200]}" if first is not None else "the stack did not synthesize",
                                   str(first.severity) if first is not None else "fail")]
        case.system_out = "\n".join(lines) if lines else "no findings"
        suite.add_testcase(case)
    xml = JUnitXml()
    xml.add_testsuite(suite)
    xml.write(str(dest), pretty=True)
    return dest
