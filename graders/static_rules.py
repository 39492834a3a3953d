"""The catalogue's rules for the static stage: the response parsed (never run) and its names
resolved against the installed toolchain, and the literals in it (``harness/worker/toolchain_literals.py``).
``graders.catalogue`` puts them in its table; the texts a static rule shares with its execution
twin (the same defect, seen two ways) live here too."""

from __future__ import annotations

from .rule import Rule

# Texts shared by a static rule and its execution twin (same defect, seen two ways).
PROVIDER_NAME = ("Provider class name does not exist",
                 "The code imports a class the installed AWS provider does not define; several resources "
                 "carry versioned names with an 'A' suffix (e.g. S3BucketReplicationConfigurationA).",
                 "Import the suggested class name.")
TOOLCHAIN_NAME = ("cdktf/constructs name does not exist",
                  "The code imports a name the pinned cdktf or constructs does not export.",
                  "Import the suggested name.")
CONTRACT = ("Stack constructor does not match the task's entry point",
            "The task's entry point (its tap.py, or the app its cdktf.json names) builds the stack class "
            "with the arguments it passes (the template's: environment_suffix, state_bucket, "
            "state_bucket_region, aws_region and default_tags); the class's __init__ does not accept them.",
            "Accept the entry's keyword arguments (or **kwargs) in the stack class's __init__.")


def static_rules() -> tuple[Rule, ...]:
    return (
        Rule("static.provider-class-name", "static", "Critical", *PROVIDER_NAME,
             {"kind": "static-import", "from_module": r"^cdktf_cdktf_provider_aws\b"},
             "cannot import {missing_name} from {from_module}", repair="rename-import", defect="{defect}"),
        Rule("static.toolchain-name", "static", "Critical", *TOOLCHAIN_NAME, {"kind": "static-import"},
             "cannot import {missing_name} from {from_module}", repair="rename-import", defect="{defect}"),
        Rule("static.module-missing", "static", "Critical", "Toolchain module does not exist",
             "The code imports a provider (or cdktf) module that does not exist in the pinned toolchain.",
             "Import the suggested module.", {"kind": "static-module"}, "no module {missing_module}",
             repair="rename-module", defect="{defect}"),
        Rule("static.contract", "static", "Critical", *CONTRACT,
             {"kind": "static-contract"}, "{type}: {message}", repair="accept-contract", defect="{defect}"),
        Rule("static.struct-dict", "static", "Critical", "Plain dict where a typed struct is required",
             "A nested configuration was given as a dict whose keys jsii cannot deserialize into the "
             "provider's struct class (jsii maps only camelCase keys; snake_case needs the struct class).",
             "Build the struct class (e.g. DynamodbTableGlobalSecondaryIndex(...)) instead of a dict.",
             {"kind": "static-struct-dict"}, "{message}{detail}", repair="dict-to-struct", defect="{defect}"),
        Rule("static.struct-dict-dropped", "static", "Medium", "Struct keys silently dropped",
             "A list of structs was given dicts with snake_case (or unknown) keys; jsii maps only camelCase "
             "keys of dicts in a list and drops the rest, so that configuration never reaches Terraform. The "
             "stack synthesizes; validate/plan decide what the loss breaks.",
             "Build the struct class, or use the camelCase attribute names.",
             {"kind": "static-struct-dropped"}, "{message}{detail}", repair="dict-to-struct", defect="{defect}"),
        Rule("static.unknown-argument", "static", "Critical", "Unknown argument to a provider class",
             "A resource, data source or struct is given a keyword argument it does not have.",
             "Use the argument names of the pinned provider.", {"kind": "static-unknown-arg"}, "{message}", defect="{defect}"),
        *literal_rules(),
    )


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
