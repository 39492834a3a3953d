"""Recovery until synth, end to end on tasks written here (real toolchain): each mechanical repair
gets a response past one kind of blocking error, is recorded with its diff, and the response as
written keeps its verdict."""

from __future__ import annotations

import pytest

from harness.results import load_run, synth_reach

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

TOKEN_INDEX = stack_md(
    "        azs = DataAwsAvailabilityZones(self, 'azs', state='available')\n"
    "        vpc = Vpc(self, 'vpc', cidr_block='10.0.0.0/16')\n"
    "        for i in range(2):\n"
    "            Subnet(self, f'subnet_{i}', vpc_id=vpc.id, cidr_block=f'10.0.{i}.0/24',\n"
    "                   availability_zone=f'{azs.names[i]}')\n",
    "from cdktf_cdktf_provider_aws.data_aws_availability_zones import DataAwsAvailabilityZones\n"
    "from cdktf_cdktf_provider_aws.subnet import Subnet\nfrom cdktf_cdktf_provider_aws.vpc import Vpc")

APP_AS_STACK_MODULE = """## File: lib/main_stack.py

```python
from cdktf import TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from constructs import Construct


class MainStack(TerraformStack):
    def __init__(self, scope: Construct, ns: str):
        super().__init__(scope, ns)
        AwsProvider(self, "aws", region="us-east-1")
        S3Bucket(self, "b", bucket="main-bucket")
```

## File: lib/tap_stack.py

```python
from cdktf import App
from lib.main_stack import MainStack

app = App()
MainStack(app, "main")
app.synth()
```
"""

NO_VISIBILITY = stack_md(  # the required block is a struct: its placeholder is the struct, built from placeholders
    "        Wafv2WebAcl(self, 'w', name='acl-' + kwargs['environment_suffix'], scope='REGIONAL',\n"
    "                    default_action=Wafv2WebAclDefaultAction(allow=Wafv2WebAclDefaultActionAllow()))\n",
    "from cdktf_cdktf_provider_aws.wafv2_web_acl import (Wafv2WebAcl, Wafv2WebAclDefaultAction,\n"
    "    Wafv2WebAclDefaultActionAllow)")

BINDINGS = stack_md("        Vpc(self, 'vpc', cidr_block='10.0.0.0/16')\n", "from imports.aws import Vpc")

INTERPOLATED = stack_md(
    "        azs = DataAwsAvailabilityZones(self, 'azs', state='available')\n"
    "        vpc = Vpc(self, 'vpc', cidr_block='10.0.0.0/16')\n"
    "        Subnet(self, 's', vpc_id=vpc.id, cidr_block='10.0.1.0/24',\n"
    "               availability_zone=f\"${{element({azs.names}, {1})}}\")\n",
    "from cdktf_cdktf_provider_aws.data_aws_availability_zones import DataAwsAvailabilityZones\n"
    "from cdktf_cdktf_provider_aws.subnet import Subnet\nfrom cdktf_cdktf_provider_aws.vpc import Vpc")

KUBERNETES = stack_md("        KubernetesProvider(self, 'k8s')\n",
                      "from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider")


@pytest.fixture(scope="module")
def recovery_run(toolchain_ready, tmp_path_factory):
    root = tmp_path_factory.mktemp("recovery")
    for name, md in (("flat-import", FLAT), ("one-block", ONE_BLOCK), ("no-description", NO_DESCRIPTION),
                     ("no-zip", NO_ZIP), ("kubernetes", KUBERNETES), ("token-index", TOKEN_INDEX),
                     ("app-as-stack-module", APP_AS_STACK_MODULE), ("bindings", BINDINGS),
                     ("interpolated", INTERPOLATED), ("no-visibility", NO_VISIBILITY)):
        write_task(root / "tasks", name, md)
    proc = run_cli("run", str(root / "tasks"), "--out", str(root / "runs"), "--run-id", "r", "--no-checkov")
    assert proc.returncode == 0, proc.stderr
    return load_run(root / "runs" / "r")


@pytest.mark.parametrize(("task", "kind", "rule"), [
    ("flat-import", "relocate-import", "import.provider-class-name"),
    ("one-block", "wrap-in-list", "jsii.struct-deserialize"),
    ("no-description", "add-argument", "jsii.missing-argument"),
    ("no-zip", "create-asset", "exec.missing-asset"),
    ("token-index", "token-element", "exec.index-error"),
    ("app-as-stack-module", "adopt-response-entry", "extract.no-stack-module"),
    ("bindings", "relocate-import", "import.module-not-found"),
    ("interpolated", "fn-call", "synth.list-in-string"),
    ("no-visibility", "add-argument", "jsii.missing-argument"),
])
def test_each_blocking_error_is_repaired_and_the_copy_synthesizes(recovery_run, task, kind, rule) -> None:
    v = recovery_run.variants.set_index("task_id").loc[task]
    assert [r["kind"] for r in v.repairs] == [kind], v.repairs
    assert v.repairs[0]["rule_id"] == rule and (v.repairs[0]["diff"] or kind == "adopt-response-entry")
    o = recovery_run.outcomes
    synth = o[(o.task_id == task) & (o.stage == "synth")].set_index("round").status
    assert synth.get(0) != "pass" and synth[1] == "pass"  # as written it fails; the repaired copy synthesizes
    assert v.verdict == "fail"  # the response keeps its verdict
    if task == "no-visibility":  # a struct built from placeholders, not a string the provider refuses
        assert "visibility_config=__import__(\"cdktf_cdktf_provider_aws.wafv2_web_acl\", fromlist=[" in v.repairs[0]["diff"]
    if task == "flat-import":  # every name of the statement in one round, a versioned class by its new name
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


def test_synth_reach_counts_the_repaired_copies(recovery_run) -> None:
    """The README's reach figure: every task here has code; nine synthesize only after repair, the
    kubernetes one never (its provider package is not installed)."""
    reach = synth_reach(recovery_run).set_index("variant").loc["model"]
    assert (reach.with_code, reach.as_written, reach.after_repair, reach.reach) == (10, 0, 9, 9)
    assert reach.share == 0.9
