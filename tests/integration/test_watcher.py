"""Hot folders with real observers on real folders, driven by a manual clock."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.support import wait_for
from vidvar.config import DEFAULT_EXTENSIONS, WatchConfig
from vidvar.inbox.watcher import FolderWatcher
from vidvar.store import JobStore, open_store


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[JobStore]:
    store = open_store(str(tmp_path / "state" / "v.db"))
    yield store
    store.close()


def make_watcher(inbox: Path, store: JobStore, **overrides: object) -> FolderWatcher:
    watch = WatchConfig(
        name="ads",
        inbox=inbox,
        output=inbox.parent / "output",
        settle_seconds=1.0,
        observer="native",
        scan_interval=1000,
        archive_dir=inbox.parent / "archive",
        failed_dir=inbox.parent / "failed",
    )
    watch = replace(watch, **overrides)  # type: ignore[arg-type]
    return FolderWatcher(watch, DEFAULT_EXTENSIONS, store, threading.Event())


@pytest.fixture
def watchers() -> Iterator[list[FolderWatcher]]:
    made: list[FolderWatcher] = []
    yield made
    for w in made:
        w.stop_observer()


def jobs(store: JobStore) -> list[tuple[str, list[str]]]:
    return sorted(
        (j.source_path, [f.name for f in store.files(j.id)]) for j in store.list_jobs(limit=100_000)
    )


def video(path: Path, size: int = 2048) -> Path:
    """The watcher never decodes: any bytes with a video extension stand for a video."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))
    return path


def test_a_slow_writer_is_not_picked_up_early(
    inbox: Path, sqlite_store: JobStore, watchers: list[FolderWatcher]
) -> None:
    w = make_watcher(inbox, sqlite_store)
    watchers.append(w)
    target = video(inbox / "big.mp4", 1000)
    w.tick(0.0)
    now = 0.0
    with target.open("ab") as handle:
        for _ in range(10):  # a chunk every 0.6 s of a 1 s settle time
            now += 0.6
            handle.write(os.urandom(1000))
            handle.flush()
            w.tick(now)
            assert jobs(sqlite_store) == []
    w.tick(now + 0.6)
    assert jobs(sqlite_store) == []
    w.tick(now + 1.7)
    assert jobs(sqlite_store) == [(str(target), ["big.mp4"])]


def test_a_part_file_renamed_to_its_final_name_triggers(
    inbox: Path, sqlite_store: JobStore, watchers: list[FolderWatcher]
) -> None:
    w = make_watcher(inbox, sqlite_store)
    watchers.append(w)
    w.tick(0.0)
    partial = video(inbox / "clip.mp4.part")
    w.tick(5.0)
    w.tick(10.0)
    assert jobs(sqlite_store) == []
    partial.rename(inbox / "clip.mp4")
    wait_for(lambda: "clip.mp4" in w.hints.names, what="the rename event")
    w.tick(11.0)
    w.tick(12.5)
    assert jobs(sqlite_store) == [(str(inbox / "clip.mp4"), ["clip.mp4"])]


def test_a_dropped_folder_is_one_batch_job(
    inbox: Path, sqlite_store: JobStore, watchers: list[FolderWatcher], tmp_path: Path
) -> None:
    staging = tmp_path / "Summer Campaign"
    for name in ("a.mp4", "b.MOV", "deep/c.mkv", "deep/readme.txt", "@eaDir/a.mp4"):
        video(staging / name)
    w = make_watcher(inbox, sqlite_store)
    watchers.append(w)
    w.tick(0.0)
    staging.rename(inbox / staging.name)
    wait_for(lambda: w.hints.names, what="the folder event")
    w.tick(1.0)
    w.tick(2.5)
    [(path, names)] = jobs(sqlite_store)
    assert path == str(inbox / "Summer Campaign")
    assert names == ["a.mp4", "b.MOV", "deep/c.mkv"]
    assert sqlite_store.list_jobs()[0].kind == "batch"


