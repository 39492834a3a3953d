"""Agreement with human labels: MODEL_FAILURES.md parsed into items, compared with a run.

The corpus's failure analyses are written by hand and vary: severities appear as
``**Impact Level**: High``, ``**Severity**: 🔴 Critical - ...``, ``**Impact**: High - ...``, in a
heading (``## Issue 1: ... (CRITICAL)``) or only as the section an item sits in (``## High
Failures``). ``parse_failures`` reads items from ``###`` headings (or numbered ``##`` issue/bug
headings when a file has no ``###``) and takes the first severity it finds in that order; items
with none are kept, unlabeled, so coverage can be measured and stated.

``CATEGORIES`` is one table: a category the catalogue can map, the words that put a human item in
it, and the rule-id pattern that puts a harness finding in it. Per-category recall asks: of the
tasks whose humans name the category, in how many does the harness report it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from graders.catalogue import FAILURE_SEVERITIES

from ..bundles import Task
from ..results import Run

SEV_WORD = re.compile(r"\b(critical|high|medium|moderate|low|minor)\b", re.I)
NORMAL = {"critical": "Critical", "high": "High", "medium": "Medium", "moderate": "Medium", "low": "Low",
          "minor": "Low"}
FIELD = re.compile(r"^\s*[-*]?\s*\*\*(Impact Level|Severity|Impact|Priority)\*\*:?\s*(.*)$", re.I)

# (category, words in a human item, harness rule ids)
CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("import / class names", r"\bimport(?:s|ed|ing)?\b|class name|ImportError|module not found",
     r"^(?:import\.|static\.(?:provider-class-name|module-missing|toolchain-name))"),
    ("constructor contract", r"constructor|__init__|signature|tap\.py|positional argument|keyword argument",
     r"^(?:contract\.|static\.contract)"),
    ("struct typing", r"\bdicts?\b|\bdictionar|\bstructs?\b|deserializ|type mismatch|TypeError|\bboolean",
     r"^(?:jsii\.|static\.(?:struct-dict|struct-dict-dropped|unknown-argument)|"
     r"validate\.(?:wrong-type|missing-argument|unknown-argument))"),
    ("backend", r"backend|S3Backend|remote state", r"^config\.backend-s3$"),
    ("tags", r"\btag", r"^config\.default-tags$"),
    ("encoding", r"encoding", r"^lint\.unspecified-encoding$"),
    ("lint", r"lint|pylint|unused|line too long|formatting|import order", r"^lint\."),
    ("route53 / config", r"route ?53|A record|alias record", r"^config\.route53-address$"),
)


@dataclass
class HumanItem:
    task_id: str
    title: str
    severity: str | None
    how: str  # where the severity came from: field | heading | section | none
    text: str


def _severity(text: str) -> str | None:
    m = SEV_WORD.search(text)
    return NORMAL[m.group(1).lower()] if m else None


def parse_failures(task_id: str, markdown: str) -> list[HumanItem]:
    lines = markdown.splitlines()
    has_h3 = any(line.startswith("### ") for line in lines)
    item_heading = re.compile(r"^### " if has_h3 else r"^## (?:Issue|Bug|Failure|Problem)\b|^## \d+\.", re.I)
    items: list[HumanItem] = []
    section: str | None = None
    current: dict | None = None

    def close() -> None:
        if current is None:
            return
        body = "\n".join(current["body"])
        sev, how = None, "none"
        for line in current["body"]:
            m = FIELD.match(line)
            # the words before " - " or the first full stop: "High - blocks deploy", "CRITICAL."
            found = _severity(m.group(2).split(" - ")[0].split(".")[0][:40]) if m else None
            if found:
                sev, how = found, "field"
                break
        levels = "critical|high|medium|low"
        if sev is None and _severity(current["title"]) and re.search(rf"\(({levels})\)|^({levels})\b", current["title"], re.I):
            sev, how = _severity(current["title"]), "heading"
        if sev is None and current["section"]:
            sev, how = current["section"], "section"
        items.append(HumanItem(task_id, current["title"].strip("*# "), sev, how, body))

    for line in lines:
        if line.startswith("## ") and not item_heading.match(line):
            close()
            current = None
            heading = line[3:]
            section = _severity(heading) if re.search(r"failure|issue|fix|severity|impact|problem", heading, re.I) \
                else None
            continue
        if item_heading.match(line):
            close()
            current = {"title": re.sub(r"^#+\s*(\d+\.|[A-Z]\d+:)?\s*", "", line), "body": [], "section": section}
            continue
        if current is not None:
            current["body"].append(line)
    close()
    return [i for i in items if not re.match(r"(summary|overview|conclusion|lessons|recommendation)", i.title, re.I)]


def human_items(tasks: list[Task]) -> pd.DataFrame:
    rows = []
    for t in tasks:
        if t.failures_md is None or not t.failures_md.exists():
            continue
        for item in parse_failures(t.id, t.failures_md.read_text(encoding="utf-8")):
            cats = [c for c, words, _ in CATEGORIES if re.search(words, f"{item.title}\n{item.text}", re.I)]
            rows.append({"task_id": t.id, "title": item.title, "severity": item.severity, "how": item.how,
                         "categories": cats})
    return pd.DataFrame(rows, columns=["task_id", "title", "severity", "how", "categories"])


def coverage(items: pd.DataFrame, n_files: int) -> dict:
    labeled = items[items["severity"].notna()]
    return {"files": n_files, "files_with_items": items["task_id"].nunique(),
            "files_with_severities": labeled["task_id"].nunique(), "items": len(items),
            "items_with_severity": len(labeled),
            "by_source": labeled["how"].value_counts().to_dict()}


def _worst(sevs) -> str:
    present = [s for s in FAILURE_SEVERITIES if s in set(sevs)]
    return present[0] if present else "none"


def agreement(run: Run, tasks: list[Task], variant: str = "model") -> dict:
    items = human_items(tasks)
    v = run.variants[run.variants["variant"] == variant]
    f = run.findings[(run.findings["variant"] == variant) & run.findings["severity"].isin(FAILURE_SEVERITIES)]
    rows = []
    for task_id in sorted(set(items["task_id"]) & set(v["task_id"])):
        human = items[items["task_id"] == task_id]
        mine = f[f["task_id"] == task_id]
        row = {"task_id": task_id, "human_worst": _worst(human["severity"].dropna()),
               "harness_worst": _worst(mine["severity"].astype(str))}
        for cat, _, rules in CATEGORIES:
            row[f"human:{cat}"] = any(cat in c for c in human["categories"])
            row[f"harness:{cat}"] = bool(mine["rule_id"].str.contains(rules).any())
        rows.append(row)
    per_task = pd.DataFrame(rows)
    order = [*FAILURE_SEVERITIES, "none"]
    confusion = pd.crosstab(pd.Categorical(per_task["human_worst"], order),
                            pd.Categorical(per_task["harness_worst"], order), dropna=False,
                            rownames=["human"], colnames=["harness"])
    recall = []
    for cat, _, _ in CATEGORIES:
        named = per_task[per_task[f"human:{cat}"]]
        recall.append({"category": cat, "tasks_humans_name": len(named),
                       "harness_reports": int(named[f"harness:{cat}"].sum()),
                       "recall": round(named[f"harness:{cat}"].mean(), 2) if len(named) else None})
    agree = (per_task["human_worst"] == per_task["harness_worst"]) if len(per_task) else pd.Series(dtype=bool)
    return {"per_task": per_task, "confusion": confusion, "recall": pd.DataFrame(recall),
            "worst_agreement": (int(agree.sum()), len(per_task)), "coverage": coverage(items, len(tasks)),
            "items": items}
