"""Repairs that get a response past a wrong name in a call, so the stages after it can judge the rest.

``fix_argument``: an unknown keyword argument is renamed to the provider's honest near miss
(``streamMode`` -> ``stream_mode``), else removed from the call; ``coerce_argument`` writes a
literal as the declared type; ``drop_attribute`` replaces an attribute the object lacks. All are
recorded findings with their diffs; the response as written keeps its verdict.
"""

from __future__ import annotations

import ast
import re

from .edits import Files, Repair, Site, apply_edits, blank, first, import_edit, offset, parsed_site, span
from .near_miss import is_near_miss, near_misses


def call_site(signals: list[dict]) -> tuple[str | None, int | None]:
    """The call's file and line: the static signal's, else the innermost frame of the exception."""
    static = next((s for s in signals if s.get("kind") == "static-unknown-arg"), None)
    if static is not None:
        return static.get("file"), static.get("line")
    for s in signals:
        frames = s.get("frames") or []
        if frames:
            return frames[-1]["file"], frames[-1]["line"]
    return None, None


def site_of(signals: list[dict], files: Files) -> Site | None:
    """The parsed file and line of the call the evidence points at."""
    return parsed_site(files, *call_site(signals))


def _unknown_arg(signals: list[dict]) -> str | None:
    named = first([s for s in signals if s.get("kind") == "static-unknown-arg"], "arg")
    if named:
        return named
    m = re.search(r"unexpected keyword argument '(\w+)'", " ".join(str(s.get("message", "")) for s in signals))
    return m.group(1) if m else None


def _call_with(tree: ast.AST, line: int, arg: str) -> tuple[ast.Call, ast.keyword] | None:
    """The innermost call spanning ``line`` that passes keyword ``arg``."""
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and n.lineno <= line <= (n.end_lineno or n.lineno)
             and any(k.arg == arg for k in n.keywords)]
    if not calls:
        return None
    call = min(calls, key=lambda n: ((n.end_lineno or n.lineno) - n.lineno, -n.col_offset))
    return call, next(k for k in call.keywords if k.arg == arg)


NOT_ARGUMENTS = ("tags", "tags_all", "environment", "variables")  # dicts whose keys are data, not arguments


def _argument_dicts(node: ast.AST):
    """The dict literals under ``node`` that jsii reads as structs: ``**{...}`` of a struct call,
    a keyword's dict and the dicts nested in them, not data (tags, a policy under json.dumps)."""
    if isinstance(node, ast.Call) and re.search(r"dumps|jsonencode", ast.unparse(node.func)):
        return
    if isinstance(node, ast.keyword) and node.arg in NOT_ARGUMENTS:
        return
    if isinstance(node, ast.Dict):
        yield node
    for child in ast.iter_child_nodes(node):
        yield from _argument_dicts(child)


def _dict_entry(tree: ast.AST, line: int, arg: str) -> tuple[ast.Call, ast.expr, ast.expr] | None:
    """The ``"arg": value`` entry of a dict the call spanning ``line`` passes (``Struct(**{...})``
    as dict-to-struct builds it, a keyword's dict, or one nested in them: jsii converts nested dicts
    in the struct's constructor, so the error names the outer call's line): the innermost such
    call, the key and the value."""
    calls = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Call) and n.lineno <= line <= (n.end_lineno or n.lineno)),
                   key=lambda n: ((n.end_lineno or n.lineno) - n.lineno, -n.col_offset))
    for call in calls:
        for d in (d for k in call.keywords for d in _argument_dicts(k)):
            for key, value in zip(d.keys, d.values):
                if isinstance(key, ast.Constant) and key.value == arg:
                    return call, key, value
    return None


def _drop_keyword(text: str, kw: ast.keyword) -> tuple[int, int, str]:
    """Remove ``name=value`` and the comma after it (the lines stay)."""
    start = offset(text, kw.lineno, kw.col_offset)
    end = offset(text, kw.value.end_lineno, kw.value.end_col_offset)
    m = re.match(r"\s*,", text[end:])
    return blank(text, start, end + (m.end() if m else 0))


