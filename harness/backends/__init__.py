"""Where a variant's code runs: the backends behind one interface (``harness/backend.py``).

The engine and the CLI ask this registry for a backend by name and never import one. A backend
registers itself with ``@register("name")`` when its module loads; the modules are found through
the ``tapgrade.backends`` entry points (pyproject.toml), so a backend installed by another
package plugs in the same way as the built-in ``local`` and ``docker``.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import TypeVar

from ..backend import Backend, BackendUnavailable, Preflight, Slot

__all__ = ["Backend", "BackendUnavailable", "Preflight", "Slot", "get", "names", "register"]

GROUP = "tapgrade.backends"
_REGISTRY: dict[str, type[Backend]] = {}
B = TypeVar("B", bound=type[Backend])


def register(name: str) -> Callable[[B], B]:
    def wrap(cls: B) -> B:
        cls.name = name
        _REGISTRY[name] = cls
        return cls
    return wrap


def names() -> list[str]:
    """Every backend this installation has (registered or declared as an entry point)."""
    return sorted(set(_REGISTRY) | {ep.name for ep in entry_points(group=GROUP)})


def get(name: str) -> type[Backend]:
    """The backend class called ``name``, importing its module on first use (the local backend
    must not need the Docker SDK)."""
    if name not in _REGISTRY:
        found = [ep for ep in entry_points(group=GROUP) if ep.name == name]
        if not found:
            raise BackendUnavailable(f"no backend named {name!r} (this installation has: {', '.join(names())})")
        cls = found[0].load()
        _REGISTRY.setdefault(name, cls)
    return _REGISTRY[name]
