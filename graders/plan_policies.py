"""Rules written in Rego, evaluated with regopy against the plan JSON (``terraform show -json``).

Post-hoc and read-only, like the Python config rules: each ``graders/rego/<stem>.rego`` file
defines ``data.tapgrade.<stem>.deny`` as a set of ``{address, message}`` objects, and every
element becomes a signal ``{"kind": "rego", "policy": stem, ...}`` classified by the catalogue's
``rego.<stem>`` entry. Adding a policy is a .rego file and a catalogue row.
"""

from __future__ import annotations

import json
from pathlib import Path

REGO_DIR = Path(__file__).with_name("rego")


def policy_files() -> list[Path]:
    return sorted(REGO_DIR.glob("*.rego"))


def evaluate(plan: dict, files: list[Path] | None = None) -> list[dict]:
    """Signals of every Rego policy for one plan."""
    from regopy import Interpreter  # local: only the plan stage needs the Rego engine

    signals: list[dict] = []
    for path in files if files is not None else policy_files():
        rego = Interpreter()
        rego.add_module(path.stem, path.read_text(encoding="utf-8"))
        rego.set_input_term(json.dumps(plan))
        output = json.loads(str(rego.query(f"x := data.tapgrade.{path.stem}.deny")))
        if "bindings" not in output:
            raise RuntimeError(f"rego policy {path.name} did not evaluate: {output}")
        for item in sorted(output["bindings"]["x"], key=json.dumps):
            signals.append({"kind": "rego", "policy": path.stem, "address": item.get("address"),
                            "message": str(item.get("message", item))})
    return signals