def fix_argument(signals: list[dict], files: Files, _response: Files | None = None) -> Repair | None:
    """Rename an unknown keyword argument to its honest near miss, else remove it from the call."""
    arg = _unknown_arg(signals)
    path, line = call_site(signals)
    if not arg or path not in files or not line:
        return None
    text = files[path]
    try:
        found = _call_with(ast.parse(text), line, arg)
    except SyntaxError:
        return None
    if found is None:
        return _drop_dict_entry(text, ast.parse(text), path, line, arg, first(signals, "class"))
    call, kw = found
    passed = {k.arg for k in call.keywords}
    near = [n for n in near_misses(arg, first(signals, "suggestions") or []) if n not in passed]
    cls = first(signals, "class") or ast.unparse(call.func)
    if near:
        start = offset(text, kw.lineno, kw.col_offset)
        return Repair("fix-argument", f"{path}:{kw.lineno}: {cls}({arg}=...) -> {near[0]}=...",
                      {path: apply_edits(text, [(start, start + len(arg), near[0])])})
    return Repair("fix-argument", f"{path}:{kw.lineno}: {cls} has no argument {arg} and none close to it: removed",
                  {path: apply_edits(text, [_drop_keyword(text, kw)])})


def _drop_dict_entry(text: str, tree: ast.AST, path: str, line: int, arg: str, cls: str | None) -> Repair | None:
    entry = _dict_entry(tree, line, arg)
    if entry is None:
        return None
    call, key, value = entry
    return Repair("fix-argument", f"{path}:{key.lineno}: {cls or ast.unparse(call.func)} has no argument {arg}: "
                  "its dict entry removed", {path: apply_edits(text, [_drop_entry(text, key, value)])})


def _drop_entry(text: str, key: ast.expr, value: ast.expr) -> tuple[int, int, str]:
    """Remove ``key: value`` from a dict literal and the comma after it (the lines stay)."""
    end = span(text, value)[1]
    m = re.match(r"\s*,", text[end:])
    return blank(text, span(text, key)[0], end + (m.end() if m else 0))


WRONG_TYPE = re.compile(r"type of argument (\w+) must be (?:one of \((.*)\)|([\w\[\], .]+)); got ([\w.]+) instead")
PROVIDER_STRUCT = re.compile(r"\b(cdktf_cdktf_provider_aws\.\w+)\.(\w+)")


def _swap_struct(text: str, value: ast.expr, expected: str, got: str) -> tuple[list[tuple[int, int, str]], str] | None:
    """One provider struct given where the provider declares another (``Wafv2WebAclVisibilityConfig``
    for ``Wafv2WebAclRuleVisibilityConfig``): build the declared one from the same arguments, its
    import joined to the module's first import line (lines kept)."""
    wanted = PROVIDER_STRUCT.findall(expected)
    if not (isinstance(value, ast.Call) and len(wanted) == 1 and PROVIDER_STRUCT.search(got)):
        return None
    module, cls = wanted[0]
    func = value.func
    if ast.unparse(func).split(".")[-1] != got.rsplit(".", 1)[-1]:
        return None
    return [(*span(text, func), cls), import_edit(text, f"from {module} import {cls}")], cls


def _literal_for(value: ast.expr, expected: str) -> str | None:
    """Source text of ``value`` as the type the provider declares, when that is mechanical."""
    want = {t.strip().split("[", 1)[0] for t in re.split(r",\s*(?![^\[]*\])", expected)}
    if isinstance(value, ast.Constant) and "str" in want and isinstance(value.value, (bool, int, float)):
        text = str(value.value).lower() if isinstance(value.value, bool) else str(value.value)
        return repr(text)
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        if "bool" in want and value.value.lower() in ("true", "false"):
            return str(value.value.lower() == "true")
        if want & {"int", "float", "Number"} and re.fullmatch(r"-?\d+(\.\d+)?", value.value):
            return value.value
    if want & {"Sequence", "List", "list"} and not isinstance(value, (ast.List, ast.Tuple)):
        return f"[{ast.unparse(value)}]"
    if isinstance(value, (ast.List, ast.Tuple)) and len(value.elts) == 1 and not want & {"Sequence", "List", "list"}:
        return ast.unparse(value.elts[0])
    return None


