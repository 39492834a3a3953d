"""Signals from exceptions: what the response's code raised, where in its own files, and for a
missing import the closest names the installed toolchain has.

Runs inside the toolchain interpreter (a sibling file of ``toolchain_worker.py``): standard
library and toolchain packages only.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import pkgutil
import re
import sys
import traceback
from collections.abc import Callable

import toolchain_static  # sibling files, stdlib + toolchain only
from toolchain_placeholders import placeholder


def workspace_frames(tb, workspace: str) -> list[dict]:
    out = []
    for fs in traceback.extract_tb(tb):
        if fs.filename.startswith("<"):  # <frozen importlib._bootstrap>, <string>: no file (a relative
            continue  # name would resolve under the workspace, the cwd, and pass for one of its files)
        path = os.path.realpath(fs.filename)
        if path.startswith(workspace + os.sep):
            out.append({"file": os.path.relpath(path, workspace), "line": fs.lineno,
                        "function": fs.name, "code": (fs.line or "")[:300]})
    return out


def _cannot_import(m: re.Match) -> dict:
    """``from x import Name`` of a name ``x`` lacks."""
    name, modname = m.groups()
    mod = sys.modules.get(modname)
    if mod is None:
        with contextlib.suppress(Exception):
            mod = importlib.import_module(modname)
    names = [n for n in dir(mod) if not n.startswith("_")] if mod else []
    return {"missing_name": name, "from_module": modname, "suggestions": toolchain_static.close_names(name, names)}


def _no_module(m: re.Match) -> dict:
    """An import of a module that does not exist: the closest siblings in its package."""
    full = m.group(1)
    parent, _, leaf = full.rpartition(".")
    names: list[str] = []
    if parent:
        with contextlib.suppress(Exception):
            pkg = importlib.import_module(parent)
            names = [i.name for i in pkgutil.iter_modules(pkg.__path__)]
    return {"missing_module": full, "suggestions": [f"{parent}.{n}" for n in toolchain_static.close_names(leaf, names)]}


def _no_attribute(m: re.Match) -> dict:
    """``module.Name`` of a loaded module that lacks it."""
    modname, name = m.groups()
    mod = sys.modules.get(modname)
    names = [n for n in dir(mod) if not n.startswith("_")] if mod else []
    return {"missing_name": name, "from_module": modname, "suggestions": toolchain_static.close_names(name, names)}


# The messages _suggest answers, tried in this order.
_SUGGESTERS: tuple[tuple[str, Callable[[re.Match], dict]], ...] = (
    (r"cannot import name '(\w+)' from '([\w.]+)'", _cannot_import),
    (r"No module named '([\w.]+)'", _no_module),
    (r"module '([\w.]+)' has no attribute '(\w+)'", _no_attribute),
)


def _suggest(exc: BaseException) -> dict:
    """Closest existing names for a missing import, from the installed toolchain itself."""
    msg = str(exc)
    for pattern, answer in _SUGGESTERS:
        m = re.search(pattern, msg)
        if m:
            return answer(m)
    return {}


MISSING_ARGS = re.compile(r"(\w+)\.__init__\(\) missing \d+ required (?:keyword-only |positional )?arguments?: (.*)")


def _placeholders(cls_name: str, names: list[str]) -> dict[str, str]:
    """For each required argument left out, Python source of a value its declared type accepts."""
    home = toolchain_static.home_module(cls_name)
    cls = getattr(sys.modules.get(home[0]) or importlib.import_module(home[0]), home[1], None) if home else None
    try:
        params = inspect.signature(cls.__init__).parameters if cls is not None else {}
    except (TypeError, ValueError):
        return {}
    return {n: placeholder(n, params[n].annotation, cls.__module__) for n in names if n in params}


def exception_signal(exc: BaseException, workspace: str) -> dict:
    sig = {
        "kind": "exception",
        "type": type(exc).__name__,
        "qualified_type": f"{type(exc).__module__}.{type(exc).__qualname__}",
        "message": str(exc)[:4000],
        "frames": workspace_frames(exc.__traceback__, workspace),
    }
    if isinstance(exc, SyntaxError) and exc.filename:
        path = os.path.realpath(exc.filename)
        if path.startswith(workspace + os.sep):
            sig["frames"].append({"file": os.path.relpath(path, workspace), "line": exc.lineno or 0,
                                  "function": "<module>", "code": (exc.text or "").strip()[:300]})
    sig.update(_suggest(exc))
    undefined = re.fullmatch(r"name '(\w+)' is not defined", sig["message"]) if isinstance(exc, NameError) else None
    if undefined:  # a provider class used without its import: where it lives
        sig["undefined_name"] = undefined.group(1)
        home = toolchain_static.home_module(undefined.group(1))
        if home:
            sig["home_module"], sig["home_name"] = home
    required = MISSING_ARGS.search(sig["message"]) if isinstance(exc, TypeError) else None
    if required:  # values of the declared types for the required arguments left out (the add-argument repair)
        sig["arg_placeholders"] = _placeholders(required.group(1), re.findall(r"'(\w+)'", required.group(2)))
    missing = re.search(r"ENOENT: no such file or directory, \w+ '([^']+)'", sig["message"])
    if missing:  # an asset the code points at (a Lambda zip) that the response does not ship
        path = os.path.normpath(os.path.join(workspace, missing.group(1)))
        if path.startswith(workspace + os.sep):
            sig["missing_path"] = os.path.relpath(path, workspace)
    return sig

