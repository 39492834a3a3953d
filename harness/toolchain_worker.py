"""The toolchain worker: runs inside the toolchain's interpreter, never the harness's.

It is started with the toolchain venv's python, loads cdktf, the AWS provider (~10-20 s, once)
and pylint, takes a snapshot of interpreter state, then grades one workspace per request and
restores the snapshot after each. The harness reads its answers as JSON lines on a private
descriptor (a dup of the original stdout); the real fds 0/1/2 point at /dev/null and the stage
log files, so whatever model code prints or reads can never corrupt the protocol.

Only the standard library and the toolchain's own packages may be imported here: this file is
executed by another interpreter and must not import the ``harness`` package.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import gc
import importlib
import json
import linecache
import os
import pkgutil
import re
import resource
import runpy
import sys
import threading
import time
import traceback

import procstat  # sibling files, stdlib + toolchain only
import provider_lazy
import tapgrade_stages
import toolchain_static
import worker_integrity
import worker_policy

# This file runs as a script, so its directory (the harness package) heads sys.path: drop it, so
# response code can never import harness modules by accident.
sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != os.path.dirname(os.path.realpath(__file__))]

PROTO = None
REQUEST_ID: str | None = None  # every event names the request it answers: a stale line is never read as the next one's
POLICY: worker_policy.Policy | None = None
FILE_SIZE_LIMIT = 256 * 2**20


def send(obj: dict) -> None:
    PROTO.write(json.dumps({**obj, "id": REQUEST_ID}) + "\n")
    PROTO.flush()


def rss_kb() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


@contextlib.contextmanager
def output_to(path: str):
    """Point fds 1 and 2 (and sys.stdout/err) at a stage log, children included."""
    sys.stdout.flush()
    sys.stderr.flush()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    saved = os.dup(1), os.dup(2)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


class Snapshot:
    """Interpreter state a variant can change, taken once after preload and restored after each."""

    def __init__(self) -> None:
        self.cwd = os.getcwd()
        self.environ = dict(os.environ)
        self.path = list(sys.path)
        self.modules = set(sys.modules)
        self.argv = list(sys.argv)
        self.threads = {t.ident for t in threading.enumerate()}

    def restore(self, workspace: str) -> list[str]:
        """Undo the variant; return reasons the process is no longer clean (then it is recycled)."""
        os.chdir(self.cwd)
        os.environ.clear()
        os.environ.update(self.environ)
        sys.path[:] = self.path
        sys.argv[:] = self.argv
        for name in [m for m in sys.modules if m not in self.modules]:
            if not provider_lazy.is_provider_submodule(name):  # toolchain code loaded on demand: kept
                del sys.modules[name]
        _forget_astroid(workspace)
        for key in [k for k in sys.path_importer_cache if k.startswith(workspace)]:
            del sys.path_importer_cache[key]
        linecache.clearcache()
        importlib.invalidate_caches()
        # Young generations only: a full collection walks astroid's cached trees of every provider
        # module linted so far (kept on purpose) and grew to >1 s per variant. Full collections are
        # left to the interpreter's own schedule; recycling bounds what survives.
        gc.collect(1)
        dirty = []
        stray = [t.name for t in threading.enumerate() if t.ident not in self.threads and t.is_alive()]
        if stray:
            dirty.append(f"stray threads: {', '.join(stray[:5])}")
        return dirty


def _forget_astroid(workspace: str) -> None:
    """Forget what pylint's astroid learnt about this variant, keep what it learnt about the toolchain.

    astroid caches modules by name (every variant has its own ``lib.tap_stack``) and answers
    path questions from ``lru_cache``s keyed by path (every variant of a slot lives at the same
    path). Module trees of non-workspace modules (the provider's, expensive to build) are kept;
    every lookup cache is cleared, as ``AstroidManager.clear_cache`` does. If this astroid lacks
    one of the private names below, fall back to a full ``clear_cache`` (correct, only slower).
    """
    try:
        from astroid import MANAGER
    except ImportError:
        return
    try:
        from astroid.context import _invalidate_cache
        from astroid.inference_tip import clear_inference_tip_cache
        from astroid.interpreter._import import spec, util
        from astroid.interpreter.objectmodel import ObjectModel
        from astroid.modutils import _cache_normalize_path_, _has_init, cached_os_path_isfile
        from astroid.nodes._base_nodes import LookupMixIn
        from astroid.nodes.scoped_nodes import ClassDef

        caches = (LookupMixIn.lookup, _cache_normalize_path_, _has_init, cached_os_path_isfile,
                  util.is_namespace, ObjectModel.attributes, ClassDef._metaclass_lookup_attribute,
                  spec._find_spec, spec._is_setuptools_namespace,
                  *(f.find_module for f in spec._SPEC_FINDERS))
    except (ImportError, AttributeError):
        MANAGER.clear_cache()
        return
    ws = os.path.realpath(workspace)
    for name, mod in list(MANAGER.astroid_cache.items()):
        f = getattr(mod, "file", None)
        if name == "lib" or name.startswith("lib.") or (f and os.path.realpath(f).startswith(ws)):
            del MANAGER.astroid_cache[name]
    MANAGER._mod_file_cache.clear()
    clear_inference_tip_cache()
    _invalidate_cache()
    for cache in caches:
        cache.cache_clear()


def preload() -> dict:
    t0 = time.monotonic()
    # Popped, so variants see the environment a cold process would have.
    lint_only = os.environ.pop("TAPGRADE_LINT_ONLY", "") == "1"  # the run's shared lint process (engine.LintSeat)
    lazy = os.environ.pop("TAPGRADE_LAZY_PROVIDER", "") == "1"
    if lint_only:
        import pylint.lint  # noqa: F401
        from pylint.reporters import CollectingReporter  # noqa: F401
        gc.collect()
        gc.freeze()
        return {"preload_s": round(time.monotonic() - t0, 3), "role": "lint"}
    import cdktf  # noqa: F401
    import constructs  # noqa: F401
    if lazy:
        provider_lazy.import_provider()  # the assembly now, each submodule when first asked for
    else:
        import cdktf_cdktf_provider_aws  # noqa: F401  (the assembly and all 2,204 submodules)
    import astroid  # noqa: F401
    import pylint.lint  # noqa: F401
    from pylint.reporters import CollectingReporter  # noqa: F401
    # Move everything loaded so far out of the collector's reach: a full collection over the
    # provider's object graph costs ~0.6 s, paid after every variant otherwise.
    gc.collect()
    gc.freeze()
    return {"preload_s": round(time.monotonic() - t0, 3), "role": "toolchain", "provider": "lazy" if lazy else "eager"}


# ---------------------------------------------------------------- processes the response leaves


def become_subreaper() -> None:
    """Orphans of the response's processes (a daemon that double-forked, or called setsid) are
    re-parented to this worker, not to init, so ``sweep_children`` finds and ends them."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def children() -> list[int]:
    return procstat.children(os.getpid())


def sweep_children(own: set[int]) -> list[tuple[int, str]]:
    """End every child process but the worker's own (jsii's node): the response's code is over,
    whatever it started must not outlive it. Returns what was running (pid, command line)."""
    found: list[tuple[int, str]] = []
    for _round in range(20):  # a killed process's own children come to us next
        stray = [p for p in children() if p not in own]
        if not stray:
            break
        for pid in stray:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    cmd = fh.read().replace(b"\0", b" ").decode(errors="replace").strip()[:200]
            except OSError:
                cmd = "?"
            if procstat.alive(pid) and pid not in {p for p, _ in found}:
                found.append((pid, cmd or "?"))
            with contextlib.suppress(OSError):
                os.kill(pid, 9)
        time.sleep(0.05)
        for pid in stray:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, os.WNOHANG)
    return found


