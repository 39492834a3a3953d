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

DOCUMENTED: dict[str, dict[str, dict]] = {
    "aws_lb": {"name": _LB_NAME},
    "aws_alb": {"name": _LB_NAME},
    "aws_lb_target_group": {"name": _LB_NAME},
    "aws_s3_bucket": {"bucket": {
        "kind": "string", "min": 3, "max": 63, "pattern": r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$",
        "api": "documented: S3 bucket naming rules (3-63 lowercase letters, digits, dots, hyphens; a letter "
               "or digit at each end)"}},
    "aws_cloudwatch_log_group": {"retention_in_days": {
        "kind": "number", "enum": _LOG_RETENTION,
        "api": "documented: CloudWatch Logs PutRetentionPolicy retentionInDays (one of the listed values)"}},
    "aws_db_instance": {"identifier": _DB_ID, "backup_retention_period": {
        "kind": "number", "min": 0, "max": 35, "api": "documented: RDS BackupRetentionPeriod (0-35 days)"},
        "monitoring_interval": {"kind": "number", "enum": [0, 1, 5, 10, 15, 30, 60],
                                "api": "documented: RDS MonitoringInterval (0, 1, 5, 10, 15, 30 or 60)"}},
    "aws_rds_cluster": {"cluster_identifier": _DB_ID, "backup_retention_period": {
        "kind": "number", "min": 1, "max": 35, "api": "documented: Aurora BackupRetentionPeriod (1-35 days)"}},
    "aws_rds_cluster_instance": {"identifier": _DB_ID, "monitoring_interval": {
        "kind": "number", "enum": [0, 1, 5, 10, 15, 30, 60],
        "api": "documented: RDS MonitoringInterval (0, 1, 5, 10, 15, 30 or 60)"}},
    "aws_elasticache_replication_group": {"replication_group_id": {
        "kind": "string", "max": 40, "pattern": r"^[a-zA-Z](?:-?[a-zA-Z0-9])*$",
        "api": "documented: ElastiCache ReplicationGroupId (1-40 alphanumerics or hyphens, a letter first)"}},
    "aws_sqs_queue": {"name": {
        "kind": "string", "max": 80, "pattern": r"^[a-zA-Z0-9_-]+(\.fifo)?$",
        "api": "documented: SQS QueueName (80 characters: alphanumerics, hyphens, underscores; .fifo for FIFO)"}},
    "aws_sns_topic": {"name": {
        "kind": "string", "max": 256, "pattern": r"^[a-zA-Z0-9_-]+(\.fifo)?$",
        "api": "documented: SNS topic Name (256 characters: alphanumerics, hyphens, underscores)"}},
    "aws_security_group": {"description": {
        "kind": "string", "max": 255, "pattern": r"^[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]*$",
        "api": "documented: EC2 security group GroupDescription (255 characters of a restricted set)"}},
    "aws_secretsmanager_secret": {"recovery_window_in_days": {
        "kind": "number", "enum": [0, *range(7, 31)],
        "api": "documented: Secrets Manager RecoveryWindowInDays (7-30, or 0 to delete at once)"}},
}
