"""Load the AWS provider package in a warm worker without executing its 2,204 submodules up front.

The generated package ``__init__`` ends with ``from . import <submodule>`` for every resource
(~7.5 s of the ~10.5 s the import costs, timed by hand; the jsii assembly load is the other ~3 s),
only "to ensure their types are registered with the jsii runtime library". A response uses a
dozen of them. Here the package runs everything of its ``__init__`` except those lines; a
submodule is imported when code asks for it (import statement, attribute of the package), and
when the jsii kernel hands back an object whose type is not registered yet, jsii's type registry
imports the submodule that declares the type first. If the package is not shaped as expected,
the package's own eager import runs instead.

The cold baseline keeps the eager import (the reference pipeline's ``python tap.py`` does it).
Runs inside the toolchain interpreter: standard library and toolchain packages only.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from pathlib import Path

PACKAGE = "cdktf_cdktf_provider_aws"
JSII_PREFIX = "@cdktf/provider-aws."
MARKER = "# Loading modules to ensure their types are registered with the jsii runtime library"
_IMPORT_LINE = re.compile(r"from \. import (\w+)")


def _jsii_name(submodule: str) -> str:
    """jsii's name for a submodule (``s3_bucket`` -> ``s3Bucket``); a wrong guess only costs time."""
    first, *rest = submodule.split("_")
    return first + "".join(p[:1].upper() + p[1:] for p in rest)


class _Loader:
    def __init__(self, names: list[str]):
        self.names = names
        self.by_jsii = {_jsii_name(n): n for n in names}
        self.tried: set[str] = set()

    def submodule(self, name: str):
        return importlib.import_module(f"{PACKAGE}.{name}")

    def for_fqn(self, fqn: object) -> None:
        """Import whatever declares the provider type ``fqn`` (all submodules if the name is unknown)."""
        if not isinstance(fqn, str) or not fqn.startswith(JSII_PREFIX):
            return
        sub = fqn[len(JSII_PREFIX):].split(".", 1)[0]
        if sub in self.tried:
            return
        self.tried.add(sub)
        name = self.by_jsii.get(sub)
        if name is not None:
            self.submodule(name)
        else:
            for n in self.names:
                self.submodule(n)


class _ImportOnMiss(dict):
    """jsii's type registry (fqn -> class): a miss on a provider type imports its submodule, then looks again."""

    loader: _Loader

    def __missing__(self, fqn):
        self.loader.for_fqn(fqn)
        if dict.__contains__(self, fqn):
            return dict.__getitem__(self, fqn)
        raise KeyError(fqn)

    def __contains__(self, fqn) -> bool:
        if dict.__contains__(self, fqn):
            return True
        self.loader.for_fqn(fqn)
        return dict.__contains__(self, fqn)

    def get(self, fqn, default=None):
        return self[fqn] if fqn in self else default


def _install_registry(loader: _Loader) -> None:
    from jsii import _reference_map as refmap

    for attr in ("_types", "_data_types", "_enums", "_interfaces"):
        current = getattr(refmap, attr)
        if isinstance(current, _ImportOnMiss):
            current.loader = loader
            continue
        lazy = _ImportOnMiss(current)
        lazy.loader = loader
        setattr(refmap, attr, lazy)  # jsii's functions read these module globals at call time
    refmap._refs._types = refmap._types


def import_provider() -> bool:
    """Import the provider package lazily; False if it had to be imported the eager way."""
    if PACKAGE in sys.modules:
        return False
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.origin:
        return False
    head, marker, tail = Path(spec.origin).read_text(encoding="utf-8").partition(MARKER)
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    names = [m.group(1) for m in map(_IMPORT_LINE.fullmatch, lines) if m]
    if not marker or not names or len(names) != len(lines):
        importlib.import_module(PACKAGE)
        return False
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = module
    try:
        exec(compile(head, spec.origin, "exec"), module.__dict__)  # noqa: S102 - the installed package's own code
    except BaseException:
        sys.modules.pop(PACKAGE, None)
        raise
    public = sys.modules[PACKAGE]  # publication.publish() put a public view of the module there
    loader = _Loader(names)
    known = set(names)

    def __getattr__(name: str):
        if name in known:
            return loader.submodule(name)
        raise AttributeError(f"module '{PACKAGE}' has no attribute '{name}'")

    def __dir__() -> list[str]:
        return sorted((set(public.__dict__) - {"__getattr__", "__dir__"}) | known)

    public.__getattr__ = __getattr__
    public.__dir__ = __dir__
    _install_registry(loader)
    return True


def is_provider_submodule(name: str) -> bool:
    """Toolchain code imported on demand: kept across variants like the rest of the warm snapshot."""
    return name.startswith(PACKAGE + ".")
