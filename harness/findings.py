"""From stage outcomes to findings: each signal classified by the catalogue and placed in the
response's markdown, then static and execution evidence of one defect merged into one row.

Pure functions over saved signals: grading and ``harness rescore`` (re-classifying an old run
with today's catalogue) call the same code.
"""

from __future__ import annotations

from graders.classify import after_stub, classify_defect
from graders.edits import stubs_names

from .records import Finding, RepairRecord, StageOutcome


def findings_for(outcomes: list[StageOutcome], file_md_lines: dict[str, int],
                 depends_on: list[str] | None = None, stubs: list[str] | None = None) -> list[Finding]:
    """Classified findings of some outcomes (one round), unmerged. Pure: reads saved signals only,
    so ``harness rescore`` can call it on an old run. ``stubs``: the stub repairs made before."""
    findings = []
    for o in outcomes:
        for sig in o.signals:
            rule, message, defect = classify_defect(o.stage, sig)
            rule, message = after_stub(rule, message, stubs or [])
            frames = sig.get("frames") or []
            file, line = (frames[-1]["file"], frames[-1]["line"]) if frames else (sig.get("file"), sig.get("line"))
            # the entry point belongs to the task: a response's own entry file is never run, so a
            # frame in it has no place in the response's markdown (file_md_lines leaves it out)
            start = file_md_lines.get(file or "")
            md_line = sig.get("md_line") or (start + line - 1 if start is not None and line else None)
            findings.append(Finding(o.stage, rule.id, rule.severity, rule.title, message, file, line, md_line,
                                    rule.root_cause, rule.fix_hint, sig, defect, [o.stage], o.round,
                                    list(depends_on or [])))
    return findings


def findings_of(outcomes: list[StageOutcome], file_md_lines: dict[str, int],
                repairs: list[RepairRecord]) -> list[Finding]:
    """Classified findings of outcomes of any rounds, unmerged, in outcome order: each depends on
    the repairs made up to its round (a finding of round n was found after repairs R1..Rn).
    Grading adds them round by round (``onepass.Rounds``); ``rescore`` rebuilds them at once."""
    return [f for o in outcomes
            for f in findings_for([o], file_md_lines, [r["id"] for r in repairs if r["round"] <= o.round],
                                  [r["id"] for r in repairs if r["round"] <= o.round
                                   and stubs_names(r["kind"], r["description"])])]


def merge_findings(findings: list[Finding]) -> list[Finding]:
    """One row per defect: static and execution evidence of the same defect become one finding,
    in the place of the defect's first finding."""
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        if f.defect is not None:
            groups.setdefault(f.defect, []).append(f)
    merged: list[Finding] = []
    for f in findings:
        if f.defect is None:
            merged.append(f)
        elif groups[f.defect][0] is f:
            group = groups[f.defect]
            merged.append(f if len(group) == 1 else _merge_group(group))
    return merged


def _merge_group(group: list[Finding]) -> Finding:
    """The execution finding leads (it is what the reference pipeline would have seen); it keeps
    both evidences, and it no longer depends on repairs when the static stage saw the defect in
    the response as written."""
    static = [g for g in group if g.stage == "static"]
    executed = [g for g in group if g.stage != "static"]
    lead = min(executed, key=lambda g: g.round) if executed else static[0]
    lead.evidence = {"static": [g.evidence for g in static], "exec": [g.evidence for g in executed]}
    lead.sources = list(dict.fromkeys(g.stage for g in group))
    if static:
        lead.depends_on = []
        if lead.md_line is None:  # the failure surfaced outside the response (e.g. in tap.py)
            placed = next((g for g in static if g.md_line is not None), None)
            if placed is not None:
                lead.file, lead.line, lead.md_line = placed.file, placed.line, placed.md_line
    return lead
