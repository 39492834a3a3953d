"""What a catalogue rule is, and the severities it can give (worst first)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    CRITICAL = "Critical"
    HIGH = "High"
    MEDIUM = "Medium"
    LOW = "Low"
    INFO = "Info"


# Plain strings, worst first: what records and DataFrames hold.
SEVERITIES: tuple[str, ...] = tuple(s.value for s in Severity)
FAILURE_SEVERITIES = SEVERITIES[:4]


@dataclass(frozen=True)
class Rule:
    id: str
    stage: str  # stage whose signals it classifies; "*" for any execution stage
    severity: str
    title: str
    root_cause: str
    fix_hint: str
    # Match on the raw signal: every key must match (regex search for strings, equality for others).
    when: dict = field(default_factory=dict)
    message: str = "{message}"
    repair: str | None = None  # name of a mechanical repair in graders/repairs.py
    # Identity of the defect, shared by the static and the execution evidence of it, so the two
    # merge into one finding. Formatted like ``message``; static signals carry theirs as {defect}.
    defect: str | None = None


EXEC = "*"  # the stages that run the response's code: import, instantiate, synth
ANY = "any"  # any stage (what a worker finds after the response's code ran, attached to a stage)
