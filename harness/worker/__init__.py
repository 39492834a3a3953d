"""Code that runs inside the toolchain interpreter: the warm worker that imports, builds and
synthesizes a response's stack, its static checks, its sandbox policy and integrity check.

``toolchain_worker.py`` is started as a script by the harness (``harness/workers.py``) in the
pinned toolchain's Python, so these files import each other as top-level siblings (``import
worker_policy``) and use only the standard library and the toolchain's packages; the worker drops
this directory from ``sys.path`` once they are loaded. The harness imports the two it shares
(``tapgrade_stages``: the stage chain; ``procstat``: /proc reading) as ``harness.worker.<name>``.
The file names keep their prefixes (``worker_``, ``toolchain_``, ``tapgrade_``): as top-level
modules in the worker they must not be what a response's own ``state.py`` or ``stages.py`` finds.
"""
