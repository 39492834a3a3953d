"""The interface every backend implements, and the one a slot of any backend offers the engine
(the backends themselves, and the registry that finds them, are in ``harness/backends/``).

A run's life, as the engine drives it: ``preflight`` (can this backend run here, and what will it
use: recorded in run.json) -> construction with the run's tasks -> ``slots`` (one per worker;
the engine gives each a thread that pulls variants from the queue and calls ``Slot.grade``) ->
``start`` (shared services begin, e.g. the local lint warm-up) -> ``close`` on a normal end, or
``interrupt`` on Ctrl-C / SIGTERM after every slot was killed. ``leftovers`` serves
``harness clean``: what runs whose harness died left behind.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from .bundles import Task
    from .contract import Entry
    from .options import EngineOptions
    from .records import Records, VariantResult
    from .runstore import RunStore
    from .terraform import Detection
    from .toolchain import Profile



class BackendUnavailable(Exception):
    """The backend cannot run here (no toolchain, no Docker engine, a stale image): the message
    says what is missing and how to get it."""


@dataclass
class Preflight:
    """What a backend found before the run: recorded in run.json, and what the slots use."""

    toolchain: dict  # versions (or the image and its labels) that will grade
    terraform: Detection  # found here, or why not / where it is detected instead
    checkov: tuple[bool, str]  # usable, and what (or why not)
    warnings: list[str] = field(default_factory=list)  # stages that will be skipped, and why


class Slot(ABC):
    """One worker seat: grades variants one after another."""

    index: int | str

    @abstractmethod
    def grade(self, task: Task, variant: str, entry: Entry, created_at: str,
              stop: threading.Event) -> tuple[VariantResult, Records] | None:
        """One variant's result and its run-store records; None if ``stop`` was set meanwhile
        (nothing partial is recorded)."""

    @abstractmethod
    def retire(self) -> None:
        """Drop the worker now held (a harness fault: the next variant gets a fresh one)."""

    @abstractmethod
    def close(self) -> None:
        """A normal end: stop the worker politely, keep its logs."""

    @abstractmethod
    def kill(self) -> None:
        """Ctrl-C / SIGTERM: end everything of this slot at once."""


class Backend(ABC):
    name: ClassVar[str] = ""
    # Grade the largest responses first (a cluster's slots then end together rather than one long
    # variant starting last); local and docker keep the tasks' order, which the plain log follows.
    largest_first: ClassVar[bool] = False

    def __init__(self, profile: Profile, store: RunStore, opts: EngineOptions, tasks: list[Task]):
        self.profile, self.store, self.opts, self.tasks = profile, store, opts, tasks

    @classmethod
    @abstractmethod
    def preflight(cls, opts: EngineOptions, profile: Profile) -> Preflight:
        """Check this backend can grade here; raise ``BackendUnavailable`` saying why not."""

    @abstractmethod
    def slots(self) -> list[Slot]:
        """One slot per worker (``opts.workers``)."""

    def start(self, todo: list[tuple[Task, str]]) -> None:  # noqa: B027 - a hook, optional
        """The variants to grade are known: shared services may begin (nothing by default)."""

    def close(self) -> dict:
        """A normal end, after every slot closed: what to add to run.json."""
        return {}

    def interrupt(self) -> None:  # noqa: B027 - a hook, optional
        """Ctrl-C / SIGTERM, after every slot was killed: whatever else must not stay."""

    @classmethod
    def leftovers(cls, all_runs: bool = False) -> list[str]:
        """Remove what runs whose harness is gone left behind (``harness clean``); their names."""
        return []
