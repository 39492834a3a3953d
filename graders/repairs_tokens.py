"""Repairs of Python operations on values that are tokens until Terraform resolves them.

At synth time a list attribute (``DataAwsAvailabilityZones.names``, ``subnet_ids``) is a Python
list holding one token string, so ``azs.names[1]`` raises IndexError although the deployed list
has several elements; a string attribute split by Python (``alb.arn.split(":")[1]``) likewise.
``element_of_token_list`` indexes it as cdktf does, with ``Fn.element``, everywhere the module
indexes the same expression (one round for all of them).

Written as Terraform interpolation instead (``f"${{element({azs.names}, {i})}}"``), the list token
lands inside a string and synth refuses it; the error names no line, so
``interpolated_functions`` rewrites every such f-string of the response as the ``Fn`` call.
"""

from __future__ import annotations

import ast
import re

from .edits import Files, Repair, apply_edits, import_edit, python_modules, source, span
from .repairs_args import site_of

FN = "_TapgradeFn"  # cdktf's Fn, imported under a name the response cannot be using
FN_IMPORT = f"from cdktf import Fn as {FN}"


def _is_split(node: ast.expr) -> bool:
    """``x.split(sep)``: a string token split by Python (one piece at synth time)."""
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "split"
            and len(node.args) == 1 and not node.keywords)


def _indexed_attribute(node: ast.AST) -> bool:
    """``x.names[i]`` (an attribute: what a construct exposes) or ``x.arn.split(':')[i]``, indexed
    by one value, not sliced."""
    return (isinstance(node, ast.Subscript) and (isinstance(node.value, ast.Attribute) or _is_split(node.value))
            and not isinstance(node.slice, ast.Slice) and isinstance(node.ctx, ast.Load))


def element_of_token_list(signals: list[dict], files: Files, _response: Files | None = None) -> Repair | None:
    """Every ``expr[i]`` of the module whose ``expr`` is the one indexed on the failing line,
    written ``Fn.element(expr, i)`` (``Fn.element(Fn.split(sep, x), i)`` for ``x.split(sep)[i]``)."""
    site = site_of(signals, files)
    if site is None:
        return None
    path, line, text, tree = site
    subs = [n for n in ast.walk(tree) if isinstance(n, ast.Subscript) and _indexed_attribute(n)]
    on_line = [n for n in subs if n.lineno <= line <= (n.end_lineno or n.lineno)]
    if not on_line:
        return None
    lists = {ast.unparse(n.value) for n in on_line}

    def as_list(node: ast.expr) -> str:  # a Python split of a token is Terraform's split
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _is_split(node):
            return f"{FN}.split({source(text, node.args[0])}, {source(text, node.func.value)})"
        return source(text, node)

    edits = [(*span(text, n), f"{FN}.element({as_list(n.value)}, {source(text, n.slice)})")
             for n in subs if ast.unparse(n.value) in lists]
    # an inner subscript inside an outer one would overlap: keep the outermost edits only
    edits = [e for e in edits if not any(o != e and o[0] <= e[0] and e[1] <= o[1] for o in edits)]
    places = len(edits)
    if FN_IMPORT not in text:
        edits.append(import_edit(text, FN_IMPORT))
    return Repair("token-element", f"{path}:{line}: {', '.join(sorted(lists))} is a token list at synth time "
                  f"(one element until Terraform resolves it): indexed with Fn.element ({places} places)",
                  {path: apply_edits(text, edits)})


TF_CALL = re.compile(r"^\$\{(\w+)\($")


def _as_fn_call(node: ast.JoinedStr, text: str) -> str | None:
    """``f"${{fn({a}, {b})}}"`` (only formatted values and literal separators) as ``Fn.fn(a, b)``."""
    parts = node.values
    if len(parts) < 3 or not all(isinstance(p, (ast.Constant, ast.FormattedValue)) for p in parts):
        return None
    head, tail = parts[0], parts[-1]
    m = TF_CALL.match(head.value) if isinstance(head, ast.Constant) and isinstance(head.value, str) else None
    if not m or not (isinstance(tail, ast.Constant) and tail.value == ")}"):
        return None
    args: list[str] = []
    for p in parts[1:-1]:
        if isinstance(p, ast.FormattedValue) and p.conversion == -1 and p.format_spec is None:
            args.append(source(text, p.value))
        elif not (isinstance(p, ast.Constant) and isinstance(p.value, str) and p.value.strip() == ","):
            return None
    return f'{FN}.{m.group(1)}({", ".join(args)})'


def interpolated_functions(signals: list[dict], files: Files, _response: Files | None = None) -> Repair | None:
    """Each f-string that is one Terraform function call over Python values, as the ``Fn`` call."""
    out: dict[str, str] = {}
    count = 0
    for path, text, tree in python_modules(files):
        edits = [(*span(text, n), call) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr)
                 and (call := _as_fn_call(n, text))]
        if edits:
            count += len(edits)
            out[path] = apply_edits(text, edits + ([] if FN_IMPORT in text else [import_edit(text, FN_IMPORT)]))
    if not out:
        return None
    return Repair("fn-call", f"{', '.join(sorted(out))}: {count} Terraform function call(s) written as interpolation "
                  "in an f-string (a list token inside a string) written as Fn calls", out)
