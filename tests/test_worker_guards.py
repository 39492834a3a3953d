"""The worker's sandbox policy and integrity check, each in an interpreter of its own (they install
audit hooks, which cannot be removed): what they refuse, what they notice, what they let be."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

HARNESS = Path(__file__).resolve().parents[1] / "harness" / "worker"


def run_py(code: str, tmp: Path) -> dict:
    """Run ``code`` in a fresh interpreter with the worker's sibling modules importable; it prints JSON."""
    (tmp / "probe").mkdir(exist_ok=True)  # its own directory: sys.path[0], which the policy lets be read
    script = tmp / "probe" / "probe.py"
    script.write_text(f"import sys\nsys.path.insert(0, {str(HARNESS)!r})\n" + textwrap.dedent(code), encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_policy_refuses_what_a_stack_does_not_need_and_records_it(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    got = run_py(f'''
        import json, os, socket
        import worker_policy
        policy = worker_policy.install({str(tmp_path / "home")!r})
        policy.start([{str(ws)!r}])
        outcome = {{}}
        def attempt(name, fn):
            try:
                fn()
                outcome[name] = "allowed"
            except PermissionError:
                outcome[name] = "refused"
            except OSError:
                outcome[name] = "allowed"  # the policy let it through; the OS said no
        attempt("write inside", lambda: open({str(ws / "ok.txt")!r}, "w").close())
        attempt("write outside", lambda: open({str(tmp_path / "out.txt")!r}, "w").close())
        attempt("remove outside", lambda: os.remove({str(tmp_path / "probe" / "probe.py")!r}))
        attempt("read shadow", lambda: open("/etc/shadow").read())
        attempt("read home", lambda: open({str(tmp_path / "home" / "id_rsa")!r}).read())
        attempt("dns", lambda: socket.getaddrinfo("example.com", 80))
        attempt("connect", lambda: socket.create_connection(("192.0.2.1", 80), timeout=1))
        attempt("loopback", lambda: socket.getaddrinfo("127.0.0.1", 80))
        attempt("kill parent", lambda: os.kill(os.getppid(), 0) or os.kill(os.getppid(), 19))
        attempt("limits", lambda: __import__("resource").setrlimit(__import__("resource").RLIMIT_FSIZE, (1, 1)))
        refused = policy.stop()
        attempt("write outside, policy off", lambda: open({str(tmp_path / "later.txt")!r}, "w").close())
        print(json.dumps({{"outcome": outcome, "refused": [r["what"] for r in refused]}}))
    ''', tmp_path)
    o = got["outcome"]
    assert o["write inside"] == "allowed" and o["loopback"] == "allowed" and o["write outside, policy off"] == "allowed"
    for name in ("write outside", "remove outside", "read shadow", "read home", "dns", "connect", "kill parent",
                 "limits"):
        assert o[name] == "refused", name
    assert sorted(set(got["refused"])) == ["kill", "limits", "network", "read", "write"]
    assert (tmp_path / "probe" / "probe.py").exists() and not (tmp_path / "out.txt").exists()


def test_integrity_names_what_changed_and_nothing_else(tmp_path: Path) -> None:
    got = run_py('''
        import atexit, builtins, json, signal, threading, urllib.parse, worker_integrity
        integrity = worker_integrity.Integrity()
        integrity.take()
        urllib.parse.urlsplit("http://example.com/x")  # fills the module's lazy regex caches: not a patch
        clean, _ = integrity.check()
        json.dumps = lambda *a, **k: "{}"
        builtins.sorted = list
        json.JSONEncoder.default = lambda self, o: None
        signal.signal(signal.SIGTERM, lambda *a: None)
        atexit.register(print)
        import sys
        sys.addaudithook(lambda *a: None)
        changed, seconds = integrity.check()
        print(json.JSONEncoder().encode({"clean": clean, "changed": changed, "seconds": seconds}))
    ''', tmp_path)
    assert got["clean"] == []
    changed = " | ".join(got["changed"])
    for needle in ("json.dumps replaced", "builtins.sorted replaced", "json.encoder.JSONEncoder.default replaced",
                   "signal handler SIGTERM replaced", "atexit callbacks changed", "1 audit hook(s) added"):
        assert needle in changed, needle
    assert got["seconds"] < 1.0


def test_a_function_whose_code_is_swapped_is_caught(tmp_path: Path) -> None:
    got = run_py('''
        import json, textwrap, worker_integrity
        integrity = worker_integrity.Integrity()
        integrity.take()
        textwrap.dedent.__code__ = (lambda text: text).__code__
        print(json.dumps(integrity.check()[0]))
    ''', tmp_path)
    assert got == ["textwrap.dedent replaced"]


def test_what_libraries_fill_on_first_use_is_put_back_not_reported(tmp_path: Path) -> None:
    """Found on the corpus: references that call platform.uname(), use concurrent.futures' lazy
    names, import boto3 (whose six adds an import finder), import afresh a module the worker
    unloaded, or start a node of their own (which touches jsii's cache markers) are not tampering; each
    such change is undone for the next variant. Removing the toolchain's own finder still is a change."""
    cache = tmp_path / "jsii-cache" / "pkg"
    cache.mkdir(parents=True)
    (cache / ".jsii-runtime-package-cache").write_text("")
    got = run_py(f'''
        import concurrent.futures, email.mime.text, importlib, json, os, platform, sys, time, worker_integrity
        del sys.modules["email.mime.text"]  # unloaded by the worker after the request that loaded it
        integrity = worker_integrity.Integrity()
        integrity.take()
        importlib.import_module("email.mime.text")  # imported afresh by the next variant
        integrity.take_cache({str(cache.parent)!r})
        platform.uname()
        concurrent.futures.ThreadPoolExecutor
        sys.meta_path.append(type("Finder", (), {{"find_spec": lambda self, *a: None}})())
        time.sleep(0.01)
        os.utime({str(cache / ".jsii-runtime-package-cache")!r})
        integrity.outside_python = True
        changed = integrity.check()[0] + integrity.check_cache()
        after = {{"uname_cache": platform._uname_cache is None,
                 "lazy_name": "ThreadPoolExecutor" in vars(concurrent.futures),
                 "finders": [type(f).__name__ for f in sys.meta_path].count("Finder")}}
        sys.meta_path.pop()
        removed = [c for c in integrity.check()[0] if not c.startswith("__main__.")]  # the probe's own names
        print(json.dumps({{"changed": changed, "after": after, "removed": removed}}))
    ''', tmp_path)
    assert got["changed"] == []
    assert got["after"] == {"uname_cache": True, "lazy_name": False, "finders": 0}
    assert got["removed"] == ["sys.meta_path changed"]
