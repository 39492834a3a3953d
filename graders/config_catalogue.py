"""The catalogue's rules over the synthesized configuration (the checks are in
``config_rules.py``; ``graders.catalogue`` puts these rules in its table)."""

from __future__ import annotations

from .rule import Rule


def config_catalogue_rules() -> tuple[Rule, ...]:
    """One rule per check of ``config_rules.py``, matched by the check's name."""
    return (
        Rule("config.backend-s3", "rules", "High", "No S3 backend",
             "Terraform state is not kept in the S3 backend the pipeline expects (local state breaks CI "
             "deployments and state locking).", "Add S3Backend(self, bucket=state_bucket, key=..., "
             "region=state_bucket_region).", {"kind": "config-rule", "rule": "backend-s3"}),
        Rule("config.default-tags", "rules", "High", "AWS provider without default_tags",
             "The tap.py contract passes default_tags for cost allocation and compliance; a provider "
             "without them leaves resources untagged.", "Pass default_tags=[default_tags] to every AwsProvider.",
             {"kind": "config-rule", "rule": "^default-tags$"}),
        Rule("config.default-tags-empty", "rules", "Medium", "AWS provider default_tags block holds no tags",
             "The provider has a default_tags block but no tags in it: a flat tag map given as the block itself "
             "(default_tags=[tags] where the entry passes {'Team': ...}) is dropped, so nothing is tagged.",
             "Give the block the map under tags: default_tags=[{\"tags\": tags}].",
             {"kind": "config-rule", "rule": "default-tags-empty"}),
        Rule("config.route53-address", "rules", "High", "A/AAAA record does not hold an IP address",
             "A and AAAA records take IP addresses; an ARN, a name or another attribute fails at apply "
             "(route to Lambda through API Gateway, a function URL with an alias, or a load balancer).",
             "Use an alias record to the service, or a record type that fits the value.",
             {"kind": "config-rule", "rule": "route53-address"}),
        Rule("config.lambda-package", "rules", "Critical", "Lambda package missing or not a zip",
             "The function's filename does not point at a zip archive that exists when Terraform runs.",
             "Build the archive at synth time (or use TerraformAsset) and point filename at it.",
             {"kind": "config-rule", "rule": "lambda-package"}, defect="file:{construct}"),
        Rule("config.iam-policy", "rules", "High", "IAM policy document is not a valid policy",
             "A literal policy document is not JSON, or lacks Version/Statement.",
             "Build the document with json.dumps/Fn.jsonencode and include Version and Statement.",
             {"kind": "config-rule", "rule": "iam-policy"}),
        Rule("config.destroyable", "rules", "Medium", "Resource cannot be destroyed cleanly",
             "deletion_protection, or a required final snapshot, blocks the pipeline's destroy step.",
             "Turn deletion_protection off and set skip_final_snapshot=True for test environments.",
             {"kind": "config-rule", "rule": "destroyable"}),
        Rule("config.hard-coded-region", "rules", "High", "Hard-coded region instead of aws_region",
             "The default AWS provider names a region other than the aws_region tap.py passes, so the "
             "pipeline's region choice is ignored.", "Use region=aws_region on the default AwsProvider "
             "(aliased providers of a multi-region stack may name theirs).",
             {"kind": "config-rule", "rule": "hard-coded-region"}),
        Rule("config.environment-suffix", "rules", "Medium", "Resource names without the environment suffix",
             "Literal resource names that omit environment_suffix collide when two environments (or two "
             "pull requests) deploy into one account.", "Build every name with the environment_suffix.",
             {"kind": "config-rule", "rule": "environment-suffix"}),
        Rule("config.name-tag-suffix", "rules", "Low", "Name tags without the environment suffix",
             "Literal Name tags that omit environment_suffix make two environments' resources look the same "
             "in the console and in cost reports (nothing collides).", "Build Name tags with the environment_suffix.",
             {"kind": "config-rule", "rule": "name-tag-suffix"}),
    )
