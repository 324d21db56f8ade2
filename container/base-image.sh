#!/usr/bin/env bash
# Make Debian bookworm's base image locally (for machines that reach Debian's mirror but no
# container registry): debootstrap a minimal root, import it as
# docker.io/library/debian:bookworm-slim, so that the Containerfile's FROM line is met with
# `podman build --pull=never`. Does nothing when the image is there already. Needs root.
#   container/base-image.sh [MIRROR]     (default: http://deb.debian.org/debian)
#   ARCH=arm64 IMAGE=docker.io/arm64v8/debian:bookworm-slim container/base-image.sh
#                                        (another architecture, under qemu-user-static)
set -euo pipefail
IMAGE=${IMAGE:-docker.io/library/debian:bookworm-slim}
ARCH=${ARCH:-$(dpkg --print-architecture)}
if podman image exists "$IMAGE"; then
    echo "base image $IMAGE is there already" >&2
    exit 0
fi
MIRROR=${1:-http://deb.debian.org/debian}
ROOTFS=$(mktemp -d /var/tmp/vidvar-rootfs.XXXXXX)
trap 'rm -rf "$ROOTFS"' EXIT
echo "debootstrap bookworm from $MIRROR (a few minutes, once)" >&2
debootstrap --arch="$ARCH" --variant=minbase bookworm "$ROOTFS" "$MIRROR" >/dev/null
# What Debian's bookworm-slim image does on top: no docs, manuals or translations (now
# or from later installs), and apt keeps no downloaded packages or caches.
cat > "$ROOTFS/etc/dpkg/dpkg.cfg.d/docker" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
CFG
cat > "$ROOTFS/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
find "$ROOTFS/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
rm -rf "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* "$ROOTFS"/usr/share/locale/*
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/lib/apt/lists/*
tar -C "$ROOTFS" -c . | podman import --arch "$ARCH" - "$IMAGE" >/dev/null
echo "imported $IMAGE" >&2
