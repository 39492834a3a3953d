"""The stages the toolchain worker runs for one request, and the loop that runs them in order.

The static and lint stages parse the response; import, instantiate and synth (the chain) run its
code, with the clock fixed and the sandbox policy on. Each stage's output goes to its own log;
its outcome is sent to the harness as a ``stage_end`` event.

Runs inside the toolchain interpreter (a sibling file of ``toolchain_worker.py``): standard
library and toolchain packages only.
"""

from __future__ import annotations

import importlib
import os
import runpy
import sys
import time
import traceback
from collections.abc import Callable

import tapgrade_stages  # sibling files, stdlib + toolchain only
import toolchain_static
import worker_policy
from worker_context import fixed_clock, output_to
from worker_signals import exception_signal, workspace_frames

Send = Callable[[dict], None]  # the worker's one way to answer the harness (toolchain_worker.send)


class StageFailed(Exception):
    def __init__(self, signals: list[dict]):
        super().__init__("stage failed")
        self.signals = signals


def stage_import(req: dict, state: dict) -> dict:
    for mod in req["stack_modules"]:
        try:
            importlib.import_module(mod)
        except BaseException as exc:  # noqa: BLE001 - model code may raise anything
            if isinstance(exc, KeyboardInterrupt):
                raise
            traceback.print_exc()
            raise StageFailed([exception_signal(exc, req["workspace"]) | {"module": mod}]) from None
    return {}


def stage_instantiate(req: dict, state: dict) -> dict:
    import cdktf

    captured: list = []
    real_synth = cdktf.App.synth

    def capture(self):  # the entry's app.synth() is the next stage, not this one
        captured.append(self)

    cdktf.App.synth = capture
    entry = os.path.join(req["workspace"], req["entry"])
    sys.argv[:] = [entry]
    sys.path.insert(0, os.path.dirname(entry))  # as `python <entry>` would (bin/main.py: bin/)
    try:
        runpy.run_path(entry, run_name="__main__")
    except SystemExit as exc:
        if exc.code not in (None, 0):
            raise StageFailed([{"kind": "exit", "type": "SystemExit", "message": f"exit status {exc.code}",
                                "frames": workspace_frames(exc.__traceback__, req["workspace"])}]) from None
    except BaseException as exc:  # noqa: BLE001
        if isinstance(exc, KeyboardInterrupt):
            raise
        traceback.print_exc()
        sig = exception_signal(exc, req["workspace"])
        # raised by the task entry's own call (an adopted app of the response's is the response's code)
        sig["at_entry"] = (bool(sig["frames"]) and sig["frames"][-1]["file"] == req["entry"]
                           and not req.get("adopted_entry"))
        call = req.get("contract_call")
        if sig["at_entry"] and call:
            sig["call_keywords"], sig["stack_class"] = list(call["keywords"]), call["cls"]
        raise StageFailed([sig]) from None
    finally:
        cdktf.App.synth = real_synth
    state["apps"] = captured
    state["real_synth"] = real_synth
    return {"apps": len(captured)}


def stage_synth(req: dict, state: dict) -> dict:
    apps = state.get("apps") or []
    if not apps:
        raise StageFailed([{"kind": "no-synth", "type": "NoSynth",
                            "message": "the entry point never called app.synth()", "frames": []}])
    outputs = []
    for app in apps:
        try:
            state["real_synth"](app)
        except BaseException as exc:  # noqa: BLE001
            if isinstance(exc, KeyboardInterrupt):
                raise
            traceback.print_exc()
            raise StageFailed([exception_signal(exc, req["workspace"])]) from None
        outdir = os.path.join(req["workspace"], app.outdir) if not os.path.isabs(app.outdir) else app.outdir
        for root, _dirs, files in os.walk(os.path.join(outdir, "stacks")):
            if "cdk.tf.json" in files:
                outputs.append(os.path.relpath(os.path.join(root, "cdk.tf.json"), req["workspace"]))
    if not outputs:
        raise StageFailed([{"kind": "no-output", "type": "NoStacks",
                            "message": "synth produced no stack (no TerraformStack in the app)", "frames": []}])
    return {"outputs": sorted(outputs)}


def mark_outside_graph(signals: list[dict], req: dict) -> None:
    """A signal in a file the stack's entry never imports says so (the catalogue rates it lower)."""
    graph = req.get("stack_files")
    if graph is None:
        return
    for s in signals:
        if s.get("file") and s["file"] not in graph:
            s["outside_graph"] = True


