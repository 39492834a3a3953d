"""A failure analysis in the expert's format, generated from a run: ``harness analyze RUN TASK``.

The structure follows ``shared/spec/reference-failure-analysis.md``: sections Critical / High /
Medium / Low, one numbered item per kind of failure (a catalogue rule: the same rule seen at
several places is one item listing them), each with its impact level, the MODEL_RESPONSE excerpt
with its line numbers in the response markdown, the IDEAL_RESPONSE excerpt where the IDEAL differs
at that place, root cause and fix from the catalogue, repairs as diffs, and the closing summary
line. Reproducible: it reads the run store and the task's markdown only, in a fixed order.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from graders.catalogue import FAILURE_SEVERITIES, rule_by_id

from ..bundles import Task
from ..extract import extract
from ..results import Run, load_run, tasks_of

HEADINGS = {"Critical": "Critical Failures", "High": "High Severity Failures",
            "Medium": "Medium Severity Failures", "Low": "Low Severity Failures"}
MAX_PLACES = 3  # excerpts shown per item; the rest are listed by line
TITLES = {"model": "Model Response", "ideal": "IDEAL Response", "reference": "Reference Code"}


def find_task(run: Run, task_id: str, task_paths: list[Path] | None = None) -> Task:
    for t in tasks_of(run, task_paths):
        if t.id == task_id:
            return t
    graded = sorted(set(run.variants["task_id"]))
    if task_id not in graded:
        near = [t for t in graded if t.lower() == task_id.lower()] or difflib.get_close_matches(task_id, graded, 3)
        hint = f"did you mean {', '.join(near)}?" if near else (
            f"it graded {', '.join(graded[:12])}" + (f" and {len(graded) - 12} more" if len(graded) > 12 else ""))
        raise LookupError(f"the run has no task {task_id}: {hint}")
    paths = task_paths or run.meta.get("args", {}).get("paths", [])
    raise LookupError(f"task {task_id} is not among the run's task paths ({', '.join(map(str, paths))}); "
                      "pass --tasks PATH")


def _excerpt(lines: list[str], start: int, end: int) -> str:
    """Lines start..end (1-based, inclusive) of a markdown file, numbered."""
    start, end = max(1, start), min(len(lines), end)
    return "\n".join(f"{n:>4}| {lines[n - 1]}" for n in range(start, end + 1))


@functools.lru_cache(maxsize=64)
def _files(markdown: Path) -> dict:
    """The files a response markdown yields (parsed once per report, not once per finding)."""
    return extract(markdown.read_text(encoding="utf-8")).files


def _ideal_fix(model_task: Task, variant: str, file: str | None, line: int | None) -> str | None:
    """The IDEAL's lines that replace the model's at (file, line), numbered in the IDEAL markdown;
    None when the IDEAL has no such file or the same code there."""
    if not file or not line or "ideal" not in model_task.responses or variant == "ideal":
        return None
    model = _files(model_task.responses[variant]).get(file)
    ideal = _files(model_task.responses["ideal"]).get(file)
    if model is None or ideal is None:
        return None
    a, b = model.text.splitlines(), ideal.text.splitlines()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if i1 <= line - 1 < max(i2, i1 + 1):
            if tag == "equal":
                return None
            j1, j2 = max(0, j1 - 1), min(len(b), max(j2, j1 + 1) + 1)
            return "\n".join(f"{ideal.md_line + j:>4}| {b[j]}" for j in range(j1, j2))
    return None


def _construct_line(md: list[str], evidence) -> int | None:
    """For a finding on the synthesized config: the markdown line naming its construct id (the
    last part of the construct path, or a provider alias), quoted as the code writes it."""
    construct = (evidence or {}).get("construct") if isinstance(evidence, dict) else None
    if not construct:
        return None
    name = re.split(r"[/.]", str(construct))[-1]
    pattern = re.compile(rf"""["']{re.escape(name)}["']""")
    return next((i for i, line in enumerate(md, 1) if pattern.search(line)), None)


def _suggested_in_ideal(ideal_md: list[str], message: str) -> str | None:
    """Where the finding suggests a name (``did you mean `X`?``), the IDEAL's first use of it."""
    m = re.search(r"did you mean `([^`]+)`", message)
    if not m:
        return None
    name = re.escape(m.group(1).split(".")[-1])
    hit = next((i for i, line in enumerate(ideal_md, 1) if re.search(rf"\b{name}\b", line)), None)
    return None if hit is None else _excerpt(ideal_md, hit - 1, hit + 1)


@dataclass(frozen=True)
class _Texts:
    """What the items of one variant's analysis quote: its markdown and the IDEAL's, as lines."""

    task: Task
    variant: str
    md: list[str]  # the variant's markdown (empty for the reference variant: code, not markdown)
    ideal_md: list[str]  # the IDEAL_RESPONSE (empty when the task has none)


def analyze(run: Run, task: Task, variant: str = "model") -> str:
    """The analysis of one variant: header, a section per failure severity with one numbered item
    per rule, and the summary line."""
    f, vrow = _findings_of(run, task, variant)
    texts = _texts(task, variant)
    repairs: list = vrow.get("repairs") if isinstance(vrow.get("repairs"), list) else []  # type: ignore[assignment]
    out = [f"# {TITLES.get(variant, variant.capitalize() + ' Response')} Failures Analysis - Task {task.id}", "",
           f"Generated by tapgrade from run `{run.meta.get('run_id')}` ({variant} variant). Every item is a "
           "catalogue rule the harness found; severities come from `graders/catalogue.py`.", ""]
    n = 0
    totals = {}
    for sev in FAILURE_SEVERITIES:
        group = f[f["severity"] == sev]
        order = group.groupby("rule_id", sort=False)["md_line"].min().sort_values(na_position="last").index
        totals[sev] = len(order)
        if not len(order):
            continue
        out += [f"## {HEADINGS[sev]}", ""]
        for rule_id in order:
            n += 1
            out += _item(n, sev, rule_id, group[group["rule_id"] == rule_id], texts, repairs)
    if texts.ideal_md and n == 0:
        out += ["No failures found.", ""]
    out += ["## Summary", "",
            "- **Total failures**: " + ", ".join(f"{totals[s]} {s}" for s in FAILURE_SEVERITIES),
            f"- **Verdict**: {vrow['verdict']}", ""]
    return "\n".join(out)


def _findings_of(run: Run, task: Task, variant: str) -> tuple[pd.DataFrame, pd.Series]:
    """The variant's failure findings and its variant row (LookupError when the run lacks it)."""
    f = run.findings
    f = f[(f["task_id"] == task.id) & (f["variant"] == variant) & f["severity"].isin(FAILURE_SEVERITIES)]
    rows = run.variants[(run.variants["task_id"] == task.id) & (run.variants["variant"] == variant)]
    if not len(rows):
        raise LookupError(f"the run holds no {variant} variant of {task.id}")
    return f, rows.iloc[0]


def _texts(task: Task, variant: str) -> _Texts:
    # the reference variant is code, not markdown: its items carry file and line, no excerpt
    md = task.responses[variant].read_text(encoding="utf-8").splitlines() if variant in task.responses else []
    ideal_md = task.responses["ideal"].read_text(encoding="utf-8").splitlines() if "ideal" in task.responses else []
    return _Texts(task, variant, md, ideal_md)


def _source(texts: _Texts) -> str:
    """The file a variant's excerpts come from (MODEL_RESPONSE.md, IDEAL_RESPONSE.md, ...)."""
    path = texts.task.responses.get(texts.variant)
    return path.name if path is not None else "reference/"


def _item(n: int, sev: str, rule_id: str, found: pd.DataFrame, texts: _Texts, repairs: list) -> list[str]:
    """Item ``n``: one rule, the places it was found (the first MAX_PLACES quoted, the rest listed),
    root cause, fix, and the one-pass repairs of that rule as diffs."""
    rule = rule_by_id(rule_id)
    items = found.sort_values(["md_line", "message"], na_position="last")
    out = [f"### {n}. {rule.title}", "", f"**Impact Level**: {sev}", "",
           f"**Stage**: {', '.join(dict.fromkeys(s for src in items['sources'] for s in (src or [])))}"
           f" (rule `{rule_id}`)", ""]
    out += [f"**{_source(texts).removesuffix('.md')} Issue**:", ""]
    for _, row in items.head(MAX_PLACES).iterrows():
        out += _place(row, texts)
    if len(items) > MAX_PLACES:
        rest = items.iloc[MAX_PLACES:]
        out += [f"- and {len(rest)} more: " + "; ".join(
            (f"line {int(r.md_line)}" if pd.notna(r.md_line) else r.message[:80]) for r in rest.itertuples()), ""]
    out += [f"**Root Cause**: {rule.root_cause}", "", f"**Fix**: {rule.fix_hint}", ""]
    for rep in repairs:
        if rep.get("rule_id") == rule_id:
            out += [f"**Repair applied in one pass** ({rep['id']}): {rep['description']}", "",
                    "```diff", rep["diff"].rstrip(), "```", ""]
    return out


def _place(row: pd.Series, texts: _Texts) -> list[str]:
    """One place of a finding: its message, the MODEL_RESPONSE excerpt and the IDEAL's fix there."""
    out = [f"- {row['message']}" + (f" (after repairs {', '.join(row['depends_on'])})"
                                    if isinstance(row["depends_on"], list) and row["depends_on"] else "")]
    ln = int(row["md_line"]) if pd.notna(row["md_line"]) else _construct_line(texts.md, row.get("evidence"))
    if ln:
        out += ["", f"  {_source(texts)} line {ln}:", "", "```", _excerpt(texts.md, ln - 1, ln + 1), "```"]
        fix = _fix(row, texts) if texts.variant != "ideal" else None  # the IDEAL is not its own fix
        if fix:
            out += ["", "  **IDEAL_RESPONSE Fix** (IDEAL_RESPONSE.md):", "", "```", fix, "```"]
    out.append("")
    return out


def _fix(row: pd.Series, texts: _Texts) -> str | None:
    """The IDEAL's lines for a finding, first found of: the IDEAL's line naming the same construct
    (a finding on the synthesized config), the IDEAL's use of a name the finding suggests, the
    IDEAL's lines replacing the model's at the finding's file and line."""
    ideal_md = texts.ideal_md
    at = None if pd.notna(row["md_line"]) else _construct_line(ideal_md, row.get("evidence"))
    return (_excerpt(ideal_md, at - 2, at + 3) if at else None) or \
        _suggested_in_ideal(ideal_md, row["message"]) or _ideal_fix(
        texts.task, texts.variant, row["file"] if isinstance(row["file"], str) else None,
        int(row["line"]) if pd.notna(row["line"]) else None)


def analyze_path(run_dir: Path, task_id: str, variant: str = "model", task_paths: list[Path] | None = None) -> str:
    run = load_run(run_dir)
    return analyze(run, find_task(run, task_id, task_paths), variant)
