"""What the daemon may use: CPU quota and memory limit read from cgroup v2 and v1 trees
laid out as the kernel shows them (the real thing runs in tests/e2e/test_container.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from vidvar.config import WorkerConfig
from vidvar.machine import Limits, read_limits

MEMINFO = "MemTotal:       16384000 kB\nMemFree:         1000 kB\n"


def lay_out(root: Path, files: dict[str, str]) -> tuple[Path, Path]:
    for name, text in files.items():
        path = root / name.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "proc", root


def test_cgroup_v2_quota_and_limit_of_a_systemd_unit(tmp_path: Path) -> None:
    unit = "/sys/fs/cgroup/system.slice/vidvar.service"
    proc, root = lay_out(
        tmp_path,
        {
            "proc/meminfo": MEMINFO,
            "proc/self/cgroup": "0::/system.slice/vidvar.service\n",
            "proc/self/mountinfo": "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n",
            f"{unit}/cpu.max": "150000 100000\n",  # CPUQuota=150%
            f"{unit}/memory.max": "max\n",
            "/sys/fs/cgroup/system.slice/memory.max": "2147483648\n",  # the slice's MemoryMax
        },
    )
    limits = read_limits(proc, root)
    assert (limits.cpus, limits.cpu_source) == (1.5, "cgroup quota")
    assert (limits.memory, limits.memory_source) == (2147483648, "cgroup limit")
    assert limits.describe().startswith("1.5 CPUs (cgroup quota), 2.15 GB memory")


def test_cgroup_v1_in_a_container_sees_its_own_cgroup_as_the_mount_root(tmp_path: Path) -> None:
    scope = "/machine.slice/libpod-abc.scope"
    proc, root = lay_out(
        tmp_path,
        {
            "proc/meminfo": MEMINFO,
            "proc/self/cgroup": f"4:memory:{scope}\n2:cpu,cpuacct:{scope}\n1:name=systemd:/\n",
            "proc/self/mountinfo": (
                f"40 31 0:29 {scope} /sys/fs/cgroup/cpu,cpuacct ro - cgroup cgroup rw,cpu,cpuacct\n"
                f"41 31 0:32 {scope} /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n"
            ),
            "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "100000\n",
            "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n",
            "/sys/fs/cgroup/memory/memory.limit_in_bytes": "1572864000\n",
        },
    )
    limits = read_limits(proc, root)
    assert limits == Limits(1.0, "cgroup quota", 1572864000, "cgroup limit")


def test_no_limits_leaves_the_affinity_and_physical_memory(tmp_path: Path) -> None:
    proc, root = lay_out(
        tmp_path,
        {
            "proc/meminfo": MEMINFO,
            "proc/self/cgroup": "4:memory:/\n2:cpu,cpuacct:/\n",
            "proc/self/mountinfo": (
                "40 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
                "41 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
            ),
            "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "-1\n",
            "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n",
            "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
        },
    )
    limits = read_limits(proc, root)
    assert limits.cpu_source == "affinity" and limits.memory_source == "physical"
    assert limits.memory == 16384000 * 1024


def test_a_small_memory_limit_narrows_files_at_once_and_the_fan_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("vidvar.machine.limits", lambda: Limits(1.0, "q", 1500 * 2**20, "l"))
    worker = WorkerConfig()
    assert worker.files_at_once() == 1
    # Five 1080p outputs would take 1.3 GB; half of the 1.5 GB holds three.
    assert worker.group_size(1920, 1080) == 3
    monkeypatch.setattr("vidvar.machine.limits", lambda: Limits(2.0, "a", 32 * 2**30, "p"))
    assert WorkerConfig().group_size(1920, 1080) == 5
