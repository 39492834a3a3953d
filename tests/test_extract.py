"""Extraction: every naming convention the corpus uses, snippets vs modules, path safety, and a
sweep over every corpus response."""

from __future__ import annotations

import pytest

from harness.extract import UnsafePath, extract, safe_path

from .conftest import CORPUS, corpus_ids

MODULE = "import os\n\n\ndef handler(event, context):\n    return os.environ\n"


def one(md: str) -> dict[str, str]:
    return {p: f.text for p, f in extract(md).files.items()}


@pytest.mark.parametrize("heading", [
    "## File: lib/x.py", "### File: lib/x.py", "#### File: lib/x.py", "## lib/x.py", "## `lib/x.py`",
    "### 3. lib/x.py - the handler", "### Handler module: lib/x.py (42 lines)", "## File: ./lib/x.py",
])
def test_heading_conventions(heading: str) -> None:
    assert one(f"{heading}\n\n```python\n{MODULE}```\n") == {"lib/x.py": MODULE}


def test_heading_then_prose_then_fence() -> None:
    md = f"## File: lib/x.py\n\nThis module handles events.\nIt is small.\n\n```python\n{MODULE}```\n"
    assert list(one(md)) == ["lib/x.py"]


@pytest.mark.parametrize("line", ["**File: lib/x.py**", "**lib/x.py**", "**x.py**:", "The handler goes in `lib/x.py`:"])
def test_bold_and_prose_lines(line: str) -> None:
    assert list(one(f"{line}\n```python\n{MODULE}```\n")) == ["lib/x.py"]


def test_first_line_comment_names_the_file() -> None:
    assert list(one(f"Here it is:\n```python\n# lib/handlers/x.py\n{MODULE}```\n")) == ["lib/handlers/x.py"]


def test_bare_names_are_placed() -> None:
    md = "".join(f"## {n}\n```python\n{MODULE}```\n" for n in ("tap_stack.py", "tap.py", "test_stack.py"))
    assert sorted(one(md)) == ["lib/tap_stack.py", "tap.py", "tests/unit/test_stack.py"]


def test_bare_name_imported_at_top_level_stays_at_root() -> None:
    md = f"## main.py\n```python\nimport stacks_helper\n{MODULE}```\n## stacks_helper.py\n```python\n{MODULE}```\n"
    assert sorted(one(md)) == ["main.py", "stacks_helper.py"]


def test_lambda_dir_goes_under_lib_when_code_reads_lib_lambda() -> None:
    md = (f"## lib/tap_stack.py\n```python\nimport os\nPATH = 'lib/lambda'\n{MODULE}```\n"
          f"## lambda/index.py\n```python\n{MODULE}```\n")
    assert sorted(one(md)) == ["lib/lambda/index.py", "lib/tap_stack.py"]


def test_unnamed_module_with_tapstack_becomes_the_stack() -> None:
    code = "from cdktf import TerraformStack\n\n\nclass TapStack(TerraformStack):\n    pass\n"
    assert list(one(f"Here:\n```python\n{code}```\n")) == ["lib/tap_stack.py"]


def test_unnamed_module_and_snippet_are_reported_apart() -> None:
    e = extract(f"Intro\n```python\n{MODULE}```\nUse it like:\n```python\nhandler({{}}, None)\n```\n")
    assert e.files == {}
    assert [u.kind for u in e.unmapped] == ["module", "snippet"]
    assert e.unmapped[0].md_line == 3


def test_indented_fragment_under_a_file_heading_is_not_the_file() -> None:
    md = (f"## File: lib/x.py\n```python\n{MODULE}```\n### Fix (lib/x.py)\n```python\n    return 1\n```\n")
    e = extract(md)
    assert e.files["lib/x.py"].text == MODULE
    assert [u.kind for u in e.unmapped] == ["snippet"]


def test_broken_whole_file_is_kept_for_the_import_stage() -> None:
    broken = "import os\nimport sys\n" + "x = 1\n" * 40 + "def f(:\n"
    assert "lib/tap_stack.py" in one(f"## File: lib/tap_stack.py\n```python\n{broken}```\n")


def test_later_excerpt_does_not_replace_the_full_file() -> None:
    full = "import os\n\n\nclass TapStack:\n    def a(self):\n        return 1\n\n    def b(self):\n        return 2\n"
    part = "import os\n"
    md = f"## File: lib/tap_stack.py\n```python\n{full}```\n## File: lib/tap_stack.py\n```python\n{part}```\n"
    e = extract(md)
    assert e.files["lib/tap_stack.py"].text == full
    assert [u.kind for u in e.unmapped] == ["duplicate"]


def test_language_must_fit_the_extension() -> None:
    assert one("## File: lib/x.py\n```bash\npython lib/x.py\n```\n") == {}


def test_md_line_points_at_the_first_code_line() -> None:
    md = "# T\n\n## File: lib/x.py\n\n```python\nimport os\n```\n"
    assert extract(md).files["lib/x.py"].md_line == 6


@pytest.mark.parametrize("raw", ["../x.py", "lib/../../x.py", "~/x.py", "C:/x.py", "a/\x00b.py", "..", "./"])
def test_unsafe_paths_are_refused(raw: str) -> None:
    with pytest.raises(UnsafePath):
        safe_path(raw)


@pytest.mark.parametrize("raw,norm", [("/lib/x.py", "lib/x.py"), ("./lib//x.py", "lib/x.py"),
                                      ("lib\\x.py", "lib/x.py"), ("lib/./a/../x.py", "lib/x.py")])
def test_paths_are_normalised(raw: str, norm: str) -> None:
    assert safe_path(raw) == norm


def test_escaping_heading_is_reported_not_written() -> None:
    e = extract(f"## File: ../../etc/evil.py\n```python\n{MODULE}```\n")
    assert e.files == {}
    assert e.unmapped[0].kind == "unsafe-path"


@pytest.mark.parametrize("task_id", corpus_ids())
@pytest.mark.parametrize("name", ["MODEL_RESPONSE.md", "IDEAL_RESPONSE.md"])
def test_every_corpus_response_extracts_safely(task_id: str, name: str) -> None:
    md = (CORPUS / task_id / name).read_text(encoding="utf-8")
    e = extract(md)
    for path in e.files:
        assert safe_path(path) == path  # normalised and inside the workspace
        assert not path.startswith("/") and ".." not in path.split("/")
    again = extract(md)
    assert {p: f.text for p, f in again.files.items()} == {p: f.text for p, f in e.files.items()}


def test_a_doubled_lib_prefix_is_collapsed() -> None:
    md = "## File: lib/lib/tap_stack.py\n```python\nimport os\n\nclass TapStack:\n    pass\n```\n"
    assert list(extract(md).files) == ["lib/tap_stack.py"]
