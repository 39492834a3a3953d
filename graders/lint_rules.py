"""The catalogue's rules for pylint messages with a severity of their own (``graders.catalogue``
re-exports them; the per-category fallbacks are rows of its table)."""

from __future__ import annotations

from .rule import Rule

# pylint symbols with a severity of their own (the reference analysis sets these three).
PYLINT_RULES: dict[str, Rule] = {
    r.when["symbol"]: r
    for r in (
        Rule("lint.unspecified-encoding", "lint", "High", "File encoding not specified",
             "open() without encoding= uses the platform's default encoding.",
             "Pass encoding='utf-8' to open().", {"kind": "pylint", "symbol": "unspecified-encoding"},
             "{message}"),
        Rule("lint.unused-import", "lint", "Medium", "Unused import",
             "A name is imported and never used.", "Remove the import.",
             {"kind": "pylint", "symbol": "unused-import"}, "{message}"),
        Rule("lint.line-too-long", "lint", "Low", "Line too long",
             "A line exceeds the project's 120-character limit.", "Wrap the line (e.g. a multi-line import).",
             {"kind": "pylint", "symbol": "line-too-long"}, "{message}"),
        Rule("lint.undefined-variable", "lint", "High", "Undefined variable",
             "A name is used that is never defined.", "Define or import it.",
             {"kind": "pylint", "symbol": "undefined-variable"}, "{message}"),
        Rule("lint.unused-variable", "lint", "Low", "Unused variable",
             "A local is assigned and never used (often a construct kept in a variable for nothing).",
             "Drop the assignment or use the value.", {"kind": "pylint", "symbol": "unused-variable"}, "{message}"),
        Rule("lint.broad-exception-caught", "lint", "Low", "Broad exception caught",
             "except Exception hides real failures.", "Catch the specific exception.",
             {"kind": "pylint", "symbol": "broad-exception-caught"}, "{message}"),
    )
}
