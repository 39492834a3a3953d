"""The docker backend's slots unpack their containers' tars into one run store: two variants of a
task share ``artifacts/<task>``, and tarfile creates a missing parent with a check-then-makedirs
that raced between slots in CI (FileExistsError, the ideal variant recorded as an infra error)."""

from __future__ import annotations

import base64
import io
import tarfile
import threading
import time
from pathlib import Path

from harness.backends import containers


def _tar(variant: str) -> str:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        data = b"{}"
        info = tarfile.TarInfo(f"artifacts/t/{variant}/stacks/s/cdk.tf.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return base64.b64encode(buf.getvalue()).decode()


def test_slots_unpack_one_at_a_time(tmp_path: Path, monkeypatch) -> None:
    """The race itself needs another thread to land between tarfile's check and its makedirs,
    which a test cannot schedule; so extraction is slowed (a stand-in wrapping the real
    extractall, the one fault injected here) and the test asserts no two slots ever extract at
    once, and that every file arrives."""
    real = tarfile.TarFile.extractall
    active, peak, lock = [0], [0], threading.Lock()

    def slow(self, *args, **kwargs):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.05)
        try:
            return real(self, *args, **kwargs)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(tarfile.TarFile, "extractall", slow)
    threads = [threading.Thread(target=containers.unpack, args=(_tar(f"v{i}"), tmp_path)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 1
    assert sorted(p.parent.parent.parent.name for p in tmp_path.rglob("cdk.tf.json")) == [f"v{i}" for i in range(6)]
