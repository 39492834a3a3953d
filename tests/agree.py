"""Two runs that must agree: another backend's run against local runs of the same tasks, compared
finding for finding, outcome for outcome, verdict for verdict, and byte for byte on the stacks."""

from __future__ import annotations


def keyed(run) -> tuple[list, list, list]:
    f = run.findings
    findings = sorted(map(tuple, f[["task_id", "variant", "stage", "rule_id", "severity", "message", "file",
                                    "line"]].astype(str).values.tolist()))
    o = run.outcomes
    outcomes = sorted(map(tuple, o[["task_id", "variant", "stage", "status", "round"]].astype(str).values.tolist()))
    verdicts = sorted(map(tuple, run.variants[["task_id", "variant", "verdict"]].values.tolist()))
    return findings, outcomes, verdicts


def stacks(run) -> dict[str, bytes]:
    return {str(p.relative_to(run.path / "artifacts")): p.read_bytes()
            for task in set(run.variants.task_id) for p in (run.path / "artifacts" / task).rglob("cdk.tf.json")}


def assert_same(local_runs: list, other) -> None:
    local = [keyed(r) for r in local_runs]
    want = tuple(sorted(sum((k[i] for k in local), [])) for i in range(3))
    got = keyed(other)
    assert got[2] == want[2], "verdicts differ"
    assert got[1] == want[1], "stage outcomes differ"
    assert got[0] == want[0], "findings differ"
    assert not (other.outcomes.status == "infra-error").any()
    want_stacks = {}
    for r in local_runs:
        want_stacks.update(stacks(r))
    assert want_stacks and stacks(other) == want_stacks, "synthesized stacks are not byte-identical"
