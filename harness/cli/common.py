"""What every command of the CLI shares: where it prints (the result on stdout, problems,
progress and warnings on stderr, so the result can be piped).

Piped or redirected (a CI log, ``show RUN > f``), rich would lay everything out for 80 columns and
clip tables; there the consoles print lines whole (soft wrap) and lay tables out wide."""

from __future__ import annotations

import sys

from rich.console import Console

PIPED_WIDTH = 250  # columns a table may take when the output is not a terminal


def _console(stream) -> Console:
    piped = not stream.isatty()
    return Console(file=stream, soft_wrap=piped, width=PIPED_WIDTH if piped else None)


console = _console(sys.stdout)
err = _console(sys.stderr)
