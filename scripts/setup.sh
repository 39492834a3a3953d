#!/usr/bin/env bash
# Install the harness into .venv and the pinned CDKTF toolchain into its own venv
# (under $TAPGRADE_HOME, default ~/.cache/tapgrade). Idempotent: a second run reuses both.
#
#   scripts/setup.sh            the local backend (no Docker needed)
#   scripts/setup.sh --docker   also the docker backend: Debian's docker.io + debootstrap, a running
#                               dockerd, the debootstrap base image and the grading image (what the
#                               test suite needs; a second run reuses every image layer)
set -euo pipefail
DOCKER=0
for arg in "$@"; do
  case "$arg" in
    --docker) DOCKER=1 ;;
    *) echo "setup: unknown argument $arg (only --docker)" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,ray]' 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/harness toolchain install
# Headless Chromium renders the HTML report in its test; Debian's package where we may install it.
if ! command -v chromium >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    (apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q chromium >/dev/null; }) \
      || echo "setup: could not install chromium; the HTML report test will be skipped" >&2
  else
    echo "setup: no chromium (install Debian's 'chromium' to run the HTML report test)" >&2
  fi
fi
if [ "$DOCKER" = 1 ]; then
  scripts/start_dockerd.sh
  CA=/etc/ssl/certs/ca-certificates.crt
  scripts/base_image.sh $( [ -f "$CA" ] && echo --ca-bundle "$CA" )
  if ! .venv/bin/harness image check >/dev/null 2>&1; then
    .venv/bin/harness image build --base tapgrade-base:bookworm
  fi
  .venv/bin/harness image check
fi