# ---------------------------------------------------------------- the run's clock

REAL_DATETIME = _dt.datetime


@contextlib.contextmanager
def fixed_clock(at: str | None):
    """``datetime.now()`` / ``utcnow()`` / ``today()`` read the run's created_at while response and
    entry code runs: task entry points tag every stack with ``CreatedAt=datetime.now()``, and the
    same input must synthesize byte-identically wherever and whenever it is graded (the cache key
    and warm == cold rest on it). ``from datetime import datetime`` done in that time binds the
    fixed class; it is put back afterwards."""
    try:
        fixed = REAL_DATETIME.fromisoformat(at) if at else None
    except ValueError:
        fixed = None
    if fixed is None:
        yield
        return
    if fixed.tzinfo is None:
        fixed = fixed.replace(tzinfo=_dt.UTC)
    stamp = fixed.timestamp()

    class datetime(REAL_DATETIME):  # noqa: N801 - stands in for datetime.datetime
        @classmethod
        def now(cls, tz=None):
            return cls.fromtimestamp(stamp, tz)

        @classmethod
        def utcnow(cls):
            return cls.fromtimestamp(stamp, _dt.UTC).replace(tzinfo=None)

        @classmethod
        def today(cls):
            return cls.fromtimestamp(stamp)

    datetime.__module__ = "datetime"
    _dt.datetime = datetime
    try:
        yield
    finally:
        _dt.datetime = REAL_DATETIME


# ---------------------------------------------------------------- signals from exceptions


