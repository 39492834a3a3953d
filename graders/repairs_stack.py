"""Repairs of a stack's structure that synth validation refuses.

cdktf refuses a stack that holds AWS resources but no ``AwsProvider`` ("Found resources without a
matching provider construct"): models that split a design into several ``TerraformStack``
classes often configure the provider in one of them only. ``add_provider`` gives every such
class a provider right after its ``super().__init__(...)`` call, on that line (lines kept).
"""

from __future__ import annotations

import ast

from .edits import Files, Repair, apply_edits, python_modules, span

PROVIDER = ('__import__("cdktf_cdktf_provider_aws.provider", fromlist=["AwsProvider"]).AwsProvider('
            'self, "tapgrade_aws", region=__import__("os").environ.get("AWS_REGION", "us-east-1"))')


def _stacks_without_provider(tree: ast.Module) -> list[ast.Call]:
    """The ``super().__init__(...)`` calls of TerraformStack subclasses that never build a provider."""
    out = []
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        if not any(ast.unparse(b).split(".")[-1] == "TerraformStack" for b in cls.bases):
            continue
        if any(isinstance(n, ast.Call) and ast.unparse(n.func).split(".")[-1] == "AwsProvider" for n in ast.walk(cls)):
            continue
        init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
        sup = next((n for n in ast.walk(init) if isinstance(n, ast.Call) and ast.unparse(n.func) == "super().__init__"),
                   None) if init else None
        if sup is not None:
            out.append(sup)
    return out


def add_provider(signals: list[dict], files: Files, _response: Files | None = None) -> Repair | None:
    """An ``AwsProvider`` in each TerraformStack subclass of the response that has none."""
    out: dict[str, str] = {}
    for path, text, tree in python_modules(files):
        calls = _stacks_without_provider(tree)
        if calls:
            out[path] = apply_edits(text, [(end, end, f"; {PROVIDER}") for c in calls for _, end in [span(text, c)]])
    if not out:
        return None
    return Repair("add-provider", f"{', '.join(sorted(out))}: a TerraformStack without an AwsProvider gets one "
                  "(region from AWS_REGION)", out)
