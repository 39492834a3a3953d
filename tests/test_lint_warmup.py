"""The run's lint process parses, while idle, the modules the batch's responses name, and a lint
in the warmed process reports what a fresh pylint process reports. Real pylint, real toolchain."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import lint_warmup
from harness.backends.local import LintSeat
from harness.bundles import load_task
from harness.contract import choose_entry
from harness.options import EngineOptions
from harness.prepare import prepare
from harness.runstore import RunStore
from harness.slot import WorkerSlot
from harness.toolchain import DEFAULT_PROFILE

from .conftest import CORPUS, stack_md, write_task

pytestmark = pytest.mark.toolchain

IMPORTS = """from cdktf_cdktf_provider_aws import (sqs_queue,
    sns_topic)
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.not_a_provider_module import Nothing"""


def test_modules_named_by_the_responses_in_grading_order(tmp_path: Path, toolchain_ready) -> None:
    task = load_task(write_task(tmp_path, "t1", stack_md("        S3Bucket(self, 'b')", IMPORTS)))
    corpus = load_task(CORPUS / "Pr7427")
    mods = lint_warmup.modules_for([(task, "model"), (corpus, "model")], DEFAULT_PROFILE)
    assert mods[:4] == list(lint_warmup.ALWAYS)
    p = lint_warmup.PROVIDER
    # both import forms, in order of mention, before the next job's; names the provider lacks left out
    assert mods[4:7] == [f"{p}.s3_bucket", f"{p}.sqs_queue", f"{p}.sns_topic"]
    assert f"{p}.not_a_provider_module" not in mods
    assert f"{p}.route53_health_check" in mods and len(mods) == len(set(mods))
    assert lint_warmup.chunks(mods)[0] == ["cdktf"]


def test_a_warmed_lint_process_reports_what_a_fresh_one_reports(tmp_path: Path, toolchain_ready) -> None:
    corpus = load_task(CORPUS / "Pr7427")
    store = RunStore(tmp_path / "run")
    opts = EngineOptions()
    seat = LintSeat(DEFAULT_PROFILE, store, opts)
    fresh = WorkerSlot("fresh", DEFAULT_PROFILE, store, opts, lint_only=True)
    try:
        mods = lint_warmup.modules_for([(corpus, "model")], DEFAULT_PROFILE)
        seat.warm(mods)
        assert seat.warmed == mods
        log = (store.root / "logs" / "_workers" / "lint-warmup" / "lint.log").read_text()
        assert log.count("score:") == len(lint_warmup.chunks(mods))  # one real pylint run per batch
        outs = {}
        for name, lint in (("warmed", seat.run), ("fresh", fresh.run)):
            log_dir = tmp_path / "logs" / name
            log_dir.mkdir(parents=True)
            prep = prepare(corpus, "model", choose_entry(corpus), DEFAULT_PROFILE, tmp_path / "ws" / name, log_dir, {})
            assert prep.request is not None
            [outcome] = lint(prep, {**prep.request, "stages": ["lint"]})
            outs[name] = (outcome.status, outcome.signals)
        assert outs["warmed"] == outs["fresh"] and outs["fresh"][1]
    finally:
        seat.close()
        fresh.close()
