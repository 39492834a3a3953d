"""What every command of the CLI shares: where it prints (the result on stdout, problems,
progress and warnings on stderr, so the result can be piped)."""

from __future__ import annotations

from rich.console import Console

console = Console()
err = Console(stderr=True)
