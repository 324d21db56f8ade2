"""Which filesystem a path lives on, and whether a share is still mounted.

SQLite must not live on a network filesystem, and inotify does not see changes
made by other machines on one; both decisions start here. The mount table is
read from /proc/self/mounts: a hardened unit (ProcSubset=pid) hides /proc/mounts.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from vidvar.errors import ShareGone

MOUNTS_FILE = "/proc/self/mounts"

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


NETWORK_FUSE = frozenset(
    {"fuse.sshfs", "fuse.rclone", "fuse.s3fs", "fuse.gcsfuse", "fuse.smbnetfs"}
)


def _unescape(field: str) -> str:
    # /proc/mounts escapes space, tab, newline and backslash as octal.
    return (
        field.replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
    )


def read_mounts(mounts_file: str = MOUNTS_FILE) -> list[tuple[str, str]]:
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


def fstype_of(path: Path, mounts_file: str = MOUNTS_FILE) -> str | None:
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
    """True for SMB, NFS, sshfs and the other filesystems served by another machine.

    Local FUSE filesystems (Unraid's `fuse.shfs` user shares, mergerfs) are not
    network filesystems: inotify sees their changes and SQLite works on them.
    """
    if fstype is None:
        return False
    return fstype in NETWORK_FSTYPES or fstype in NETWORK_FUSE


def is_on_network_fs(path: Path, mounts_file: str = MOUNTS_FILE) -> bool:
    """True when `path` lives on a network (or FUSE) filesystem."""
    return is_network_fstype(fstype_of(path, mounts_file))


def _existing(path: Path) -> Path:
    probe = Path(os.path.abspath(path))
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe


class FolderGuard:
    """Remembers the filesystem (device id) of each configured folder when vidvar
    started, so that writing into a share that was unmounted since (and left a bare
    mount point on the root disk behind) is refused with ShareGone."""

    def __init__(self, folders: list[tuple[str, Path]] | None = None) -> None:
        self._lock = threading.Lock()
        self._devices: dict[Path, int] = {}
        self._labels: dict[Path, str] = {}
        self._existed: set[Path] = set()
        for label, folder in folders or []:
            self.remember(folder, label)

    def remember(self, folder: Path, label: str = "") -> None:
        """Record the device of `folder` (or of its nearest existing parent) now;
        `label` names it in messages ("the output folder of ads"), never its path."""
        folder = Path(os.path.abspath(folder))
        with self._lock:
            self._devices[folder] = os.stat(_existing(folder)).st_dev
            self._labels[folder] = label or f"the folder {folder.name}"
            if folder.exists():
                self._existed.add(folder)

    def _root_of(self, path: Path) -> tuple[Path, int] | None:
        path = Path(os.path.abspath(path))
        with self._lock:
            roots = [(r, d) for r, d in self._devices.items() if r == path or r in path.parents]
        return max(roots, key=lambda rd: len(rd[0].parts)) if roots else None

    def check(self, path: Path) -> None:
        """ShareGone when the configured folder holding `path` is on another
        filesystem than at start, or has disappeared."""
        found = self._root_of(path)
        if found is None:
            return
        root, device = found
        try:
            now = os.stat(_existing(root)).st_dev
        except OSError:
            now = -1
        if now != device or (root in self._existed and not root.exists()):
            raise ShareGone(
                f"{self._labels[root]} is not on its share any more (was the share "
                "unmounted?); work resumes when it is back",
                str(root),
            )

    def present(self, path: Path) -> bool:
        """True when `check` would pass."""
        try:
            self.check(path)
        except ShareGone:
            return False
        return True
