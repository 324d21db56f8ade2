"""Retention and disk pressure: old job folders and archived sources go; full disks pause."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from datetime import datetime
from pathlib import Path

from vidvar.config import Config
from vidvar.fsutil import remove_empty_dirs
from vidvar.log import get_logger
from vidvar.status import STATUS_FILE
from vidvar.store import JobStore
from vidvar.store.models import TERMINAL_STATES

GB = 1024**3


def free_bytes(path: Path) -> int:
    """Free space on the filesystem holding `path` (or its nearest existing parent)."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free


class Housekeeper:
    """Deletes what is old enough and decides whether there is room for another job."""

    def __init__(self, config: Config, store: JobStore) -> None:
        self.config = config
        self.store = store
        self.log = get_logger(component="housekeeping")
        self.paused_reason: str | None = None
        self._next_purge = 0.0
        self._next_disk_check = 0.0

    def disk_report(self) -> dict[str, float]:
        """Free GB per output folder."""
        return {str(w.output): round(free_bytes(w.output) / GB, 2) for w in self.config.watches}

    def room_for_a_job(self) -> bool:
        """False while an output filesystem is below retention.min_free_gb (checked every 10 s)."""
        now = time.monotonic()
        if now < self._next_disk_check:
            return self.paused_reason is None
        self._next_disk_check = now + 10.0
        minimum = self.config.retention.min_free_gb
        low = [
            f"{folder} has {free:.2f} GB free (min_free_gb: {minimum:g})"
            for folder, free in self.disk_report().items()
            if free < minimum
        ]
        reason = "low disk space: " + "; ".join(low) + "; no new job starts" if low else None
        if reason != self.paused_reason:
            if reason:
                self.log.warning("pausing new jobs", reason=reason)
            else:
                self.log.info("disk space is back; resuming")
        self.paused_reason = reason
        return reason is None

    def maybe_purge(self) -> None:
        """Run `purge` every retention.check_interval seconds."""
        now = time.monotonic()
        if now >= self._next_purge:
            self._next_purge = now + self.config.retention.check_interval
            self.purge()

    def purge(self, now: float | None = None) -> tuple[int, int]:
        """Delete expired job folders and archived sources; returns how many of each."""
        now = time.time() if now is None else now
        retention = self.config.retention
        jobs = archived = 0
        for watch in self.config.watches:
            if retention.job_days > 0:
                jobs += self._purge_jobs(watch.output, now - retention.job_days * 86400)
            if retention.archive_days > 0 and watch.on_success == "archive":
                archived += self._purge_archive(
                    watch.archive_dir, now - retention.archive_days * 86400
                )
        if jobs or archived:
            self.log.info("retention", job_folders_removed=jobs, archived_removed=archived)
        return jobs, archived

    def _purge_jobs(self, output: Path, cutoff: float) -> int:
        removed = 0
        if not output.is_dir():
            return 0
        for folder in output.iterdir():
            status_path = folder / STATUS_FILE
            try:
                status = json.loads(status_path.read_text(encoding="utf-8"))
                finished = datetime.fromisoformat(status["finished_at"]).timestamp()
            except (OSError, ValueError, KeyError, TypeError):
                continue  # not a finished job folder of ours: leave it
            if status.get("state") not in TERMINAL_STATES or finished >= cutoff:
                continue
            # The store is the truth: a job re-queued by `retry` is not finished any more.
            job = self.store.get_job(str(status.get("job_id", "")))
            if job is not None and job.state not in TERMINAL_STATES:
                continue
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
        return removed

    def _purge_archive(self, archive: Path, cutoff: float) -> int:
        removed = 0
        if not archive.is_dir():
            return 0
        for root, _dirs, files in os.walk(archive):
            for name in files:
                path = Path(root) / name
                # ctime, not mtime: moving into the archive sets ctime, while mtime is
                # the camera's and may be years old.
                with contextlib.suppress(OSError):
                    if path.lstat().st_ctime < cutoff:
                        path.unlink()
                        removed += 1
        for child in archive.iterdir():
            if child.is_dir():
                remove_empty_dirs(child)
        return removed
