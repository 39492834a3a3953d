"""What surrounds a stage while it runs in the toolchain worker: its output, captured into the
stage's log file, and the run's clock, fixed while the response's code runs.

Runs inside the toolchain interpreter (a sibling file of ``toolchain_worker.py``): standard
library only.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import sys


@contextlib.contextmanager
def output_to(path: str):
    """Point fds 1 and 2 (and sys.stdout/err) at a stage log, children included."""
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    saved = os.dup(1), os.dup(2)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])



REAL_DATETIME = _dt.datetime


@contextlib.contextmanager
def fixed_clock(at: str | None):
    """``datetime.now()`` / ``utcnow()`` / ``today()`` read the run's created_at while response and
    entry code runs: task entry points tag every stack with ``CreatedAt=datetime.now()``, and the
    same input must synthesize byte-identically wherever and whenever it is graded (the cache key
    and warm == cold rest on it). ``from datetime import datetime`` done in that time binds the
    fixed class; it is put back afterwards."""
    try:
        fixed = REAL_DATETIME.fromisoformat(at) if at else None
    except ValueError:
        fixed = None
    if fixed is None:
        yield
        return
    if fixed.tzinfo is None:
        fixed = fixed.replace(tzinfo=_dt.UTC)
    stamp = fixed.timestamp()

    class datetime(REAL_DATETIME):  # noqa: N801 - stands in for datetime.datetime
        @classmethod
        def now(cls, tz=None):
            return cls.fromtimestamp(stamp, tz)

        @classmethod
        def utcnow(cls):
            return cls.fromtimestamp(stamp, _dt.UTC).replace(tzinfo=None)

        @classmethod
        def today(cls):
            return cls.fromtimestamp(stamp)

    datetime.__module__ = "datetime"
    _dt.datetime = datetime
    try:
        yield
    finally:
        _dt.datetime = REAL_DATETIME

