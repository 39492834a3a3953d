"""Everything about a variant that is safe to do in the harness: read its markdown, extract and
write its files into the slot's workspace, say what the extraction found, and decide what (if
anything) the toolchain worker is asked to run. No model code runs here.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .bundles import REFERENCE, Task, read_response
from .contract import Entry, entry_stack_names, lacks_names, response_entry
from .extract import Extraction, extract
from .import_graph import reachable
from .records import StageOutcome
from .toolchain import Profile
from .worker.tapgrade_stages import WORKER_STAGES
from .workspace import Workspace, materialize, reference_digest, reference_extraction, template_digest


@dataclass
class Prepared:
    """A variant ready for its worker: its files in the workspace and the request to send (if any)."""

    task: Task
    variant: str
    input_hash: str
    extraction: Extraction
    workspace: Workspace
    extract_outcome: StageOutcome
    request: dict | None  # None: nothing for a worker to do
    log_dir: Path  # the variant's stage logs (the worker writes there too: the request names it)


def variant_env(task: Task, created_at: str) -> dict[str, str]:
    """Environment of the entry contract for one variant; mock credentials so nothing reaches AWS."""
    return {
        "ENVIRONMENT_SUFFIX": task.environment_suffix,
        "TERRAFORM_STATE_BUCKET": "iac-rlhf-tf-states",
        "TERRAFORM_STATE_BUCKET_REGION": "us-east-1",
        "AWS_REGION": task.region,
        "AWS_DEFAULT_REGION": task.region,
        "REPOSITORY": "tapgrade",
        "COMMIT_AUTHOR": "tapgrade",
        "PR_NUMBER": task.id,
        "TEAM": str(task.metadata.get("team", "unknown")),
        "HARNESS_CREATED_AT": created_at,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


def input_hash(task: Task, variant: str, entry: Entry, profile: Profile) -> str:
    """Content hash of everything that decides a variant's result: the cache key."""
    h = hashlib.sha256()
    parts = {
        "response": (reference_digest(task.reference_dir) if variant == REFERENCE and task.reference_dir
                     else read_response(task.responses[variant])[0]),
        "entry": [entry.origin, entry.path, entry.source],
        # the reference stage compares every other variant with the reference's stacks
        "reference": reference_digest(task.reference_dir) if task.reference_dir else None,
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


def _lacking_names(ws: Workspace) -> dict[str, list[str]]:
    """Stack modules the response has that lack a name the entry imports from them (a
    ``lib/tap_stack.py`` that is an app script, not the module defining ``TapStack``)."""
    out = {}
    for module, names in entry_stack_names(ws.entry.source).items():
        path = ws.root / (module.replace(".", "/") + ".py")
        if path.is_file():
            lacking = lacks_names(path.read_text(encoding="utf-8", errors="replace"), names)
            if lacking:
                out[module] = lacking
    return out


def _stack_module_signals(extraction: Extraction, ws: Workspace) -> list[dict]:
    """No code at all; or a stack module the entry imports that the response lacks, or has without
    the names the entry imports from it (with the response's own app, which a repair can run)."""
    if not any(p.endswith(".py") for p in extraction.files):
        return [{"kind": "no-code", "message": "the response has no Python files"}]
    missing = [m for m in ws.entry.stack_modules
               if not (ws.root / (m.replace(".", "/") + ".py")).exists()
               and not (ws.root / m.replace(".", "/") / "__init__.py").exists()]
    lacking = {} if missing else _lacking_names(ws)
    if not missing and not lacking:
        return []
    own = response_entry({p: f.text for p, f in extraction.files.items()})
    if missing:
        what = (f"{', '.join(missing)} but the response has no "
                + ", ".join(m.replace(".", "/") + ".py" for m in missing))
    else:
        what = ("; ".join(f"{', '.join(n)} from {m}" for m, n in lacking.items()) + " but the response's "
                + ", ".join(m.replace(".", "/") + ".py" for m in lacking) + " defines no such name")
    return [{"kind": "no-stack-module", "response_entry": own,
             "message": f"the entry point {ws.entry.path} imports {what}" + (f" (its own app is {own})" if own else "")}]


def _extract_outcome(extraction: Extraction, ws: Workspace) -> StageOutcome:
    signals = _stack_module_signals(extraction, ws)
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
    """Extract the variant into ``work_dir`` and log what was taken (``extract.log``); the request
    is None when nothing can run (no Python files and no app of the response's own to adopt)."""
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
    if ws.python_files or not blocked or adoptable:
        request = {
            "workspace": str(ws.root), "entry": entry.path, "stack_modules": ws.entry.stack_modules,
            "contract_call": entry.call.as_record() if entry.call else None,
            "lint_files": ws.python_files, "static_files": ws.python_files, "rcfile": str(ws.rcfile),
            "stack_files": stack_files(ws, entry),
            "log_dir": str(log_dir),
            "stages": list(WORKER_STAGES), "blocked": blocked, "env": env,
        }
    return Prepared(task, variant, input_hash(task, variant, entry, profile), extraction, ws, outcome, request,
                    log_dir)


def stack_files(ws: Workspace, entry: Entry) -> list[str]:
    """The response's files the task's entry imports, directly or not (``import_graph``)."""
    sources = {p: (ws.root / p).read_text(encoding="utf-8", errors="replace") for p in ws.python_files}
    return sorted(reachable({**sources, entry.path: entry.source}, [entry.path]) - {entry.path})


def md_lines(prep: Prepared) -> dict[str, int]:
    """Where each file the workspace holds from the response starts in its markdown (files it
    does not hold, such as a response's own entry point, and reference files have no place)."""
    return {p: f.md_line for p, f in prep.extraction.files.items() if f.md_line and p in prep.workspace.files}
