"""Mechanical repairs for failures the catalogue knows how to fix, applied to a scratch copy.

Each repair reads the evidence of one defect (static and/or execution signals) and the
response's files, and returns new file texts plus a one-line description; it never runs code
(it parses with ``ast`` and edits text by node positions). Line numbers are preserved (an added
import joins the module's first import line, bound before any module-level code runs), so
findings after a repair still map to the response's lines. The original response is never
touched: the engine applies repairs to the variant's workspace copy.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from .edits import Files, Repair, apply_edits, file_of, first, import_edit, offset
from .near_miss import near_misses
from .repairs_args import coerce_argument, drop_attribute, fix_argument
from .repairs_ids import rename_construct_id
from .repairs_imports import define_name, local_module, relocate_import, stub_missing_names
from .repairs_shape import add_argument, create_asset, map_to_struct, wrap_in_list
from .repairs_stack import add_provider
from .repairs_tokens import element_of_token_list, interpolated_functions


def _rename(signals: list[dict], files: Files, key: str, kind: str, describe: str) -> Repair | None:
    """Replace a missing name (``key`` of the evidence) by its first honest near miss, as a whole word."""
    old = first(signals, key)
    suggestions = near_misses(old or "", first(signals, "suggestions") or [])
    path = file_of(signals)
    if not old or not suggestions or path not in files:
        return None
    new = re.sub(rf"\b{re.escape(old)}\b", suggestions[0], files[path])
    if new == files[path]:
        return None
    return Repair(kind, f"{path}: " + describe.format(old=old, new=suggestions[0]), {path: new})


def rename_import(signals: list[dict], files: Files, _response: Files | None = None) -> Repair | None:
    """Import names from the provider module that defines them; else rename a name to its near
    miss; else take the statement's names that have neither out (``repairs_imports``)."""
    return (relocate_import(signals, files)
            or _rename(signals, files, "missing_name", "rename-import", "rename {old} -> {new}")
            or stub_missing_names(signals, files))


def find_module(signals: list[dict], files: Files, _response: Files | None = None) -> Repair | None:
    """A module the response ships under another path; else a provider name's home (generated
    ``cdktf get`` bindings the response imports but does not ship)."""
    return local_module(signals, files) or rename_module(signals, files)


def rename_module(signals: list[dict], files: Files, _response: Files | None = None) -> Repair | None:
    """A provider module of a near name; else import the statement's names from where they live;
    else bind those that live nowhere to a stub."""
    return (_rename(signals, files, "missing_module", "rename-module", "import {new} instead of {old}")
            or relocate_import(signals, files) or stub_missing_names(signals, files))


def _stack_class(signals: list[dict]) -> str:
    """The class the task's entry builds: named by the static signal, else by the TypeError."""
    named = first(signals, "stack_class")
    if named:
        return named
    m = re.search(r"(\w+)\.__init__\(\)", " ".join(str(s.get("message", "")) for s in signals))
    return m.group(1) if m else "TapStack"


