"""Static HTML report of a run: ``harness report RUN --html``.

An overview page (counts by severity and stage in pipeline order, pass rates as percentages, two
SVG charts, a searchable task table sorted by severity), a searchable page of every finding, and
a page per task (stage outcomes, findings, repairs as diffs, whole stage logs, the generated
failure analysis, each variant's section an anchor the tables link to). Plain files under
``<run>/report/``: no server, opens from disk, no network (DataTables from itables' bundle, copied
under ``assets/``; ``index.html#search=Pr7427`` opens filtered); jinja2 renders them (autoescaped),
markdown-it renders the analysis. Every number comes from ``load_run``.
"""

from __future__ import annotations

import html
import importlib.resources
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from graders.catalogue import FAILURE_SEVERITIES, SEVERITIES

from ..bundles import Task
from ..results import Run, severity_by_stage, stage_pass_rate
from ..worker.tapgrade_stages import STAGES
from .analysis import analyze
from .summary import judged_status

TEMPLATES = Path(__file__).with_name("templates")  # package data (pyproject.toml): found installed too
COLORS = {"Critical": "#b71c1c", "High": "#e53935", "Medium": "#fb8c00", "Low": "#1e88e5", "Info": "#9e9e9e",
          "pass": "#43a047", "fail": "#e53935", "no-code": "#9e9e9e", "infra-error": "#8e24aa"}
CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:3px 8px;text-align:left}
th{background:#f4f4f4}.meta,.hint{color:#666}
.charts{display:flex;gap:3em}pre{background:#f8f8f8;padding:.5em;overflow-x:auto;font-size:12px}
.sev-Critical{color:#b71c1c;font-weight:bold}.sev-High{color:#e53935}.sev-Medium{color:#fb8c00}
.verdict-pass{color:#2e7d32}.verdict-fail{color:#c62828}
"""
# DataTables, as itables bundles it (an ES module): made a classic script so it loads from disk
# (browsers refuse module scripts from file:// pages) and written once under assets/.
TABLES_JS = """
document.querySelectorAll('table.searchable').forEach(function (table) {
  var hash = new URLSearchParams(location.hash.slice(1));
  new window.tapgradeTables.ITable(table, {
    paging: table.dataset.paging === 'true', pageLength: 100, autoWidth: false,
    order: JSON.parse(table.dataset.order || '[]'),
    search: {search: hash.get('search') || ''}
  });
  table.dataset.search = 'ready';
});
"""


def _write_assets(dest: Path) -> None:
    """assets/datatables.{js,css}: itables' offline bundle of DataTables, no CDN."""
    files = importlib.resources.files("itables").joinpath("html")
    src = files.joinpath("dt_bundle.js").read_text(encoding="utf-8")
    exports = list(re.finditer(r"export\s*\{([^}]*)\}\s*;?", src))[-1]
    names = ",".join(f"{b.strip()}:{a.strip()}" for a, b in
                     (p.strip().split(" as ") for p in exports.group(1).split(",")))
    (dest / "assets").mkdir(parents=True, exist_ok=True)
    (dest / "assets" / "datatables.js").write_text(
        "(function () {\n" + src[:exports.start()] + f";\nwindow.tapgradeTables = {{{names}}};\n"
        + src[exports.end():] + "\n})();\n", encoding="utf-8")
    (dest / "assets" / "datatables.css").write_text(files.joinpath("dt_bundle.css").read_text(encoding="utf-8"),
                                                   encoding="utf-8")


def _bars(title: str, counts: Mapping[Any, int], chart_id: str) -> Markup:
    """A horizontal bar chart as inline SVG (no script, no network)."""
    width, bar, gap = 360, 18, 6
    top = max(counts.values(), default=0) or 1
    parts = [f'<svg id="{chart_id}" width="{width + 160}" height="{(bar + gap) * len(counts) + 30}" '
             f'role="img" aria-label="{html.escape(title)}"><text x="0" y="14" font-weight="bold">'
             f'{html.escape(title)}</text>']
    for i, (label, n) in enumerate(counts.items()):
        y = 24 + i * (bar + gap)
        w = int(width * n / top)
        parts.append(f'<text x="0" y="{y + 13}">{html.escape(label)}</text>'
                     f'<rect x="90" y="{y}" width="{w}" height="{bar}" fill="{COLORS.get(label, "#607d8b")}"/>'
                     f'<text x="{95 + w}" y="{y + 13}" class="bar-value" data-label="{html.escape(label)}">{n}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _table(df: pd.DataFrame, table_id: str, index: bool = True) -> Markup:
    return Markup(df.to_html(table_id=table_id, index=index, border=0, escape=True, na_rep=""))


def write_report(run: Run, tasks: dict[str, Task], dest: Path | None = None) -> Path:
    """Write the report; returns the index page."""
    assert run.path is not None
    dest = dest or run.path / "report"
    (dest / "tasks").mkdir(parents=True, exist_ok=True)
    _write_assets(dest)
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    (dest / "index.html").write_text(_index_page(env, run), encoding="utf-8")
    (dest / "findings.html").write_text(env.get_template("report_findings.html.j2").render(
        run_id=run.meta.get("run_id"), css=Markup(CSS), js=Markup(TABLES_JS), rows=_finding_rows(run)),
        encoding="utf-8")
    md = MarkdownIt("commonmark", {"html": False}).enable("table")  # response text never becomes markup
    page = env.get_template("report_task.html.j2")
    v = run.variants
    for task_id in sorted(v["task_id"].unique()):
        variants = [_variant_section(run, tasks.get(task_id), r, md)
                    for r in v[v["task_id"] == task_id].sort_values("variant").itertuples()]
        (dest / "tasks" / f"{task_id}.html").write_text(
            page.render(task_id=task_id, run_id=run.meta.get("run_id"), css=Markup(CSS), variants=variants),
            encoding="utf-8")
    return dest / "index.html"


def _rank(severity: Any) -> int:
    """Sort key of a severity: worst first, nothing last (DataTables reads it from data-order)."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def _finding_rows(run: Run) -> list[dict]:
    """Every finding of the run, for the searchable findings page."""
    f = run.findings
    return [{"task_id": r.task_id, "variant": r.variant, "stage": r.stage,
             "stage_order": STAGES.index(r.stage) if r.stage in STAGES else len(STAGES),
             "severity": str(r.severity), "rank": _rank(str(r.severity)), "rule_id": r.rule_id, "message": r.message,
             "md_line": "" if pd.isna(r.md_line) else int(r.md_line), "round": int(r.round)}
            for r in f.itertuples()]


def _index_page(env: Environment, run: Run) -> str:
    """The overview: counts by severity and verdict (charts), by stage, pass rates, the task table."""
    f, v = run.findings, run.variants
    totals = {s: int((f["severity"] == s).sum()) for s in SEVERITIES}
    meta = run.meta
    meta_line = (f"harness {meta.get('harness_version')} · backend {meta.get('backend')} · "
                 f"{meta.get('started_at')} → {meta.get('finished_at')} · terraform: "
                 f"{(meta.get('terraform') or {}).get('detail', 'not recorded')}")
    return env.get_template("report_index.html.j2").render(
        run_id=meta.get("run_id"), css=Markup(CSS), js=Markup(TABLES_JS), meta_line=meta_line,
        severities=SEVERITIES, failure_severities=FAILURE_SEVERITIES, totals=totals, n_variants=len(v),
        severity_chart=_bars("findings by severity", totals, "chart-severity"),
        verdict_chart=_bars("variants by verdict", v["verdict"].value_counts().to_dict(), "chart-verdict"),
        by_stage=_table(severity_by_stage(run), "by-stage"),
        pass_rate=_table(stage_pass_rate(run).map(lambda x: f"{x:.1%}"), "pass-rate"),
        columns=["task", "variant", "verdict", "worst", *FAILURE_SEVERITIES, "synth", "plan"], rows=_task_rows(run))


def _task_rows(run: Run) -> list[dict]:
    """The sortable task table: a row per variant, by task and variant."""
    o = run.outcomes
    synth = o[(o["stage"] == "synth") & (o["round"] == 0)].set_index(["task_id", "variant"])["status"].to_dict()
    plan = judged_status(o, "plan")
    rows = []
    for r in run.variants.sort_values(["task_id", "variant"]).itertuples():
        worst = r.worst_severity if isinstance(r.worst_severity, str) else "-"
        rows.append({"task_id": r.task_id, "variant": r.variant, "verdict": r.verdict, "worst": worst,
                     "rank": _rank(worst),
                     **{s: int(getattr(r, f"n_{s.lower()}")) for s in FAILURE_SEVERITIES},
                     "synth": synth.get((r.task_id, r.variant), "-"), "plan": plan.get((r.task_id, r.variant), "-")})
    return rows


def _variant_section(run: Run, task: Task | None, r: Any, md: MarkdownIt) -> dict:
    """One variant on its task's page: outcomes, findings, repairs, its stage logs whole (collapsed,
    each with its size) and the failure analysis where the task's markdown is at hand."""
    assert run.path is not None
    o, f = run.outcomes, run.findings
    oo = o[(o["task_id"] == r.task_id) & (o["variant"] == r.variant)]
    oo = oo.assign(order=oo["stage"].map(lambda s: STAGES.index(s) if s in STAGES else len(STAGES)))
    ff = f[(f["task_id"] == r.task_id) & (f["variant"] == r.variant)]
    log_dir = run.path / "logs" / r.task_id / r.variant
    logs = [(p.name, _size(p.stat().st_size), p.read_text(encoding="utf-8", errors="replace"))
            for p in sorted(log_dir.glob("*.log"))] if log_dir.is_dir() else []
    text = analyze(run, task, r.variant) if task is not None and r.variant in task.responses else None
    return {
        "name": r.variant, "verdict": r.verdict,
        "worst": r.worst_severity if isinstance(r.worst_severity, str) else "-",
        "outcomes": _table(oo.sort_values(["round", "order"])[["stage", "round", "status", "reason", "duration_s"]],
                           f"outcomes-{r.variant}", index=False),
        "findings": _table(ff[["severity", "stage", "rule_id", "message", "md_line", "round"]]
                           .sort_values(["severity", "stage"]), f"findings-{r.variant}", index=False),
        "n_findings": len(ff), "repairs": r.repairs if isinstance(r.repairs, list) else [], "logs": logs,
        "analysis": Markup(md.render(text)) if text else None,
        "analysis_title": "Failure analysis of the model's response" if r.variant == "model" else
        f"Failure analysis of the {r.variant.upper() if r.variant == 'ideal' else r.variant} response "
        "(the task's own answer, graded as a check of the harness and the task)"}


def _size(n: int) -> str:
    return f"{n} bytes" if n < 1024 else f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"
