"""Repair-and-continue: every blocking failure of a response in one run.

A pipeline that stops at the first exception shows one Critical failure per run; the reference
analysis needed "multiple fix iterations" for three. After round 0 (the response as written),
when an execution stage fails with a finding whose catalogue rule names a mechanical repair (or
extraction found no module the task's entry imports, and the response has an app of its own), the
repair is applied to the variant's workspace copy (never to the response) and the execution
stages run again, up to ``MAX_ROUNDS`` times. Findings of round n are marked with the repairs
they depend on; each repair is kept as a unified diff. Static and execution evidence of the same
defect are merged into one finding at the end.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path

from graders.catalogue import rule_by_id
from graders.repairs import REPAIRS

from .contract import entry_stack_modules
from .grade import Finding, Prepared, StageOutcome, findings_for, md_lines, merge_findings
from .tapgrade_stages import CHAIN

MAX_ROUNDS = 4


def _diff(path: str, old: str, new: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        f"a/{path}", f"b/{path}"))


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def _blocking(prep: Prepared, current: list[StageOutcome], findings: list[Finding], rnd: int) -> Finding | None:
    """The finding the next repair starts from: in round 1 an extraction that found no stack module
    (its repair runs the response's own app), else the failed execution stage's first finding."""
    if rnd == 1 and prep.extract_outcome.status == "fail":
        return next((f for f in findings if f.stage == "extract" and rule_by_id(f.rule_id).repair), None)
    failed = next((o for o in current if o.stage in CHAIN and o.status == "fail"), None)
    if failed is None:
        return None
    return next((f for f in findings if f.round == rnd - 1 and f.stage == failed.stage), None)


def continue_with_repairs(prep: Prepared, first: list[StageOutcome],
                          run_round: Callable[[dict, int], list[StageOutcome]],
                          post_synth: Callable[[list[StageOutcome]], list[StageOutcome]],
                          max_rounds: int = MAX_ROUNDS,
                          deferred: Callable[[], list[StageOutcome]] | None = None,
                          ) -> tuple[list[StageOutcome], list[Finding], list[dict]]:
    """All rounds' outcomes, the merged findings, and the repairs applied (with diffs).

    ``post_synth`` runs the stages after synth on the chosen synthesized stack. ``deferred``:
    round-0 outcomes still being produced (a warm worker's lint, engine.Slot.first_round), only
    when no execution stage failed, so no repair round follows; they are collected after
    ``post_synth`` ran and take the place they would have had in ``first``."""
    late_outcomes = None
    if deferred is not None:
        assert prep.extract_outcome.status != "fail" and not any(o.stage in CHAIN and o.status == "fail" for o in first), \
            "repairs would rewrite linted files"
        late_outcomes = post_synth([prep.extract_outcome, *first])  # post_synth reads only synth outcomes
        first = [*first, *deferred()]
    outcomes = [prep.extract_outcome, *first]
    lines = md_lines(prep)
    findings = findings_for(outcomes, lines)
    repairs: list[dict] = []
    current = first
    root = prep.workspace.root
    files = {p: (root / p).read_text(encoding="utf-8") for p in prep.workspace.files
             if p.endswith(".py") and (root / p).is_file()}
    response = {p: f.text for p, f in prep.extraction.files.items() if p.endswith(".py")}
    request = prep.request
    for rnd in range(1, max_rounds + 1):
        lead = _blocking(prep, current, findings, rnd)
        rule = rule_by_id(lead.rule_id) if lead else None
        if request is None or lead is None or rule is None or rule.repair is None:
            break
        evidence = [lead.evidence] + [f.evidence for f in findings
                                      if f.stage == "static" and f.defect is not None and f.defect == lead.defect]
        repair = REPAIRS[rule.repair](evidence, files, response)
        if repair is None:
            break
        repair_id = f"R{rnd}"
        before = {p: files[p] if p in files else _read(root / p) for p in repair.files}
        diff = "".join(_diff(p, before[p], t) for p, t in sorted(repair.files.items()))
        for p, text in repair.files.items():
            (root / p).parent.mkdir(parents=True, exist_ok=True)
            (root / p).write_text(text, encoding="utf-8")
            files[p] = text
        repairs.append({"id": repair_id, "round": rnd, "kind": repair.kind, "rule_id": lead.rule_id,
                        "defect": lead.defect, "description": repair.description, "diff": diff})
        with (prep.log_dir / "repairs.log").open("a", encoding="utf-8") as log:
            log.write(f"{repair_id} ({lead.rule_id}): {repair.description}\n{diff}\n")
        request = {**request, "stages": list(CHAIN), "blocked": None}
        if repair.entry is not None:  # from now on the response's own app runs, with its own imports
            request.update(entry=repair.entry, stack_modules=entry_stack_modules(files[repair.entry]),
                           contract_call=None)
        current = run_round(request, rnd)
        outcomes += current
        findings += findings_for(current, lines, [r["id"] for r in repairs])
    if late_outcomes is None:
        late_outcomes = post_synth(outcomes)
    for late in late_outcomes:  # validate, plan, rules, checkov, deploy (harness/plan/)
        outcomes.append(late)
        findings += findings_for([late], lines, [r["id"] for r in repairs if r["round"] <= late.round])
    return outcomes, merge_findings(findings), repairs
