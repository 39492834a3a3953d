"""Grading one variant: extract -> workspace -> stages (in a worker) -> findings.

``prepare`` does everything that is safe in the harness (reading markdown, writing files);
``finish`` turns the worker's stage events into outcomes and classified findings. The worker
call in between belongs to a backend (``engine.py``), so this module never runs model code.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from graders.catalogue import FAILURE_SEVERITIES, SEVERITIES
from graders.classify import classify_defect

from . import __version__
from .bundles import REFERENCE, Task, read_response
from .contract import Entry, response_entry
from .extract import Extraction, extract
from .tapgrade_stages import CHAIN, WORKER_STAGES
from .toolchain import Profile
from .workspace import Workspace, materialize, reference_digest, reference_extraction, template_digest

ARTIFACT_ROOT = "/workspace"  # how stored stacks and messages write the workspace directory


def portable(text: str, workspace: Path) -> str:
    """``text`` with the workspace's absolute path written as ``/workspace``: slots (and
    backends) grade in different directories, and the same input must read the same wherever it ran."""
    return text.replace(str(workspace.resolve()), ARTIFACT_ROOT)


@dataclass
class StageOutcome:
    stage: str
    status: str  # pass | fail | skipped | infra-error
    reason: str | None = None
    duration_s: float = 0.0
    signals: list[dict] = field(default_factory=list)
    data: dict = field(default_factory=dict)
    round: int = 0  # 0: the response as written; n: after n repairs (see onepass.py)


@dataclass
class Finding:
    stage: str
    rule_id: str
    severity: str
    title: str
    message: str
    file: str | None = None
    line: int | None = None
    md_line: int | None = None
    root_cause: str = ""
    fix_hint: str = ""
    evidence: dict = field(default_factory=dict)
    defect: str | None = None  # static and execution evidence of one defect share this key
    sources: list[str] = field(default_factory=list)  # stages that saw it
    round: int = 0
    depends_on: list[str] = field(default_factory=list)  # repair ids it was found after


@dataclass
class Prepared:
    task: Task
    variant: str
    input_hash: str
    extraction: Extraction
    workspace: Workspace
    extract_outcome: StageOutcome
    request: dict | None  # None: nothing for a worker to do
    log_dir: Path  # the variant's stage logs (the worker writes there too: the request names it)


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
    repairs: list[dict] = field(default_factory=list)
    artifacts_repaired: list[str] = field(default_factory=list)
    file_md_lines: dict[str, int] = field(default_factory=dict)  # where each file starts in the markdown
    wall_s: float = 0.0  # prepare to finish, as the engine measured it
    worker_rss_kb: int = 0  # the worker group's memory after this variant (0: no worker used)
    contract: dict = field(default_factory=dict)  # the entry it was run through and the call it makes
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


def input_hash(task: Task, variant: str, entry: Entry, profile: Profile) -> str:
    """Content hash of everything that decides a variant's result: the cache key."""
    h = hashlib.sha256()
    parts = {
        "response": (reference_digest(task.reference_dir) if variant == REFERENCE and task.reference_dir
                     else read_response(task.responses[variant])[0]),
        "entry": [entry.origin, entry.path, entry.source],
        "metadata": task.metadata,
        "region": task.region,  # metadata's, or the reference's lib/AWS_REGION
        "template": template_digest(),
        "toolchain": profile.digest,
        "harness": __version__,
    }
    h.update(json.dumps(parts, sort_keys=True, default=str).encode())
    if task.files_dir is not None:
        for f in sorted(task.files_dir.rglob("*")):
            if f.is_file():
                h.update(f.relative_to(task.files_dir).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()


def _extract_outcome(extraction: Extraction, ws: Workspace) -> StageOutcome:
    signals: list[dict] = []
    py_files = [p for p in extraction.files if p.endswith(".py")]
    missing = [m for m in ws.entry.stack_modules
               if not (ws.root / (m.replace(".", "/") + ".py")).exists()
               and not (ws.root / m.replace(".", "/") / "__init__.py").exists()]
    if not py_files:
        signals.append({"kind": "no-code", "message": "the response has no Python files"})
    elif missing:
        own = response_entry({p: f.text for p, f in extraction.files.items()})
        signals.append({"kind": "no-stack-module", "response_entry": own,
                        "message": f"the entry point {ws.entry.path} imports {', '.join(missing)} but the response "
                                   "has no " + ", ".join(m.replace(".", "/") + ".py" for m in missing)
                                   + (f" (its own app is {own})" if own else "")})
    if ws.entry.path in extraction.files:
        f = extraction.files[ws.entry.path]
        signals.append({"kind": "entry-ignored", "message": f"response {f.path} (line {f.md_line}) recorded; "
                        f"the {ws.entry.origin} entry point {ws.entry.path} was used", "md_line": f.md_line})
    for link in ws.refused_links:
        signals.append({"kind": "unsafe-file", "message": f"{link} is a symbolic link: not copied"})
    for u in extraction.unmapped:
        signals.append({"kind": "unmapped-block", "block_kind": u.kind, "md_line": u.md_line, "lang": u.lang,
                        "message": f"block at line {u.md_line} ({u.lang or 'no language'}): {u.reason}",
                        "first_line": u.first_line})
    status = "fail" if any(s["kind"] in ("no-code", "no-stack-module") for s in signals) else "pass"
    return StageOutcome("extract", status, None, 0.0, signals,
                        {"files": sorted(extraction.files), "entry": ws.entry.origin, "entry_path": ws.entry.path,
                         "stack_modules": ws.entry.stack_modules})


def prepare(task: Task, variant: str, entry: Entry, profile: Profile, work_dir: Path, log_dir: Path,
            env: dict[str, str]) -> Prepared:
    encoding_problem = None
    if variant == REFERENCE and task.reference_dir is not None:  # code as it is, no markdown
        extraction = reference_extraction(task.reference_dir, entry)
        ws = materialize(work_dir, task, extraction, entry, base=task.reference_dir)
    else:
        text, encoding_problem = read_response(task.responses[variant])
        extraction = extract(text)
        ws = materialize(work_dir, task, extraction, entry)
    outcome = _extract_outcome(extraction, ws)
    if variant != REFERENCE and encoding_problem:
        outcome.signals.insert(0, {"kind": "not-utf8", "message": encoding_problem})
    outcome.data["skipped_files"] = ws.skipped
    (log_dir / "extract.log").write_text(
        "\n".join([f"entry: {entry.origin} {entry.path}" + (f" (cdktf.json app: {entry.app})" if entry.app else "")
                   + (f"; {entry.note}" if entry.note else ""), *(f"file: {p} <- line {f.md_line} ({f.how})"
                                               for p, f in sorted(extraction.files.items())),
                   *(f"skipped: {p}: {why}" for p, why in ws.skipped.items()),
                   *(f"signal: {s['kind']}: {s['message']}" for s in outcome.signals)]) + "\n",
        encoding="utf-8")
    blocked = "extract failed" if outcome.status == "fail" else None
    adoptable = any(sig.get("response_entry") for sig in outcome.signals)  # a repair round can run it
    request = None
    if ws.lint_targets or not blocked or adoptable:
        request = {
            "workspace": str(ws.root), "entry": entry.path, "stack_modules": ws.entry.stack_modules,
            "contract_call": entry.call.as_record() if entry.call else None,
            "lint_files": ws.lint_targets, "static_files": ws.lint_targets, "rcfile": str(ws.rcfile),
            "log_dir": str(log_dir),
            "stages": list(WORKER_STAGES), "blocked": blocked, "env": env,
        }
    return Prepared(task, variant, input_hash(task, variant, entry, profile), extraction, ws, outcome, request,
                    log_dir)


def worker_outcomes(prep: Prepared, events: list[dict], failure: tuple[str | None, dict] | None = None,
                    infra: str | None = None, stages: tuple[str, ...] | list[str] = WORKER_STAGES,
                    round_: int = 0) -> list[StageOutcome]:
    """Stage outcomes for the worker stages, from events, a failure (stage, signal) or an infra error."""
    got = {e["stage"]: StageOutcome(e["stage"], e["status"], e.get("reason"), e.get("duration_s", 0.0),
                                    e.get("signals", []), e.get("data", {}), round_) for e in events}
    for o in got.values():  # an exception's text names the slot's directory: the same whichever slot ran it
        for s in o.signals:
            if isinstance(s.get("message"), str):
                s["message"] = portable(s["message"], prep.workspace.root)
    out = []
    blocked = None if prep.extract_outcome.status == "pass" or round_ > 0 else "extract failed"
    for stage in stages:
        if stage in got:
            out.append(got[stage])
        elif infra is not None:
            out.append(StageOutcome(stage, "infra-error", infra))
        elif failure is not None and failure[0] == stage:
            out.append(StageOutcome(stage, "fail", failure[1]["message"], 0.0, [failure[1]]))
        elif stage in CHAIN and blocked:
            out.append(StageOutcome(stage, "skipped", blocked))
        elif stage == "lint" and prep.request is not None and not prep.workspace.lint_targets:
            out.append(StageOutcome(stage, "skipped", "no Python files under lib/"))
        elif prep.request is None:
            out.append(StageOutcome(stage, "skipped", "no Python files in the response"))
        else:
            out.append(StageOutcome(stage, "skipped", f"worker stopped at {failure[0] if failure else '?'}"))
        out[-1].round = round_
        if stage in CHAIN and out[-1].status != "pass" and blocked is None:
            blocked = f"{stage} {out[-1].status}"
    return out


def md_lines(prep: Prepared) -> dict[str, int]:
    """Where each file the workspace holds from the response starts in its markdown (files it
    does not hold, such as a response's own entry point, and reference files have no place)."""
    return {p: f.md_line for p, f in prep.extraction.files.items() if f.md_line and p in prep.workspace.files}


def findings_for(outcomes: list[StageOutcome], file_md_lines: dict[str, int],
                 depends_on: list[str] | None = None) -> list[Finding]:
    """Classified findings of some outcomes (one round), unmerged. Pure: reads saved signals only,
    so ``harness rescore`` can call it on an old run."""
    findings = []
    for o in outcomes:
        for sig in o.signals:
            rule, message, defect = classify_defect(o.stage, sig)
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


def merge_findings(findings: list[Finding]) -> list[Finding]:
    """One row per defect: static and execution evidence of the same defect become one finding.

    The execution finding leads (it is what the reference pipeline would have seen); it keeps
    both evidences, and it no longer depends on repairs when the static stage saw the defect in
    the response as written.
    """
    out: list[Finding] = []
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        if f.defect is None:
            out.append(f)
        else:
            if f.defect not in groups:
                out.append(f)  # placeholder keeps the first position
            groups.setdefault(f.defect, []).append(f)
    merged = []
    for f in out:
        group = groups.get(f.defect) if f.defect is not None else None
        if not group or len(group) == 1:
            merged.append(f)
            continue
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
        merged.append(lead)
    return merged


def collect_artifacts(prep: Prepared, outcomes: list[StageOutcome], dest: Path) -> list[str]:
    """Keep each synthesized stack, with the workspace's absolute path written as ``/workspace``.

    Slots (and backends) grade in different directories; a stack without a backend of its own gets
    a local state path under it. Normalising makes the same input byte-identical wherever it ran.
    """
    synth = next((o for o in outcomes if o.stage == "synth"), None)
    if synth is None or synth.status != "pass":
        return []
    kept = []
    for rel in synth.data.get("outputs", []):
        src = prep.workspace.root / rel
        stack = Path(rel).parent.name
        target = dest / stack / "cdk.tf.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        text = portable(src.read_text(encoding="utf-8", errors="replace"), prep.workspace.root)
        target.write_text(text, encoding="utf-8")
        kept.append(str(target))
    return kept


def finish(prep: Prepared, outcomes: list[StageOutcome], findings: list[Finding], repairs: list[dict],
           artifact_dir: Path) -> VariantResult:
    """Assemble the result; ``outcomes`` hold every round, the verdict reads round 0."""
    first = [o for o in outcomes if o.round == 0]
    last_round = max(o.round for o in outcomes)
    repaired = [o for o in outcomes if o.round == last_round] if last_round else []
    return VariantResult(
        task_id=prep.task.id, variant=prep.variant, input_hash=prep.input_hash,
        entry_origin=prep.workspace.entry.origin, files=sorted(prep.extraction.files),
        outcomes=outcomes, findings=findings, artifacts=collect_artifacts(prep, first, artifact_dir),
        repairs=repairs,
        artifacts_repaired=collect_artifacts(prep, repaired, artifact_dir / "repaired") if repaired else [],
        file_md_lines=md_lines(prep), contract=prep.workspace.entry.record(),
    )


def infra_result(prep: Prepared, message: str, artifact_dir: Path) -> VariantResult:
    """A variant the harness could not grade (its backend failed it twice, or a harness fault):
    extraction as done, every worker stage an infra error, no code judged."""
    return finish(prep, worker_outcomes(prep, [], infra=message), [], [], artifact_dir)


def records(result: VariantResult, run_id: str, attempt: str | None = None) -> dict[str, list[dict]]:
    """Run-store records of one variant (the only place their shape is decided), in commit order.

    Every row carries the attempt id; the ``variants`` row comes last and is the commit: a
    variant is finished once it is written, and rows of an attempt without one (a crash mid-way)
    are ignored by ``load_run``.
    """
    key = {"run_id": run_id, "task_id": result.task_id, "variant": result.variant,
           "input_hash": result.input_hash, "attempt": attempt or uuid.uuid4().hex}
    counts = result.counts()
    return {
        "outcomes": [{**key, **asdict(o)} for o in result.outcomes],
        "findings": [{**key, **asdict(f)} for f in result.findings],
        "variants": [{**key, "entry_origin": result.entry_origin, "files": result.files,
                      "verdict": result.verdict, "worst_severity": result.worst_severity,
                      "artifacts": result.artifacts, "repairs": result.repairs,
                      "artifacts_repaired": result.artifacts_repaired, "file_md_lines": result.file_md_lines,
                      "wall_s": round(result.wall_s, 4), "worker_rss_kb": result.worker_rss_kb,
                      "contract": result.contract, "integrity_s": round(result.integrity_s, 4),
                      **{f"n_{s.lower()}": n for s, n in counts.items()}}],
    }


def _from_record(cls, rec: dict):
    """A StageOutcome or Finding from its record: the record's key columns (run, task, variant,
    input hash, attempt) are not fields of it."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: x for k, x in rec.items() if k in names})


def result_from_records(recs: dict[str, list[dict]]) -> VariantResult:
    """The inverse of ``records``: for results graded elsewhere (the docker backend's containers)
    and for a saved run being re-classified (``rescore``, whose older records may lack a field:
    it takes the field's default)."""
    v = recs["variants"][0]
    return VariantResult(
        task_id=v["task_id"], variant=v["variant"], input_hash=v["input_hash"], entry_origin=v["entry_origin"],
        files=v["files"], outcomes=[_from_record(StageOutcome, r) for r in recs["outcomes"]],
        findings=[_from_record(Finding, r) for r in recs["findings"]], artifacts=v["artifacts"],
        repairs=v.get("repairs") or [], artifacts_repaired=v.get("artifacts_repaired") or [],
        file_md_lines=v.get("file_md_lines") or {}, wall_s=v.get("wall_s", 0.0), worker_rss_kb=v.get("worker_rss_kb", 0),
        contract=v.get("contract") or {}, integrity_s=v.get("integrity_s", 0.0))
