#!/usr/bin/env bash
# Start the Docker engine when it is not running (CI and fresh machines: Debian's docker.io has
# no init system to start it here). Installs docker.io and debootstrap first when missing and we
# may (root with apt). Idempotent; prints nothing when the engine already answers.
set -euo pipefail
if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "docker: installing docker.io and debootstrap (Debian packages)" >&2
    apt-get install -y -q docker.io debootstrap >/dev/null 2>&1 \
      || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q docker.io debootstrap >/dev/null; }
  else
    echo "docker: dockerd/debootstrap missing and cannot install them (need root + apt-get)" >&2
    exit 1
  fi
fi
if docker info >/dev/null 2>&1; then
  exit 0
fi
LOG=${DOCKERD_LOG:-/var/log/tapgrade-dockerd.log}
echo "docker: starting dockerd (log: $LOG)" >&2
nohup dockerd >"$LOG" 2>&1 &
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 1
done
echo "docker: dockerd did not answer within 60 s; see $LOG" >&2
tail -20 "$LOG" >&2 || true
exit 1
