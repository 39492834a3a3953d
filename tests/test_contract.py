"""The task's contract: which entry point runs, and the call it makes (pure parsing, real corpus tasks)."""

from __future__ import annotations

import json
from pathlib import Path

from harness.bundles import load_task
from harness.contract import app_script, choose_entry, passed_values, response_entry, stack_call

from .conftest import CORPUS, corpus_ids, write_task


def test_app_commands_name_their_script() -> None:
    assert app_script("pipenv run python tap.py") == "tap.py"
    assert app_script("pipenv run python3 bin/tap.py") == "bin/tap.py"
    assert app_script("python3 bin/main.py") == "bin/main.py"
    assert app_script("pipenv run python bin/app.py") == "bin/app.py"
    assert app_script("python main.py") == "main.py"
    assert app_script("python3 lib/main.py") == "lib/main.py"
    assert app_script("npx ts-node main.ts") is None


def test_every_corpus_task_uses_its_reference_entry() -> None:
    for task_id in corpus_ids():
        entry = choose_entry(load_task(CORPUS / task_id))
        assert entry.origin == "reference", task_id


def test_entries_outside_the_root_are_run_where_cdktf_json_says() -> None:
    for task_id, path, cls in (("Pr7481", "bin/main.py", "TransactionApiStack"), ("Pr7956", "bin/tap.py", "TapStack"),
                               ("Pr7958", "bin/main.py", "TapStack")):
        entry = choose_entry(load_task(CORPUS / task_id))
        assert entry.path == path and entry.call is not None and entry.call.cls == cls, task_id
    # Pr7439's cdktf.json names main.py, which its reference lacks: its tap.py, with the reason kept
    entry = choose_entry(load_task(CORPUS / "Pr7439"))
    assert entry.path == "tap.py" and "main.py" in entry.note


def test_the_call_records_what_the_entry_passes() -> None:
    only_suffix = choose_entry(load_task(CORPUS / "Pr7789")).call
    assert only_suffix is not None and only_suffix.keywords == {"environment_suffix": "str"}
    assert choose_entry(load_task(CORPUS / "Pr7481")).call.keywords == {}
    pr6343 = choose_entry(load_task(CORPUS / "Pr6343"))
    assert set(pr6343.call.keywords) == {"cidr_block", "environment_suffix", "region"}
    # default_tags passed as a list (Pr2364), not the template's dict
    assert choose_entry(load_task(CORPUS / "Pr2364")).call.keywords["default_tags"] == "list"
    # Pr8659 passes no state bucket
    assert "state_bucket" not in choose_entry(load_task(CORPUS / "Pr8659")).call.keywords


def test_passed_values_follow_the_variant_environment() -> None:
    src = choose_entry(load_task(CORPUS / "Pr6343")).source  # region = os.getenv("AWS_REGION") or "ap-southeast-1"
    assert passed_values(src, {"AWS_REGION": "eu-central-1", "ENVIRONMENT_SUFFIX": "dev"})["region"] == "eu-central-1"
    assert passed_values(src, {})["region"] == "ap-southeast-1"
    # a name bound on two branches (Pr7258 reads lib/AWS_REGION when it exists) cannot be read
    pr7258 = choose_entry(load_task(CORPUS / "Pr7258")).source
    assert passed_values(pr7258, {"AWS_REGION": "us-east-1"})["aws_region"] is None


def test_harness_bundle_reference_and_precedence(tmp_path: Path) -> None:
    entry_src = ("import os\nfrom cdktf import App\nfrom lib.app_stack import AppStack\napp = App()\n"
                 "AppStack(app, 'x', environment_suffix=os.getenv('ENVIRONMENT_SUFFIX', 'dev'))\napp.synth()\n")
    d = write_task(tmp_path, "ref", "m")
    (d / "reference" / "bin").mkdir(parents=True)
    (d / "reference" / "cdktf.json").write_text(json.dumps({"app": "pipenv run python3 bin/main.py"}))
    (d / "reference" / "bin" / "main.py").write_text(entry_src)
    task = load_task(d)
    assert task.variants == ["model", "reference"]
    entry = choose_entry(task)
    assert (entry.origin, entry.path, entry.call.cls) == ("reference", "bin/main.py", "AppStack")
    (d / "tap.py").write_text(entry_src)  # the bundle's own tap.py wins over everything
    assert choose_entry(load_task(d)).origin == "task"


def test_response_entry_prefers_the_response_cdktf_json_then_known_names() -> None:
    app = "from cdktf import App\napp = App()\napp.synth()\n"
    assert response_entry({"lib/main.py": app, "tap.py": app}) == "tap.py"
    assert response_entry({"lib/main.py": app, "tap.py": app, "cdktf.json": '{"app": "python lib/main.py"}'}) \
        == "lib/main.py"
    assert response_entry({"lib/stack.py": "class X: pass\n"}) is None


def test_stack_call_is_none_without_a_stack_class() -> None:
    assert stack_call("from lib.main import app\napp.synth()\n") is None  # Pr7954's entry builds nothing itself


def test_the_task_region_falls_back_to_the_references_aws_region_file() -> None:
    """Most corpus metadata has no region; the reference pipeline read lib/AWS_REGION."""
    assert load_task(CORPUS / "Pr2735").region == "us-west-2"
    assert load_task(CORPUS / "Pr4892").region == "ca-central-1"
    assert load_task(CORPUS / "Pr7438").region == "us-east-1"  # metadata says so
