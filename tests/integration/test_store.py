"""The job store protocol, run against every adapter (SQLite, PostgreSQL)."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import sqlite3
from pathlib import Path

import pytest

from tests.support import new_job
from vidvar.engine.sinks import StatusSink
from vidvar.store import (
    JobStore,
    LostClaim,
    NewFile,
    OutputRecord,
    WorkerRecord,
    open_store,
)


def never_dead(_w: WorkerRecord) -> bool:
    return False


def test_enqueue_is_idempotent_for_the_same_source(store: JobStore) -> None:
    first, created = store.enqueue(new_job("a"))
    again, created_again = store.enqueue(new_job("a"))
    assert created and not created_again
    assert first.id == again.id
    assert first.job_dir == "/out/a"
    assert store.counts() == {"queued": 1}


def test_lifecycle_of_a_job(store: JobStore) -> None:
    job, _ = store.enqueue(new_job("b", files=2))
    claim = store.claim("w1")
    assert claim is not None and claim.job_id == job.id
    assert store.claim("w2") is None
    f1, f2 = store.files(job.id)
    store.start_file(claim, f1.id)
    store.set_file_duration(claim, f1.id, 12.5)
    store.set_progress(claim, f1.id, 40, 20)
    store.set_ffmpeg(claim, f1.id, 4242, 1000.0)
    running = store.files(job.id)[0]
    assert (running.state, running.progress, running.duration, running.ffmpeg_pid) == (
        "processing",
        40,
        12.5,
        4242,
    )
    store.add_output(claim, f1.id, OutputRecord(1, "x_var01.mp4", 10, {"hue": 1.0}, 7))
    store.finish_file(claim, f1.id, "completed")
    store.start_file(claim, f2.id)
    store.finish_file(claim, f2.id, "failed", "no video stream: this looks like an audio file")
    store.finish_job(claim, "completed")
    done = store.get_job(job.id)
    assert done is not None and done.state == "completed" and done.progress == 100
    f1, f2 = store.files(job.id)
    assert f1.completed_variations == 1 and f1.ffmpeg_pid is None
    assert f1.outputs[0].effects == {"hue": 1.0} and f1.outputs[0].seed == 7
    assert f2.state == "failed" and "audio file" in (f2.error or "")
    assert store.get_job(job.id[:6]) == done  # a unique prefix finds the job


def test_lost_claim_cannot_write(store: JobStore) -> None:
    job, _ = store.enqueue(new_job("c"))
    claim = store.claim("w1")
    assert claim is not None
    store.register_worker("w1", "elsewhere", 1)
    # w1 is declared dead: its job goes back and another worker takes it.
    store.recover(max_attempts=3, is_dead=lambda w: w.id == "w1")
    new_claim = store.claim("w2")
    assert new_claim is not None and new_claim.job_id == job.id
    file_id = store.files(job.id)[0].id
    with pytest.raises(LostClaim):
        store.set_progress(claim, file_id, 50, 50)
    with pytest.raises(LostClaim):
        store.finish_job(claim, "completed")
    with pytest.raises(LostClaim):
        store.is_cancel_requested(claim)
    store.finish_job(new_claim, "completed")
    assert store.get_job(job.id).state == "completed"  # type: ignore[union-attr]


def test_recover_requeues_and_gives_up_after_max_attempts(store: JobStore) -> None:
    job, _ = store.enqueue(new_job("d"))
    for attempt in range(1, 4):
        claim = store.claim(f"w{attempt}")
        assert claim is not None
        store.register_worker(claim.worker_id, "host", 1)
        file_id = store.files(job.id)[0].id
        store.start_file(claim, file_id)
        store.add_output(claim, file_id, OutputRecord(1, "p.mp4", 1, {}, 1))
        recovered = store.recover(max_attempts=3, is_dead=lambda w: True)
        assert [r.job.id for r in recovered] == [job.id]
        record = store.files(job.id)[0]
        assert record.outputs == ()  # half a file is no file
        if attempt < 3:
            assert record.state == "queued" and record.attempts == attempt
        else:
            assert record.state == "failed" and "3 times" in (record.error or "")
    again = store.claim("w9")
    assert again is not None  # the job runs on so its other files (none here) finish


def test_live_workers_are_not_recovered(store: JobStore) -> None:
    store.enqueue(new_job("e"))
    claim = store.claim("live")
    assert claim is not None
    store.register_worker("live", "host", 1)
    assert store.recover(max_attempts=3, is_dead=never_dead) == []
    assert store.get_job(claim.job_id).state == "processing"  # type: ignore[union-attr]


def test_cancel_and_retry(store: JobStore) -> None:
    queued, _ = store.enqueue(new_job("f"))
    assert store.request_cancel(queued.id) == "cancelled"
    assert store.files(queued.id)[0].state == "cancelled"
    running, _ = store.enqueue(new_job("g"))
    claim = store.claim("w1")
    assert claim is not None and claim.job_id == running.id
    assert store.request_cancel(running.id) == "cancelling"
    assert store.is_cancel_requested(claim)
    store.finish_file(claim, store.files(running.id)[0].id, "failed", "boom")
    store.finish_job(claim, "failed", "boom")
    assert store.retry(running.id) == 1
    assert store.get_job(running.id).state == "queued"  # type: ignore[union-attr]
    assert store.files(running.id)[0].state == "queued"


def test_data_survives_close_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    store = open_store(str(path))
    job, _ = store.enqueue(new_job("h", files=3))
    store.close()
    reopened = open_store(str(path))
    assert reopened.get_job(job.id) == job
    assert len(reopened.files(job.id)) == 3
    reopened.close()


def test_migration_from_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    store = open_store(str(path))
    store.close()
    with sqlite3.connect(path) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations")]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert versions == [1, 2, 3, 4, 5, 6, 7, 8]
    assert {"jobs", "files", "outputs", "workers", "controls"} <= tables
    open_store(str(path)).close()  # a second open applies nothing twice
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == 8


def _claim_all(database: str, worker: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    store = open_store(database)
    taken = []
    while True:
        claim = store.claim(worker)
        if claim is None:
            break
        taken.append(claim.job_id)
    store.close()
    queue.put(taken)


def test_racing_processes_claim_each_job_exactly_once(store: JobStore, store_url: str) -> None:
    ids = {store.enqueue(new_job(f"r{i}"))[0].id for i in range(40)}
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_claim_all, args=(store_url, f"w{i}", queue)) for i in range(3)]
    for p in procs:
        p.start()
    results = [queue.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    claimed = [job_id for result in results for job_id in result]
    assert sorted(claimed) == sorted(ids)
    assert len(claimed) == len(set(claimed))


def test_status_is_fsynced_except_for_progress_while_processing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(str(tmp_path / "vidvar.db"))
    job, _ = store.enqueue(dataclasses.replace(new_job("s"), job_dir=str(tmp_path / "job")))
    (tmp_path / "job").mkdir()
    sink = StatusSink(store)
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))

    def written(state: str) -> bool:
        synced.clear()
        sink.write(job.id)
        assert json.loads((tmp_path / "job" / "status.json").read_text())["state"] == state
        return bool(synced)

    assert written("queued")
    claim = store.claim("w")
    assert claim is not None
    assert not written("processing")
    store.finish_job(claim, "completed")
    assert written("completed")
    store.close()


def test_named_queries_bind_natively_and_keep_literals() -> None:
    from vidvar.store.queries import parse_blocks, statements

    sql = parse_blocks(
        "-- name: q\nSELECT '50%?:x' AS a, \"col:y\", x::text -- :not_a_param\n"
        "FROM t WHERE a = :a AND b LIKE '%:b%' AND c = :c;\nDELETE FROM u WHERE d = :a\n"
    )["q"]
    named, py = statements(sql, "named"), statements(sql, "pyformat")
    assert named[0].startswith("SELECT '50%?:x' AS a") and ":a AND" in named[0]
    assert py == [
        "SELECT '50%?:x' AS a, \"col:y\", x::text \nFROM t WHERE a = %(a)s AND b LIKE "
        "'%:b%' AND c = %(c)s",
        "DELETE FROM u WHERE d = %(a)s",
    ]
    assert "%%" in statements("-- name: m\nSELECT 5 % :n", "pyformat")[0]


def test_every_named_query_is_known_to_both_dialects() -> None:
    from vidvar.store.queries import load_queries

    sqlite, postgres = load_queries("sqlite", "named"), load_queries("postgres", "pyformat")
    assert set(sqlite) - {"claim_next"} <= set(postgres)
    assert {"claim_next", "insert_job", "finish_job"} <= set(sqlite) & set(postgres)


def test_paths_that_are_not_utf8_are_stored_losslessly(store: JobStore) -> None:
    weird = os.fsdecode(b"/in/bad\xff\xfe.mp4")
    job, _ = store.enqueue(
        dataclasses.replace(
            new_job("u"), source_path=weird, files=(NewFile(path=weird, name="bad\udcff.mp4"),)
        )
    )
    [record] = store.files(job.id)
    assert record.source_path == weird and os.fsencode(record.source_path).endswith(b"\xff\xfe.mp4")
    assert store.get_job(job.id).source_path == weird  # type: ignore[union-attr]
    assert record.name == "bad\\xff.mp4"  # shown with the byte spelled out


def test_the_in_memory_store_is_one_database_for_every_thread() -> None:
    import threading

    memory = open_store(":memory:")
    try:
        job, _ = memory.enqueue(new_job("m"))
        seen: list[object] = []
        reader = threading.Thread(target=lambda: seen.append(memory.get_job(job.id)))
        reader.start()
        reader.join()
        assert seen == [job]
    finally:
        memory.close()
    other = open_store(":memory:")
    try:
        assert other.list_jobs() == []  # each store has a database of its own
    finally:
        other.close()
