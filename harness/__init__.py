"""tapgrade: a grading harness for model-written CDKTF (Python) infrastructure code."""

__version__ = "0.1.0"
