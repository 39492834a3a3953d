"""The run's options cross process and container boundaries as one dataclass tree: every field of
every dataclass in it survives ``to_dict`` -> JSON -> ``from_dict`` with a value other than its
default, so a field added anywhere cannot be dropped on the way (no hand-kept list)."""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path

import pytest

from harness.options import EngineOptions, from_dict, to_dict
from harness.terraform import Detection, Terraform


def _not_default(tp, default):
    """A value of type ``tp`` that differs from ``default``."""
    origin = typing.get_origin(tp)
    if origin is not None and type(None) in typing.get_args(tp):
        tp = next(a for a in typing.get_args(tp) if a is not type(None))
        origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        return _filled(tp, default)
    if tp is bool:
        return not default
    if tp in (int, float):
        return (default or 0) + 7
    if tp is str:
        return f"{default or ''}-changed"
    if tp is Path:
        return Path("/changed/path")
    if origin is dict:
        return {"changed": ["1.0"]} if typing.get_args(tp)[1] is not float else {"import": 1.5}
    raise AssertionError(f"no test value for {tp}: teach _not_default this type")


def _filled(cls, base=None):
    """An instance of ``cls`` whose every field differs from ``base``'s (or from the field's default)."""
    hints = typing.get_type_hints(cls)
    values = {}
    for f in dataclasses.fields(cls):
        if base is not None:
            default = getattr(base, f.name)
        else:
            default = f.default if f.default is not dataclasses.MISSING else (
                f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
        values[f.name] = _not_default(hints[f.name], default)
    return cls(**values)


def _leaves(obj, prefix=""):
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            yield from _leaves(value, f"{prefix}{f.name}.")
        else:
            yield f"{prefix}{f.name}", value


def _get(obj, dotted: str):
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def test_every_field_round_trips_through_json() -> None:
    opts = _filled(EngineOptions, EngineOptions())
    assert isinstance(opts.plan.terraform, Detection) and isinstance(opts.plan.terraform.terraform, Terraform)
    back = from_dict(EngineOptions, json.loads(json.dumps(to_dict(opts))))
    assert back == opts
    defaults = dict(_leaves(EngineOptions()))
    changed = [name for name, default in defaults.items() if _get(opts, name) != default]
    assert changed == list(defaults) and len(changed) >= 20  # every field carried a value not its default


def test_an_unknown_field_is_an_error() -> None:
    data = to_dict(EngineOptions())
    data["limits"]["no_such_limit"] = 1
    with pytest.raises(ValueError, match="no_such_limit"):
        from_dict(EngineOptions, data)
