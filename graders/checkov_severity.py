"""Our severities for checkov checks: checkov reports none offline, so this table decides them.

Data first: ``CHECKOV_SEVERITIES`` is an ordered table of (rule id suffix, severity, check-id
pattern, why); the catalogue turns each row into a rule, and the first row whose pattern matches a
check id wins.
Meant for what a reviewer of this pipeline would block on: exposure, hard-coded secrets and
unencrypted databases are High; ordinary hardening is Medium; what most accepted references
omit (CMKs instead of AWS-managed keys, X-Ray, DLQs, multi-AZ...) is Info: recorded, not a
failure. Only High fails a verdict, so checkov fails a response for exposure or secrets, not for
missing extras.
"""

from __future__ import annotations

CHECKOV_SEVERITIES: tuple[tuple[str, str, str, str], ...] = (
    ("high", "High", r"^CKV_AWS_(16|17|20|24|25|41|45|46|57|62|70|93|96|107|108|109|110|277|287|288|289)$",
     "public exposure of data or hosts, unencrypted RDS and Aurora, hard-coded secrets, admin or escalation in IAM"),
    ("medium", "Medium", r"^CKV_AWS_(2|3|7|8|19|27|28|53|54|55|56|79|88|97|103|105|111|130|133|226|227|260|290|355)$",
     "hardening a reviewer asks for: encryption at rest, KMS key rotation, public access blocks, IMDSv2, TLS, "
     "backups, scoped IAM writes"),
    # Deletion protection (139, 150, 293) is Info on purpose: it contradicts the destroyability the
    # pipeline needs (config.destroyable).
    ("low", "Low", r"^CKV_AWS_(18|21|26|66|67|84|173)$",
     "observability and key management a reviewer notes but does not block on"),
    ("info", "Info", r".*", "defence in depth most accepted references omit (CMKs, X-Ray, DLQs, DNSSEC, "
                            "event notifications, lifecycle rules, replication, deletion protection)"),
)
