"""Terraform for the validate, plan and deploy stages: found, pinned to the mirror, reused, offline.

Properties kept on purpose:
- found, never assumed: ``detect()`` looks for the binary (``TAPGRADE_TERRAFORM`` or ``PATH``)
  and an AWS provider filesystem mirror (``TAPGRADE_TF_PLUGIN_DIR``, default ``/opt/tf-plugins``);
  when either is missing it says which, and the stages say they were skipped or fell back.
- offline: providers come from the mirror (``-plugin-dir``), never a registry; the host's CLI
  configuration plays no part (an empty one is used) and checkpoint calls are off.
- the synthesized stack is never edited: every stage works on a copy whose provider version pin
  is relaxed to what the mirror holds and whose backend is removed (the ``backend-s3`` config rule
  judges the backend). Both changes are returned so the run records them.
- reused: one ``terraform init`` per provider set per slot; later variants with the same
  providers copy its lock file and point ``TF_DATA_DIR`` at the same initialized data directory
  (``init`` costs ~2 s, the bulk of a validate of a small stack); and one warm AWS provider
  process per slot that validate/plan/show of single-provider stacks reattach to (``ProviderServer``).
- contained: every call runs in its own session with a time limit; on expiry the whole process
  group (terraform and its provider plugin) is killed and the caller records a timeout.

``binary.py``: finding terraform and the mirror, running a call, reading its diagnostics;
``workdir.py``: the relaxed copy and the reused init; ``provider_server.py``: the warm provider.
"""

from .binary import (
    BUILTIN_PROVIDERS,
    DEFAULT_MIRROR,
    REGISTRY,
    Call,
    Detection,
    Terraform,
    base_env,
    call,
    detect,
    diagnostics_from_lines,
    mirror_providers,
)
from .provider_server import ProviderServer, reattachable
from .workdir import Inits, TfDir, provider_key, relax

__all__ = ["BUILTIN_PROVIDERS", "DEFAULT_MIRROR", "REGISTRY", "Call", "Detection", "Inits", "ProviderServer",
           "Terraform", "TfDir", "base_env", "call", "detect", "diagnostics_from_lines", "mirror_providers",
           "provider_key", "reattachable", "relax"]