def test_a_folder_still_being_copied_waits_for_all_of_it(
    inbox: Path, sqlite_store: JobStore, watchers: list[FolderWatcher]
) -> None:
    w = make_watcher(inbox, sqlite_store)
    watchers.append(w)
    video(inbox / "batch" / "one.mp4")
    w.tick(0.0)
    video(inbox / "batch" / "two.mp4.part")  # the second file is still arriving
    w.tick(0.9)
    (inbox / "batch" / "two.mp4.part").rename(inbox / "batch" / "two.mp4")
    w.tick(1.5)
    assert jobs(sqlite_store) == []
    w.tick(2.6)
    assert jobs(sqlite_store) == [(str(inbox / "batch"), ["one.mp4", "two.mp4"])]


JUNK = [
    "._clip.mp4",
    ".DS_Store",
    ".hidden.mp4",
    "Thumbs.db",
    "desktop.ini",
    "clip.mp4.part",
    "clip.mp4.partial",
    "clip.mp4.tmp",
    "clip.mp4.crdownload",
    "clip.mp4.filepart",
    "~$clip.mp4",
    "notes.txt",
    "clip.gif",
    "@eaDir/clip.mp4",
    "#recycle/clip.mp4",
    "#snapshot/clip.mp4",
    ".snapshot/clip.mp4",
]


def test_junk_is_ignored_and_left_in_place(
    inbox: Path, sqlite_store: JobStore, watchers: list[FolderWatcher]
) -> None:
    for name in JUNK:
        video(inbox / name)
    w = make_watcher(inbox, sqlite_store)
    watchers.append(w)
    for t in (0.0, 2.0, 4.0):
        w.tick(t)
    assert jobs(sqlite_store) == []
    assert all((inbox / name).exists() for name in JUNK)
    video(inbox / "Real.MP4")  # the extension matches case-insensitively
    w.scan(5.0)
    w.tick(7.0)
    assert jobs(sqlite_store) == [(str(inbox / "Real.MP4"), ["Real.MP4"])]


def test_a_fifo_never_blocks_and_is_ignored(
    inbox: Path, sqlite_store: JobStore, watchers: list[FolderWatcher]
) -> None:
    os.mkfifo(inbox / "pipe.mp4")
    (inbox / "batch").mkdir()
    os.mkfifo(inbox / "batch" / "pipe.mov")
    video(inbox / "batch" / "real.mov")
    w = make_watcher(inbox, sqlite_store)
    watchers.append(w)
    w.tick(0.0)
    w.tick(2.0)  # would hang forever if the FIFO were opened
    assert jobs(sqlite_store) == [(str(inbox / "batch"), ["real.mov"])]
    assert (inbox / "pipe.mp4").exists()


def test_symlinks_out_of_the_inbox_are_not_processed(
    inbox: Path, sqlite_store: JobStore, watchers: list[FolderWatcher], tmp_path: Path
) -> None:
    outside = video(tmp_path / "private" / "secret.mp4")
    (inbox / "link.mp4").symlink_to(outside)
    (inbox / "linkdir").symlink_to(outside.parent, target_is_directory=True)
    w = make_watcher(inbox, sqlite_store)
    watchers.append(w)
    w.tick(0.0)
    w.tick(2.0)
    assert jobs(sqlite_store) == []
    assert outside.exists()


def test_files_present_at_start_are_picked_up(
    inbox: Path, sqlite_store: JobStore, watchers: list[FolderWatcher]
) -> None:
    video(inbox / "waiting.mp4")
    w = make_watcher(inbox, sqlite_store)
    watchers.append(w)
    w.tick(0.0)
    w.tick(1.5)
    assert len(jobs(sqlite_store)) == 1


