"""Retention and disk pressure: remove only what the store says vidvar wrote or
archived, never by walking a folder; pause new jobs while a disk is nearly full."""

from __future__ import annotations

import shutil
import stat
import time
from pathlib import Path

from vidvar import beneath
from vidvar.config import Config
from vidvar.jobfolder import JobFolder
from vidvar.log import get_logger
from vidvar.store import FileRecord, Job, JobStore
from vidvar.units import gigabytes

DISK_CHECK_SECONDS = 10.0


def free_bytes(path: Path) -> int:
    """Free space on the filesystem holding `path` (or its nearest existing parent)."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return shutil.disk_usage(probe).free


class DiskGate:
    """Says whether there is room for another job (checked at most every 10 s)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.log = get_logger(component="disk")
        self.paused_reason: str | None = None
        self._next_check = 0.0

    def report(self) -> dict[str, float]:
        """Free GB per output folder."""
        report = {}
        for watch in self.config.watches:
            try:
                report[str(watch.output)] = gigabytes(free_bytes(watch.output))
            except OSError:
                continue  # an unmounted share: the watcher says so
        return report

    def room(self) -> bool:
        """False while an output filesystem is below retention.min_free_gb."""
        now = time.monotonic()
        if now < self._next_check:
            return self.paused_reason is None
        self._next_check = now + DISK_CHECK_SECONDS
        minimum = self.config.retention.min_free_gb
        low = [
            f"{folder} has {free:.2f} GB free (min_free_gb: {minimum:g})"
            for folder, free in self.report().items()
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


class Retention:
    """Deletes expired job folders and archived sources, as recorded in the store."""

    def __init__(self, config: Config, store: JobStore) -> None:
        self.config = config
        self.store = store
        self.log = get_logger(component="retention")

    def purge(self, now: float | None = None) -> tuple[int, int]:
        """Delete what expired; returns (job folders, archived sources) removed."""
        now = time.time() if now is None else now
        retention = self.config.retention
        jobs = archived = 0
        if retention.job_days > 0:
            for job in self.store.expired_jobs(now - retention.job_days * 86400):
                self._remove_job_folder(job, self.store.files(job.id))
                self.store.mark_job_purged(job.id)
                jobs += 1
        if retention.archive_days > 0:
            for watch in self.config.watches:
                cutoff = now - retention.archive_days * 86400
                for record in self.store.expired_archives(watch.name, cutoff):
                    if self._remove_archived(record, watch.archive_dir):
                        archived += 1
                    self.store.mark_archive_purged(record.id)
        if jobs or archived:
            self.log.info("retention", job_folders_removed=jobs, archived_removed=archived)
        return jobs, archived

    def _remove_job_folder(self, job: Job, files: list[FileRecord]) -> None:
        """The files vidvar wrote there (outputs, status.json, preview, work folder),
        then the folder and its subfolders if nothing else is left in them. Every
        removal walks from the output folder without following a link: a job folder
        or subfolder that is now a link is left alone, with everything behind it."""
        folder = JobFolder(job.job_dir)
        written = [folder.path / o.path for f in files for o in f.outputs]
        written += [folder.status_path, folder.preview_path]
        try:
            for path in written:
                if folder.path in path.parents:  # a stored path that climbs out is skipped
                    folder.remove(path)
            folder.clean_work()
        except beneath.LinkInPath as exc:
            self.log.warning("a link stands in a job folder; left alone", job_id=job.id,
                             path=exc.filename)  # fmt: skip
        for path in sorted(written, key=lambda p: -len(p.parts)):
            if folder.path in path.parents:
                folder.remove_empty_parents(path)
        beneath.remove_empty_folders(folder.root, (folder.path.name,))

    def _remove_archived(self, record: FileRecord, archive: Path) -> bool:
        """An archived source, reached from the archive folder without following a link;
        True when it was removed."""
        below = beneath.relative_to(record.disposed_to or "", archive)
        if not record.disposed_to or not below:
            return False  # outside the archive
        try:
            st = beneath.entry_stat(archive, below)
        except OSError:
            return False  # moved away, or a link on the way (cold storage): left alone
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
            return False
        beneath.unlink(archive, below)  # a link is removed as a link
        beneath.remove_empty_folders(archive, below[:-1])
        return True
