"""Facts about the machine the daemon runs on, for defaults chosen from it."""

from __future__ import annotations

import os
import socket


def hostname() -> str:
    """This machine's name, as recorded with each worker."""
    return socket.gethostname()


def cores() -> int:
    """CPUs this process may run on (its affinity mask, so a container's or a systemd
    unit's limit counts, not the host's)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def memory_bytes() -> int | None:
    """Physical memory (MemTotal), or None when /proc does not say."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None
