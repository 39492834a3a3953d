"""Harness side of the warm checkov process (``checkov_worker.py`` in the checkov venv).

One per slot, started on first use. Each scan gets a time limit; a process that misses it or
dies is killed and the scan becomes an infra error (checkov failing is never the model's fault).
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from pathlib import Path

from .procgroup import kill_group
from .toolchain import CHECKOV_PROFILE, Profile, check

WORKER = Path(__file__).with_name("checkov_worker.py")


class CheckovUnavailable(RuntimeError):
    pass


class CheckovRunner:
    def __init__(self, log_path: Path, profile: Profile = CHECKOV_PROFILE):
        self.profile, self.log_path = profile, log_path
        self.proc: subprocess.Popen | None = None
        self.lines: queue.Queue = queue.Queue()
        self.lock = threading.Lock()  # one scan at a time: the runner may be shared by slots

    def _start(self, timeout_s: float) -> None:
        if not self.profile.python.exists():
            raise CheckovUnavailable(f"checkov is not installed at {self.profile.home} (run: harness toolchain install)")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen([str(self.profile.python), str(WORKER)], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True,
                                         env={**self.profile.env(), "BC_SKIP_MAPPING": "TRUE"})
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, args=(self.proc, self.lines), daemon=True).start()
        if not self._read(timeout_s).get("ready"):
            raise CheckovUnavailable("checkov worker did not start")

    @staticmethod
    def _pump(proc: subprocess.Popen, lines: queue.Queue) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    def _read(self, timeout_s: float) -> dict:
        try:
            line = self.lines.get(timeout=timeout_s)
        except queue.Empty:
            self.close()
            raise CheckovUnavailable(f"checkov gave no answer in {timeout_s:.0f} s") from None
        if line is None:
            self.close()
            raise CheckovUnavailable(f"checkov worker exited (log: {self.log_path})")
        return json.loads(line)

    def scan(self, directory: Path, timeout_s: float = 120.0) -> dict:
        with self.lock:
            if self.proc is None or self.proc.poll() is not None:
                self._start(timeout_s)
            assert self.proc is not None and self.proc.stdin is not None
            self.proc.stdin.write(json.dumps({"dir": str(directory)}) + "\n")
            self.proc.stdin.flush()
            answer = self._read(timeout_s)
        if "error" in answer:
            raise CheckovUnavailable(answer["error"])
        return answer

    def close(self) -> None:
        if self.proc is not None:
            kill_group(self.proc)
            self.proc = None


def available(profile: Profile = CHECKOV_PROFILE) -> tuple[bool, str]:
    st = check(profile)
    return st.ok, "; ".join(st.problems) or f"checkov {st.versions.get('packages', {}).get('checkov')}"
