"""Item-level agreement of a run with adjudicated labels (``labels.py``).

Recall: of the real items (and of the offline-detectable ones), how many a finding of the
response detects (a failure severity, any round: a defect found after a repair is still the
response's). Precision of the harness's Critical/High findings: a finding that no real item and no
reviewed extra defect explains is a false alarm; stated per 20 tasks, as the issue's target reads.
Severity agreement on the detected items: exact, and within one level.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from graders.catalogue import FAILURE_SEVERITIES, SEVERITIES

from .labels import REAL, Labels, matches


@dataclass
class ItemAgreement:
    items: pd.DataFrame  # one row per label item, with detected / harness_severity / exact / within_one
    false_alarms: pd.DataFrame  # Critical/High findings nothing explains
    high_findings: int  # Critical/High findings on the scored tasks
    tasks: list[str]  # labelled tasks the run graded
    unscored: list[str]  # labelled tasks the run did not grade
    # Medium-or-worse findings of the stages that judge against the prompt and the AWS API, and
    # whether a real item or a reviewed extra explains each (their precision)
    judged_stages: pd.DataFrame

    def recall(self, verdicts: tuple[str, ...] = REAL) -> tuple[int, int]:
        real = self.items[self.items.verdict.isin(verdicts)]
        return int(real.detected.sum()), len(real)

    def severity_agreement(self) -> tuple[int, int, int]:
        """(exact, within one level, items judged and detected)."""
        judged = self.items[self.items.detected & (self.items.judged_severity != "")]
        return int(judged.exact.sum()), int(judged.within_one.sum()), len(judged)

    def per_category(self) -> pd.DataFrame:
        real = self.items[self.items.verdict.isin(REAL)]
        out = real.groupby("category").agg(items=("detected", "size"), detected=("detected", "sum"))
        out["recall"] = (out.detected / out["items"]).round(2)
        return out.sort_values("items", ascending=False)


JUDGED_STAGES = ("deploy-rules", "reference")


def _worst(severities: list[str]) -> str | None:
    return min(severities, key=SEVERITIES.index) if severities else None


def _detect(items: pd.DataFrame, findings: pd.DataFrame) -> pd.DataFrame:
    by_task = {t: f for t, f in findings.groupby("task_id")}
    rows = []
    for _, item in items.iterrows():
        f = by_task.get(item.task, findings.iloc[0:0])
        hits = [r.severity for r in f.itertuples() if r.severity in FAILURE_SEVERITIES
                and matches(item.rule, item.text, r.rule_id, r.message)]
        sev = _worst(hits)
        gap = (abs(SEVERITIES.index(sev) - SEVERITIES.index(item.judged_severity))
               if sev and item.judged_severity in SEVERITIES else None)
        rows.append({"detected": bool(hits), "harness_severity": sev or "", "exact": gap == 0,
                     "within_one": gap is not None and gap <= 1})
    return pd.concat([items.reset_index(drop=True), pd.DataFrame(rows, columns=[
        "detected", "harness_severity", "exact", "within_one"])], axis=1)


def _explained(row, items: pd.DataFrame, extra: pd.DataFrame) -> bool:
    real = items[(items.task == row.task_id) & items.verdict.isin(REAL)]
    known = [*zip(real.rule, real.text), *zip(extra[extra.task == row.task_id].rule, extra[extra.task == row.task_id].text)]
    return any(matches(rule, text, row.rule_id, row.message) for rule, text in known)


def score(findings: pd.DataFrame, graded_tasks: set[str], labels: Labels, variant: str = "model") -> ItemAgreement:
    """Agreement of one variant's findings (a run's ``findings`` frame) with the labels, on the
    labelled tasks the run graded."""
    tasks = [t for t in labels.tasks if t in graded_tasks]
    f = findings[(findings.variant == variant) & findings.task_id.isin(tasks)]
    items = _detect(labels.items[labels.items.task.isin(tasks)], f)
    high = f[f.severity.isin(("Critical", "High"))]
    alarms = high.loc[pd.Series([not _explained(r, labels.items, labels.extra) for r in high.itertuples()],
                                index=high.index, dtype=bool)]
    late = f[f.stage.isin(JUDGED_STAGES) & f.severity.isin(("Critical", "High", "Medium"))]
    late = late.assign(explained=[_explained(r, labels.items, labels.extra) for r in late.itertuples()])
    return ItemAgreement(items, alarms[["task_id", "rule_id", "severity", "message", "file", "line"]].reset_index(drop=True),
                         len(high), tasks, [t for t in labels.tasks if t not in graded_tasks],
                         late[["task_id", "stage", "rule_id", "severity", "message", "explained"]].reset_index(drop=True))


def print_agreement(res: ItemAgreement, console) -> None:
    """The agreement as the CLI prints it: every figure computed above, none typed in."""
    def ratio(a: int, n: int) -> str:
        return f"{a} of {n}" + (f" ({a / n:.2f})" if n else "")

    console.print(f"tasks scored: {len(res.tasks)}" + (f"; labelled but not in this run: {', '.join(res.unscored)}"
                                                        if res.unscored else ""))
    console.print(f"recall, offline-detectable items: {ratio(*res.recall(('offline',)))}")
    console.print(f"recall, all real items (prompt and deploy included): {ratio(*res.recall())}")
    for verdict in ("prompt", "deploy"):
        console.print(f"  {verdict} items detected: {ratio(*res.recall((verdict,)))}")
    alarms, n_tasks = len(res.false_alarms), len(res.tasks)
    console.print(f"Critical/High findings: {res.high_findings}; false alarms (no real item or reviewed extra "
                  f"defect explains them): {alarms}" + (f", {alarms / n_tasks * 20:.1f} per 20 tasks" if n_tasks else ""))
    late = res.judged_stages
    for stage in JUDGED_STAGES:
        mine = late[late.stage == stage]
        console.print(f"{stage} findings Medium or worse: {ratio(int(mine.explained.sum()), len(mine))} explained "
                      "by a real item or a reviewed extra")
    exact, within, judged = res.severity_agreement()
    console.print(f"severity agreement on detected items: exact {ratio(exact, judged)}, within one level "
                  f"{ratio(within, judged)}")
    console.print(res.per_category().to_markdown())
    if alarms:
        console.print("false alarms:")
        for r in res.false_alarms.itertuples():
            console.print(f"  {r.task_id} {r.rule_id} ({r.severity}): {str(r.message)[:140]}")
    unexplained = late[~late.explained]
    if len(unexplained):
        console.print("deploy-rules/reference findings Medium or worse that nothing explains:")
        for r in unexplained.itertuples():
            console.print(f"  {r.task_id} {r.rule_id} ({r.severity}): {str(r.message)[:160]}")
    missed = res.items[(res.items.verdict == "offline") & ~res.items.detected]
    if len(missed):
        console.print("offline items not detected:")
        for r in missed.itertuples():
            console.print(f"  {r.task} #{r.item} [{r.category}] {r.title}")
