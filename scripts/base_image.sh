#!/usr/bin/env bash
# Build the grading image's base from Debian packages, for hosts that reach no image registry:
#   debootstrap --variant=minbase bookworm  ->  tar  ->  docker import  ->  tapgrade-base:bookworm
# The Dockerfile then builds on it with --build-arg BASE_IMAGE=tapgrade-base:bookworm
# (`harness image build --base tapgrade-base:bookworm`).
#
#   scripts/base_image.sh [--tag NAME] [--mirror URL] [--ca-bundle FILE] [--force]
#
# --ca-bundle copies a host CA bundle over the image's, for networks whose HTTPS is re-signed by
# a proxy (pip inside `docker build` then trusts it). An existing image of the tag is reused
# unless --force. Needs root (debootstrap) and a running Docker engine.
set -euo pipefail
TAG=tapgrade-base:bookworm
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
CA=""
FORCE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) TAG=$2; shift 2 ;;
    --mirror) MIRROR=$2; shift 2 ;;
    --ca-bundle) CA=$2; shift 2 ;;
    --force) FORCE=1; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "base_image: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [ "$FORCE" = 0 ] && docker image inspect "$TAG" >/dev/null 2>&1; then
  echo "base_image: $TAG exists (use --force to rebuild)" >&2
  exit 0
fi
command -v debootstrap >/dev/null || { echo "base_image: debootstrap is not installed" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "base_image: debootstrap needs root" >&2; exit 1; }
ROOTFS=$(mktemp -d /tmp/tapgrade-rootfs.XXXXXX)
trap 'rm -rf "$ROOTFS"' EXIT
START=$(date +%s)
echo "base_image: debootstrap bookworm from $MIRROR (about 2-3 minutes)" >&2
debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates,curl,unzip,libatomic1 \
  bookworm "$ROOTFS" "$MIRROR" >"$ROOTFS.log" 2>&1 || { tail -20 "$ROOTFS.log" >&2; exit 1; }
rm -f "$ROOTFS.log"
if [ -n "$CA" ]; then
  cp "$CA" "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
fi
# Smaller and reproducible enough: no apt lists or caches in the image.
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/cache/apt/archives/*.deb
tar -C "$ROOTFS" -c . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' - "$TAG" >/dev/null
echo "base_image: built $TAG in $(( $(date +%s) - START )) s, $(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1/1e6}')" >&2
