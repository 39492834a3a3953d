"""Which suggested names are honest "did you mean"s.

The worker offers the provider's closest names by ``difflib`` ratio, which happily pairs names
that merely share a long prefix (``DynamodbTableStreamSpecification`` -> ``DynamodbTableReplica``).
A suggestion is shown, and a repair renames to it, only when it is the same name written another
way: a versioned twin (``S3BucketVersioning`` -> ``S3BucketVersioningA``), another case or
underscore style (``streamMode`` -> ``stream_mode``), a plural, a module path that differs only in
these, or a slip of one or two letters in a long name.
"""

from __future__ import annotations

TWIN_SUFFIXES = ("A", "_a")  # the provider versions a class (and its module) by appending these


def _norm(name: str) -> str:
    return name.replace("_", "").replace(".", "/").lower()


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (names are short; the plain dynamic programme is enough)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def is_near_miss(wanted: str, candidate: str) -> bool:
    """Whether ``candidate`` is ``wanted`` written another way (see the module docstring)."""
    if candidate == wanted:
        return False
    if any(candidate == wanted + s for s in TWIN_SUFFIXES):
        return True
    w, c = _norm(wanted), _norm(candidate)
    if w == c or w.rstrip("s") == c.rstrip("s"):
        return True
    leaf_w, leaf_c = w.rsplit("/", 1)[-1], c.rsplit("/", 1)[-1]
    if w.rsplit("/", 1)[0] != c.rsplit("/", 1)[0] and "/" in w:
        return False  # another module path: not a slip
    return len(leaf_w) >= 8 and _distance(leaf_w, leaf_c) <= (1 if len(leaf_w) < 16 else 2)


def near_misses(wanted: str, suggestions: list[str]) -> list[str]:
    """The honest ones among ``suggestions``, in their order."""
    return [s for s in suggestions if is_near_miss(wanted, s)]
