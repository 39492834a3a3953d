"""A construct id used twice in one scope: the second call gets an id of its own.

cdktf refuses a second construct with the same id in one scope ("There is already a Construct
with name 'x'"); models copy a block and forget to change its id. ``rename_construct_id`` gives the
call that raised a literal id with a ``-tapgrade-2`` suffix, when the first use is another call (a
loop that builds the same literal id on every pass has nothing mechanical to rename). Recorded with
its diff; the response as written keeps its verdict.
"""

from __future__ import annotations

import ast
import re

from .edits import Files, Repair, apply_edits, span
from .repairs_args import site_of

DUPLICATE = re.compile(r"There is already a Construct with name '([^']+)'")


def _id_literals(tree: ast.AST, cid: str) -> list[tuple[ast.Call, ast.Constant]]:
    """Calls whose second positional argument is the literal id ``cid``."""
    return [(n, n.args[1]) for n in ast.walk(tree) if isinstance(n, ast.Call) and len(n.args) >= 2
            and isinstance(n.args[1], ast.Constant) and n.args[1].value == cid]


def rename_construct_id(signals: list[dict], files: Files, _response: Files | None = None) -> Repair | None:
    m = next(filter(None, (DUPLICATE.search(str(s.get("message", ""))) for s in signals)), None)
    site = site_of(signals, files) if m else None
    if m is None or site is None:
        return None
    path, line, text, tree = site
    uses = _id_literals(tree, m.group(1))
    here = [(c, k) for c, k in uses if c.lineno <= line <= (c.end_lineno or c.lineno)]
    if len(uses) < 2 or not here:
        return None
    _, const = min(here, key=lambda ck: (ck[0].end_lineno or ck[0].lineno) - ck[0].lineno)
    start, end = span(text, const)
    new_id = f"{m.group(1)}-tapgrade-2"
    return Repair("rename-construct-id", f"{path}:{const.lineno}: construct id {m.group(1)!r} is used twice in one "
                  f"scope: this one renamed {new_id!r}", {path: apply_edits(text, [(start, end, repr(new_id))])})
