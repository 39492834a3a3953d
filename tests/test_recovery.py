"""Recovery until synth, end to end on tasks written here (real toolchain): each mechanical repair
gets a response past one kind of blocking error, is recorded with its diff, and the response as
written keeps its verdict."""

from __future__ import annotations

import pytest

from harness.results import load_run

from .conftest import run_cli, stack_md, write_task

pytestmark = pytest.mark.toolchain

FLAT = stack_md("        Vpc(self, 'vpc', cidr_block='10.0.0.0/16')\n"
                "        b = S3Bucket(self, 'b', bucket='b-' + kwargs['environment_suffix'])\n"
                "        S3BucketVersioning(self, 'v', bucket=b.id,\n"
                "            versioning_configuration=S3BucketVersioningVersioningConfiguration(status='Enabled'))\n",
                "from cdktf_cdktf_provider_aws import (Vpc, S3Bucket, S3BucketVersioning,\n"
                "    S3BucketVersioningVersioningConfiguration)")
ONE_BLOCK = stack_md(
    "        b = S3Bucket(self, 'b', bucket='logs-' + kwargs['environment_suffix'])\n"
    "        S3BucketLifecycleConfiguration(self, 'l', bucket=b.id, rule=[S3BucketLifecycleConfigurationRule(\n"
    "            id='expire', status='Enabled',\n"
    "            expiration=S3BucketLifecycleConfigurationRuleExpiration(days=30))])\n",
    "from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket\n"
    "from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (S3BucketLifecycleConfiguration,\n"
    "    S3BucketLifecycleConfigurationRule, S3BucketLifecycleConfigurationRuleExpiration)")
NO_DESCRIPTION = stack_md(
    "        ElasticacheReplicationGroup(self, 'r', replication_group_id='cache-' + kwargs['environment_suffix'],\n"
    "            engine='redis', node_type='cache.t3.micro', num_cache_clusters=1)\n",
    "from cdktf_cdktf_provider_aws.elasticache_replication_group import ElasticacheReplicationGroup")

NO_ZIP = stack_md(
    "        TerraformAsset(self, 'code', path=os.path.join(os.getcwd(), 'lib', 'lambda', 'handler.zip'),\n"
    "                       type=AssetType.FILE)\n",
    "from cdktf import AssetType, TerraformAsset")

KUBERNETES = stack_md("        KubernetesProvider(self, 'k8s')\n",
                      "from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider")


@pytest.fixture(scope="module")
def recovery_run(toolchain_ready, tmp_path_factory):
    root = tmp_path_factory.mktemp("recovery")
    for name, md in (("flat-import", FLAT), ("one-block", ONE_BLOCK), ("no-description", NO_DESCRIPTION),
                     ("no-zip", NO_ZIP), ("kubernetes", KUBERNETES)):
        write_task(root / "tasks", name, md)
    proc = run_cli("run", str(root / "tasks"), "--out", str(root / "runs"), "--run-id", "r", "--no-checkov")
    assert proc.returncode == 0, proc.stderr
    return load_run(root / "runs" / "r")


@pytest.mark.parametrize(("task", "kind", "rule"), [
    ("flat-import", "relocate-import", "import.provider-class-name"),
    ("one-block", "wrap-in-list", "jsii.struct-deserialize"),
    ("no-description", "add-argument", "jsii.missing-argument"),
    ("no-zip", "create-asset", "exec.missing-asset"),
])
def test_each_blocking_error_is_repaired_and_the_copy_synthesizes(recovery_run, task, kind, rule) -> None:
    v = recovery_run.variants.set_index("task_id").loc[task]
    assert [r["kind"] for r in v.repairs] == [kind], v.repairs
    assert v.repairs[0]["rule_id"] == rule and v.repairs[0]["diff"]
    o = recovery_run.outcomes
    synth = o[(o.task_id == task) & (o.stage == "synth")].set_index("round").status
    assert synth[0] != "pass" and synth[1] == "pass"  # as written it fails; the repaired copy synthesizes
    assert v.verdict == "fail"  # the response keeps its verdict
    if kind == "relocate-import":  # every name of the statement in one round, a versioned class by its new name
        assert "S3BucketVersioning from cdktf_cdktf_provider_aws.s3_bucket_versioning as S3BucketVersioningA" in (
            v.repairs[0]["description"])
    f = recovery_run.findings
    assert rule in set(f[(f.task_id == task) & (f.severity == "Critical")].rule_id)


def test_a_provider_package_the_toolchain_lacks_is_an_environment_gap(recovery_run) -> None:
    """Nothing to repair and nothing of the response's to blame: infra-error, an Info finding."""
    v = recovery_run.variants.set_index("task_id").loc["kubernetes"]
    assert v.verdict == "infra-error" and v.repairs == []
    o = recovery_run.outcomes
    imp = o[(o.task_id == "kubernetes") & (o.stage == "import")].iloc[0]
    assert imp.status == "infra-error" and "cdktf_cdktf_provider_kubernetes" in imp.reason
    f = recovery_run.findings
    assert set(f[f.task_id == "kubernetes"].rule_id) >= {"import.provider-not-installed"}
    assert not set(f[(f.task_id == "kubernetes") & f.severity.isin(["Critical", "High"])].rule_id)
