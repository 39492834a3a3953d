"""Messages that mean the environment, not the model, failed: the local emulator or the mirror.

Post-hoc and advisory: the plan and deploy stages walk ``SIGNATURES`` in order over each error
message; the first pattern that matches turns the error into an **infra** outcome (recorded with
its reason, never counted as a model failure). A message no pattern matches is the model's.
Grown from what the corpus runs showed (see README, "Plan-level checks"); keep entries narrow.
"""

from __future__ import annotations

import re

# (reason, pattern) - the emulator is moto server; messages come through the AWS provider.
SIGNATURES: tuple[tuple[str, str], ...] = (
    ("emulator: API not implemented", r"has not been implemented|not yet implemented|NotImplemented"),
    ("emulator: unknown service or route", r"StatusCode: 404,.*(?:UnknownOperation|404 Not Found|<!doctype html)"
                                           r"|UnknownOperationException|InvalidAction"),
    ("emulator: unreachable", r"connection refused|dial tcp 127\.0\.0\.1:\d+"),
    ("emulator: internal error", r"StatusCode: 500"),
    # A data source looking up what exists in the pipeline's account or AWS's public catalogue (a
    # secret, an SSM parameter, an AMI): the empty emulator has none of it, so its absence says nothing.
    ("emulator: pre-existing resource not found", r"reading .{0,200}: couldn't find resource"),
    ("mirror: provider not held", r"Failed to query available provider packages|provider registry\.terraform\.io/\S+ "
                                  r"was not found in any of the search locations|Failed to install provider"),
    ("offline: module source not reachable", r"Failed to download module|Module not installed"),
)
_COMPILED = tuple((reason, re.compile(pattern, re.I | re.S)) for reason, pattern in SIGNATURES)


def infra_reason(message: str) -> str | None:
    """The reason an error message is the environment's, or None when it is the model's."""
    return next((reason for reason, rx in _COMPILED if rx.search(message)), None)