def coerce_argument(signals: list[dict], files: Files, _response: Files | None = None) -> Repair | None:
    """A keyword argument of the wrong type: a literal written as the declared type (``True`` ->
    ``"true"`` where the provider types ``str``), one value wrapped in a list or a one-element list
    unwrapped; else the argument is removed."""
    m = next(filter(None, (WRONG_TYPE.search(str(s.get("message", ""))) for s in signals)), None)
    path, line = call_site(signals)
    if m is None or path not in files or not line:
        return None
    arg, expected = m.group(1), m.group(2) or m.group(3)
    text = files[path]
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    found = _call_with(tree, line, arg)
    if found is None:
        return _coerce_dict_entry(text, tree, path, line, arg, expected)
    call, kw = found
    cls = ast.unparse(call.func)
    swap = _swap_struct(text, kw.value, expected, m.group(4))
    if swap is not None:
        return Repair("coerce-argument", f"{path}:{kw.lineno}: {cls}({arg}=...) takes {swap[1]}, not {m.group(4)}: "
                      f"built as {swap[1]}", {path: apply_edits(text, swap[0])})
    literal = _literal_for(kw.value, expected)
    if literal is None:
        return Repair("coerce-argument", f"{path}:{kw.lineno}: {cls}({arg}=...) is not {expected}: removed",
                      {path: apply_edits(text, [_drop_keyword(text, kw)])})
    start = offset(text, kw.value.lineno, kw.value.col_offset)
    end = offset(text, kw.value.end_lineno, kw.value.end_col_offset)
    old = text[start:end]
    return Repair("coerce-argument", f"{path}:{kw.lineno}: {cls}({arg}={old.splitlines()[0]}) -> {literal} ({expected})",
                  {path: apply_edits(text, [(start, end, literal + "\n" * old.count("\n"))])})


def _coerce_dict_entry(text: str, tree: ast.AST, path: str, line: int, arg: str, expected: str) -> Repair | None:
    """The same for an entry of a dict jsii turns into a struct: the literal rewritten, else removed."""
    entry = _dict_entry(tree, line, arg)
    if entry is None:
        return None
    call, key, value = entry
    literal = _literal_for(value, expected)
    if literal is None:
        return Repair("coerce-argument", f"{path}:{key.lineno}: {arg} in {ast.unparse(call.func)}(...) is not "
                      f"{expected}: its dict entry removed", {path: apply_edits(text, [_drop_entry(text, key, value)])})
    start, end = span(text, value)
    return Repair("coerce-argument", f"{path}:{key.lineno}: {arg}: {text[start:end].splitlines()[0]} -> {literal} "
                  f"({expected}) in {ast.unparse(call.func)}(...)",
                  {path: apply_edits(text, [(start, end, literal + "\n" * text.count("\n", start, end))])})


def _whole_use(tree: ast.AST, node: ast.expr) -> ast.expr:
    """``node`` with what is read off it: ``obj.missing().account[0]`` goes whole (a string has none of it)."""
    parents = {id(c): p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
    while True:
        up = parents.get(id(node))
        if (isinstance(up, ast.Call) and up.func is node) or (isinstance(up, (ast.Attribute, ast.Subscript))
                                                                and up.value is node):
            node = up
        else:
            return node


NO_ATTRIBUTE = re.compile(r"has no attribute '(\w+)'(?:\. Did you mean: '(\w+)'\?)?")
MISSING = "tapgrade-missing-{}"  # the token a dropped attribute becomes (a string any argument can carry)


def drop_attribute(signals: list[dict], files: Files, _response: Files | None = None) -> Repair | None:
    """An attribute the object lacks (``names_fqn``, ``identity_get``): renamed to Python's own
    suggestion when that is a near miss, else each access on the failing line (a call of it
    included) becomes a string token, which synthesizes wherever a string is taken."""
    m = next(filter(None, (NO_ATTRIBUTE.search(str(s.get("message", ""))) for s in signals)), None)
    path, line = call_site(signals)
    if m is None or path not in files or not line:
        return None
    attr, hint = m.group(1), m.group(2)
    text = files[path]
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    nodes = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == attr
             and n.lineno <= line <= (n.end_lineno or n.lineno)]
    if not nodes:
        return None
    if hint and is_near_miss(attr, hint):
        edits = [(offset(text, n.end_lineno, n.end_col_offset) - len(attr), offset(text, n.end_lineno, n.end_col_offset), hint)
                 for n in nodes]
        return Repair("drop-attribute", f"{path}:{line}: .{attr} -> .{hint}", {path: apply_edits(text, edits)})
    edits = []
    targets = [_whole_use(tree, n) for n in nodes]
    for n in targets:
        start, end = span(text, n)
        edits.append((start, end, repr(MISSING.format(attr)) + "\n" * text.count("\n", start, end)))
    return Repair("drop-attribute", f"{path}:{line}: the object has no {attr}: its use is the string "
                  f"{MISSING.format(attr)!r}", {path: apply_edits(text, edits)})
