#!/usr/bin/env bash
# Make Debian bookworm's base image locally (for machines that reach Debian's mirror but no
# container registry): debootstrap a minimal root, import it as
# docker.io/library/debian:bookworm-slim, so that the Containerfile's FROM line is met with
# `podman build --pull=never`. Does nothing when the image is there already. Needs root.
#   container/base-image.sh [MIRROR]     (default: http://deb.debian.org/debian)
set -euo pipefail
IMAGE=docker.io/library/debian:bookworm-slim
if podman image exists "$IMAGE"; then
    echo "base image $IMAGE is there already" >&2
    exit 0
fi
MIRROR=${1:-http://deb.debian.org/debian}
ROOTFS=$(mktemp -d /var/tmp/vidvar-rootfs.XXXXXX)
trap 'rm -rf "$ROOTFS"' EXIT
echo "debootstrap bookworm from $MIRROR (a few minutes, once)" >&2
debootstrap --variant=minbase bookworm "$ROOTFS" "$MIRROR" >/dev/null
# What a bookworm-slim image has on top: apt's sources, no docs or caches.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
tar -C "$ROOTFS" -c . | podman import - "$IMAGE" >/dev/null
echo "imported $IMAGE" >&2
