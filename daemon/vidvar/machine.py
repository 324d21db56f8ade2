"""Facts about the machine the daemon runs on, for defaults chosen from it.

CPUs and memory are what this process may use, not what the host has: the affinity
mask, and the CPU quota and memory limit of its cgroup (v2 `cpu.max`/`memory.max`,
v1 `cpu.cfs_quota_us`/`memory.limit_in_bytes`), which is where `podman run --cpus 1
--memory 1g`, Docker, Kubernetes and systemd's `CPUQuota=`/`MemoryMax=` put them.
"""

from __future__ import annotations

import math
import os
import socket
from dataclasses import dataclass
from functools import cache
from pathlib import Path

# A cgroup v1 memory limit this large means "no limit" (the page-rounded LONG_MAX).
_V1_UNLIMITED = 2**62


def hostname() -> str:
    """This machine's name, as recorded with each worker."""
    return socket.gethostname()


@dataclass(frozen=True)
class Limits:
    """What this process may use, and where each figure came from (for status and health)."""

    cpus: float  # may be fractional under a quota (--cpus 1.5)
    cpu_source: str  # "cgroup quota", "affinity" or "cpu count"
    memory: int | None  # bytes, None when nothing says
    memory_source: str  # "cgroup limit", "physical" or "unknown"

    def describe(self) -> str:
        """`1 CPU (cgroup quota), 1.5 GB memory (cgroup limit)`."""
        from vidvar.units import size_text

        cpus = f"{self.cpus:g} CPU{'s' if self.cpus != 1 else ''} ({self.cpu_source})"
        if self.memory is None:
            return f"{cpus}, memory unknown"
        return f"{cpus}, {size_text(self.memory)} memory ({self.memory_source})"


def read_limits(proc: Path = Path("/proc"), root: Path = Path("/")) -> Limits:
    """The CPUs and memory this process may use; `proc` and `root` stand for /proc and /
    (tests give a made-up tree)."""
    cpus, cpu_source = _affinity()
    quota = _cgroup_cpus(proc, root)
    if quota is not None and quota < cpus:
        cpus, cpu_source = quota, "cgroup quota"
    memory, memory_source = _meminfo(proc), "physical"
    if memory is None:
        memory_source = "unknown"
    limit = _cgroup_memory(proc, root)
    if limit is not None and (memory is None or limit < memory):
        memory, memory_source = limit, "cgroup limit"
    return Limits(cpus, cpu_source, memory, memory_source)


@cache
def limits() -> Limits:
    """This process's limits, read once (they do not change while it runs)."""
    return read_limits()


def cores() -> int:
    """Whole CPUs this process may use (a quota of 1.5 rounds up to 2)."""
    return max(1, math.ceil(limits().cpus))


def memory_bytes() -> int | None:
    """Memory this process may use: its cgroup's limit, else the physical memory."""
    return limits().memory


def _affinity() -> tuple[float, str]:
    try:
        return float(max(1, len(os.sched_getaffinity(0)))), "affinity"
    except (AttributeError, OSError):
        return float(max(1, os.cpu_count() or 1)), "cpu count"


def _meminfo(proc: Path) -> int | None:
    try:
        with open(proc / "meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cgroup_cpus(proc: Path, root: Path) -> float | None:
    """The tightest CPU quota on the way from this process's cgroup up to the root."""
    found = []
    for folder, version in _cgroup_folders(proc, root, "cpu"):
        if version == 2:
            words = _read(folder / "cpu.max").split()
            if len(words) == 2 and words[0] != "max":
                found.append(int(words[0]) / int(words[1]))
        else:
            quota, period = _read(folder / "cpu.cfs_quota_us"), _read(folder / "cpu.cfs_period_us")
            if quota.lstrip("-").isdigit() and int(quota) > 0 and period.isdigit():
                found.append(int(quota) / int(period))
    return min(found) if found else None


def _cgroup_memory(proc: Path, root: Path) -> int | None:
    """The tightest memory limit on the way from this process's cgroup up to the root."""
    found = []
    for folder, version in _cgroup_folders(proc, root, "memory"):
        name = "memory.max" if version == 2 else "memory.limit_in_bytes"
        text = _read(folder / name)
        if text.isdigit() and int(text) < _V1_UNLIMITED:
            found.append(int(text))
    return min(found) if found else None


def _cgroup_folders(proc: Path, root: Path, controller: str) -> list[tuple[Path, int]]:
    """This process's cgroup folder for `controller` and its parents up to the mount,
    with the cgroup version. A container sees its own cgroup as the mount's root. Every
    mount that carries the controller counts (a hybrid host has v2 and v1 mounts)."""
    found: list[tuple[Path, int]] = []
    try:
        membership = (proc / "self" / "cgroup").read_text(encoding="utf-8")
        mountinfo = (proc / "self" / "mountinfo").read_text(encoding="utf-8")
    except OSError:
        return []
    for line in mountinfo.splitlines():
        before, _sep, after = line.partition(" - ")
        fields, kind = before.split(), after.split()
        if len(fields) < 5 or not kind:
            continue
        mount_root, mount_point = fields[3], fields[4]
        options = kind[2].split(",") if len(kind) > 2 else []
        if kind[0] == "cgroup2":
            path = _member_path(membership, "")
            version = 2
        elif kind[0] == "cgroup" and controller in options:
            path = _member_path(membership, controller)
            version = 1
        else:
            continue
        if path is None:
            continue
        inside = path[len(mount_root) :] if path.startswith(mount_root) else ""
        top = root / mount_point.lstrip("/")
        folder = top / inside.lstrip("/")
        chain = [folder, *[p for p in folder.parents if p.is_relative_to(top)]]
        found.extend((f, version) for f in chain)
    return found


def _member_path(membership: str, controller: str) -> str | None:
    """The cgroup path of /proc/self/cgroup's line for `controller` ("" for v2's `0::`)."""
    for line in membership.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if controller == "" and parts[0] == "0" and parts[1] == "":
            return parts[2]
        if controller and controller in parts[1].split(","):
            return parts[2]
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""
