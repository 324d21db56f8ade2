"""Which filesystem a path lives on, read from /proc/mounts.

SQLite must not live on a network filesystem, and inotify does not see changes
made by other machines on one; both decisions start here.
"""

from __future__ import annotations

import os
from pathlib import Path

NETWORK_FSTYPES = frozenset(
    {
        "cifs",
        "smb",
        "smb2",
        "smb3",
        "smbfs",
        "nfs",
        "nfs4",
        "9p",
        "afs",
        "ceph",
        "glusterfs",
        "lustre",
        "ncpfs",
        "coda",
        "davfs",
        "sshfs",
        "gpfs",
        "beegfs",
        "virtiofs",
        "vboxsf",
        "prl_fs",
    }
)


def _unescape(field: str) -> str:
    # /proc/mounts escapes space, tab, newline and backslash as octal.
    return (
        field.replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
    )


def read_mounts(mounts_file: str = "/proc/mounts") -> list[tuple[str, str]]:
    """Return (mount point, fstype) pairs; empty when the table cannot be read."""
    try:
        with open(mounts_file, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return []
    pairs = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 3:
            pairs.append((_unescape(fields[1]), fields[2]))
    return pairs


def fstype_of(path: Path, mounts_file: str = "/proc/mounts") -> str | None:
    """The filesystem type of the mount holding `path` (or its nearest existing parent)."""
    probe = Path(os.path.abspath(path))
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    resolved = str(probe.resolve())
    best: tuple[int, str] | None = None
    for mount_point, fstype in read_mounts(mounts_file):
        inside = resolved == mount_point or resolved.startswith(mount_point.rstrip("/") + "/")
        if inside and (best is None or len(mount_point) > best[0]):
            best = (len(mount_point), fstype)
    return best[1] if best else None


def is_network_fstype(fstype: str | None) -> bool:
    """True for SMB, NFS, FUSE and the other filesystems served by another machine."""
    if fstype is None:
        return False
    return fstype in NETWORK_FSTYPES or fstype.startswith("fuse")


def is_on_network_fs(path: Path, mounts_file: str = "/proc/mounts") -> bool:
    """True when `path` lives on a network (or FUSE) filesystem."""
    return is_network_fstype(fstype_of(path, mounts_file))
