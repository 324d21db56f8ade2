"""The pipeline in-process: the re-plan loop, a lost claim mid-encode, a crash between
moving a source and recording it. Real store, real ffmpeg, no CLI subprocess."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from tests.support import TINY, ClipFactory, wait_for
from tests.support.pipeline_harness import Harness
from vidvar.engine import audition
from vidvar.engine.outcome import StopReason
from vidvar.events import EncodeStarted, FileFinished, JobFinished
from vidvar.store import WorkerRecord


def run_unreachable(harness: Harness, clips: ClipFactory) -> None:
    """Two variations of a profile too faint to ever be 40 bits apart, to the end."""
    harness.ws.data["profiles"] = {"tiny": TINY}
    harness.ws.data["distinctness"] = {"min_sibling_distance": 40, "replans": 2}
    harness.ws.write(profile="tiny", variations=2)
    harness.reload()
    harness.enqueue(clips.make(harness.ws.inbox / "clip.mp4"))
    assert harness.run_next() == "completed"


def test_bounds_out_of_reach_are_known_before_the_one_encode(
    harness: Harness, clips: ClipFactory
) -> None:
    run_unreachable(harness, clips)
    # The audition tried other candidates on a few frames; nothing is encoded twice.
    assert [e.outputs for e in harness.recorder.of(EncodeStarted)] == [2]
    [finished] = harness.recorder.of(FileFinished)
    assert finished.state == "completed"
    assert "offers none closer" in (finished.warning or "")
    assert "min_sibling_distance 40" in (finished.warning or "")
    [status] = harness.ws.statuses()
    assert status["files"][0]["figures"]["replans"] == 0
    assert len(status["files"][0]["outputs"]) == 2


def test_without_an_audition_variations_too_close_are_encoded_again(
    harness: Harness, clips: ClipFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The safety net behind the audition: what the encode measures out of bounds is
    # re-planned and encoded again, bounded by `replans`.
    monkeypatch.setattr(audition, "wanted", lambda bounds: False)
    run_unreachable(harness, clips)
    # The first encode plus one per re-plan: each re-plan renders only what was too close.
    encodes = harness.recorder.of(EncodeStarted)
    assert [e.outputs for e in encodes] == [2, 1, 1]
    [finished] = harness.recorder.of(FileFinished)
    assert finished.state == "completed" and "after 2 re-plan(s)" in (finished.warning or "")
    [status] = harness.ws.statuses()
    assert status["files"][0]["figures"]["replans"] == 2
    assert len(status["files"][0]["outputs"]) == 2


def test_a_claim_lost_mid_encode_touches_nothing_of_the_new_owner(
    harness: Harness, clips: ClipFactory
) -> None:
    harness.ws.data["encoders"] = {"default": {"preset": "veryslow"}}
    harness.ws.write()
    harness.reload()
    job = harness.enqueue(clips.make(harness.ws.inbox / "clip.mp4", seconds=8, size="320x240"))
    claim = harness.claim("old-owner")
    run = harness.job_run(claim)
    result: list[str] = []
    thread = threading.Thread(target=lambda: result.append(run.run()))
    thread.start()
    wait_for(lambda: harness.recorder.of(EncodeStarted), what="the encode to start")

    # The old owner's lease expires: another worker recovers the job and claims it.
    def dead(worker: WorkerRecord) -> bool:
        return worker.id == "old-owner"

    harness.store.register_worker("old-owner", "elsewhere", 1)
    harness.store.recover(max_attempts=3, is_dead=dead)
    new_claim = harness.claim("new-owner")
    assert new_claim.job_id == job.id
    theirs = Path(job.job_dir) / "clip_var01.mp4"  # as if the new owner had published it
    theirs.write_bytes(b"the new owner's output")
    # What the cancel poller does once its check finds the claim gone.
    harness.stop.set(StopReason.LOST)
    thread.join(timeout=60)
    assert result == ["lost"]
    assert not harness.recorder.of(JobFinished)
    record = harness.store.get_job(job.id)
    assert record is not None
    assert record.state == "processing" and record.worker_id == "new-owner"
    assert (harness.ws.inbox / "clip.mp4").exists()  # the old owner disposed of nothing
    assert theirs.read_bytes() == b"the new owner's output"


def test_a_crash_between_moving_the_source_and_recording_it_archives_once(
    harness: Harness, clips: ClipFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = clips.make(harness.ws.inbox / "clip.mp4")
    job = harness.enqueue(source)
    real = harness.store.mark_disposed
    calls: list[Any] = []

    def crash_once(*args: Any, **kwargs: Any) -> None:
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("power cut right after the move")
        real(*args, **kwargs)

    monkeypatch.setattr(harness.store, "mark_disposed", crash_once)
    claim = harness.claim()
    with pytest.raises(RuntimeError, match="power cut"):
        harness.job_run(claim).run()
    assert (harness.ws.archive / "clip.mp4").exists() and not source.exists()
    # The process died holding the claim; recovery gives the job back.
    harness.store.register_worker("w1", "elsewhere", 1)
    harness.store.recover(max_attempts=3, is_dead=lambda w: w.id == "w1")
    assert harness.run_next("w2") == "completed"
    [record] = harness.store.files(job.id)
    assert record.disposal == "archived"
    assert Path(record.disposed_to or "") == harness.ws.archive / "clip.mp4"
    assert sorted(p.name for p in harness.ws.archive.iterdir()) == ["clip.mp4"]
