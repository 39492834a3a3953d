"""Repair-and-continue: every blocking failure of a response in one run.

A pipeline that stops at the first exception shows one Critical failure per run; the reference
analysis needed "multiple fix iterations" for three. After round 0 (the response as written),
when an execution stage fails with a finding whose catalogue rule names a mechanical repair (or
extraction found no module the task's entry imports, and the response has an app of its own), the
repair is applied to the variant's workspace copy (never to the response) and the execution
stages run again, up to ``MAX_ROUNDS`` times. Findings of round n are marked with the repairs
they depend on; each repair is kept as a unified diff. (Static and execution evidence of the same
defect are merged into one finding at the end: ``findings.merge_findings``.)
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from graders.catalogue import rule_by_id
from graders.repairs import REPAIRS, Repair

from .contract import entry_stack_modules
from .findings import findings_of
from .prepare import Prepared, md_lines
from .records import Finding, RepairRecord, StageOutcome
from .worker.tapgrade_stages import CHAIN

MAX_ROUNDS = 12  # each unknown argument or wrong type costs a round of its own (fix-argument, coerce-argument)

RunRound = Callable[[dict, int], list[StageOutcome]]  # (worker request, round) -> that round's outcomes


@dataclass
class Rounds:
    """A variant's outcomes and (unmerged) findings over every round so far, and the repairs made."""
    prep: Prepared
    outcomes: list[StageOutcome]
    findings: list[Finding] = field(default_factory=list)
    repairs: list[RepairRecord] = field(default_factory=list)
    md_lines: dict[str, int] = field(default_factory=dict)

    @classmethod
    def start(cls, prep: Prepared, first: list[StageOutcome]) -> Rounds:
        """Round 0: extraction and the worker's outcomes for the response as written."""
        rounds = cls(prep, [], md_lines=md_lines(prep))
        rounds.add([prep.extract_outcome, *first])
        return rounds

    def add(self, outcomes: list[StageOutcome]) -> None:
        """Outcomes of some round, with their findings: each depends on the repairs made up to its round."""
        self.outcomes += outcomes
        self.findings += findings_of(outcomes, self.md_lines, self.repairs)


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


def _next_repair(rounds: Rounds, current: list[StageOutcome], rnd: int, files: dict[str, str],
                 response: dict[str, str]) -> tuple[Finding, Repair] | None:
    """The blocking finding of the last round and the repair its rule names, if one applies."""
    lead = _blocking(rounds.prep, current, rounds.findings, rnd)
    rule = rule_by_id(lead.rule_id) if lead else None
    if lead is None or rule is None or rule.repair is None:
        return None
    evidence = [lead.evidence] + [f.evidence for f in rounds.findings
                                  if f.stage == "static" and f.defect is not None and f.defect == lead.defect]
    repair = REPAIRS[rule.repair](evidence, files, response)
    return (lead, repair) if repair is not None else None


def _apply(rounds: Rounds, rnd: int, lead: Finding, repair: Repair, files: dict[str, str]) -> None:
    """Write the repair into the workspace copy, and keep it (with its diff) in the repairs log."""
    root = rounds.prep.workspace.root
    repair_id = f"R{rnd}"
    before = {p: files[p] if p in files else _read(root / p) for p in repair.files}
    diff = "".join(_diff(p, before[p], t) for p, t in sorted(repair.files.items()))
    for p, text in repair.files.items():
        (root / p).parent.mkdir(parents=True, exist_ok=True)
        (root / p).write_text(text, encoding="utf-8")
        files[p] = text
    rounds.repairs.append(RepairRecord(id=repair_id, round=rnd, kind=repair.kind, rule_id=lead.rule_id,
                                       defect=lead.defect, description=repair.description, diff=diff))
    with (rounds.prep.log_dir / "repairs.log").open("a", encoding="utf-8") as log:
        log.write(f"{repair_id} ({lead.rule_id}): {repair.description}\n{diff}\n")


def repair_rounds(rounds: Rounds, run_round: RunRound, max_rounds: int = MAX_ROUNDS) -> None:
    """Repair and run the execution stages again while the last round's blocking failure names a
    repair (up to ``max_rounds``); each round's outcomes and findings are added to ``rounds``."""
    prep, request = rounds.prep, rounds.prep.request
    if request is None:
        return
    root = prep.workspace.root
    files = {p: (root / p).read_text(encoding="utf-8") for p in prep.workspace.files
             if p.endswith(".py") and (root / p).is_file()}
    response = {p: f.text for p, f in prep.extraction.files.items() if p.endswith(".py")}
    current = rounds.outcomes[1:]  # round 0's worker outcomes
    for rnd in range(1, max_rounds + 1):
        found = _next_repair(rounds, current, rnd, files, response)
        if found is None:
            break
        lead, repair = found
        _apply(rounds, rnd, lead, repair, files)
        request = {**request, "stages": list(CHAIN), "blocked": None}
        if repair.entry is not None:  # from now on the response's own app runs, with its own imports
            request.update(entry=repair.entry, stack_modules=entry_stack_modules(files[repair.entry]),
                           contract_call=None, adopted_entry=True)
        current = run_round(request, rnd)
        rounds.add(current)
