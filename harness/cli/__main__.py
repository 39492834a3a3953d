"""``python -m harness.cli``: the ``harness`` command."""

import sys

from . import app

if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
