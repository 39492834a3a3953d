"""Which AWS API member each Terraform resource attribute is sent as: the mapping the deploy rules
are generated through (``scripts/gen_api_constraints.py`` reads it with botocore's service models).

Data first, like tflint-ruleset-aws's mapping files: per resource type, the botocore service and the
operation that creates it, then the attributes whose member is not found by name. An attribute not
listed is matched by name against the operation's input members (``memory_size`` -> ``MemorySize``);
a listed attribute may name another operation (``"Operation.Member"``) or a nested member
(``"HealthCheckConfig.Type"``), and ``None`` keeps a name match out (a Terraform argument that is not
sent as the member it is named like). Attribute paths with dots walk nested blocks.

Only constraints the service model states are generated; limits AWS documents but the models omit
(a load balancer name's 32 characters, a log group's retention days) are in ``api_documented.py``.
"""

from __future__ import annotations

# type -> (service, create operation, {attribute path: member path or "Operation.Member" or None})
API_MAPPING: dict[str, tuple[str, str, dict[str, str | None]]] = {
    "aws_lambda_function": ("lambda", "CreateFunction", {
        "reserved_concurrent_executions": None,  # -1 means unreserved in Terraform, not an API value
        "kms_key_arn": None, "role": None, "filename": None, "source_code_hash": None}),
    "aws_lambda_alias": ("lambda", "CreateAlias", {"name": "Name", "function_version": "FunctionVersion"}),
    "aws_lambda_permission": ("lambda", "AddPermission", {"statement_id": "StatementId", "action": "Action",
                                                           "function_name": None, "principal": "Principal"}),
    "aws_lambda_event_source_mapping": ("lambda", "CreateEventSourceMapping", {
        "batch_size": "BatchSize", "starting_position": "StartingPosition",
        "maximum_batching_window_in_seconds": "MaximumBatchingWindowInSeconds", "function_name": None}),
    "aws_lambda_function_url": ("lambda", "CreateFunctionUrlConfig", {"authorization_type": "AuthType",
                                                                      "function_name": None}),
    "aws_iam_role": ("iam", "CreateRole", {"name": "RoleName", "assume_role_policy": None}),
    "aws_iam_policy": ("iam", "CreatePolicy", {"name": "PolicyName", "policy": None}),
    "aws_iam_role_policy": ("iam", "PutRolePolicy", {"name": "PolicyName", "role": None, "policy": None}),
    "aws_iam_user": ("iam", "CreateUser", {"name": "UserName"}),
    "aws_iam_group": ("iam", "CreateGroup", {"name": "GroupName"}),
    "aws_iam_instance_profile": ("iam", "CreateInstanceProfile", {"name": "InstanceProfileName", "role": None}),
    "aws_lb": ("elbv2", "CreateLoadBalancer", {"load_balancer_type": "Type", "security_groups": None,
                                               "subnets": None}),
    "aws_alb": ("elbv2", "CreateLoadBalancer", {"load_balancer_type": "Type", "security_groups": None,
                                                "subnets": None}),
    "aws_lb_target_group": ("elbv2", "CreateTargetGroup", {
        "health_check.interval": "HealthCheckIntervalSeconds", "health_check.timeout": "HealthCheckTimeoutSeconds",
        "health_check.healthy_threshold": "HealthyThresholdCount",
        "health_check.unhealthy_threshold": "UnhealthyThresholdCount", "health_check.path": "HealthCheckPath",
        "health_check.protocol": "HealthCheckProtocol", "protocol_version": None}),
    "aws_lb_listener": ("elbv2", "CreateListener", {"load_balancer_arn": None, "default_action.type": "DefaultActions.Type"}),
    "aws_lb_listener_rule": ("elbv2", "CreateRule", {"priority": "Priority", "action.type": "Actions.Type"}),
    "aws_cloudwatch_metric_alarm": ("cloudwatch", "PutMetricAlarm", {"alarm_actions": "AlarmActions",
                                                                     "ok_actions": "OKActions"}),
    "aws_cloudwatch_composite_alarm": ("cloudwatch", "PutCompositeAlarm", {"alarm_actions": "AlarmActions",
                                                                           "ok_actions": "OKActions"}),
    "aws_cloudwatch_dashboard": ("cloudwatch", "PutDashboard", {"dashboard_body": None}),
    "aws_cloudwatch_log_group": ("logs", "CreateLogGroup", {"name": "logGroupName", "kms_key_id": None,
                                                            "log_group_class": "logGroupClass"}),
    "aws_cloudwatch_log_metric_filter": ("logs", "PutMetricFilter", {"name": "filterName", "pattern": "filterPattern",
                                                                     "log_group_name": "logGroupName"}),
    "aws_cloudwatch_log_subscription_filter": ("logs", "PutSubscriptionFilter", {
        "name": "filterName", "filter_pattern": "filterPattern", "log_group_name": "logGroupName"}),
    "aws_cloudwatch_event_rule": ("events", "PutRule", {"event_bus_name": None}),
    "aws_cloudwatch_event_target": ("events", "PutTargets", {"target_id": "Targets.Id", "rule": "Rule"}),
    "aws_cloudwatch_event_bus": ("events", "CreateEventBus", {}),
    "aws_sns_topic": ("sns", "CreateTopic", {}),
    "aws_sns_topic_subscription": ("sns", "Subscribe", {"endpoint": None}),
    "aws_sqs_queue": ("sqs", "CreateQueue", {"name": "QueueName"}),
    "aws_kms_key": ("kms", "CreateKey", {"key_usage": "KeyUsage", "customer_master_key_spec": "KeySpec",
                                         "deletion_window_in_days": "ScheduleKeyDeletion.PendingWindowInDays",
                                         "policy": None}),
    "aws_kms_alias": ("kms", "CreateAlias", {"name": "AliasName", "target_key_id": None}),
    "aws_dynamodb_table": ("dynamodb", "CreateTable", {"name": "TableName",
                                                       "stream_view_type": "StreamSpecification.StreamViewType",
                                                       "hash_key": None, "range_key": None,
                                                       "attribute.type": "AttributeDefinitions.AttributeType"}),
    "aws_s3_bucket": ("s3", "CreateBucket", {"bucket": None}),  # bucket names: api_documented.py
    "aws_s3_bucket_lifecycle_configuration": ("s3", "PutBucketLifecycleConfiguration", {
        "rule.status": "LifecycleConfiguration.Rules.Status",
        "rule.transition.storage_class": "LifecycleConfiguration.Rules.Transitions.StorageClass",
        "rule.noncurrent_version_transition.storage_class":
            "LifecycleConfiguration.Rules.NoncurrentVersionTransitions.StorageClass",
        "rule.id": "LifecycleConfiguration.Rules.ID", "bucket": None}),
    "aws_s3_bucket_server_side_encryption_configuration": ("s3", "PutBucketEncryption", {
        "rule.apply_server_side_encryption_by_default.sse_algorithm":
            "ServerSideEncryptionConfiguration.Rules.ApplyServerSideEncryptionByDefault.SSEAlgorithm", "bucket": None}),
    "aws_s3_bucket_ownership_controls": ("s3", "PutBucketOwnershipControls", {
        "rule.object_ownership": "OwnershipControls.Rules.ObjectOwnership", "bucket": None}),
    "aws_s3_bucket_acl": ("s3", "PutBucketAcl", {"acl": "ACL", "bucket": None}),
    "aws_db_instance": ("rds", "CreateDBInstance", {"identifier": None, "engine_version": None}),
    "aws_rds_cluster": ("rds", "CreateDBCluster", {"engine_version": None}),
    "aws_rds_cluster_instance": ("rds", "CreateDBInstance", {"identifier": None, "engine_version": None}),
    "aws_ecs_cluster": ("ecs", "CreateCluster", {"name": "clusterName"}),
    "aws_ecs_service": ("ecs", "CreateService", {"name": "serviceName", "cluster": None,
                                                 "task_definition": None}),
    "aws_ecs_task_definition": ("ecs", "RegisterTaskDefinition", {"container_definitions": None,
                                                                   "cpu": None, "memory": None}),
    "aws_ecr_repository": ("ecr", "CreateRepository", {"name": "repositoryName"}),
    "aws_ecr_lifecycle_policy": ("ecr", "PutLifecyclePolicy", {"repository": "repositoryName", "policy": None}),
    "aws_eks_cluster": ("eks", "CreateCluster", {"role_arn": None}),
    "aws_eks_node_group": ("eks", "CreateNodegroup", {"node_group_name": "nodegroupName", "node_role_arn": None,
                                                      "cluster_name": None}),
    "aws_eks_addon": ("eks", "CreateAddon", {"cluster_name": None}),
    "aws_route53_record": ("route53", "ChangeResourceRecordSets", {
        "type": "ChangeBatch.Changes.ResourceRecordSet.Type", "ttl": "ChangeBatch.Changes.ResourceRecordSet.TTL",
        "set_identifier": "ChangeBatch.Changes.ResourceRecordSet.SetIdentifier", "name": None, "zone_id": None}),
    "aws_route53_health_check": ("route53", "CreateHealthCheck", {
        "type": "HealthCheckConfig.Type", "request_interval": "HealthCheckConfig.RequestInterval",
        "failure_threshold": "HealthCheckConfig.FailureThreshold", "resource_path": "HealthCheckConfig.ResourcePath",
        "port": "HealthCheckConfig.Port", "fqdn": "HealthCheckConfig.FullyQualifiedDomainName"}),
    "aws_route53_zone": ("route53", "CreateHostedZone", {"comment": "HostedZoneConfig.Comment"}),
    "aws_secretsmanager_secret": ("secretsmanager", "CreateSecret", {"kms_key_id": None}),
    "aws_secretsmanager_secret_rotation": ("secretsmanager", "RotateSecret", {
        "rotation_rules.automatically_after_days": "RotationRules.AutomaticallyAfterDays", "secret_id": None}),
    "aws_api_gateway_rest_api": ("apigateway", "CreateRestApi", {"body": None}),
    "aws_api_gateway_integration": ("apigateway", "PutIntegration", {"type": "type", "rest_api_id": None,
                                                                     "resource_id": None}),
    "aws_api_gateway_stage": ("apigateway", "CreateStage", {"rest_api_id": None, "deployment_id": None}),
    "aws_apigatewayv2_api": ("apigatewayv2", "CreateApi", {}),
    "aws_apigatewayv2_stage": ("apigatewayv2", "CreateStage", {"api_id": None}),
    "aws_apigatewayv2_integration": ("apigatewayv2", "CreateIntegration", {"api_id": None}),
    "aws_wafv2_web_acl": ("wafv2", "CreateWebACL", {"rule.name": "Rules.Name", "rule.priority": "Rules.Priority"}),
    "aws_wafv2_ip_set": ("wafv2", "CreateIPSet", {"ip_address_version": "IPAddressVersion"}),
    "aws_cloudfront_distribution": ("cloudfront", "CreateDistribution", {
        "price_class": "DistributionConfig.PriceClass", "http_version": "DistributionConfig.HttpVersion",
        "default_cache_behavior.viewer_protocol_policy": "DistributionConfig.DefaultCacheBehavior.ViewerProtocolPolicy"}),
    "aws_autoscaling_group": ("autoscaling", "CreateAutoScalingGroup", {"name": "AutoScalingGroupName"}),
    "aws_autoscaling_policy": ("autoscaling", "PutScalingPolicy", {"name": "PolicyName",
                                                                   "autoscaling_group_name": None}),
    "aws_appautoscaling_policy": ("application-autoscaling", "PutScalingPolicy", {"resource_id": None}),
    "aws_appautoscaling_target": ("application-autoscaling", "RegisterScalableTarget", {"resource_id": None}),
    "aws_launch_template": ("ec2", "CreateLaunchTemplate", {
        "name": "LaunchTemplateName", "instance_type": "LaunchTemplateData.InstanceType"}),
    "aws_instance": ("ec2", "RunInstances", {}),
    "aws_vpc": ("ec2", "CreateVpc", {}),
    "aws_subnet": ("ec2", "CreateSubnet", {}),
    "aws_security_group": ("ec2", "CreateSecurityGroup", {"name": "GroupName"}),
    "aws_flow_log": ("ec2", "CreateFlowLogs", {}),
    "aws_nat_gateway": ("ec2", "CreateNatGateway", {}),
    "aws_vpc_endpoint": ("ec2", "CreateVpcEndpoint", {"service_name": None}),
    "aws_sfn_state_machine": ("stepfunctions", "CreateStateMachine", {"definition": None}),
    "aws_kinesis_stream": ("kinesis", "CreateStream", {"name": "StreamName",
                                                       "retention_period": "IncreaseStreamRetentionPeriod.RetentionPeriodHours"}),
    "aws_cloudtrail": ("cloudtrail", "CreateTrail", {"s3_bucket_name": None}),
    "aws_guardduty_detector": ("guardduty", "CreateDetector", {}),
    "aws_efs_file_system": ("efs", "CreateFileSystem", {}),
    "aws_ssm_parameter": ("ssm", "PutParameter", {"value": None}),
    "aws_codebuild_project": ("codebuild", "CreateProject", {}),
    "aws_backup_vault": ("backup", "CreateBackupVault", {"name": "BackupVaultName"}),
    "aws_backup_plan": ("backup", "CreateBackupPlan", {"name": "BackupPlan.BackupPlanName",
                                                       "rule.rule_name": "BackupPlan.Rules.RuleName"}),
    "aws_elasticache_replication_group": ("elasticache", "CreateReplicationGroup", {}),
    "aws_elasticache_subnet_group": ("elasticache", "CreateCacheSubnetGroup", {"name": "CacheSubnetGroupName"}),
    "aws_db_subnet_group": ("rds", "CreateDBSubnetGroup", {"name": "DBSubnetGroupName"}),
    "aws_xray_sampling_rule": ("xray", "CreateSamplingRule", {}),
    "aws_config_config_rule": ("config", "PutConfigRule", {"name": "ConfigRule.ConfigRuleName"}),
}
