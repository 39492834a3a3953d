"""Terraform diagnostics as the harness's signals, and a stage's status from its signals.

A diagnostic is named for what it is: an error of the response (``terraform-diagnostic``), the
environment's failure (``infra``: the emulator, the mirror), or a difference between the mirror's
AWS provider and the pinned provider package the response was written against
(``provider-version``: an argument the pinned package defines and the mirror's provider lacks).
"""

from __future__ import annotations

import re

from graders.infra_signatures import infra_reason

from .. import schema_check

PROVIDER_VERSION_SUMMARIES = ("Extraneous JSON object property", "Unsupported argument", "Unsupported block type",
                              "Invalid resource type", "Invalid data source", "Unsupported attribute")


def construct(config: dict, address: str | None) -> str | None:
    """The CDKTF construct path the synthesized block at ``address`` came from, if it says."""
    if not address:
        return None
    parts = address.split(".")
    section, parts = ("data", parts[1:]) if parts[0] == "data" else ("resource", parts)
    if len(parts) < 2:
        return None
    body = ((config.get(section) or {}).get(parts[0]) or {}).get(parts[1].split("[")[0]) or {}
    return ((body.get("//") or {}).get("metadata") or {}).get("path")


def _diag_signal(diag: dict, config: dict, stage_tool: str, schema: dict | None) -> dict:
    """A Terraform diagnostic as a signal; provider-version differences and infra errors named."""
    snippet = diag.get("snippet") or {}
    context = snippet.get("context") or diag.get("address") or ""
    address = context.removeprefix("resource.") if context.startswith(("resource.", "data.")) else context or None
    detail = str(diag.get("detail") or "")
    named = re.search(r'"([\w.]+)"', detail)
    sig = {"kind": "terraform-diagnostic", "tool": stage_tool, "severity": diag.get("severity", "error"),
           "summary": diag.get("summary", ""), "detail": detail, "address": address,
           "attribute": named.group(1) if named else None, "construct": construct(config, address),
           "line": (diag.get("range") or {}).get("start", {}).get("line")}
    sig["message"] = f"{address + ': ' if address else ''}{sig['summary']}: {detail}".strip().rstrip(":")
    if sig["severity"] == "error":
        reason = infra_reason(f"{sig['summary']} {detail}")
        if reason:
            return {**sig, "kind": "infra", "reason": reason}
        if schema is not None and sig["summary"] in PROVIDER_VERSION_SUMMARIES and _newer_provider_knows(
                sig, snippet, schema):
            return {**sig, "kind": "provider-version",
                    "message": sig["message"] + f" (the pinned provider package, AWS {schema['provider_version']}, "
                                                "defines it)"}
    return sig


def signals(diags: list[dict], config: dict, schema: dict | None) -> list[dict]:
    """Terraform's diagnostics as signals, in a fixed order: terraform walks the graph in parallel,
    so the same stack's diagnostics come out in a different order from run to run."""
    sigs = [_diag_signal(d, config, "terraform", schema) for d in diags]
    return sorted(sigs, key=lambda s: (s.get("line") or 0, s.get("address") or "", s.get("summary") or "",
                                       s.get("message") or ""))


def _newer_provider_knows(sig: dict, snippet: dict, schema: dict) -> bool:
    """Whether the pinned provider package (its jsii schema) knows what the mirror's provider rejected."""
    name = sig.get("attribute")
    if sig["summary"] in ("Invalid resource type", "Invalid data source"):
        m = re.search(r'(?:type|data source) "(aws_\w+)"', sig["detail"])
        return bool(m and (m.group(1) in schema["resource"] or m.group(1) in schema["data"]))
    if not name:
        return False
    if sig["summary"] == "Unsupported attribute":
        ref = re.search(r"(data\.)?(aws_\w+)\.[\w-]+\." + re.escape(name) + r"\b", snippet.get("code") or "")
        return bool(ref and schema_check.knows_attribute(schema, "data" if ref.group(1) else "resource",
                                                         ref.group(2), name))
    address = sig.get("address") or ""
    parts = address.split(".")
    section, rtype = ("data", parts[1]) if parts[0] == "data" and len(parts) > 1 else ("resource", parts[0])
    return schema_check.knows_argument(schema, section, rtype, name.split(".")[-1])


def status(sigs: list[dict]) -> str:
    """A stage's status: an error of the response fails it; else an infra signal makes it infra-error."""
    if any(s["kind"] == "terraform-diagnostic" and s.get("severity") == "error" for s in sigs):
        return "fail"
    if any(s["kind"] == "infra" for s in sigs):
        return "infra-error"
    return "pass"


def worst(states: list[str]) -> str:
    """The state of a stage over several stacks: the worst of theirs (none: skipped)."""
    for s in ("fail", "infra-error", "skipped", "pass"):
        if s in states:
            return s
    return "skipped"
