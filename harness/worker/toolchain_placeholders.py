"""Placeholders of a declared type, for the repair that fills a required argument the code left out.

A string where the provider declares a struct only moves the error one step on (a wrong-type
finding the response never earned), so the placeholder follows the annotation of the class's
``__init__``: an empty list for a list, False, 0, a marked string, and for a provider struct the
struct itself built from placeholders of its own required fields. Runs inside the toolchain
interpreter (a sibling file of ``toolchain_worker.py``): standard library and toolchain only.
"""

from __future__ import annotations

import collections.abc
import inspect
import sys
import typing

MAX_DEPTH = 3  # structs nested deeper than this get a marked string (none in the corpus)
# what typing.get_origin gives for a list or a map annotation (``typing.Sequence[X]`` -> collections.abc.Sequence)
LISTS = (list, tuple, collections.abc.Sequence)
MAPS = (dict, collections.abc.Mapping)


def _members(annotation, module: str) -> list:
    """The types a parameter accepts (the members of a Union), forward references resolved in the
    module of the class that declares them."""
    members = list(typing.get_args(annotation)) if typing.get_origin(annotation) is typing.Union else [annotation]
    out = []
    for m in members:
        if isinstance(m, typing.ForwardRef):
            m = getattr(sys.modules.get(module), m.__forward_arg__, m)
        if m is not type(None) and getattr(m, "__name__", "") != "IResolvable":
            out.append(m)
    return out


def _struct_call(cls: type, depth: int) -> str | None:
    """``Struct(required=placeholder, ...)`` for a provider struct class."""
    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return None
    args = [f"{n}={placeholder(n, p.annotation, cls.__module__, depth + 1)}" for n, p in params.items()
            if n != "self" and p.kind == p.KEYWORD_ONLY and p.default is inspect.Parameter.empty]
    return f'__import__("{cls.__module__}", fromlist=["{cls.__name__}"]).{cls.__name__}({", ".join(args)})'


def placeholder(name: str, annotation, module: str, depth: int = 0) -> str:
    """Python source of a value the annotation accepts, named so a reader sees where it came from."""
    members = _members(annotation, module)
    if any(typing.get_origin(m) in LISTS for m in members):
        return "[]"
    if str in members:
        return f'"tapgrade-missing-{name}"'
    if bool in members:
        return "False"
    if int in members or float in members:
        return "0"
    structs = [m for m in members if isinstance(m, type) and m.__module__.startswith("cdktf_cdktf_provider_aws")]
    if structs and depth < MAX_DEPTH:
        built = _struct_call(structs[0], depth)
        if built is not None:
            return built
    if any(typing.get_origin(m) in MAPS for m in members):
        return "{}"
    return f'"tapgrade-missing-{name}"'
