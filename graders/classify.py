"""Turn a raw stage signal into (rule, message) by walking the catalogue in order.

Post-hoc and read-only: classification only reads saved signals, so a catalogue change can be
applied to an old run without executing anything again.
"""

from __future__ import annotations

import re
import string
from collections import defaultdict
from dataclasses import replace

from harness.worker.tapgrade_stages import CHAIN

from .catalogue import (
    AFTER_STUB_RULES,
    ANY,
    EXEC,
    FAILURE_SEVERITIES,
    OUTSIDE_GRAPH_DOWNGRADE,
    PYLINT_RULES,
    RULES,
    SEVERITIES,
    Rule,
)
from .near_miss import near_misses

EXEC_STAGES = CHAIN  # where a failure is the response's code failing
# What a message says when the worker's suggestions hold no honest near miss (graders/near_miss.py).
NO_NEAR_NAME = {
    "static-import": "; nothing of a near name exists (if it stands for a block of a resource, "
                     "the block's fields are plain arguments of the resource)",
    "static-unknown-arg": "; no argument of a near name exists",
}


def derived(signal: dict) -> dict:
    """Fields rules may match on besides the raw ones: where it failed, a one-line message."""
    frames = signal.get("frames") or []
    top = frames[-1] if frames else {}
    msg = str(signal.get("message", ""))
    head = next((ln.strip() for ln in msg.splitlines() if ln.strip()), "")
    arg = re.search(r"unexpected keyword argument '(\w+)'", msg)
    return {**signal, "top_file": top.get("file", ""), "top_line": top.get("line"), "message_head": head[:500],
            "arg": arg.group(1) if arg else "",
            # raised in the task's entry point (runs before its path was recorded: the template's tap.py)
            "at_entry": signal.get("at_entry", top.get("file") == "tap.py")}


def _wanted(signal: dict) -> str:
    """The name a signal's suggestions stand in for (a missing import, module or argument)."""
    return str(signal.get("missing_name") or signal.get("missing_module") or signal.get("arg") or "")


def _matches(rule: Rule, stage: str, sig: dict) -> bool:
    if rule.stage == ANY:
        pass
    elif rule.stage == EXEC:
        if stage not in EXEC_STAGES:
            return False
    elif rule.stage != stage:
        return False
    for key, want in rule.when.items():
        have = sig.get(key)
        if have is None:
            return False
        if isinstance(want, str) and not isinstance(have, (dict, list)):
            if key == "kind" or key == "symbol":
                if have != want and not re.fullmatch(want, str(have)):
                    return False
            elif not re.search(want, str(have)):
                return False
        elif have != want:
            return False
    return True


def after_stub(rule: Rule, message: str, stubs: list[str]) -> tuple[Rule, str]:
    """The rule and message of a finding made after repairs ``stubs`` took names out: a missing
    argument, or an attribute read off None, may be the stub's doing (the catalogue's
    ``AFTER_STUB_RULES``, matched against "rule-id message"), so Info."""
    if not stubs or not re.search(AFTER_STUB_RULES, f"{rule.id} {message}"):
        return rule, message
    return (replace(rule, severity="Info"),
            message + f" (may follow from {', '.join(stubs)}, which took a name that exists nowhere out: "
                      "calls to it give None)")


def _outside_graph(rule: Rule) -> Rule:
    """The rule as it rates a finding in a file outside the stack's import graph: lower by the
    catalogue's ``OUTSIDE_GRAPH_DOWNGRADE`` levels, never below Low (nor Info raised)."""
    if rule.severity not in FAILURE_SEVERITIES:
        return rule
    lowered = min(SEVERITIES.index(rule.severity) + OUTSIDE_GRAPH_DOWNGRADE, SEVERITIES.index("Low"))
    return replace(rule, severity=SEVERITIES[lowered])


def classify(stage: str, signal: dict) -> tuple[Rule, str]:
    """The first matching rule and the rendered message; every signal gets a rule."""
    rule, message, _ = classify_defect(stage, signal)
    return rule, message


def _hint(signal: dict) -> str:
    """What the message adds about the name: an honest near miss, or that none exists (unless the
    name lives in another module, which the message already says)."""
    suggestions = near_misses(_wanted(signal), signal.get("suggestions") or [])
    if suggestions:
        return f"; did you mean `{suggestions[0]}`?"
    if "suggestions" in signal and signal.get("kind") in NO_NEAR_NAME and not signal.get("home_module"):
        return NO_NEAR_NAME[signal["kind"]]
    return ""


def classify_defect(stage: str, signal: dict) -> tuple[Rule, str, str | None]:
    """Like ``classify``, plus the defect key (None: this finding merges with nothing)."""
    sig = derived(signal)
    rule = None
    if signal.get("kind") == "pylint" and signal.get("symbol") in PYLINT_RULES:
        rule = PYLINT_RULES[signal["symbol"]]
    if rule is None:
        rule = next((r for r in RULES if _matches(r, stage, sig)), None)
    if rule is None:
        raise LookupError(f"no catalogue rule for {stage} signal kind={signal.get('kind')!r}")
    values = defaultdict(str, {k: v for k, v in sig.items() if isinstance(v, (str, int, float))})
    message = rule.message.format_map(values)
    message += _hint(signal)
    if signal.get("outside_graph") and stage in ("static", "lint"):
        rule, message = _outside_graph(rule), message + " (in a file the stack's entry never imports)"
    defect = None
    if rule.defect:
        fields = [f for _, f, _, _ in string.Formatter().parse(rule.defect) if f]
        # A key with an empty part would merge unrelated findings; such a finding stands alone.
        if all(values[f] not in ("", None) for f in fields):
            defect = rule.defect.format_map(values)
    return rule, message, defect
