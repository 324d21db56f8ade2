#!/usr/bin/env bash
# Build the image for arm64 (most NAS boxes with ARM CPUs) on an amd64 machine, under
# Debian's qemu-user-static, and check that vidvar and ffmpeg run in it. Takes 20 to 40
# minutes under emulation. Needs root (podman, binfmt). Offline machines get an arm64
# base made with debootstrap, as container/base-image.sh does for amd64.
#   container/build-arm64.sh [TAG]        (default: localhost/vidvar:arm64)
set -euo pipefail
TAG=${1:-localhost/vidvar:arm64}
HERE=$(cd "$(dirname "$0")/.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$HERE/container/containers.conf}
BASE=docker.io/arm64v8/debian:bookworm-slim
if ! [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    apt-get install -y --no-install-recommends qemu-user-static binfmt-support >/dev/null
    update-binfmts --enable qemu-aarch64 2>/dev/null || true
fi
if ! podman image exists "$BASE" && ! podman pull --arch arm64 "$BASE" 2>/dev/null; then
    echo "debootstrap an arm64 bookworm under qemu (once)" >&2
    ARCH=arm64 IMAGE="$BASE" "$HERE/container/base-image.sh"
fi
secret=()
[ -s /etc/ssl/certs/ca-certificates.crt ] \
    && secret=(--secret id=ca-bundle,src=/etc/ssl/certs/ca-certificates.crt)
podman build --pull=never --arch arm64 --build-arg "BASE=$BASE" --format docker \
    "${secret[@]}" -t "$TAG" "$HERE"
podman run --rm --arch arm64 --network none --entrypoint /opt/vidvar/bin/vidvar "$TAG" --version
podman run --rm --arch arm64 --network none --entrypoint ffmpeg "$TAG" -hide_banner -f lavfi \
    -i testsrc2=size=320x240:duration=1 -c:v libx264 -f null -
echo "built $TAG for arm64 ($(podman image inspect "$TAG" --format '{{.Architecture}}'))" >&2