def _frames(tb, workspace: str) -> list[dict]:
    out = []
    for fs in traceback.extract_tb(tb):
        if fs.filename.startswith("<"):  # <frozen importlib._bootstrap>, <string>: no file (a relative
            continue  # name would resolve under the workspace, the cwd, and pass for one of its files)
        path = os.path.realpath(fs.filename)
        if path.startswith(workspace + os.sep):
            out.append({"file": os.path.relpath(path, workspace), "line": fs.lineno,
                        "function": fs.name, "code": (fs.line or "")[:300]})
    return out


def _suggest(exc: BaseException) -> dict:
    """Closest existing names for a missing import, from the installed toolchain itself."""
    msg = str(exc)
    m = re.search(r"cannot import name '(\w+)' from '([\w.]+)'", msg)
    if m:
        name, modname = m.groups()
        mod = sys.modules.get(modname)
        if mod is None:
            with contextlib.suppress(Exception):
                mod = importlib.import_module(modname)
        names = [n for n in dir(mod) if not n.startswith("_")] if mod else []
        return {"missing_name": name, "from_module": modname, "suggestions": toolchain_static.close_names(name, names)}
    m = re.search(r"No module named '([\w.]+)'", msg)
    if m:
        full = m.group(1)
        parent, _, leaf = full.rpartition(".")
        names: list[str] = []
        if parent:
            with contextlib.suppress(Exception):
                pkg = importlib.import_module(parent)
                names = [i.name for i in pkgutil.iter_modules(pkg.__path__)]
        return {"missing_module": full, "suggestions": [f"{parent}.{n}" for n in toolchain_static.close_names(leaf, names)]}
    m = re.search(r"module '([\w.]+)' has no attribute '(\w+)'", msg)
    if m:
        modname, name = m.groups()
        mod = sys.modules.get(modname)
        names = [n for n in dir(mod) if not n.startswith("_")] if mod else []
        return {"missing_name": name, "from_module": modname, "suggestions": toolchain_static.close_names(name, names)}
    return {}


def exception_signal(exc: BaseException, workspace: str) -> dict:
    sig = {
        "kind": "exception",
        "type": type(exc).__name__,
        "qualified_type": f"{type(exc).__module__}.{type(exc).__qualname__}",
        "message": str(exc)[:4000],
        "frames": _frames(exc.__traceback__, workspace),
    }
    if isinstance(exc, SyntaxError) and exc.filename:
        path = os.path.realpath(exc.filename)
        if path.startswith(workspace + os.sep):
            sig["frames"].append({"file": os.path.relpath(path, workspace), "line": exc.lineno or 0,
                                  "function": "<module>", "code": (exc.text or "").strip()[:300]})
    sig.update(_suggest(exc))
    return sig


# ---------------------------------------------------------------- stages


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
                                "frames": _frames(exc.__traceback__, req["workspace"])}]) from None
    except BaseException as exc:  # noqa: BLE001
        if isinstance(exc, KeyboardInterrupt):
            raise
        traceback.print_exc()
        sig = exception_signal(exc, req["workspace"])
        sig["at_entry"] = bool(sig["frames"]) and sig["frames"][-1]["file"] == req["entry"]  # raised by the entry's own call
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


def stage_lint(req: dict, state: dict) -> dict:
    from pylint.lint import Run
    from pylint.reporters import CollectingReporter

    if not req["lint_files"]:
        return {"skipped": "no Python files under lib/"}
    reporter = CollectingReporter()
    run = Run([*req["lint_files"], f"--rcfile={req['rcfile']}"], reporter=reporter, exit=False)
    signals = [{"kind": "pylint", "msg_id": m.msg_id, "symbol": m.symbol, "category": m.category,
                "file": m.path, "line": m.line, "column": m.column, "message": m.msg}
               for m in reporter.messages]
    score = getattr(run.linter.stats, "global_note", None)
    for s in signals:
        print(f"{s['file']}:{s['line']}:{s['column']}: {s['msg_id']} ({s['symbol']}) {s['message']}")
    print(f"score: {score}")
    return {"signals": signals, "score": score}


def stage_static(req: dict, state: dict) -> dict:
    """Parse the response (never run it) and check it against the installed toolchain."""
    signals = toolchain_static.analyse(req["workspace"], req.get("static_files") or req["lint_files"],
                                       req.get("contract_call"), req["stack_modules"])
    for s in signals:
        print(f"{s['file']}:{s['line']}: {s['kind']}: {s['message']}")
    if signals:
        raise StageFailed(signals)
    return {}


STAGES = {"static": stage_static, "import": stage_import, "instantiate": stage_instantiate, "synth": stage_synth,
          "lint": stage_lint}
