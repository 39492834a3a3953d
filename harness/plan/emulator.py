"""The local AWS emulator (moto server) that answers plan's data sources, the opt-in deploy, and
the AWS SDK calls a response's own code makes while it synthesizes.

One server per slot, on a free loopback port, started lazily by the slot and stopped with it, so
parallel slots never share state or ports. Before a variant's code runs, and before its plan, the
state is reset through moto's own ``/moto-api/reset`` endpoint if anything may have been written
since the last reset (an apply, or code that loaded the AWS SDK): a variant never sees what the
previous one created. Plans only read, and a reset would make moto rebuild its region backends on
the next read (~1 s for EC2), so after plans there is nothing to reset.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

# moto's own server entry point, plus a watchdog: the server exits when its stdin (a pipe from the
# harness) closes, so a harness killed with SIGKILL leaves no emulator behind.
_SERVE = """
import os, sys, threading
def watchdog():
    sys.stdin.buffer.read()
    os._exit(0)
threading.Thread(target=watchdog, daemon=True).start()
from moto.server import main
main(sys.argv[1:])
"""


class EmulatorError(RuntimeError):
    """The emulator could not be started: an infra problem."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MotoServer:
    def __init__(self, log_path: Path):
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.dirty = False  # something may have been created since the start or the last reset

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout_s: float = 60.0) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.dirty = False
        for _attempt in range(3):  # the port can be taken between probing and binding
            self.port = free_port()
            with self.log_path.open("ab") as log:
                self.proc = subprocess.Popen(
                    [sys.executable, "-c", _SERVE, "-H", "127.0.0.1", "-p", str(self.port)],
                    stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                    cwd=self.log_path.parent, env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"})
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline and self.alive:
                try:
                    urllib.request.urlopen(f"{self.url}/moto-api/data.json", timeout=2).read()
                    return
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    time.sleep(0.2)
            self.stop()
        raise EmulatorError(f"moto server did not start (log: {self.log_path})")

    def ensure(self) -> None:
        if not self.alive:
            self.start()

    def reset(self) -> None:
        req = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST", data=b"")
        urllib.request.urlopen(req, timeout=30).read()
        self.dirty = False

    def reset_if_dirty(self) -> None:
        if self.dirty:
            self.reset()

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc = None
