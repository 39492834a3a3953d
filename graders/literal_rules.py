"""The catalogue's rules for literals in the code (``harness/literal_checks.py`` finds them; the
catalogue puts these rules in its table, in the static section)."""

from __future__ import annotations

from .rule import Rule


def literal_rules() -> tuple[Rule, ...]:
    """Placeholders that deploy into nobody's account are High; a hard-coded secret is Medium (a
    policy breach, but the stack deploys); an interpolation Terraform cannot resolve is Medium here,
    because terraform validate reports it as the Critical it is when the string reaches the
    configuration (in a file the stack only writes, it is harmless)."""
    def rule(check: str, severity: str, title: str, root_cause: str, fix: str) -> Rule:
        return Rule(f"static.literal-{check}", "static", severity, title, root_cause, fix,
                    {"kind": "static-literal", "check": check}, "{message}", defect="{defect}")
    return (
        rule("placeholder-account", "High", "Placeholder AWS account id",
             "A documentation account id (123456789012 and look-alikes) is hard-coded: ARNs and principals "
             "built from it point at an account nobody owns.",
             "Read the account id from DataAwsCallerIdentity (or the provider) instead."),
        rule("placeholder-id", "High", "Placeholder resource id",
             "An id such as vpc-placeholder, subnet-xxxx or sg-12345678 is hard-coded; no account has it, so "
             "the resources that reference it fail at deploy.",
             "Create the resource in the stack, or look it up with a data source."),
        rule("hardcoded-secret", "Medium", "Hard-coded password or secret",
             "A password, token or key is a literal in the code (and so in the state and the repository).",
             "Generate it (random_password, RDS-managed master passwords) or read it from Secrets Manager."),
        rule("interpolation", "Medium", "Terraform would interpolate ${...} in a string",
             "A string holds ${...} that is not a Terraform expression (an IAM policy variable, a CloudFormation "
             "pseudo parameter, a template placeholder); Terraform tries to interpolate it.",
             "Escape it as $${...} (or build the value with the stack's own tokens)."),
    )
