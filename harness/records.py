"""What grading produces and the run store keeps: stage outcomes, findings, a variant's result,
and the one path between them and their run-store rows.

Grading (``grade.py``) writes rows with ``records``; the docker backend reads a container's rows
back and ``harness rescore`` re-reads a saved run, both with ``result_from_records``, so the shape
of a row is decided here and nowhere else. Signals, repairs and rows are ``TypedDict``s: they
travel as JSON (worker protocol, Parquet, container output) and stay plain dicts at run time.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, TypedDict, TypeVar

from graders.catalogue import FAILURE_SEVERITIES, SEVERITIES

ARTIFACT_ROOT = "/workspace"  # how stored stacks and messages write the workspace directory


def portable(text: str, workspace: Path) -> str:
    """``text`` with the workspace's absolute path written as ``/workspace``: slots (and
    backends) grade in different directories, and the same input must read the same wherever it ran."""
    return text.replace(str(workspace.resolve()), ARTIFACT_ROOT)


class Frame(TypedDict):
    """A traceback frame in the response's code (workspace-relative file)."""
    file: str
    line: int


class Signal(TypedDict, total=False):
    """What a stage observed, before the catalogue classifies it (``graders.classify``). ``kind``
    and ``message`` are always there; the rest depend on the kind (the stage that emits a kind
    documents its fields)."""
    kind: str
    message: str
    frames: list[Frame]
    file: str | None
    line: int | None
    md_line: int | None


class RepairRecord(TypedDict):
    """A mechanical repair applied to the workspace copy between rounds (``onepass.py``)."""
    id: str
    round: int
    kind: str
    rule_id: str
    defect: str | None
    description: str
    diff: str


@dataclass
class StageOutcome:
    stage: str  # a tapgrade_stages.Stage value
    status: str  # a tapgrade_stages.Status value: pass | fail | skipped | infra-error
    reason: str | None = None
    duration_s: float = 0.0
    signals: list[dict[str, Any]] = field(default_factory=list)  # Signal-shaped
    data: dict[str, Any] = field(default_factory=dict)
    round: int = 0  # 0: the response as written; n: after n repairs (see onepass.py)


@dataclass
class Finding:
    stage: str
    rule_id: str
    severity: str  # a graders.catalogue.Severity value
    title: str
    message: str
    file: str | None = None
    line: int | None = None
    md_line: int | None = None
    root_cause: str = ""
    fix_hint: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    defect: str | None = None  # static and execution evidence of one defect share this key
    sources: list[str] = field(default_factory=list)  # stages that saw it
    round: int = 0
    depends_on: list[str] = field(default_factory=list)  # repair ids it was found after


@dataclass
class VariantResult:
    task_id: str
    variant: str
    input_hash: str
    entry_origin: str
    files: list[str]
    outcomes: list[StageOutcome]
    findings: list[Finding]
    artifacts: list[str]
    repairs: list[RepairRecord] = field(default_factory=list)
    artifacts_repaired: list[str] = field(default_factory=list)
    file_md_lines: dict[str, int] = field(default_factory=dict)  # where each file starts in the markdown
    wall_s: float = 0.0  # prepare to finish, as the engine measured it
    worker_rss_kb: int = 0  # the worker group's memory after this variant (0: no worker used)
    contract: dict[str, Any] = field(default_factory=dict)  # the entry it was run through and the call it makes
    integrity_s: float = 0.0  # the worker's integrity checks after this variant's requests (seconds)

    @property
    def worst_severity(self) -> str | None:
        sevs = [f.severity for f in self.findings if f.severity in FAILURE_SEVERITIES]
        return min(sevs, key=SEVERITIES.index) if sevs else None

    @property
    def verdict(self) -> str:
        """fail on a Critical/High finding even when a later stage could not run (an environment gap
        cannot undo a defect already found); infra-error when the environment kept a stage from
        judging and nothing else failed."""
        status = {o.stage: o.status for o in self.outcomes if o.round == 0}
        if not any(f.endswith(".py") for f in self.files):
            return "infra-error" if "infra-error" in status.values() else "no-code"
        if self.worst_severity in ("Critical", "High"):
            return "fail"
        if "infra-error" in status.values():
            return "infra-error"
        return "fail" if status.get("synth") != "pass" else "pass"

    def counts(self) -> dict[str, int]:
        return {s: sum(f.severity == s for f in self.findings) for s in SEVERITIES}


