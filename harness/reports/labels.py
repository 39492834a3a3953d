"""Adjudicated labels: what an expert judged each human MODEL_FAILURES.md item to be, and which
harness finding detects it.

Two CSV files (``labels/cdktf-py.csv`` and ``labels/cdktf-py-extra.csv`` in this repository):

- items: ``task, item, title, human_severity, verdict, judged_severity, category, rule, text, why``.
  ``verdict`` is ``offline`` (a real defect detectable from the code alone), ``prompt`` (real, needs
  the prompt's requirements), ``deploy`` (real, needs a real deployment) or ``not-defect`` (``why``
  says why). ``rule`` is a regex the finding's rule id must match in full and ``text`` one its
  message must contain (case-insensitive; blank: any); an item without ``rule`` has no finding
  that detects it.
- extra: ``task, rule, text, judged_severity, why``: genuine defects of the response that the human
  did not list and the harness reports (reviewed one by one), so they do not count as false alarms.

Titles and reasons are the adjudicator's own words; no corpus text is copied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from graders.catalogue import FAILURE_SEVERITIES

VERDICTS = ("offline", "prompt", "deploy", "not-defect")
REAL = VERDICTS[:3]
ITEM_COLUMNS = ("task", "item", "title", "human_severity", "verdict", "judged_severity", "category", "rule", "text", "why")
EXTRA_COLUMNS = ("task", "rule", "text", "judged_severity", "why")


class LabelError(ValueError):
    """A label file that cannot be scored as written (the message names the file, row and field)."""


@dataclass(frozen=True)
class Labels:
    items: pd.DataFrame
    extra: pd.DataFrame

    @property
    def tasks(self) -> list[str]:
        return sorted(set(self.items.task))


def _read(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    if not path.is_file():
        raise LabelError(f"{path}: no such label file")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise LabelError(f"{path}: missing column(s) {', '.join(missing)} (expected {', '.join(columns)})")
    return df[list(columns)]


def _check(df: pd.DataFrame, path: Path) -> None:
    """Every row scoreable: a known verdict, a severity where one is needed, patterns that compile."""
    for i, row in df.iterrows():
        where = f"{path}: row {int(str(i)) + 2}"
        if "verdict" in row and row.verdict not in VERDICTS:
            raise LabelError(f"{where}: verdict {row.verdict!r} is not one of {', '.join(VERDICTS)}")
        real = row.get("verdict", "offline") in REAL
        if real and row.judged_severity and row.judged_severity not in FAILURE_SEVERITIES:
            raise LabelError(f"{where}: judged_severity {row.judged_severity!r} is not one of {', '.join(FAILURE_SEVERITIES)}")
        for field in ("rule", "text"):
            try:
                re.compile(row[field])
            except re.error as exc:
                raise LabelError(f"{where}: {field} {row[field]!r} is not a regular expression ({exc})") from None


def load_labels(items_path: Path, extra_path: Path | None = None) -> Labels:
    """Both files, checked (``extra`` defaults to ``<items stem>-extra.csv`` beside the items, if there)."""
    items = _read(items_path, ITEM_COLUMNS)
    _check(items, items_path)
    extra_path = extra_path or items_path.with_name(f"{items_path.stem}-extra.csv")
    extra = _read(extra_path, EXTRA_COLUMNS) if extra_path.is_file() else pd.DataFrame(columns=list(EXTRA_COLUMNS))
    _check(extra, extra_path)
    return Labels(items.reset_index(drop=True), extra.reset_index(drop=True))


def matches(rule: str, text: str, rule_id: str, message: str) -> bool:
    """Whether a finding (rule id, message) is what a label's patterns name."""
    return bool(rule) and re.fullmatch(rule, rule_id) is not None and (
        not text or re.search(text, message, re.I) is not None)
