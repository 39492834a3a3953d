"""The toolchain worker's interpreter state: the toolchain loaded once (``preload``), the state a
variant can change snapshotted after it, and restored after each variant.

Runs inside the toolchain interpreter (a sibling file of ``toolchain_worker.py``): standard
library and toolchain packages only.
"""

from __future__ import annotations

import gc
import importlib
import linecache
import os
import sys
import threading
import time

import provider_lazy  # a sibling file, stdlib + toolchain only


class Snapshot:
    """Interpreter state a variant can change, taken once after preload and restored after each."""

    def __init__(self) -> None:
        self.cwd = os.getcwd()
        self.environ = dict(os.environ)
        self.path = list(sys.path)
        self.modules = set(sys.modules)
        self.argv = list(sys.argv)
        self.threads = {t.ident for t in threading.enumerate()}

    def restore(self, workspace: str) -> list[str]:
        """Undo the variant; return reasons the process is no longer clean (then it is recycled)."""
        os.chdir(self.cwd)
        os.environ.clear()
        os.environ.update(self.environ)
        sys.path[:] = self.path
        sys.argv[:] = self.argv
        for name in [m for m in sys.modules if m not in self.modules]:
            if not provider_lazy.is_provider_submodule(name):  # toolchain code loaded on demand: kept
                del sys.modules[name]
        _forget_astroid(workspace)
        for key in [k for k in sys.path_importer_cache if k.startswith(workspace)]:
            del sys.path_importer_cache[key]
        linecache.clearcache()
        importlib.invalidate_caches()
        # Young generations only: a full collection walks astroid's cached trees of every provider
        # module linted so far (kept on purpose) and grew to >1 s per variant. Full collections are
        # left to the interpreter's own schedule; recycling bounds what survives.
        gc.collect(1)
        dirty = []
        stray = [t.name for t in threading.enumerate() if t.ident not in self.threads and t.is_alive()]
        if stray:
            dirty.append(f"stray threads: {', '.join(stray[:5])}")
        return dirty


def _forget_astroid(workspace: str) -> None:
    """Forget what pylint's astroid learnt about this variant, keep what it learnt about the toolchain.

    astroid caches modules by name (every variant has its own ``lib.tap_stack``) and answers
    path questions from ``lru_cache``s keyed by path (every variant of a slot lives at the same
    path). Module trees of non-workspace modules (the provider's, expensive to build) are kept;
    every lookup cache is cleared, as ``AstroidManager.clear_cache`` does. If this astroid lacks
    one of the private names below, fall back to a full ``clear_cache`` (correct, only slower).
    """
    try:
        from astroid import MANAGER
    except ImportError:
        return
    try:
        from astroid.context import _invalidate_cache
        from astroid.inference_tip import clear_inference_tip_cache
        from astroid.interpreter._import import spec, util
        from astroid.interpreter.objectmodel import ObjectModel
        from astroid.modutils import _cache_normalize_path_, _has_init, cached_os_path_isfile
        from astroid.nodes._base_nodes import LookupMixIn
        from astroid.nodes.scoped_nodes import ClassDef

        caches = (LookupMixIn.lookup, _cache_normalize_path_, _has_init, cached_os_path_isfile,
                  util.is_namespace, ObjectModel.attributes, ClassDef._metaclass_lookup_attribute,
                  spec._find_spec, spec._is_setuptools_namespace,
                  *(f.find_module for f in spec._SPEC_FINDERS))
    except (ImportError, AttributeError):
        MANAGER.clear_cache()
        return
    ws = os.path.realpath(workspace)
    for name, mod in list(MANAGER.astroid_cache.items()):
        f = getattr(mod, "file", None)
        if name == "lib" or name.startswith("lib.") or (f and os.path.realpath(f).startswith(ws)):
            del MANAGER.astroid_cache[name]
    MANAGER._mod_file_cache.clear()
    clear_inference_tip_cache()
    _invalidate_cache()
    for cache in caches:
        cache.cache_clear()


def preload() -> dict:
    t0 = time.monotonic()
    # Popped, so variants see the environment a cold process would have.
    lint_only = os.environ.pop("TAPGRADE_LINT_ONLY", "") == "1"  # the run's shared lint process (engine.LintSeat)
    lazy = os.environ.pop("TAPGRADE_LAZY_PROVIDER", "") == "1"
    if lint_only:
        import pylint.lint  # noqa: F401
        from pylint.reporters import CollectingReporter  # noqa: F401
        gc.collect()
        gc.freeze()
        return {"preload_s": round(time.monotonic() - t0, 3), "role": "lint"}
    import cdktf  # noqa: F401
    import constructs  # noqa: F401
    if lazy:
        provider_lazy.import_provider()  # the assembly now, each submodule when first asked for
    else:
        import cdktf_cdktf_provider_aws  # noqa: F401  (the assembly and all 2,204 submodules)
    import astroid  # noqa: F401
    import pylint.lint  # noqa: F401
    from pylint.reporters import CollectingReporter  # noqa: F401
    # Move everything loaded so far out of the collector's reach: a full collection over the
    # provider's object graph costs ~0.6 s, paid after every variant otherwise.
    gc.collect()
    gc.freeze()
    return {"preload_s": round(time.monotonic() - t0, 3), "role": "toolchain", "provider": "lazy" if lazy else "eager"}

