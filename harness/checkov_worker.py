"""A warm checkov process, run by the checkov venv's interpreter (not the harness's).

Why warm: the checkov CLI spends ~4 s importing itself for a 0.05 s scan; this process imports
it once and then scans one directory per request. Protocol: one JSON object per line on stdin
(``{"dir": path}``), one JSON answer per line on stdout. Offline: no module downloads, no
platform calls. What it scans is data (Terraform JSON); nothing in it is executed.
"""

import json
import logging
import os
import sys

os.environ.setdefault("CHECKOV_RUN_SCA_PACKAGE_SCAN_V2", "false")
logging.disable(logging.CRITICAL)
out = os.fdopen(os.dup(1), "w", buffering=1)  # our channel; checkov's own prints go to stderr
os.dup2(2, 1)

from checkov.runner_filter import RunnerFilter  # noqa: E402
from checkov.terraform_json.runner import TerraformJsonRunner  # noqa: E402

out.write(json.dumps({"ready": True}) + "\n")
for line in sys.stdin:
    try:
        req = json.loads(line)
        report = TerraformJsonRunner().run(root_folder=req["dir"], runner_filter=RunnerFilter(
            framework=["terraform_json"], download_external_modules=False))
        report = report[0] if isinstance(report, list) else report
        out.write(json.dumps({
            "failed": [{"check_id": r.check_id, "check_name": r.check_name, "resource": r.resource,
                        "lines": list(r.file_line_range or []), "file": os.path.basename(r.file_path or "")}
                       for r in report.failed_checks],
            "passed": len(report.passed_checks),
            "parsing_errors": list(report.parsing_errors),
        }) + "\n")
    except Exception as exc:  # noqa: BLE001 - reported to the harness as an infra error
        out.write(json.dumps({"error": f"{type(exc).__name__}: {exc}"}) + "\n")
