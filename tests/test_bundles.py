"""Bundle loading: both layouts, and one clear line per broken bundle while the batch goes on."""

from __future__ import annotations

from pathlib import Path

from harness.bundles import discover, load_task, read_response

from .conftest import CORPUS, TASKS, corpus_ids, write_task


def test_every_corpus_task_loads_as_archive_layout() -> None:
    tasks, errors = discover([CORPUS])
    assert errors == []
    assert len(tasks) == len(corpus_ids())
    assert {t.layout for t in tasks} == {"archive"}
    pr = next(t for t in tasks if t.id == "Pr7427")
    assert set(pr.responses) == {"model", "ideal"} and pr.failures_md is not None


def test_bundled_tasks_load_as_harness_layout() -> None:
    tasks, errors = discover([TASKS])
    assert errors == [] and {t.id for t in tasks} >= {"payments-dr", "static-site"}
    assert all(t.layout == "harness" for t in tasks)


def test_extra_responses_become_variants(tmp_path: Path) -> None:
    d = write_task(tmp_path, "t1", "m", "i")
    (d / "responses").mkdir()
    (d / "responses" / "gpt-x.md").write_text("x")
    assert set(load_task(d).responses) == {"model", "ideal", "gpt-x"}


def test_broken_bundles_are_one_line_each_and_the_batch_goes_on(tmp_path: Path) -> None:
    write_task(tmp_path, "good", "m")
    bad_toml = write_task(tmp_path, "bad-toml", "m")
    (bad_toml / "task.toml").write_text("id = [unclosed\n")
    no_prompt = write_task(tmp_path, "no-prompt", "m")
    (no_prompt / "PROMPT.md").unlink()
    wrong = write_task(tmp_path, "wrong-platform", "m")
    (wrong / "task.toml").write_text('platform = "cdk"\nlanguage = "ts"\n')
    arch = tmp_path / "bad-json"
    arch.mkdir()
    (arch / "metadata.json").write_text("{not json")
    (arch / "PROMPT.md").write_text("p")
    tasks, errors = discover([tmp_path, tmp_path / "missing"])
    assert [t.id for t in tasks] == ["good"]
    lines = sorted(str(e) for e in errors)
    assert len(lines) == 5 and all("\n" not in line for line in lines)
    joined = "\n".join(lines)
    assert "task.toml: invalid TOML" in joined
    assert "PROMPT.md: missing" in joined
    assert "unsupported platform/language cdk/ts" in joined
    assert "metadata.json: invalid JSON" in joined
    assert "missing: does not exist" in joined


def test_a_response_that_is_not_utf8_is_read_with_replacements(tmp_path: Path) -> None:
    """Not refused at the bundle (the task's other responses are fine): the variant is graded as
    decoded and its extract stage reports the bytes (tests/test_hostile.py grades it)."""
    d = write_task(tmp_path, "t", "m")
    (d / "MODEL_RESPONSE.md").write_bytes(b"\xff\xfe broken")
    task = load_task(d)
    text, problem = read_response(task.responses["model"])
    assert text.endswith(" broken") and "\ufffd" in text
    assert problem is not None and "not UTF-8" in problem and "byte 0" in problem
