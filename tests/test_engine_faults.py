"""A harness fault while grading one variant is that variant's infra error; the run goes on."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import engine
from harness.bundles import load_task
from harness.options import EngineOptions
from harness.runstore import RunStore
from harness.slot import WorkerSlot
from harness.toolchain import DEFAULT_PROFILE

from .conftest import stack_md, write_task

pytestmark = pytest.mark.toolchain

NO_CODE = "A descriptive answer with no code.\n"


def test_a_fault_in_one_variant_is_recorded_and_the_run_goes_on(tmp_path: Path, monkeypatch, toolchain_ready) -> None:
    """The fault is injected (a mock: a harness bug cannot be caused on purpose once it is fixed;
    the one that prompted this, terraform init writing no lock file, is covered for real in
    tests/test_plan_stages.py). Responses without code, so no toolchain process is needed."""
    tasks = [load_task(write_task(tmp_path / "tasks", name, NO_CODE)) for name in ("first", "faulty", "last")]
    real = WorkerSlot.grade

    def grade(self, task, *args, **kwargs):
        if task.id == "faulty":
            raise FileNotFoundError("injected: no such lock file")
        return real(self, task, *args, **kwargs)

    monkeypatch.setattr(WorkerSlot, "grade", grade)
    store = RunStore.create(tmp_path / "runs", "faults")
    results = engine.run_batch(tasks, ["model"], store, DEFAULT_PROFILE, EngineOptions(workers=1))
    verdicts = {r.task_id: r.verdict for r in results}
    assert verdicts == {"first": "no-code", "faulty": "infra-error", "last": "no-code"}
    log = store.root / "logs" / "faulty" / "model" / "harness-error.log"
    assert "injected: no such lock file" in log.read_text()
    faulty = next(r for r in results if r.task_id == "faulty")
    assert any("harness error: FileNotFoundError" in (o.reason or "") for o in faulty.outcomes)


def test_variants_are_handed_out_in_the_order_asked(tmp_path) -> None:
    from harness import backends
    from harness.bundles import discover
    from harness.engine import hand_out_order

    write_task(tmp_path, "a-small", stack_md("        pass\n"))
    write_task(tmp_path, "b-large", stack_md("        x = 1\n" * 400))
    tasks, _ = discover([tmp_path])
    todo = [(t, "model") for t in sorted(tasks, key=lambda t: t.id)]
    order = lambda opts, backend: [t.id for t, _ in hand_out_order(todo, opts, backends.get(backend))]  # noqa: E731
    assert order(EngineOptions(), "local") == ["a-small", "b-large"]  # as given
    assert order(EngineOptions(), "ray") == ["b-large", "a-small"]  # the ray backend's default
    assert order(EngineOptions(order="largest-first"), "local") == ["b-large", "a-small"]
    assert order(EngineOptions(order="given"), "ray") == ["a-small", "b-large"]
