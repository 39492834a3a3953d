"""The warm worker's on-demand provider import (harness/worker/provider_lazy.py) against the package's own
eager import, both run for real in the toolchain interpreter."""

from __future__ import annotations

import json
import subprocess

import pytest

from harness.toolchain import DEFAULT_PROFILE
from harness.workers import WORKER_SCRIPT

pytestmark = pytest.mark.toolchain

HARNESS_DIR = str(WORKER_SCRIPT.parent)

PROBE = """
import json, re, sys
sys.path.insert(0, %(dir)r)
import provider_lazy
lazy = sys.argv[1] == "lazy"
if lazy:
    assert provider_lazy.import_provider()
else:
    import cdktf_cdktf_provider_aws
import cdktf_cdktf_provider_aws as aws
from jsii import _reference_map as refmap
out = {"public": sorted(n for n in dir(aws) if not n.startswith("_")), "all": sorted(aws.__all__)}
try:
    aws.no_such_resource
except AttributeError as exc:
    out["attribute_error"] = str(exc)
try:
    from cdktf_cdktf_provider_aws import no_such_resource
except ImportError as exc:
    out["import_error"] = str(exc)
before = "cdktf_cdktf_provider_aws.kms_key" in sys.modules
out["kms_key_before"] = before
out["registered"] = "@cdktf/provider-aws.kmsKey.KmsKey" in refmap._types
out["kms_key_after"] = "cdktf_cdktf_provider_aws.kms_key" in sys.modules
out["attribute_class"] = aws.sqs_queue.SqsQueue.__jsii_type__
print(json.dumps(out))
"""


def probe(mode: str) -> dict:
    proc = subprocess.run([str(DEFAULT_PROFILE.python), "-c", PROBE % {"dir": HARNESS_DIR}, mode],
                          capture_output=True, text=True, env=DEFAULT_PROFILE.env(), timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def lazy_and_eager(toolchain_ready) -> tuple[dict, dict]:
    return probe("lazy"), probe("eager")


def test_lazy_package_looks_like_the_eager_one(lazy_and_eager) -> None:
    lazy, eager = lazy_and_eager
    # what responses (and the worker's "did you mean" suggestions) can see of the package
    assert lazy["public"] == eager["public"] and len(lazy["public"]) > 2000
    assert lazy["all"] == eager["all"]
    assert lazy["attribute_error"] == eager["attribute_error"]
    assert lazy["import_error"] == eager["import_error"]
    assert lazy["attribute_class"] == eager["attribute_class"] == "@cdktf/provider-aws.sqsQueue.SqsQueue"


def test_a_type_the_kernel_returns_is_registered_on_demand(lazy_and_eager) -> None:
    lazy, eager = lazy_and_eager
    assert eager["kms_key_before"] and eager["registered"]
    # lazily: not imported until jsii's registry is asked for one of its types
    assert not lazy["kms_key_before"] and lazy["registered"] and lazy["kms_key_after"]


def test_every_submodule_maps_to_its_jsii_name(toolchain_ready) -> None:
    """The fqn -> submodule guess is right for all of them (a wrong one would fall back to importing all)."""
    script = f"""
import importlib.util, os, re, sys
sys.path.insert(0, {HARNESS_DIR!r})
import provider_lazy
root = os.path.dirname(importlib.util.find_spec(provider_lazy.PACKAGE).origin)
wrong, n = [], 0
for name in sorted(os.listdir(root)):
    path = os.path.join(root, name, "__init__.py")
    if name.startswith("_") or not os.path.exists(path):
        continue
    n += 1
    with open(path, encoding="utf-8") as fh:
        m = next(filter(None, (re.search(r'jsii_type="@cdktf/provider-aws\\.(\\w+)\\.', line) for line in fh)), None)
    if m is None or m.group(1) != provider_lazy._jsii_name(name):
        wrong.append(name)
print(n, wrong)
"""
    proc = subprocess.run([str(DEFAULT_PROFILE.python), "-c", script], capture_output=True, text=True,
                          env=DEFAULT_PROFILE.env(), timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    n, wrong = proc.stdout.split(" ", 1)
    assert int(n) > 2000 and wrong.strip() == "[]"
