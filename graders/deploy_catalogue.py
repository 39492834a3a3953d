"""The catalogue's rules for the deploy-rules stage (AWS API constraints and cross-resource rules,
``api_rules.py`` and ``deploy_rules.py``) and the reference stage (``reference_compare.py``);
``graders.catalogue`` puts them in its table.

Deploy rules are High: the stack synthesizes and plans, and AWS refuses it when the pipeline
deploys. Reference differences follow the issue's policy: a missing security control or a missing
resource the prompt asks for High, a value that contradicts the prompt Medium, any other difference
Info (two correct answers may differ where the prompt is silent).
"""

from __future__ import annotations

from .rule import Rule

_API = "the AWS API refuses a value the provider schema lets through (the request fails at deploy)"


# (signal rule, title, root cause, fix hint): every deploy rule is High.
DEPLOY_RULES: tuple[tuple[str, str, str, str], ...] = (
    ("api-enum", "Value the AWS API does not know",
     f"An enum argument holds a value outside the service model's list: {_API}.",
     "Use one of the values the API lists (the message names the API member)."),
    ("api-length", "Value longer or shorter than the API allows",
     f"A name or string is outside the API's length limits as deployed (with the pipeline's environment "
     f"suffix): {_API}.", "Shorten the name (a shorter prefix, or a name_prefix)."),
    ("api-pattern", "Value outside the API's allowed pattern",
     f"A name or string holds characters (or a shape) the API's pattern excludes: {_API}.",
     "Use only the characters the API allows (the message gives the pattern)."),
    ("api-range", "Number outside the API's range",
     f"A number is below the API's minimum or above its maximum: {_API}.", "Use a value within the range the message gives."),
    ("api-list-size", "More items than the API takes",
     f"A list holds more (or fewer) items than the API member allows: {_API}.",
     "Split the list or reduce it to the API's limit."),
    ("duplicate-priority", "Two rules with the same priority",
     "Rules of one web ACL (or listener rules of one listener) must have distinct priorities; AWS refuses the "
     "duplicate.", "Give every rule its own priority."),
    ("cross-region", "Reference to a resource in another region",
     "A VPC, subnet, security group, KMS key, SNS topic, log group or target group is used by a resource created "
     "in another region; AWS looks it up in the resource's own region and fails.",
     "Create the referenced resource with the same provider (region) as its user."),
    ("region", "Region that does not exist", "A provider is configured with a region AWS does not have.",
     "Use an existing region name."),
    ("lambda-reserved-env", "Lambda sets a reserved environment variable",
     "Lambda reserves AWS_REGION, AWS_DEFAULT_REGION, AWS_ACCESS_KEY_ID and others; a function that sets one is "
     "refused (InvalidParameterValueException).", "Drop the variable: the runtime provides AWS_REGION itself."),
    ("listener-certificate", "HTTPS/TLS listener without a certificate",
     "CreateListener requires a certificate for the HTTPS and TLS protocols.",
     "Pass certificate_arn (an ACM certificate), or listen on HTTP."),
    ("kms-logs-policy", "Log group key does not allow CloudWatch Logs",
     "A log group encrypted with a customer-managed key needs a key policy that lets the logs.<region>.amazonaws.com "
     "principal use the key; without it CreateLogGroup is refused.",
     "Add a key policy statement for the CloudWatch Logs service principal."),
    ("key-id-for-arn", "Key id where the API takes an ARN",
     "The argument is sent as an ARN (CloudWatch Logs kmsKeyId, Lambda KMSKeyArn); a key id is refused.",
     "Pass the key's arn attribute."),
    ("api-deployment-order", "API deployment created before its methods",
     "An aws_api_gateway_deployment with no dependency on (or trigger from) the API's methods and integrations may "
     "be created first, and AWS refuses a deployment of an API without methods.",
     "Add depends_on the integrations (and triggers that redeploy when they change)."),
    ("notification-permission", "S3 notification without (or before) its Lambda permission",
     "S3 validates a notification's destinations when it is put: the Lambda permission for s3.amazonaws.com must "
     "exist first, or the notification is refused.", "Create the aws_lambda_permission and make the notification "
     "depend on it."),
    ("pull-through-credentials", "Pull-through cache rule without credentials",
     "Docker Hub, GitHub and GitLab upstreams need credential_arn for an ECR pull-through cache.",
     "Store the registry credentials in a Secrets Manager secret prefixed ecr-pullthroughcache/."),
    ("fargate-size", "Fargate task size that does not exist",
     "Fargate offers fixed cpu/memory combinations; RegisterTaskDefinition refuses others.",
     "Use a combination from the Fargate task size table."),
)

# (signal rule, severity, title, root cause, fix hint) of the reference stage.
REFERENCE_RULES: tuple[tuple[str, str, str, str, str], ...] = (
    ("missing-control", "High", "Security control the reference has is missing",
     "The prompt names a security control (encryption, access blocking, WAF, audit logging...) that the reference "
     "(the code the task was merged with) creates and the response's stack lacks.", "Add the control."),
    ("missing-resource", "High", "Resource the prompt asks for is missing",
     "The prompt names a kind of resource that the reference creates and the response's stack does not.",
     "Create the resource the prompt asks for."),
    ("value-contradicts-prompt", "Medium", "Value differs from the one the prompt states",
     "The prompt states a value (a version, a retention, a size, a count) that the reference uses and the "
     "response's stack does not.", "Use the value the prompt states."),
    ("difference", "Info", "Differs from the reference",
     "A resource type or count differs from the reference where the prompt does not ask for it (recorded, not a "
     "failure: two correct answers may differ).", "None needed."),
)


def deploy_catalogue_rules() -> tuple[Rule, ...]:
    """One rule per signal of the deploy-rules and reference stages."""
    return (*(Rule(f"aws.{name}", "deploy-rules", "High", title, why, fix, {"kind": "deploy-rule", "rule": f"^{name}$"})
              for name, title, why, fix in DEPLOY_RULES),
            *(Rule(f"reference.{name}", "reference", sev, title, why, fix, {"kind": "reference", "rule": f"^{name}$"})
              for name, sev, title, why, fix in REFERENCE_RULES))
