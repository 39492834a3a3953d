"""The run store: ``runs/<run_id>/`` holding everything a run learned, as append-only data.

Layout::

    run.json          arguments, harness and toolchain versions, backend, start and end
    variants.jsonl    one record per (task, variant): input hash, entry origin, files, verdict
    outcomes.jsonl    one record per (task, variant, stage): status, reason, duration, signals
    findings.jsonl    one record per finding: rule id, severity, message, file/line/md_line
    errors.jsonl      bundles that could not be loaded (one line each)
    logs/<task>/<variant>/<stage>.log
    artifacts/<task>/<variant>/<stack>/cdk.tf.json

Crash-safety: each record is one JSON line written with a single ``write`` and fsync'd; a
reader ignores a torn last line. Nothing is rewritten in place except run.json, which is
replaced atomically (write to a temp file, then rename). Every record carries ``input_hash``,
the content hash of what produced it.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .records import Records

RECORD_FILES = ("variants", "outcomes", "findings", "errors")


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


def _atomic_write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str), encoding="utf-8")
    os.replace(tmp, path)


def read_jsonl(path: Path) -> list[dict]:
    """Records of one file; a torn final line (a crash mid-write) is skipped, not fatal."""
    if not path.exists():
        return []
    out = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.endswith("\n"):
                break  # torn write at the end
            line = line.strip()
            if line:
                out.append(json.loads(line))
    return out


@dataclass
class RunStore:
    root: Path

    def __post_init__(self) -> None:
        # Absolute: worker processes run in their slot's directory, and a relative path (the
        # default ``--out runs``) would name something else there (jsii's TMPDIR among them).
        self.root = Path(self.root).resolve()
        self._lock = threading.Lock()

    @classmethod
    def create(cls, out_root: Path, run_id: str | None = None) -> RunStore:
        root = out_root / (run_id or new_run_id())
        root.mkdir(parents=True, exist_ok=True)
        return cls(root)

    @property
    def run_id(self) -> str:
        return self.root.name

    @property
    def meta_path(self) -> Path:
        return self.root / "run.json"

    def read_meta(self) -> dict:
        return json.loads(self.meta_path.read_text(encoding="utf-8")) if self.meta_path.exists() else {}

    def write_meta(self, **fields) -> None:
        with self._lock:
            _atomic_write_json(self.meta_path, {**self.read_meta(), **fields})

    def append(self, kind: str, records: Sequence[Mapping[str, Any]]) -> None:
        """Append records of one kind; one write per record, then fsync."""
        assert kind in RECORD_FILES, kind
        if not records:
            return
        with self._lock, (self.root / f"{kind}.jsonl").open("a", encoding="utf-8") as fh:
            for rec in records:
                fh.write(json.dumps(rec, sort_keys=True, default=str) + "\n")
            fh.flush()
            os.fsync(fh.fileno())

    def append_variant(self, recs: Records) -> None:
        """One variant's rows in commit order: its ``variants`` row, written last, commits it."""
        self.append("outcomes", recs["outcomes"])
        self.append("findings", recs["findings"])
        self.append("variants", recs["variants"])

    def records(self, kind: str) -> list[dict]:
        return read_jsonl(self.root / f"{kind}.jsonl")

    def log_dir(self, task_id: str, variant: str) -> Path:
        d = self.root / "logs" / task_id / variant
        d.mkdir(parents=True, exist_ok=True)
        return d

    def artifact_dir(self, task_id: str, variant: str) -> Path:
        d = self.root / "artifacts" / task_id / variant
        d.mkdir(parents=True, exist_ok=True)
        return d