CHAIN = tapgrade_stages.CHAIN


def grade(req: dict) -> None:
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
        log = os.path.join(req["log_dir"], f"{stage}.log")
        t0 = time.monotonic()
        status, signals, data, reason = "pass", [], {}, None
        runs_code = stage in CHAIN  # the response's code runs: the clock is fixed, the sandbox policy on
        refused: list[dict] = []
        with output_to(log), fixed_clock(os.environ.get("HARNESS_CREATED_AT") if runs_code else None):
            if runs_code and POLICY is not None:
                POLICY.start([workspace, os.environ.get("TMPDIR", ""), os.environ.get("HOME", ""), req["log_dir"]])
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
            finally:
                if runs_code and POLICY is not None:
                    refused = POLICY.stop()
        signals = [*signals, *refused]  # what the sandbox refused is a finding even if the code caught it
        if stage in CHAIN and status != "pass":
            blocked = f"{stage} failed" if status == "fail" else f"{stage}: {status}"
        send({"event": "stage_end", "stage": stage, "status": status, "reason": reason,
              "duration_s": round(time.monotonic() - t0, 4), "signals": signals, "data": data})


def main() -> None:
    global PROTO
    PROTO = os.fdopen(os.dup(1), "w", buffering=1)
    requests = os.fdopen(os.dup(0), "r")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # stray output before any stage goes to the worker's own log (fd 2)
    info = preload()
    print(f"tapgrade worker ready: {json.dumps(info)}", file=sys.stderr, flush=True)  # into the worker's log
    global POLICY, REQUEST_ID
    become_subreaper()
    # One file may not outgrow this (jsii's node, started by preload, is not bound: it unpacks the
    # provider's assembly); Python ignores SIGXFSZ, so a larger write fails with EFBIG: a finding.
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
    POLICY = worker_policy.install(os.environ.pop("TAPGRADE_HOST_HOME", ""))
    snapshot = Snapshot()
    # The run's lint process runs no response code (pylint parses it): nothing to guard there.
    # A process that serves one request and is then ended (the cold baseline's) hands nothing on to
    # another variant: nothing to guard there either, and a snapshot of the eagerly loaded provider
    # (every submodule and class) costs seconds.
    single_use = os.environ.pop("TAPGRADE_SINGLE_USE", "") == "1"
    integrity = worker_integrity.Integrity() if info["role"] != "lint" and not single_use else None
    t0 = time.monotonic()
    if integrity is not None:
        integrity.take()  # after the policy's audit hook: a hook added later is a response's
        integrity.take_cache(os.environ.get("JSII_RUNTIME_PACKAGE_CACHE_ROOT", ""))
    info["integrity_snapshot_s"] = round(time.monotonic() - t0, 4)
    own = set(children())  # jsii's node process
    send({"event": "ready", "pid": os.getpid(), "rss_kb": rss_kb(), **info})
    for line in requests:
        if not line.strip():
            continue
        req = json.loads(line)
        REQUEST_ID = req.get("id")
        t0 = time.monotonic()
        grade(req)
        t1 = time.monotonic()
        aws_sdk = "botocore" in sys.modules and "botocore" not in snapshot.modules  # may have written to the emulator
        ran_code = bool(set(req["stages"]) & set(CHAIN)) and not req.get("blocked")
        if ran_code:
            left = [f"process {p} ({cmd}) still running" for p, cmd in sweep_children(own)]
        else:
            # Static and lint run no response code: a process started meanwhile is the toolchain's
            # own (a light process's static check imports cdktf, whose jsii starts its node).
            left = []
            own |= set(children())
            snapshot.threads |= {t.ident for t in threading.enumerate()}  # jsii's stderr sink, likewise
        dirty = snapshot.restore(req["workspace"])
        tampered, check_s = integrity.check() if integrity is not None and ran_code else ([], 0.0)
        tampered += [f"the toolchain's own process {p} (jsii's node) is gone" for p in own if not procstat.alive(p)]
        if integrity is not None and ran_code:
            tampered += integrity.check_cache()
        elif integrity is not None:
            # A static or lint request runs no response code (pylint fills astroid's classes lazily):
            # what the toolchain did to itself is the new normal.
            t1 = time.monotonic()
            integrity.rebase()
            check_s = time.monotonic() - t1
        send({"event": "done", "rss_kb": rss_kb(), "dirty": dirty, "aws_sdk": aws_sdk,
              "left_behind": left + dirty, "tampered": tampered[:40],
              "duration_s": round(time.monotonic() - t0, 4), "restore_s": round(time.monotonic() - t1, 4),
              "integrity_s": round(check_s, 4)})
        REQUEST_ID = None


if __name__ == "__main__":
    main()
