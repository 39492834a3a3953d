"""The batch engine: tasks x variants over the slots of a backend, results into the run store.

The engine knows no backend by name: it asks the registry (``harness/backends``) for the one the
options name, gives each of its slots a thread that pulls (task, variant) jobs from one queue,
appends each result's records to the run store as it comes (resume skips what is there for the
same input), and on Ctrl-C / SIGTERM kills the slots and lets the backend clear what remains.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import shutil
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from . import backends
from .bundles import Task
from .contract import Entry, choose_entry
from .errors import RunFatal
from .options import EngineOptions
from .prepare import input_hash
from .records import Records, VariantResult
from .result import infra_variant
from .runstore import RunStore
from .toolchain import Profile

log = logging.getLogger(__name__)

def default_workers() -> int:
    """One worker per core, but no more than memory allows (~2 GB per warm worker)."""
    try:
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem_gb = 4
    return max(1, min(os.cpu_count() or 1, int(mem_gb // 2)))


def pending_jobs(tasks: list[Task], variants: list[str], store: RunStore, profile: Profile,
                 rerun: bool = False, retry_errors: bool = False) -> tuple[list[tuple[Task, str]], int]:
    """Jobs still to grade, and how many the store already holds for the same input hash.

    Keyed by content: a finished (task, variant) is skipped only when its input hash is unchanged,
    so an edited response, template or toolchain is graded again. ``retry_errors``: only the
    variants the store holds as an infra error or a timeout are graded again, nothing else."""
    from .results import latest  # local: results imports pandas, the engine need not at import

    kept, attempts = latest(store)
    done = {} if rerun else {(r["task_id"], r["variant"]): r["input_hash"] for r in kept}
    retry = _errored(kept, attempts, store) if retry_errors else set()
    todo, cached = [], 0
    for t in tasks:
        entry = None
        for v in variants:
            if v not in t.variants:
                continue
            if retry_errors:
                if (t.id, v) in retry:
                    todo.append((t, v))
                else:
                    cached += (t.id, v) in done
                continue
            if (t.id, v) in done:
                entry = entry or choose_entry(t)
                if done[(t.id, v)] == input_hash(t, v, entry, profile):
                    cached += 1
                    continue
            todo.append((t, v))
    return todo, cached


def _errored(kept: list[dict], attempts: set, store: RunStore) -> set[tuple[str, str]]:
    """Variants whose kept result is an infra error, or holds a timeout finding."""
    timed_out = {(f["task_id"], f["variant"]) for f in store.records("findings")
                 if f.get("attempt") in attempts and f.get("rule_id") == "exec.timeout"}
    return {(r["task_id"], r["variant"]) for r in kept if r.get("verdict") == "infra-error"} | timed_out


def harness_fault(slot: backends.Slot, store: RunStore, profile: Profile, task: Task, variant: str, entry: Entry,
                  created_at: str, trace: str) -> tuple[VariantResult, Records]:
    """A variant whose grading raised in the harness: an infra error of that variant (the traceback
    in its ``harness-error.log``), a fresh worker for the next one."""
    log_dir = store.log_dir(task.id, variant)
    (log_dir / "harness-error.log").write_text(trace, encoding="utf-8")
    log.warning("harness fault on %s/%s (an infra error of that variant): %s", task.id, variant,
                trace.strip().splitlines()[-1])
    with contextlib.suppress(Exception):
        slot.retire()
    last = trace.strip().splitlines()[-1][:300]
    return infra_variant(store, profile, task, variant, entry, created_at,
                         f"harness error: {last} (see harness-error.log)", f"_fault{slot.index}")


@dataclass
class _Batch:
    """The run's shared state: the queue of variants, each task's entry (chosen once), the results
    and the first error of a slot thread (which stops the run)."""
    store: RunStore
    profile: Profile
    created_at: str
    stop: threading.Event
    on_result: Callable[[VariantResult], None]
    jobs: queue.Queue = field(default_factory=queue.Queue)
    entries: dict[str, Entry] = field(default_factory=dict)
    results: list[VariantResult] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def entry_for(self, task: Task) -> Entry:
        with self.lock:
            if task.id not in self.entries:
                self.entries[task.id] = choose_entry(task)
            return self.entries[task.id]

    def work(self, slot: backends.Slot) -> None:
        """A slot's thread: take variants until the queue is empty or the run stops; commit each."""
        try:
            while not self.stop.is_set():
                try:
                    task, variant = self.jobs.get_nowait()
                except queue.Empty:
                    return
                try:
                    graded = slot.grade(task, variant, self.entry_for(task), self.created_at, self.stop)
                except RunFatal:
                    raise
                except Exception:  # noqa: BLE001 - a harness fault on this variant: recorded, the run goes on
                    graded = harness_fault(slot, self.store, self.profile, task, variant, self.entry_for(task),
                                           self.created_at, traceback.format_exc())
                if graded is None:
                    return  # interrupted mid-variant: record nothing partial
                result, recs = graded
                self.store.append_variant(recs)
                with self.lock:
                    self.results.append(result)
                self.on_result(result)
        except BaseException as exc:  # noqa: BLE001 - surfaced by the caller
            self.errors.append(exc)
            self.stop.set()
        finally:
            slot.close()