def test_the_reconcile_scan_finds_what_events_missed(
    inbox: Path, sqlite_store: JobStore, watchers: list[FolderWatcher]
) -> None:
    w = make_watcher(inbox, sqlite_store, scan_interval=60)
    watchers.append(w)
    w.tick(0.0)
    w.hints.on_any_event = lambda event: None  # type: ignore[method-assign]  # events lost
    video(inbox / "missed.mp4")
    w.tick(10.0)
    w.tick(20.0)
    assert jobs(sqlite_store) == []
    w.tick(61.0)  # the periodic scan
    w.tick(62.5)
    assert jobs(sqlite_store) == [(str(inbox / "missed.mp4"), ["missed.mp4"])]


def test_an_inbox_removed_and_recreated_is_watched_again(
    inbox: Path, sqlite_store: JobStore, watchers: list[FolderWatcher]
) -> None:
    w = make_watcher(inbox, sqlite_store)
    watchers.append(w)
    w.tick(0.0)
    shutil.rmtree(inbox)
    w.tick(1.0)
    assert w.inbox_missing and w.observer is None
    w.tick(2.0)
    inbox.mkdir()
    w.tick(3.0)
    assert not w.inbox_missing and w.observer is not None and w.observer.is_alive()
    video(inbox / "after.mp4")
    wait_for(lambda: w.hints.names, what="an event from the new observer")
    w.tick(4.0)
    w.tick(5.5)
    assert jobs(sqlite_store) == [(str(inbox / "after.mp4"), ["after.mp4"])]


def test_a_dead_observer_is_restarted(
    inbox: Path, sqlite_store: JobStore, watchers: list[FolderWatcher]
) -> None:
    w = make_watcher(inbox, sqlite_store)
    watchers.append(w)
    w.tick(0.0)
    first = w.observer
    first.stop()
    first.join(timeout=5)
    w.tick(1.0)
    assert w.observer is not first and w.observer.is_alive()


def test_forced_polling_works(
    inbox: Path, sqlite_store: JobStore, watchers: list[FolderWatcher]
) -> None:
    w = make_watcher(inbox, sqlite_store, observer="polling", polling_interval=0.2)
    watchers.append(w)
    w.tick(0.0)
    assert w.observer_kind == "polling"
    video(inbox / "polled.mp4")
    wait_for(lambda: w.hints.names, what="the polling observer to see the file")
    w.tick(1.0)
    w.tick(2.5)
    assert len(jobs(sqlite_store)) == 1


def test_auto_chooses_polling_on_a_network_mount(
    inbox: Path,
    sqlite_store: JobStore,
    watchers: list[FolderWatcher],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import vidvar.inbox.watcher as watcher_module

    monkeypatch.setattr(watcher_module, "fstype_of", lambda _p: "cifs")
    w = make_watcher(inbox, sqlite_store, observer="auto")
    watchers.append(w)
    w.tick(0.0)
    assert w.observer_kind == "polling"


def test_a_thousand_files_at_once_give_a_thousand_jobs(
    inbox: Path, sqlite_store: JobStore, watchers: list[FolderWatcher], tmp_path: Path
) -> None:
    w = make_watcher(inbox, sqlite_store)
    watchers.append(w)
    w.tick(0.0)
    for i in range(1000):
        video(inbox / f"clip{i:04d}.mp4", 64)
    wait_for(lambda: len(w.hints.names) == 1000, what="events for every file")
    w.tick(1.0)
    w.scan(1.1)  # a scan racing the events must not double anything
    w.tick(2.5)
    assert len(jobs(sqlite_store)) == 1000
    # A restart (fresh watcher, same store) sees them all again and queues none twice.
    again = make_watcher(inbox, sqlite_store)
    watchers.append(again)
    again.tick(0.0)
    again.tick(2.0)
    assert len(jobs(sqlite_store)) == 1000
    keys = [j.source_key for j in sqlite_store.list_jobs(limit=5000)]
    assert len(keys) == len(set(keys))
