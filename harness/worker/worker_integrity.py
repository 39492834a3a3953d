"""What a variant's code may not change in a warm worker, and how a change is found.

A warm worker runs many responses in one interpreter; the toolchain modules (cdktf, constructs,
jsii, the provider, pylint, the standard library) stay loaded between them. A response that
rebinds anything of theirs (``S3Bucket.__init__ = patched``, ``builtins.open = ...``, a signal
handler, an import hook) would change every later response's result. So the worker takes a
snapshot once, after preload, and after each variant compares:

- every loaded module: the object ``sys.modules`` holds, and each name of its namespace (the
  object it is bound to, and for functions their ``__code__``, ``__defaults__`` and
  ``__kwdefaults__``);
- every class defined in those modules: each name of its ``__dict__``, likewise;
- ``builtins``; the import system (``sys.meta_path``, ``sys.path_hooks``); process-wide hooks
  (signal handlers, ``sys`` trace/profile/except/display hooks, audit hooks added, atexit
  callbacks, the recursion limit, the standard streams);
- jsii: its type registry (fqn -> class) and any static property set through the kernel (the
  one way Python code changes state on the JavaScript side that outlives its objects).

Provider submodules imported on demand are snapshotted as they load (an import-system hook runs
before the importing code regains control), so a response that imports one and patches it is
caught too. Properties kept on purpose: it repairs nothing a response chose (a change is a
finding and the worker is replaced), and puts back only what libraries fill on first use (a
private global cache, a PEP 562 module attribute, an import finder of a library the variant
loaded, which is unloaded after it); it reports names, so a finding says what changed; its cost is measured (``check`` returns
its own duration) and stays far below a variant's. Not covered, and said so in the README:
in-place mutation of module-level containers (a list or dict a module holds), native code, and
JavaScript-side state changed through static methods.

Runs inside the toolchain interpreter: standard library only.
"""

from __future__ import annotations

import builtins
import importlib.abc
import importlib.machinery
import re
import sys
import time
import types
from typing import Any

import worker_hooks  # a sibling file, stdlib only

# Names that change legitimately while code runs; the comment says who changes them.
ALLOWED: set[tuple[str, str]] = {
    ("sys", "last_type"), ("sys", "last_value"), ("sys", "last_traceback"), ("sys", "last_exc"),  # traceback printing
    ("_frozen_importlib_external._NamespacePath", "_epoch"),  # importlib counts path invalidations
    ("__main__", "REQUEST_ID"), ("__mp_main__", "REQUEST_ID"),  # the worker's own: the request being served
}
# Added lazily by the interpreter: warnings' registry on a module that warns; a class's empty
# __annotations__ dict on first access (inspect.signature, typing).
ALLOWED_NEW = {"__warningregistry__", "__annotations__"}


def _state(obj: Any) -> tuple:
    """What identifies a namespace entry: the object, and for a function what it runs."""
    if isinstance(obj, types.FunctionType):
        return (obj, obj.__code__, obj.__defaults__, obj.__kwdefaults__)
    return (obj,)


_MISSING = object()


