"""The response's synthesized stack against the reference's (the code the task was merged with,
which met its prompt and deployed): what the response lacks, and values that differ where the
prompt states the value.

Post-hoc and read-only. Two correct answers can differ, so a difference becomes a failure only
where the prompt speaks: a kind of resource the reference creates and the response does not is
High when a sentence of the prompt names that kind (``PROMPT_NAMES``), a value the reference sets
is Medium when the prompt states it in a sentence about that attribute; everything else is Info.
Signals are ``{"kind": "reference", "rule": "missing-control" | "missing-resource" |
"value-contradicts-prompt" | "difference", ...}`` with both sides and the prompt's sentence.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .reference_vocab import EQUIVALENT, INLINE, PROMPT_NAMES, SECURITY_CONTROLS, SKIP_ATTRIBUTES, STOPWORDS
from .tf_config import is_literal, resources

NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10}


@dataclass(frozen=True)
class Stacks:
    """Every synthesized stack of one side, read as one: resource counts and attribute values by type."""
    counts: Counter
    values: dict[tuple[str, str], list[object]]  # (type, attribute) -> each instance's value (None: unset)

    @classmethod
    def of(cls, configs: list[dict]) -> Stacks:
        counts: Counter = Counter()
        values: dict[tuple[str, str], list[object]] = {}
        for config in configs:
            for res in resources(config):
                rtype = EQUIVALENT.get(res.type, res.type)
                counts[rtype] += 1
                for (t, block), provides in INLINE.items():
                    if t == rtype and res.body.get(block):  # the capability, as an inline block
                        counts[f"inline:{provides}"] += 1
                for attr, v in res.body.items():
                    values.setdefault((rtype, attr), []).append(v)
        return cls(counts, values)

    def has(self, rtype: str) -> bool:
        return self.counts.get(rtype, 0) > 0 or self.counts.get(f"inline:{rtype}", 0) > 0

    def instances(self, rtype: str) -> int:
        return self.counts.get(rtype, 0)


def sentences(prompt: str) -> list[str]:
    """The prompt cut into sentences and list items (a version's dot does not end one)."""
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z*#-])|\n+", prompt) if s.strip()]


NEGATION = re.compile(r"\b(avoid\w*|without|no|not|never|instead of|rather than|eliminat\w*|replac\w*)\b[^.;:]{0,40}$",
                      re.IGNORECASE)


def _names(pattern: str, sentence: str) -> bool:
    """Whether the sentence names the kind, not in a negation ("to avoid internet gateway charges")."""
    return any(not NEGATION.search(sentence[: m.start()]) for m in re.finditer(pattern, sentence, re.IGNORECASE))


def naming_sentence(rtype: str, prompt_sentences: list[str]) -> str | None:
    """The first sentence of the prompt that names this kind of resource (every pattern of it)."""
    patterns = PROMPT_NAMES.get(rtype)
    if not patterns:
        return None
    return next((s for s in prompt_sentences if all(_names(p, s) for p in patterns)), None)


def _short(text: str, n: int = 220) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def missing_kinds(resp: Stacks, ref: Stacks, prompt_sentences: list[str]) -> list[dict]:
    """Kinds of resource the reference creates and the response does not."""
    out = []
    for rtype in sorted(t for t in ref.counts if not t.startswith("inline:") and ref.counts[t] > 0):
        if resp.has(rtype):
            continue
        said = naming_sentence(rtype, prompt_sentences)
        rule = ("missing-control" if rtype in SECURITY_CONTROLS else "missing-resource") if said else "difference"
        msg = f"the reference creates {ref.counts[rtype]} {rtype}, the response none"
        out.append({"kind": "reference", "rule": rule, "resource_type": rtype, "reference": ref.counts[rtype],
                    "response": 0, "prompt": _short(said) if said else None,
                    "message": msg + (f"; the prompt: \"{_short(said)}\"" if said else " (the prompt does not name it)")})
    return out


def _asked_count(rtype: str, prompt_sentences: list[str]) -> tuple[int, str] | None:
    """A count the prompt states for this kind ("three private subnets", "2 NAT gateways")."""
    patterns = PROMPT_NAMES.get(rtype)
    if not patterns:
        return None
    for s in prompt_sentences:
        m = re.search(r"\b(\d{1,2}|" + "|".join(NUMBER_WORDS) + r")\b(?:\s+[\w-]+){0,2}?\s+(?:" + patterns[0] + ")",
                      s, re.IGNORECASE)
        if m:
            word = m.group(1).lower()
            return (int(word) if word.isdigit() else NUMBER_WORDS[word]), s
    return None


def count_differences(resp: Stacks, ref: Stacks, prompt_sentences: list[str]) -> list[dict]:
    """Fewer resources of a kind than the prompt asks for (Medium), or than the reference has (Info)."""
    out = []
    for rtype in sorted(t for t in ref.counts if not t.startswith("inline:")):
        mine, theirs = resp.instances(rtype), ref.instances(rtype)
        if mine == 0 or mine >= theirs:
            continue
        asked = _asked_count(rtype, prompt_sentences)
        if asked and mine < asked[0] <= theirs:
            out.append({"kind": "reference", "rule": "value-contradicts-prompt", "resource_type": rtype,
                        "reference": theirs, "response": mine, "prompt": _short(asked[1]),
                        "message": f"the prompt asks for {asked[0]} {rtype}: the response creates {mine} (the "
                                   f"reference {theirs}); the prompt: \"{_short(asked[1])}\""})
        else:
            out.append({"kind": "reference", "rule": "difference", "resource_type": rtype, "reference": theirs,
                        "response": mine, "message": f"the reference creates {theirs} {rtype}, the response {mine}"})
    return out


def _words(attr: str) -> list[str]:
    return [w for w in attr.split("_") if w not in STOPWORDS and len(w) > 2]


def _stated(value: object, attr: str, rtype: str, prompt_sentences: list[str]) -> str | None:
    """The prompt's sentence that states this value for this attribute, if one does."""
    text = str(value).lower()
    if isinstance(value, bool) or text in ("", "0", "1", "true", "false", "none"):
        return None
    pat = re.compile(r"(?<![\w.])" + re.escape(text) + r"(?![\w]|\.\d)", re.IGNORECASE)
    words = _words(attr)
    if not words:
        return None
    for s in prompt_sentences:
        low = s.lower()  # the attribute's leading word must be there: "retention" for retention_in_days,
        if pat.search(low) and words[0][:5] in low:  # "performance" (not "retention") for performance_insights_...
            return s
    return None


def value_contradictions(resp: Stacks, ref: Stacks, prompt_sentences: list[str]) -> list[dict]:
    """Values the prompt states, the reference uses and the response's resources of that kind do not."""
    out = []
    for (rtype, attr), ref_values in sorted(ref.values.items(), key=lambda kv: kv[0]):
        if attr in SKIP_ATTRIBUTES or not resp.instances(rtype):
            continue
        mine = resp.values.get((rtype, attr), [])
        if any(not is_literal(v) for v in mine if v is not None and not isinstance(v, bool)):
            continue  # an expression may well evaluate to the value
        unset = resp.instances(rtype) - len(mine)
        for value in dict.fromkeys(v for v in ref_values if is_literal(v)):
            said = _stated(value, attr, rtype, prompt_sentences)
            if said is None or any(str(m).lower() == str(value).lower() for m in mine):
                continue
            got = ", ".join(sorted({str(m) for m in mine})) + (" / not set" if unset and mine else "") or "not set"
            out.append({"kind": "reference", "rule": "value-contradicts-prompt", "resource_type": rtype,
                        "attribute": attr, "reference": value, "response": got, "prompt": _short(said),
                        "message": f"{rtype}.{attr}: the prompt states {value} (the reference's value), the "
                                   f"response has {got}; the prompt: \"{_short(said)}\""})
    return out


def compare(response: list[dict], reference: list[dict], prompt: str) -> list[dict]:
    """Every difference of the response's stacks from the reference's that the comparison reports."""
    resp, ref = Stacks.of(response), Stacks.of(reference)
    said = sentences(prompt)
    return missing_kinds(resp, ref, said) + count_differences(resp, ref, said) + value_contradictions(resp, ref, said)