def _init_of(text: str, name: str) -> ast.FunctionDef | None:
    """The ``__init__`` of class ``name`` at the top level of ``text`` (None if absent or unparsable)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name), None)
    return next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"),
                None) if cls is not None else None


def _contract_edits(text: str, a: ast.arguments, passed: set[str]) -> list[tuple[int, int, str]]:
    """Edits that give ``=None`` to every parameter the entry does not pass and has no default, and
    add ``**kwargs`` when the signature has none."""
    edits: list[tuple[int, int, str]] = []
    pos = [*a.posonlyargs, *a.args]
    first_default = len(pos) - len(a.defaults)
    omitted = [arg for i, arg in enumerate(pos[3:], start=3)  # self, scope, id are given positionally
               if i < first_default and arg.arg not in passed]
    omitted += [arg for arg, default in zip(a.kwonlyargs, a.kw_defaults) if default is None and arg.arg not in passed]
    for arg in omitted:
        end = arg.annotation or arg
        edits.append((offset(text, end.end_lineno, end.end_col_offset),) * 2 + ("=None",))
    if a.kwarg is None:
        nodes = [n for n in (*pos, *a.defaults, *a.kwonlyargs, *(d for d in a.kw_defaults if d), a.vararg)
                 if n is not None]
        nodes += [n.annotation for n in (*pos, *a.kwonlyargs, a.vararg) if n is not None and n.annotation]
        last = max(nodes, key=lambda n: (n.end_lineno, n.end_col_offset))
        at = offset(text, last.end_lineno, last.end_col_offset)
        edits.append((at, at, ", **kwargs"))
    return edits


def accept_contract(signals: list[dict], files: Files, _response: Files | None = None) -> Repair | None:
    """Let the stack class's __init__ take what the task's entry passes: ``**kwargs`` and
    defaults for params it omits."""
    name = _stack_class(signals)
    path = first(signals, "file") if first(signals, "kind") == "static-contract" else None
    candidates = [path] if path in files else [p for p, t in files.items()
                                               if re.search(rf"^class\s+{re.escape(name)}\b", t, re.M)]
    passed = set(first(signals, "call_keywords") or
                 ("environment_suffix", "state_bucket", "state_bucket_region", "aws_region", "default_tags"))
    for path in candidates:
        init = _init_of(files[path], name)
        if init is None:
            continue
        edits = _contract_edits(files[path], init.args, passed)
        if edits:
            return Repair("accept-contract", f"{path}: {name}.__init__ accepts what the task's entry passes",
                          {path: apply_edits(files[path], edits)})
    return None


def dict_to_struct(signals: list[dict], files: Files, _response: Files | None = None) -> Repair | None:
    """Wrap each offending dict literal in its struct class: ``Struct(**{...})``."""
    static = [s for s in signals if s.get("kind") in ("static-struct-dict", "static-struct-dropped")]
    if not static or static[0]["file"] not in files:
        return None
    path, text = static[0]["file"], files[static[0]["file"]]
    edits, imports = [], {}
    for s in static:
        start = offset(text, s["dict_line"], s["dict_col"])
        end = offset(text, s["dict_end_line"], s["dict_end_col"])
        if not text.startswith("{", start):  # built as its struct by an earlier round: not again
            continue
        edits += [(start, start, f"{s['struct']}(**"), (end, end, ")")]
        imports[s["struct"]] = s["struct_module"]
    if not edits:
        return None
    edits += [import_edit(text, f"from {m} import {n}") for n, m in sorted(imports.items())
              if not re.search(rf"^\s*from\s+{re.escape(m)}\s+import\b[^\n]*\b{n}\b", text, re.M)]
    new = apply_edits(text, edits)
    structs = ", ".join(sorted(imports))
    return Repair("dict-to-struct", f"{path}:{static[0]['line']}: build {structs} instead of dicts", {path: new})


def struct_shape(signals: list[dict], files: Files, response: Files | None = None) -> Repair | None:
    """A value jsii could not deserialize: dicts become their struct class (where the static check
    located them), else a value of the wrong list shape is wrapped or unwrapped, else the dicts jsii
    names are built as their struct class."""
    return (dict_to_struct(signals, files, response) or wrap_in_list(signals, files, response)
            or map_to_struct(signals, files, response))


def adopt_response_entry(signals: list[dict], files: Files, response: Files) -> Repair | None:
    """Run the response's own app file when its modules do not fit the task's entry point: the
    extract finding stays, and the later stages judge the configuration the response builds."""
    path = first(signals, "response_entry")
    if not path or path not in response:
        return None
    return Repair("adopt-response-entry", f"run the response's own {path} as the entry point",
                  {path: response[path]}, entry=path)


REPAIRS: dict[str, Callable[..., Repair | None]] = {
    "rename-import": rename_import,
    "rename-module": rename_module,
    "find-module": find_module,
    "accept-contract": accept_contract,
    "dict-to-struct": dict_to_struct,
    "struct-shape": struct_shape,
    "add-argument": add_argument,
    "create-asset": create_asset,
    "define-name": define_name,
    "rename-construct-id": rename_construct_id,
    "adopt-response-entry": adopt_response_entry,
    "fix-argument": fix_argument,
    "coerce-argument": coerce_argument,
    "drop-attribute": drop_attribute,
    "token-element": element_of_token_list,
    "fn-call": interpolated_functions,
    "add-provider": add_provider,
}