def _same(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def _lazy_cache(key: str, before: Any, after: Any) -> bool:
    """A module global a library fills on first use, not a patch: a private name bound to None
    until then (``platform._uname_cache``, ``urllib.parse._hostprog``), or any name saying it is a
    cache. The check puts it back, so the next variant fills it itself and cannot be handed a
    value this one chose."""
    return (key.startswith("_") and before is None) or "cache" in key.lower() or \
        (before is None and isinstance(after, re.Pattern))


def _namespace(d: dict) -> dict[str, tuple]:
    return {k: _state(v) for k, v in list(d.items())}


class Integrity:
    def __init__(self) -> None:
        self.modules: dict[str, types.ModuleType] = {}
        self.spaces: dict[str, tuple[dict, dict[str, tuple]]] = {}  # label -> (live dict, snapshot)
        self.sset_calls: list[str] = []
        self.audit_hooks_added = 0
        self._jsii_registry: dict[str, tuple[dict, dict[str, Any]]] = {}
        self.hooks: dict[str, Any] = {}
        self.outside_python = False  # a child process or native code ran since the last check
        self.cache_root = ""
        self.cache: dict[str, tuple] = {}

    # -------------------------------------------------------------- taking the snapshot
    def take(self) -> None:
        """After preload: everything loaded now is the toolchain."""
        self._install_load_hook()
        self._watch_jsii()
        sys.addaudithook(self._audit)
        self.rebase()

    def rebase(self) -> None:
        """Take the snapshot (again): after preload, and after a request that ran no response code
        (pylint's astroid fills its own classes' attributes lazily while it lints)."""
        self.modules, self.spaces = {}, {}
        for name, mod in list(sys.modules.items()):
            self.add_module(name, mod)
        self.spaces["builtins"] = (builtins.__dict__, _namespace(builtins.__dict__))
        self.hooks = worker_hooks.process_hooks()
        for attr, (reg, _snap) in self._jsii_registry.items():
            self._jsii_registry[attr] = (reg, dict(reg))

    def add_module(self, name: str, mod: Any, label: str | None = None) -> None:
        d = getattr(mod, "__dict__", None)
        if not isinstance(d, dict):
            return
        if label is None:
            self.modules[name] = mod
        self.spaces[label or name] = (d, _namespace(d))
        for key, value in list(d.items()):
            if isinstance(value, type) and getattr(value, "__module__", None) == name:
                try:
                    cd = value.__dict__
                except AttributeError:
                    continue
                self.spaces[f"{name}.{key}"] = (cd, _namespace(dict(cd)))

    def _audit(self, event: str, args: tuple) -> None:
        if event == "sys.addaudithook":
            self.audit_hooks_added += 1
        elif event in worker_hooks.OUTSIDE_PYTHON:
            self.outside_python = True

    def take_cache(self, root: str) -> None:
        """The jsii package cache the worker's node reads its assemblies from (shared by the
        slot's workers, or the machine's): what was there when the worker started."""
        self.cache_root = root
        self.cache = worker_hooks.file_tree(root)

    def check_cache(self) -> list[str]:
        """Whether the cache changed, looked at only after code that Python's view cannot follow
        ran (a child process, native code): in-process writes there are refused by the sandbox
        policy, and node writes it only when it extracts a package."""
        if not self.outside_python or not self.cache_root:
            return []
        self.outside_python = False
        now = worker_hooks.file_tree(self.cache_root)
        if now == self.cache:
            return []
        changed = sorted(k for k in set(now) | set(self.cache) if now.get(k) != self.cache.get(k))
        return [f"jsii package cache changed: {', '.join(changed[:3])}" + (" ..." if len(changed) > 3 else "")]

    def _install_load_hook(self) -> None:
        """Snapshot each provider submodule as it is imported on demand, before the code that
        imported it can touch it."""
        integrity = self

        class SnapshotOnLoad(importlib.abc.MetaPathFinder):
            def find_spec(self, fullname, path, target=None):
                if not fullname.startswith(("cdktf_cdktf_provider_", "cdktf.", "constructs.", "jsii.")):
                    return None
                spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
                if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
                    return spec
                real = spec.loader.exec_module

                def exec_module(module, real=real):
                    real(module)
                    public = sys.modules.get(module.__name__, module)  # jsii's publication may put a view there
                    integrity.add_module(module.__name__, public)
                    if public is not module:
                        integrity.add_module(module.__name__, module, label=f"{module.__name__}(module)")

                spec.loader.exec_module = exec_module
                return spec

        sys.meta_path.insert(0, SnapshotOnLoad())

    def _watch_jsii(self) -> None:
        try:
            from jsii import _reference_map as refmap
            from jsii._kernel import Kernel
        except ImportError:
            return
        for attr in ("_types", "_data_types", "_enums", "_interfaces"):
            reg = getattr(refmap, attr)
            self._jsii_registry[attr] = (reg, dict(reg))
        real = Kernel.sset
        calls = self.sset_calls

        def sset(kernel, klass, property, value):  # noqa: A002 - jsii's own parameter name
            calls.append(f"{getattr(klass, '__jsii_type__', getattr(klass, '__name__', klass))}.{property}")
            return real(kernel, klass, property, value)

        Kernel.sset = sset

    def _reimported(self, before: Any, after: Any) -> bool:
        """A package's submodule attribute now bound to a fresh import of the same module: the
        worker unloads what a request loaded (the old one is no longer a loaded module), and the
        next import binds the new one. Not a patch."""
        return isinstance(before, types.ModuleType) and isinstance(after, types.ModuleType) \
            and before.__name__ == after.__name__ and self.modules.get(before.__name__) is not before

    # -------------------------------------------------------------- after a variant
    def check(self) -> tuple[list[str], float]:
        """What the variant changed (empty: nothing), and the seconds the check took."""
        t0 = time.perf_counter()
        changed: list[str] = [f"sys.modules[{name!r}] replaced" for name, mod in self.modules.items()
                              if sys.modules.get(name, mod) is not mod]
        for label, (live, snap) in self.spaces.items():
            changed += self._check_space(label, live, snap)
        changed += self._check_hooks()
        if self.audit_hooks_added:
            changed.append(f"{self.audit_hooks_added} audit hook(s) added")
        changed += [f"jsii static property {c} set" for c in self.sset_calls]
        for attr, (reg, snap) in self._jsii_registry.items():
            changed += self._check_registry(attr, reg, snap)
        return changed, time.perf_counter() - t0

    def _check_space(self, label: str, live: dict, snap: dict[str, tuple]) -> list[str]:
        """One namespace (a module's globals, a class's dict, builtins) against its snapshot."""
        changed: list[str] = []
        module = label in self.modules  # a module's globals (else a class's dict, builtins)
        lazy_getattr = module and "__getattr__" in snap  # PEP 562 lazy attributes
        for key, state in snap.items():
            cur = live.get(key, _MISSING)
            if cur is state[0] and (len(state) == 1 or (  # the common case, without building a tuple
                    cur.__code__ is state[1] and cur.__defaults__ is state[2] and cur.__kwdefaults__ is state[3])):
                continue
            found = self._changed_entry(label, key, cur, state, live, snap, module)
            if found is not None:
                changed.append(found)
        if len(live) != len(snap):
            changed += self._added(label, live, snap, lazy_getattr)
        return changed

    def _changed_entry(self, label: str, key: str, cur: Any, state: tuple, live: dict, snap: dict[str, tuple],
                       module: bool) -> str | None:
        """An entry that is not the snapshot's object any more: the finding, or None when it is
        allowed, a library's lazy cache (put back) or a re-imported submodule (the new normal)."""
        if cur is _MISSING:
            return f"{label}.{key} deleted" if (label, key) not in ALLOWED else None
        if _same(state, _state(cur)) or (label, key) in ALLOWED:
            return None
        if module and _lazy_cache(key, state[0], live[key]):
            live[key] = state[0]
        elif self._reimported(state[0], live[key]):
            snap[key] = _state(live[key])
        else:
            return f"{label}.{key} replaced"
        return None

    @staticmethod
    def _added(label: str, live: dict, snap: dict[str, tuple], lazy_getattr: bool) -> list[str]:
        """Names bound in a namespace since the snapshot."""
        changed: list[str] = []
        for key in [k for k in list(live) if k not in snap]:
            if key in ALLOWED_NEW or (label, key) in ALLOWED or isinstance(live[key], types.ModuleType):
                continue  # a submodule import binds its name in the package
            if lazy_getattr:
                del live[key]  # the module's __getattr__ bound it on first use: it will again
                continue
            changed.append(f"{label}.{key} added")
        return changed

    def _check_hooks(self) -> list[str]:
        """Process-wide hooks against the snapshot; import-system lists are put back."""
        changed: list[str] = []
        now = worker_hooks.process_hooks()
        for key, before in self.hooks.items():
            changed += worker_hooks.hook_changes(key, before, now[key])
        return changed

    def _check_registry(self, attr: str, reg: dict, snap: dict[str, Any]) -> list[str]:
        """One of jsii's type registries: a type replaced, or registered by code outside the toolchain."""
        changed: list[str] = []
        for fqn, cls in snap.items():
            if dict.get(reg, fqn) is not cls:  # dict.get: the lazy registry would import on a miss
                changed.append(f"jsii registry {attr}[{fqn!r}] replaced")
        for fqn in (k for k in list(reg) if k not in snap):
            cls = reg[fqn]
            mod = self.modules.get(getattr(cls, "__module__", ""), None)
            if mod is None or getattr(mod, getattr(cls, "__name__", ""), None) is not cls:
                changed.append(f"jsii registry {attr}[{fqn!r}] registered by code outside the toolchain")
            else:
                snap[fqn] = cls  # a provider type registered by its own submodule: toolchain from now on
        return changed