def run_batch(tasks: list[Task], variants: list[str], store: RunStore, profile: Profile,
              opts: EngineOptions, on_result: Callable[[VariantResult], None] = lambda r: None,
              stop: threading.Event | None = None) -> list[VariantResult]:
    """Grade every (task, variant) that exists and is not already in the store; append records
    as each finishes."""
    meta = store.read_meta()
    batch = _Batch(store, profile, meta.get("created_at") or meta.get("started_at", "1970-01-01T00:00:00+00:00"),
                   stop or threading.Event(), on_result)
    todo = pending_jobs(tasks, variants, store, profile, opts.rerun, opts.retry_errors)[0]
    backend_cls = backends.get(opts.backend)
    for job in hand_out_order(todo, opts, backend_cls):
        batch.jobs.put(job)
    backend = backend_cls(profile, store, opts, tasks)
    slots = backend.slots()
    log.info("run %s: %d variant(s) to grade on the %s backend, %d slot(s), %s execution", store.run_id, len(todo),
             opts.backend, len(slots), opts.execution.name)
    threads = [threading.Thread(target=batch.work, args=(s,), daemon=True, name=f"slot{s.index}") for s in slots]
    if todo:
        backend.start(todo)
    for th in threads:
        th.start()
    _wait(threads, slots, backend, batch.stop, store.run_id)
    meta = backend.close()
    if meta:
        store.write_meta(**meta)
    if batch.errors:
        raise batch.errors[0]
    if not opts.keep_workspaces:
        shutil.rmtree(store.root / "workspaces", ignore_errors=True)
    return batch.results


def hand_out_order(todo: list[tuple[Task, str]], opts: EngineOptions,
                   backend_cls: type[backends.Backend]) -> list[tuple[Task, str]]:
    """The variants in the order the slots take them: ``--order``, else the backend's choice
    (largest first on a cluster, so no long variant starts last; as given otherwise)."""
    if opts.order == "largest-first" or (opts.order is None and backend_cls.largest_first):
        return sorted(todo, key=lambda job: -_size(*job))
    return list(todo)


def _size(task: Task, variant: str) -> int:
    """How much a variant has to grade: its response's bytes (the reference's files for it)."""
    if variant in task.responses:
        return task.responses[variant].stat().st_size
    root = task.reference_dir
    return sum(p.stat().st_size for p in root.rglob("*.py")) if root is not None else 0


def _wait(threads: list[threading.Thread], slots: list[backends.Slot], backend: backends.Backend,
          stop: threading.Event, run_id: str) -> None:
    """Until every slot's thread ends; on Ctrl-C kill every slot (nothing of a worker stays) and re-raise."""
    try:
        while any(th.is_alive() for th in threads):
            time.sleep(0.2)
    except KeyboardInterrupt:
        log.info("run %s interrupted: killing %d slot(s)", run_id, len(slots))
        stop.set()
        for s in slots:
            s.kill()
        backend.interrupt()
        raise
