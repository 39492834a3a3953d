"""Reports of a run, all read from the run store (``results.load_run``), none executing anything.

``summary`` (the terminal table of ``harness run`` / ``show``), ``analysis`` (the failure analysis
in the expert's markdown format, ``harness analyze``), ``html_report`` + ``templates/`` (``harness
report --html``), ``compare`` (two runs) and ``agreement`` (a run against the humans'
MODEL_FAILURES.md). The package imports none of them, so a command loads only the one it needs.
"""
