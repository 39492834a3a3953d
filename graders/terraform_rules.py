"""The catalogue's rules for Terraform's diagnostics (``graders.catalogue`` puts them in its table)."""

from __future__ import annotations

from .rule import Rule


def terraform_rules() -> tuple[Rule, ...]:
    """Rules for Terraform's diagnostics, the same for validate, plan and deploy (and for the jsii
    schema fallback, which speaks Terraform's summaries)."""
    out: list[Rule] = []
    for stage in ("validate", "plan", "deploy"):
        out += [
            Rule(f"{stage}.infra", stage, "Info", "Environment could not answer (infra)",
                 "The local emulator or the provider mirror failed, not the response (see "
                 "graders/infra_signatures.py).", "None for the response.", {"kind": "infra"}, "{reason}: {message}"),
            Rule(f"{stage}.provider-version", stage, "Info", "Provider version difference",
                 "Terraform's provider (from the mirror) does not know an argument the pinned provider "
                 "package defines: the versions differ, the response is not at fault.", "None for the response.",
                 {"kind": "provider-version"}),
            Rule(f"{stage}.missing-file", stage, "Critical", "A file the configuration reads does not exist",
                 "A function such as filebase64sha256() reads a file (usually a Lambda package) that is not "
                 "there when Terraform runs.", "Build the file at synth time (or use TerraformAsset).",
                 {"kind": "terraform-diagnostic", "severity": "error", "detail": r"no such file or directory"},
                 defect="file:{construct}"),
            Rule(f"{stage}.unknown-argument", stage, "Critical", "Unknown argument or block",
                 "The configuration sets an argument or block the resource does not have.",
                 "Use the provider's argument names.",
                 {"kind": "terraform-diagnostic", "severity": "error",
                  "summary": r"Extraneous JSON object property|Unsupported argument|Unsupported block type|"
                             r"Invalid resource type"}),
            Rule(f"{stage}.missing-argument", stage, "Critical", "Required argument missing",
                 "A resource lacks an argument or block the provider requires.", "Set the required argument.",
                 {"kind": "terraform-diagnostic", "severity": "error",
                  "summary": r"Missing required argument|Insufficient \S+ blocks|Missing required"}),
            Rule(f"{stage}.wrong-type", stage, "Critical", "Argument of the wrong type",
                 "A value cannot be converted to the argument's type.", "Pass a value of the argument's type.",
                 {"kind": "terraform-diagnostic", "severity": "error",
                  "summary": r"Incorrect attribute value type|Inappropriate value|Invalid value"}),
            Rule(f"{stage}.invalid-reference", stage, "Critical", "Reference to something that does not exist",
                 "An expression refers to a resource, attribute or variable that is not declared.",
                 "Reference an existing resource attribute.",
                 {"kind": "terraform-diagnostic", "severity": "error",
                  "summary": r"Reference to undeclared|Unsupported attribute|Invalid reference|"
                             r"Reference to undeclared input variable"}),
            Rule(f"{stage}.error", stage, "Critical" if stage != "deploy" else "High",
                 f"terraform {stage} error", f"terraform {stage} rejected the configuration"
                 + (" (the emulator raised it; real AWS may differ)." if stage == "deploy" else "."),
                 "Read the diagnostic; fix the resource it names.",
                 {"kind": "terraform-diagnostic", "severity": "error"}),
            Rule(f"{stage}.warning", stage, "Low", f"terraform {stage} warning",
                 "Terraform warned (often a deprecated argument).", "Address the warning.",
                 {"kind": "terraform-diagnostic", "severity": "warning"}),
        ]
    return tuple(out)
