"""Errors that end a whole run, as opposed to one variant.

Anything else a slot raises while grading one variant is a harness fault confined to that variant:
the engine records it as that variant's infra error (traceback in its log) and the run goes on.
"""


class RunFatal(Exception):
    """Grading cannot go on for any variant (no image, no Docker engine): the run stops."""