def stage_lint(req: dict, state: dict) -> dict:
    from pylint.lint import Run
    from pylint.reporters import CollectingReporter

    if not req["lint_files"]:
        return {"skipped": "no Python files"}
    reporter = CollectingReporter()
    run = Run([*req["lint_files"], f"--rcfile={req['rcfile']}"], reporter=reporter, exit=False)
    signals = [{"kind": "pylint", "msg_id": m.msg_id, "symbol": m.symbol, "category": m.category,
                "file": m.path, "line": m.line, "column": m.column, "message": m.msg}
               for m in reporter.messages]
    mark_outside_graph(signals, req)
    score = getattr(run.linter.stats, "global_note", None)
    for s in signals:
        print(f"{s['file']}:{s['line']}:{s['column']}: {s['msg_id']} ({s['symbol']}) {s['message']}")
    print(f"score: {score}")
    return {"signals": signals, "score": score}


def stage_static(req: dict, state: dict) -> dict:
    """Parse the response (never run it) and check it against the installed toolchain."""
    signals = toolchain_static.analyse(req["workspace"], req.get("static_files") or req["lint_files"],
                                       req.get("contract_call"), req["stack_modules"])
    mark_outside_graph(signals, req)
    for s in signals:
        print(f"{s['file']}:{s['line']}: {s['kind']}: {s['message']}")
    if signals:
        raise StageFailed(signals)
    return {}


STAGES = {"static": stage_static, "import": stage_import, "instantiate": stage_instantiate, "synth": stage_synth,
          "lint": stage_lint}
CHAIN = tapgrade_stages.CHAIN


def grade(req: dict, send: Send, policy: worker_policy.Policy | None) -> None:
    """Run the request's stages in order, each announced (``stage_start``) and answered
    (``stage_end``) through ``send``; a chain stage that does not pass skips the rest of the chain."""
    workspace = os.path.realpath(req["workspace"])
    req["workspace"] = workspace
    os.chdir(workspace)
    sys.path.insert(0, workspace)
    os.environ.update(req.get("env", {}))
    state: dict = {}
    blocked: str | None = req.get("blocked")  # set by the harness when extraction found no stack
    for stage in req["stages"]:
        if stage in CHAIN and blocked:
            send({"event": "stage_end", "stage": stage, "status": "skipped", "reason": blocked,
                  "duration_s": 0.0, "signals": [], "data": {}})
            continue
        send({"event": "stage_start", "stage": stage})
        t0 = time.monotonic()
        status, signals, data, reason = run_stage(stage, req, state, workspace, policy)
        if stage in CHAIN and status != "pass":
            blocked = f"{stage} failed" if status == "fail" else f"{stage}: {status}"
        send({"event": "stage_end", "stage": stage, "status": status, "reason": reason,
              "duration_s": round(time.monotonic() - t0, 4), "signals": signals, "data": data})


def run_stage(stage: str, req: dict, state: dict, workspace: str,
              policy: worker_policy.Policy | None) -> tuple[str, list[dict], dict, str | None]:
    """One stage with its output in its log: (status, signals, data, reason)."""
    log = os.path.join(req["log_dir"], f"{stage}.log")
    runs_code = stage in CHAIN  # the response's code runs: the clock is fixed, the sandbox policy on
    refused: list[dict] = []
    with output_to(log), fixed_clock(os.environ.get("HARNESS_CREATED_AT") if runs_code else None):
        if runs_code and policy is not None:
            policy.start([workspace, os.environ.get("TMPDIR", ""), os.environ.get("HOME", ""), req["log_dir"]])
        try:
            status, signals, data, reason = _outcome(stage, req, state)
        finally:
            if runs_code and policy is not None:
                refused = policy.stop()
    return status, [*signals, *refused], data, reason  # what the sandbox refused is a finding even if the code caught it


def _outcome(stage: str, req: dict, state: dict) -> tuple[str, list[dict], dict, str | None]:
    """Call the stage: a ``StageFailed`` is its failure, any other exception a harness bug (infra)."""
    status, signals, data, reason = "pass", [], {}, None
    try:
        data = STAGES[stage](req, state) or {}
        signals = data.pop("signals", [])
        if "skipped" in data:
            status, reason = "skipped", data.pop("skipped")
    except StageFailed as exc:
        status, signals = "fail", exc.signals
    except Exception as exc:  # noqa: BLE001 - a harness bug inside the worker: infra
        traceback.print_exc()
        status, reason = "infra-error", f"worker error: {type(exc).__name__}: {exc}"
    return status, signals, data, reason
