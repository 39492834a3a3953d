"""Limits AWS documents for a request but its service models do not state, in the form the
generated constraints take (``graders/data/aws_api_constraints.json``), so the deploy rules check
both alike. Each names where AWS states it; keep the list to limits the API enforces at create
time (a value outside them is refused, so a stack that synthesizes and plans still fails to deploy).
"""

from __future__ import annotations

_LB_NAME = {"kind": "string", "max": 32, "pattern": r"^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$",
            "api": "documented: Elastic Load Balancing CreateLoadBalancer/CreateTargetGroup Name "
                   "(32 characters, alphanumerics and hyphens, no hyphen at either end)"}
_DB_ID = {"kind": "string", "max": 63, "pattern": r"^[a-zA-Z](?:-?[a-zA-Z0-9])*$",
          "api": "documented: RDS DB identifier (1-63 alphanumerics or hyphens, a letter first, no hyphen "
                 "at the end or two in a row)"}
_LOG_RETENTION = [0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                  2922, 3288, 3653]

_CIDR = {"kind": "string", "pattern": r"^\d{1,3}(\.\d{1,3}){3}/(1[6-9]|2[0-8])$",
         "api": "documented: VPC and subnet IPv4 CIDR blocks (a netmask from /16 to /28)"}
_HTTP_METHOD = {"kind": "string", "enum": ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY"],
                "api": "documented: API Gateway PutMethod/PutIntegration httpMethod"}
_ECS_NAME = {"kind": "string", "max": 255, "pattern": r"^[a-zA-Z0-9_-]+$",
             "api": "documented: ECS cluster and service names (255 letters, digits, hyphens, underscores)"}
_WINDOW = {"kind": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$",
           "api": "documented: RDS PreferredBackupWindow (hh24:mi-hh24:mi, UTC)"}
_MAINTENANCE = {"kind": "string", "pattern": r"^(?i:(mon|tue|wed|thu|fri|sat|sun)):([01]\d|2[0-3]):[0-5]\d-"
                                             r"(?i:(mon|tue|wed|thu|fri|sat|sun)):([01]\d|2[0-3]):[0-5]\d$",
                "api": "documented: RDS PreferredMaintenanceWindow (ddd:hh24:mi-ddd:hh24:mi, UTC)"}
_CLUSTER_ENGINES = ["aurora", "aurora-mysql", "aurora-postgresql", "mysql", "postgres", "neptune"]
_DB_ENGINES = ["mysql", "postgres", "mariadb", "oracle-ee", "oracle-ee-cdb", "oracle-se2", "oracle-se2-cdb",
               "sqlserver-ee", "sqlserver-se", "sqlserver-ex", "sqlserver-web", "db2-se", "db2-ae", "custom-oracle-ee",
               "custom-oracle-ee-cdb", "custom-oracle-se2", "custom-oracle-se2-cdb", "custom-sqlserver-ee",
               "custom-sqlserver-se", "custom-sqlserver-web", "aurora-mysql", "aurora-postgresql"]

