"""The ``harness`` command (typer): run, debug, show, rescore, analyze, export, compare, agreement,
report, toolchain install/check.

The commands live by what they do: ``run`` grades (``run.py``, its options in ``run_options.py``),
``debug.py`` looks closely at one variant, ``reports.py`` reads saved runs, ``tools.py`` manages the
toolchain, the grading image and leftovers. This module makes the one app of them, in the order ``--help`` lists them.
"""

from __future__ import annotations

import logging
import sys
from enum import StrEnum
from typing import Annotated

import typer

from . import debug, reports, run, tools

app = typer.Typer(help="Grade model-written CDKTF (Python) responses: extract, import, instantiate, synth "
                       "and lint each response in a pinned toolchain; validate and plan what synthesizes "
                       "with Terraform offline (checkov, Rego policies, and --deploy against a local AWS "
                       "emulator); classify every failure Critical/High/Medium/Low; keep the results as "
                       "data and report them (analyze, export, compare, agreement, report --html).",
                  no_args_is_help=True, add_completion=False)


class LogLevel(StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


def _version(value: bool) -> None:
    if value:
        from .. import __version__
        from ..toolchain import DEFAULT_PROFILE

        typer.echo(f"tapgrade {__version__} (toolchain profile: {', '.join(DEFAULT_PROFILE.pins)})")
        raise typer.Exit()


@app.callback()
def _logging(log_level: Annotated[LogLevel, typer.Option(help="What the harness's own log (stderr) shows: info "
                                                              "adds each backend and worker start and "
                                                              "replacement, debug what a clean-up had to ignore.")]
             = LogLevel.warning,
             version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_version,
                                                   help="Print the harness's version and toolchain pins, and exit.")]
             = False) -> None:
    """Grade model-written CDKTF responses (see the commands)."""
    logging.basicConfig(level=log_level.value.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


app.add_typer(tools.tc_app, name="toolchain")
app.add_typer(tools.img_app, name="image")
app.command()(tools.clean)
app.command()(run.run)
app.command()(debug.debug)
app.command()(reports.rescore)
app.command()(reports.analyze)
app.command()(reports.export)
app.command()(reports.compare)
app.command()(reports.agreement)
app.command()(reports.report)
app.command()(reports.show)


def main() -> None:  # pragma: no cover - console entry
    app()
