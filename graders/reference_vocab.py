"""What the reference comparison knows about resource kinds: how a prompt names each, which are
security controls, which types are the same capability written another way. Data only
(``reference_compare.py`` walks it); a kind without a prompt name is only ever an Info difference.
"""

from __future__ import annotations

# Types that are the same resource under another name.
EQUIVALENT = {"aws_alb": "aws_lb", "aws_alb_listener": "aws_lb_listener", "aws_alb_target_group": "aws_lb_target_group",
              "aws_alb_listener_rule": "aws_lb_listener_rule", "aws_alb_target_group_attachment":
              "aws_lb_target_group_attachment"}

# (type, inline block) -> the separate resource type the block provides (older provider styles).
INLINE = {
    ("aws_s3_bucket", "server_side_encryption_configuration"): "aws_s3_bucket_server_side_encryption_configuration",
    ("aws_s3_bucket", "versioning"): "aws_s3_bucket_versioning",
    ("aws_s3_bucket", "lifecycle_rule"): "aws_s3_bucket_lifecycle_configuration",
    ("aws_s3_bucket", "logging"): "aws_s3_bucket_logging",
    ("aws_s3_bucket", "replication_configuration"): "aws_s3_bucket_replication_configuration",
    ("aws_s3_bucket", "website"): "aws_s3_bucket_website_configuration",
    ("aws_s3_bucket", "policy"): "aws_s3_bucket_policy",
    ("aws_security_group", "ingress"): "aws_security_group_rule",
    ("aws_security_group", "egress"): "aws_security_group_rule",
    ("aws_route_table", "route"): "aws_route",
    ("aws_iam_role", "inline_policy"): "aws_iam_role_policy",
    ("aws_iam_role", "managed_policy_arns"): "aws_iam_role_policy_attachment",
    ("aws_kms_key", "policy"): "aws_kms_key_policy",
}