DOCUMENTED: dict[str, dict[str, dict]] = {
    "aws_vpc": {"cidr_block": _CIDR},
    "aws_subnet": {"cidr_block": _CIDR, "availability_zone": {
        "kind": "string", "pattern": r"^[a-z]{2}(-[a-z]+)+-\d[a-z]$",
        "api": "documented: an Availability Zone name (region + zone letter)"}},
    "aws_security_group": {"name": {
        "kind": "string", "max": 255, "pattern": r"^(?!sg-)",
        "api": "documented: EC2 security group GroupName (255 characters, not starting with sg-)"},
        "description": {
        "kind": "string", "max": 255, "pattern": r"^[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]*$",
        "api": "documented: EC2 security group GroupDescription (255 characters of a restricted set)"}},
    "aws_iam_role_policy_attachment": {"policy_arn": {
        "kind": "string", "pattern": r"^arn:aws(-[a-z]+)*:iam::(aws|\d{12}):policy/.+",
        "api": "documented: an IAM policy ARN (arn:aws:iam::aws|account:policy/...)"}},
    "aws_api_gateway_method": {"http_method": _HTTP_METHOD, "authorization": {
        "kind": "string", "enum": ["NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"],
        "api": "documented: API Gateway PutMethod authorizationType"}},
    "aws_api_gateway_integration": {"integration_http_method": _HTTP_METHOD, "http_method": _HTTP_METHOD},
    "aws_api_gateway_stage": {"stage_name": {
        "kind": "string", "max": 128, "pattern": r"^[a-zA-Z0-9_-]+$",
        "api": "documented: API Gateway stage names (128 letters, digits, hyphens, underscores)"}},
    "aws_cloudwatch_dashboard": {"dashboard_name": {
        "kind": "string", "max": 255, "pattern": r"^[a-zA-Z0-9_-]+$",
        "api": "documented: CloudWatch PutDashboard DashboardName (255 letters, digits, hyphens, underscores)"}},
    "aws_ecs_cluster": {"name": _ECS_NAME},
    "aws_ecs_service": {"name": _ECS_NAME},
    "aws_lb_target_group": {"name": _LB_NAME, "deregistration_delay": {
        "kind": "number", "min": 0, "max": 3600, "api": "documented: ELB deregistration_delay.timeout_seconds (0-3600)"}},
    "aws_eip": {"domain": {"kind": "string", "enum": ["vpc", "standard"], "api": "ec2 AllocateAddress Domain"}},
    "aws_lb": {"name": _LB_NAME},
    "aws_alb": {"name": _LB_NAME},
    "aws_s3_bucket": {"bucket": {
        "kind": "string", "min": 3, "max": 63, "pattern": r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$",
        "api": "documented: S3 bucket naming rules (3-63 lowercase letters, digits, dots, hyphens; a letter "
               "or digit at each end)"}},
    "aws_cloudwatch_log_group": {"retention_in_days": {
        "kind": "number", "enum": _LOG_RETENTION,
        "api": "documented: CloudWatch Logs PutRetentionPolicy retentionInDays (one of the listed values)"}},
    "aws_db_instance": {"identifier": _DB_ID, "engine": {"kind": "string", "enum": _DB_ENGINES,
                                                         "api": "documented: RDS CreateDBInstance Engine"},
                        "backup_window": _WINDOW, "maintenance_window": _MAINTENANCE, "backup_retention_period": {
        "kind": "number", "min": 0, "max": 35, "api": "documented: RDS BackupRetentionPeriod (0-35 days)"},
        "monitoring_interval": {"kind": "number", "enum": [0, 1, 5, 10, 15, 30, 60],
                                "api": "documented: RDS MonitoringInterval (0, 1, 5, 10, 15, 30 or 60)"}},
    "aws_rds_cluster": {"cluster_identifier": _DB_ID, "backup_retention_period": {
        "kind": "number", "min": 1, "max": 35, "api": "documented: Aurora BackupRetentionPeriod (1-35 days)"},
        "engine": {"kind": "string", "enum": _CLUSTER_ENGINES, "api": "documented: RDS CreateDBCluster Engine"},
        "preferred_backup_window": _WINDOW, "preferred_maintenance_window": _MAINTENANCE},
    "aws_rds_cluster_instance": {"identifier": _DB_ID, "monitoring_interval": {
        "kind": "number", "enum": [0, 1, 5, 10, 15, 30, 60],
        "api": "documented: RDS MonitoringInterval (0, 1, 5, 10, 15, 30 or 60)"}},
    "aws_elasticache_replication_group": {"replication_group_id": {
        "kind": "string", "max": 40, "pattern": r"^[a-zA-Z](?:-?[a-zA-Z0-9])*$",
        "api": "documented: ElastiCache ReplicationGroupId (1-40 alphanumerics or hyphens, a letter first)"}},
    "aws_sqs_queue": {"name": {
        "kind": "string", "max": 80, "pattern": r"^[a-zA-Z0-9_-]+(\.fifo)?$",
        "api": "documented: SQS QueueName (80 characters: alphanumerics, hyphens, underscores; .fifo for FIFO)"},
        **{attr: {"kind": "number", "min": lo, "max": hi, "api": f"documented: SQS queue attribute {api}"}
           for attr, lo, hi, api in (("message_retention_seconds", 60, 1209600, "MessageRetentionPeriod"),
                                     ("visibility_timeout_seconds", 0, 43200, "VisibilityTimeout"),
                                     ("delay_seconds", 0, 900, "DelaySeconds"),
                                     ("receive_wait_time_seconds", 0, 20, "ReceiveMessageWaitTimeSeconds"),
                                     ("max_message_size", 1024, 1048576, "MaximumMessageSize"))}},
    "aws_sns_topic": {"name": {
        "kind": "string", "max": 256, "pattern": r"^[a-zA-Z0-9_-]+(\.fifo)?$",
        "api": "documented: SNS topic Name (256 characters: alphanumerics, hyphens, underscores)"},
        "display_name": {"kind": "string", "max": 100, "api": "documented: SNS DisplayName (100 characters)"}},
    "aws_secretsmanager_secret": {"recovery_window_in_days": {
        "kind": "number", "enum": [0, *range(7, 31)],
        "api": "documented: Secrets Manager RecoveryWindowInDays (7-30, or 0 to delete at once)"}},
}
