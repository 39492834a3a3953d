"""Workspace: the entry-point precedence, the template's contract, protected files."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from harness.bundles import load_task
from harness.contract import choose_entry, template_text
from harness.extract import extract
from harness.prepare import stack_files
from harness.workspace import FIXED_MTIME, materialize

from .conftest import CORPUS, corpus_ids, write_task

CONTRACT_ENV = ["ENVIRONMENT_SUFFIX", "TERRAFORM_STATE_BUCKET", "TERRAFORM_STATE_BUCKET_REGION", "AWS_REGION",
                "REPOSITORY", "COMMIT_AUTHOR", "PR_NUMBER", "TEAM"]
CONTRACT_KWARGS = {"environment_suffix", "state_bucket", "state_bucket_region", "aws_region", "default_tags"}


def test_template_tap_py_reads_the_contract_env_and_passes_the_contract_kwargs() -> None:
    tree = ast.parse(template_text("tap.py"))
    getenv = {n.args[0].value for n in ast.walk(tree) if isinstance(n, ast.Call)
              and getattr(n.func, "attr", "") == "getenv"}
    assert set(CONTRACT_ENV) <= getenv
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "TapStack")
    assert {k.arg for k in call.keywords} == CONTRACT_KWARGS
    assert len(call.args) == 2  # (app, f"TapStack{suffix}")


def test_entry_precedence(tmp_path: Path) -> None:
    own_tap = "from cdktf import App\nfrom lib.main_stack import MainStack\nApp().synth()\n"
    ideal_with_tap = ("## File: tap.py\n```python\nfrom cdktf import App\nfrom lib.other import Other\n"
                      "app = App()\nOther(app, 'x')\napp.synth()\n```\n")
    task = load_task(write_task(tmp_path, "own", "m", ideal_with_tap, tap=own_tap))
    assert choose_entry(task).origin == "task"
    assert choose_entry(task).stack_modules == ["lib.main_stack"]
    # harness layout without its own tap.py: the template (an IDEAL's tap.py is not the contract here)
    assert choose_entry(load_task(write_task(tmp_path, "tmpl", "m", ideal_with_tap))).origin == "template"
    # archive layout: the IDEAL's tap.py
    arch = tmp_path / "arch"
    arch.mkdir()
    (arch / "metadata.json").write_text(json.dumps({"platform": "cdktf", "language": "py"}))
    (arch / "PROMPT.md").write_text("p")
    (arch / "MODEL_RESPONSE.md").write_text("m")
    (arch / "IDEAL_RESPONSE.md").write_text(ideal_with_tap)
    entry = choose_entry(load_task(arch))
    assert entry.origin == "ideal" and entry.stack_modules == ["lib.other"]


def test_without_a_reference_an_archive_task_falls_back_to_the_ideal_entry(tmp_path: Path) -> None:
    """Every corpus task has reference/ (tests/test_contract.py); without it the IDEAL's tap.py is
    the contract where it states one in full, else the template's."""
    origins = {}
    for i in corpus_ids():
        copy = tmp_path / i
        copy.mkdir()
        for f in (CORPUS / i).iterdir():
            if f.is_file():
                (copy / f.name).write_bytes(f.read_bytes())
        origins[i] = choose_entry(load_task(copy)).origin
    assert set(origins.values()) <= {"ideal", "template"}
    assert origins["Pr4318"] == "ideal"  # its IDEAL states tap.py in full


def test_response_tap_py_is_recorded_not_written_and_paths_stay_inside(tmp_path: Path) -> None:
    md = ("## File: tap.py\n```python\nprint('mine')\n```\n## File: cdktf.json\n```json\n{}\n```\n"
          "## File: lib/tap_stack.py\n```python\nimport os\n```\n")
    task = load_task(write_task(tmp_path / "t", "t1", md))
    e = extract(md)
    ws = materialize(tmp_path / "ws", task, e, choose_entry(task))
    assert (ws.root / "tap.py").read_text() == template_text("tap.py")
    assert json.loads((ws.root / "cdktf.json").read_text())["projectId"] == "tapgrade-template"
    assert set(ws.skipped) == {"tap.py", "cdktf.json"}
    assert ws.python_files == ["lib/tap_stack.py"]  # the response's tap.py is not its code here
    assert (ws.root / ".pylintrc").exists() and (ws.root / "lib" / "__init__.py").exists()


def test_materialize_keeps_the_directory_inode(tmp_path: Path) -> None:
    task = load_task(write_task(tmp_path / "t", "t1", "x"))
    dest = tmp_path / "ws"
    dest.mkdir()
    (dest / "stale.py").write_text("old")
    inode = dest.stat().st_ino
    materialize(dest, task, extract("x"), choose_entry(task))
    assert dest.stat().st_ino == inode and not (dest / "stale.py").exists()


def test_workspace_files_carry_a_fixed_mtime(tmp_path: Path) -> None:
    """A stack that zips its Lambda sources at synth time (corpus Pr6343's IDEAL) builds the same
    zip, and source_code_hash, in every run: zipfile records each file's mtime."""
    md = "## File: lib/lambda/handler.py\n```python\nimport json\n```\n"
    task = load_task(write_task(tmp_path / "t", "t1", md))
    ws = materialize(tmp_path / "ws", task, extract(md), choose_entry(task))
    stamps = {p.stat().st_mtime for p in ws.root.rglob("*")}
    assert stamps == {FIXED_MTIME}


def test_static_and_lint_read_every_python_file_but_tests_and_know_the_stacks_graph(tmp_path: Path) -> None:
    """Issue 17: a main.py or bin/ script is checked too; what the entry never imports is marked."""
    md = "".join(f"## File: {p}\n```python\n{t}\n```\n" for p, t in (
        ("lib/tap_stack.py", "from lib.net import Net"), ("lib/net.py", "import os"), ("main.py", "import lib.tap_stack"),
        ("bin/tool.py", "import os"), ("tests/unit/test_stack.py", "import lib.tap_stack"), ("lib/test_helpers.py", "")))
    task = load_task(write_task(tmp_path / "t", "t1", md))
    entry = choose_entry(task)
    ws = materialize(tmp_path / "ws", task, extract(md), entry)
    assert ws.python_files == ["bin/tool.py", "lib/net.py", "lib/tap_stack.py", "main.py"]
    assert stack_files(ws, entry) == ["lib/net.py", "lib/tap_stack.py"]
