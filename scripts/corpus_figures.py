"""Print the README's corpus figures, all computed here: extraction over every corpus response,
and, given a run directory of the whole corpus, how many variants reach each stage.

    .venv/bin/python scripts/corpus_figures.py [RUN_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from harness.bundles import discover
from harness.extract import extract
from harness.results import load_run, stage_reach

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "cdktf-py"


def extraction_figures() -> None:
    tasks, _ = discover([CORPUS])
    print("| responses | count | yield lib/tap_stack.py | yield any .py | unmapped module-like blocks |")
    print("|---|---|---|---|---|")
    for variant in ("model", "ideal"):
        rows = [extract(t.responses[variant].read_text(encoding="utf-8")) for t in tasks if variant in t.responses]
        stack = sum("lib/tap_stack.py" in e.files for e in rows)
        anypy = sum(bool(e.python_files) for e in rows)
        modules = sum(sum(u.kind == "module" for u in e.unmapped) for e in rows)
        n = len(rows)
        print(f"| {variant} | {n} | {stack} ({stack / n:.0%}) | {anypy} ({anypy / n:.0%}) | {modules} |")


def run_figures(run_dir: Path) -> None:
    run = load_run(run_dir)
    print()
    print(stage_reach(run).to_markdown())
    print()
    print(run.variants.groupby(["variant", "verdict"]).size().unstack(fill_value=0).to_markdown())
    entries = run.variants.drop_duplicates("task_id")["entry_origin"].value_counts()
    print()
    print("entry points used: " + ", ".join(f"{k} {v}" for k, v in entries.items()))
    meta = run.meta
    print(f"run {meta.get('run_id')}: {meta.get('started_at')} -> {meta.get('finished_at')}, "
          f"workers {meta.get('args', {}).get('workers')}")


if __name__ == "__main__":
    extraction_figures()
    if len(sys.argv) > 1:
        run_figures(Path(sys.argv[1]))
