"""A variant's stage outcomes and its result: outcomes for the worker stages from what the worker
reported (or failed to), the synthesized stacks kept as artifacts, and the assembled
``VariantResult``.
"""

from __future__ import annotations

from pathlib import Path

from graders.classify import classify

from .bundles import Task
from .contract import Entry
from .prepare import Prepared, md_lines, prepare, variant_env
from .records import Finding, Records, RepairRecord, StageOutcome, VariantResult, portable, records
from .runstore import RunStore
from .toolchain import Profile
from .worker.tapgrade_stages import CHAIN, WORKER_STAGES


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
        out.append(got[stage] if stage in got else _unreported(prep, stage, failure, infra, blocked))
        out[-1].round = round_
        _environment_gap(stage, out[-1])
        if stage in CHAIN and out[-1].status != "pass" and blocked is None:
            blocked = f"{stage} {out[-1].status}"
    return out


def _environment_gap(stage: str, o: StageOutcome) -> None:
    """A failed stage whose every signal the catalogue rates Info (a provider package the toolchain
    does not install) was kept from judging by the environment: infra-error, not the response's fail."""
    if stage in CHAIN and o.status == "fail" and o.signals:
        rated = [classify(stage, sig) for sig in o.signals]
        if all(rule.severity == "Info" for rule, _ in rated):
            o.status, o.reason = "infra-error", rated[0][1]


def _unreported(prep: Prepared, stage: str, failure: tuple[str | None, dict] | None, infra: str | None,
                blocked: str | None) -> StageOutcome:
    """The outcome of a stage the worker sent no event for, and why it has none."""
    if infra is not None:
        return StageOutcome(stage, "infra-error", infra)
    if failure is not None and failure[0] == stage:
        return StageOutcome(stage, "fail", failure[1]["message"], 0.0, [failure[1]])
    if stage in CHAIN and blocked:
        return StageOutcome(stage, "skipped", blocked)
    if stage == "lint" and prep.request is not None and not prep.workspace.python_files:
        return StageOutcome(stage, "skipped", "no Python files")
    if prep.request is None:
        return StageOutcome(stage, "skipped", "no Python files in the response")
    return StageOutcome(stage, "skipped", f"worker stopped at {failure[0] if failure else '?'}")


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


def finish(prep: Prepared, outcomes: list[StageOutcome], findings: list[Finding], repairs: list[RepairRecord],
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


def infra_variant(store: RunStore, profile: Profile, task: Task, variant: str, entry: Entry, created_at: str,
                  message: str, work: str) -> tuple[VariantResult, Records]:
    """``infra_result`` and its records for a variant graded nowhere (a remote slot gave no
    answer twice, or the harness raised): extracted here into ``workspaces/<work>``, no code run."""
    prep = prepare(task, variant, entry, profile, store.root / "workspaces" / work, store.log_dir(task.id, variant),
                   variant_env(task, created_at))
    result = infra_result(prep, message, store.artifact_dir(task.id, variant))
    return result, records(result, store.run_id)
