"""The stages a variant goes through and the statuses a stage ends in, defined once.

The harness (``grade``, ``slot``, ``results``), the graders (``classify``) and the toolchain worker
read them from here; the worker runs in the toolchain's interpreter and imports this file as a
sibling (``import tapgrade_stages``), so it is stdlib only. The prefix keeps the name out of the
way of a response's own top-level module (a ``stages.py`` of the response would otherwise find
this one already imported)."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    EXTRACT = "extract"
    STATIC = "static"
    IMPORT = "import"
    INSTANTIATE = "instantiate"
    SYNTH = "synth"
    LINT = "lint"
    VALIDATE = "validate"
    PLAN = "plan"
    RULES = "rules"
    CHECKOV = "checkov"
    DEPLOY_RULES = "deploy-rules"
    REFERENCE = "reference"
    DEPLOY = "deploy"


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIPPED = "skipped"
    INFRA_ERROR = "infra-error"


# Plain strings, in order: what records, DataFrames and the worker protocol hold.
STAGES: tuple[str, ...] = tuple(s.value for s in Stage)
# The stages that run the response's code (import, construct the stack, synth), one after another.
CHAIN: tuple[str, ...] = (Stage.IMPORT.value, Stage.INSTANTIATE.value, Stage.SYNTH.value)
# What the toolchain worker runs.
WORKER_STAGES: tuple[str, ...] = (Stage.STATIC.value, *CHAIN, Stage.LINT.value)
STATUSES: tuple[str, ...] = tuple(s.value for s in Status)