# How a prompt names a kind: every pattern must match one sentence (case-insensitive). The first
# pattern is also what a stated count precedes ("three private subnets").
PROMPT_NAMES: dict[str, tuple[str, ...]] = {
    "aws_kms_key": (r"\bkms\b|customer[- ]managed keys?|encryption keys?",),
    "aws_s3_bucket": (r"\bs3\b|buckets?",),
    "aws_s3_bucket_server_side_encryption_configuration": (r"encrypt", r"\bs3\b|bucket"),
    "aws_s3_bucket_public_access_block": (r"public access|block(ing)? (all )?public",),
    "aws_s3_bucket_versioning": (r"versioning|versioned",),
    "aws_s3_bucket_lifecycle_configuration": (r"lifecycle|glacier|transition|expir", r"\bs3\b|bucket|object"),
    "aws_s3_bucket_replication_configuration": (r"replicat", r"\bs3\b|bucket"),
    "aws_s3_bucket_logging": (r"access log", r"\bs3\b|bucket"),
    "aws_s3_bucket_notification": (r"notif|trigger|upload", r"\bs3\b|bucket"),
    "aws_cloudwatch_metric_alarm": (r"\balarms?\b",),
    "aws_cloudwatch_composite_alarm": (r"composite alarms?",),
    "aws_cloudwatch_dashboard": (r"dashboards?",),
    "aws_cloudwatch_log_group": (r"log groups?|cloudwatch logs",),
    "aws_cloudwatch_log_metric_filter": (r"metric filters?",),
    "aws_cloudwatch_event_rule": (r"eventbridge|event rules?|cloudwatch events|scheduled? (rule|event|job|invocation)",),
    "aws_sns_topic": (r"\bsns\b|topics?\b",),
    "aws_sns_topic_subscription": (r"subscri",),
    "aws_sqs_queue": (r"\bsqs\b|queues?\b|dlq",),
    "aws_lambda_function": (r"lambdas?\b|functions?\b",),
    "aws_lambda_event_source_mapping": (r"event source",),
    "aws_lambda_function_url": (r"function urls?",),
    "aws_dynamodb_table": (r"dynamodb",),
    "aws_rds_cluster": (r"aurora",),
    "aws_rds_cluster_instance": (r"aurora",),
    "aws_rds_global_cluster": (r"global database|aurora global",),
    "aws_db_instance": (r"\brds\b|postgres|mysql|mariadb",),
    "aws_rds_cluster_parameter_group": (r"parameter groups?|(require|enforce|force)\w* (ssl|tls)|ssl/tls",),
    "aws_db_parameter_group": (r"parameter groups?|(require|enforce|force)\w* (ssl|tls)|ssl/tls",),
    "aws_elasticache_replication_group": (r"elasticache|redis|memcached|valkey",),
    "aws_ecs_cluster": (r"\becs\b|fargate",),
    "aws_ecs_service": (r"\becs\b|fargate",),
    "aws_ecs_task_definition": (r"task definitions?|\becs\b|fargate",),
    "aws_eks_cluster": (r"\beks\b|kubernetes",),
    "aws_eks_node_group": (r"node ?groups?|worker nodes",),
    "aws_eks_addon": (r"add-?ons?\b",),
    "aws_lb": (r"load balancers?|\balb\b|\bnlb\b",),
    "aws_lb_listener": (r"listeners?",),
    "aws_lb_target_group": (r"target groups?",),
    "aws_autoscaling_group": (r"auto ?scaling groups?|\basg\b",),
    "aws_autoscaling_policy": (r"scaling polic",),
    "aws_appautoscaling_policy": (r"scaling polic|auto[- ]?scal",),
    "aws_appautoscaling_target": (r"auto[- ]?scal",),
    "aws_instance": (r"\bec2\b",),
    "aws_launch_template": (r"launch templates?",),
    "aws_vpc": (r"\bvpcs?\b",),
    "aws_subnet": (r"subnets?",),
    "aws_nat_gateway": (r"nat gateways?|\bnat\b",),
    "aws_internet_gateway": (r"internet gateways?|\bigw\b",),
    "aws_vpc_endpoint": (r"vpc endpoints?|privatelink|(gateway|interface) endpoints?",),
    "aws_flow_log": (r"flow logs?",),
    "aws_vpc_peering_connection": (r"peering",),
    "aws_vpc_peering_connection_accepter": (r"peering",),
    "aws_ec2_transit_gateway": (r"transit gateways?",),
    "aws_network_acl": (r"network acls?|\bnacls?\b",),
    "aws_route53_zone": (r"hosted zones?|route ?53",),
    "aws_route53_record": (r"route ?53|dns records?|failover routing|latency[- ]based|weighted routing",),
    "aws_route53_health_check": (r"health checks?", r"route ?53|dns|failover"),
    "aws_api_gateway_rest_api": (r"api gateway|rest api",),
    "aws_apigatewayv2_api": (r"http api|websocket",),
    "aws_wafv2_web_acl": (r"\bwaf\b|web acls?|web application firewall",),
    "aws_wafv2_web_acl_association": (r"\bwaf\b|web acls?|web application firewall",),
    "aws_cloudfront_distribution": (r"cloudfront|\bcdn\b",),
    "aws_secretsmanager_secret": (r"secrets? manager",),
    "aws_secretsmanager_secret_rotation": (r"rotat", r"secret|password|credential"),
    "aws_ssm_parameter": (r"parameter store|ssm parameters?",),
    "aws_cloudtrail": (r"cloudtrail",),
    "aws_guardduty_detector": (r"guardduty",),
    "aws_config_config_rule": (r"aws config|config rules?",),
    "aws_config_configuration_recorder": (r"aws config|config recorder",),
    "aws_securityhub_account": (r"security hub",),
    "aws_sfn_state_machine": (r"step functions?|state machines?",),
    "aws_kinesis_stream": (r"kinesis",),
    "aws_kinesis_firehose_delivery_stream": (r"firehose",),
    "aws_efs_file_system": (r"\befs\b|elastic file system",),
    "aws_backup_plan": (r"aws backup|backup plans?",),
    "aws_backup_vault": (r"aws backup|backup vaults?",),
    "aws_ecr_repository": (r"\becr\b|container registry",),
    "aws_codepipeline": (r"codepipeline",),
    "aws_codebuild_project": (r"codebuild",),
    "aws_acm_certificate": (r"\bacm\b|certificates?",),
    "aws_xray_sampling_rule": (r"x-?ray",),
    "aws_iam_account_password_policy": (r"password polic",),
    "aws_shield_protection": (r"\bshield\b",),
    "aws_opensearch_domain": (r"opensearch|elasticsearch",),
    "aws_msk_cluster": (r"\bmsk\b|kafka",),
    "aws_cognito_user_pool": (r"cognito|user pools?",),
    "aws_glue_catalog_database": (r"\bglue\b",),
    "aws_athena_workgroup": (r"athena",),
    "aws_budgets_budget": (r"budgets?",),
    "aws_dynamodb_table_replica": (r"global tables?",),
}

# Kinds that are security controls: missing where the prompt names them, they are reported as such.
SECURITY_CONTROLS = frozenset({
    "aws_kms_key", "aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_public_access_block",
    "aws_wafv2_web_acl", "aws_wafv2_web_acl_association", "aws_guardduty_detector", "aws_cloudtrail",
    "aws_config_config_rule", "aws_config_configuration_recorder", "aws_securityhub_account", "aws_flow_log",
    "aws_secretsmanager_secret_rotation", "aws_iam_account_password_policy", "aws_shield_protection",
    "aws_network_acl", "aws_rds_cluster_parameter_group", "aws_db_parameter_group", "aws_acm_certificate",
    "aws_s3_bucket_versioning"})

# Attributes whose values are names, ids or text: they differ between correct answers.
SKIP_ATTRIBUTES = frozenset({
    "//", "provider", "depends_on", "lifecycle", "tags", "tags_all", "name", "name_prefix", "bucket", "bucket_prefix",
    "function_name", "description", "alarm_description", "alarm_name", "identifier", "cluster_identifier",
    "family", "comment", "role", "policy", "assume_role_policy", "filename", "source_code_hash", "handler",
    "dashboard_body", "container_definitions", "definition", "cidr_block", "availability_zone", "key",
    "table_name", "display_name", "statement_id", "url", "zone_id", "records", "set_identifier", "count", "for_each",
    "master_username", "master_password", "username", "password", "database_name", "db_name", "replication_group_id",
    "secret_string", "value", "endpoint", "domain_name", "subject_alternative_names"})

STOPWORDS = frozenset({"in", "id", "arn", "enabled", "type", "the", "of", "ids", "arns", "and", "for", "is"})
