"""How ``harness run`` shows its work: rich (a live progress bar, then the summary table) on a
terminal; plain (one line per finished variant as it finishes, then a markdown table) in a log or
a pipe, where a bar would print once at the very end; none (only the run directory).

A plain line: ``[12/59] Pr4935 model fail Critical (import) 14 s`` - count, task, variant,
verdict, worst severity, the first stage that failed, and the variant's wall time."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

from ..records import VariantResult
from .common import err
from .run_options import DisplayChoice


def choose(display: DisplayChoice | None, quiet: bool) -> DisplayChoice:
    """The display asked for, else rich on a terminal and plain otherwise; --quiet is none."""
    if quiet:
        return DisplayChoice.none
    if display is not None:
        return display
    return DisplayChoice.rich if sys.stderr.isatty() else DisplayChoice.plain


def plain_line(n: int, total: int, r: VariantResult) -> str:
    failed = next((o.stage for o in r.outcomes if o.status == "fail"), None)
    return (f"[{n}/{total}] {r.task_id} {r.variant} {r.verdict} {r.worst_severity or '-'}"
            + (f" ({failed})" if failed else "") + f" {r.wall_s:.0f} s")


def plain_progress(total: int) -> Callable[[VariantResult], None]:
    """The callback that prints one line per finished variant on stderr, flushed at once."""
    lock = threading.Lock()
    done = [0]

    def on_result(r: VariantResult) -> None:
        with lock:
            done[0] += 1
            err.print(plain_line(done[0], total, r), markup=False, highlight=False)
            err.file.flush()

    return on_result