class RecordKey(TypedDict):
    """The columns every row of one variant's attempt carries."""
    run_id: str
    task_id: str
    variant: str
    input_hash: str
    attempt: str


class VariantRecord(RecordKey):
    """The ``variants`` row: the commit of a variant's attempt (see ``records``)."""
    entry_origin: str
    files: list[str]
    verdict: str
    worst_severity: str | None
    artifacts: list[str]
    repairs: list[RepairRecord]
    artifacts_repaired: list[str]
    file_md_lines: dict[str, int]
    wall_s: float
    worker_rss_kb: int
    contract: dict[str, Any]
    integrity_s: float
    n_critical: int
    n_high: int
    n_medium: int
    n_low: int
    n_info: int


class Records(TypedDict):
    """One variant's rows per run-store table, in commit order (``variants`` last)."""
    outcomes: list[dict[str, Any]]  # RecordKey + the StageOutcome's fields
    findings: list[dict[str, Any]]  # RecordKey + the Finding's fields
    variants: list[VariantRecord]


def records(result: VariantResult, run_id: str, attempt: str | None = None) -> Records:
    """Run-store records of one variant (the only place their shape is decided), in commit order.

    Every row carries the attempt id; the ``variants`` row comes last and is the commit: a
    variant is finished once it is written, and rows of an attempt without one (a crash mid-way)
    are ignored by ``load_run``.
    """
    key = RecordKey(run_id=run_id, task_id=result.task_id, variant=result.variant,
                    input_hash=result.input_hash, attempt=attempt or uuid.uuid4().hex)
    n = result.counts()
    variant = VariantRecord(
        **key, entry_origin=result.entry_origin, files=result.files, verdict=result.verdict,
        worst_severity=result.worst_severity, artifacts=result.artifacts, repairs=result.repairs,
        artifacts_repaired=result.artifacts_repaired, file_md_lines=result.file_md_lines,
        wall_s=round(result.wall_s, 4), worker_rss_kb=result.worker_rss_kb, contract=result.contract,
        integrity_s=round(result.integrity_s, 4), n_critical=n["Critical"], n_high=n["High"],
        n_medium=n["Medium"], n_low=n["Low"], n_info=n["Info"])
    return Records(outcomes=[{**key, **asdict(o)} for o in result.outcomes],
                   findings=[{**key, **asdict(f)} for f in result.findings], variants=[variant])


_Row = TypeVar("_Row", StageOutcome, Finding)


def _from_record(cls: type[_Row], rec: dict[str, Any]) -> _Row:
    """A StageOutcome or Finding from its record: the record's key columns (run, task, variant,
    input hash, attempt) are not fields of it."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: x for k, x in rec.items() if k in names})


def result_from_records(recs: Records | dict[str, list[dict[str, Any]]]) -> VariantResult:
    """The inverse of ``records``: for results graded elsewhere (the docker backend's containers)
    and for a saved run being re-classified (``rescore``, whose older records may lack a field:
    it takes the field's default)."""
    v: dict[str, Any] = dict(recs["variants"][0])
    return VariantResult(
        task_id=v["task_id"], variant=v["variant"], input_hash=v["input_hash"], entry_origin=v["entry_origin"],
        files=v["files"], outcomes=[_from_record(StageOutcome, r) for r in recs["outcomes"]],
        findings=[_from_record(Finding, r) for r in recs["findings"]], artifacts=v["artifacts"],
        repairs=v.get("repairs") or [], artifacts_repaired=v.get("artifacts_repaired") or [],
        file_md_lines=v.get("file_md_lines") or {}, wall_s=v.get("wall_s", 0.0), worker_rss_kb=v.get("worker_rss_kb", 0),
        contract=v.get("contract") or {}, integrity_s=v.get("integrity_s", 0.0))
