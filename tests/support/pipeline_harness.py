"""Run jobs in-process: a real store, real ffmpeg, the real JobRun, no CLI subprocess."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from tests.support import Workspace
from vidvar.config import Config, load_config
from vidvar.engine.context import Context, StopSignal
from vidvar.engine.jobrun import JobRun
from vidvar.engine.render import Renderer
from vidvar.engine.sinks import StatusSink
from vidvar.engine.supervisor import configured_folders
from vidvar.events import Event, EventBus
from vidvar.ffmpeg.runner import Runner
from vidvar.inbox.intake import file_signature, make_job, source_key
from vidvar.mounts import FolderGuard
from vidvar.store import Claim, Job, JobStore, open_store


class Recorder:
    """A sink that keeps every event."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.lock = threading.Lock()

    def handle(self, event: Event) -> None:
        with self.lock:
            self.events.append(event)

    def of(self, kind: type) -> list[Any]:
        with self.lock:
            return [e for e in self.events if isinstance(e, kind)]


class Harness:
    """A workspace, its config, a store and an event bus with status.json written.
    `database=":memory:"` puts the store in memory (fast engine tests)."""

    def __init__(self, workspace: Workspace, database: str | None = None) -> None:
        self.ws = workspace
        self.config: Config = load_config(workspace.config_path)
        self.store: JobStore = open_store(database or self.config.database)
        self.guard = FolderGuard(configured_folders(self.config))
        self.bus = EventBus()
        self.recorder = Recorder()
        self.bus.subscribe(StatusSink(self.store, self.guard))
        self.bus.subscribe(self.recorder)
        self.runner = Runner()
        self.stop = StopSignal()

    def reload(self) -> None:
        """Read the workspace's config again (after ws.write)."""
        self.config = load_config(self.ws.config_path)

    def enqueue(self, path: Path) -> Job:
        """Queue a file dropped at the top of the inbox, as the watcher would."""
        watch = self.config.watches[0]
        signature = file_signature(path)
        assert signature is not None
        job, _created = self.store.enqueue(
            make_job(watch, path, [path], source_key(watch.name, signature))
        )
        return job

    def claim(self, worker: str = "w1") -> Claim:
        claim = self.store.claim(worker)
        assert claim is not None, "nothing to claim"
        return claim

    def job_run(self, claim: Claim) -> JobRun:
        ctx = Context(
            store=self.store,
            bus=self.bus,
            renderer=Renderer(self.runner, self.config.worker),
            config=self.config,
            guard=self.guard,
            stop=self.stop,
        )
        return JobRun(ctx, claim, backoff=lambda _job: 0.1)

    def run_next(self, worker: str = "w1") -> str:
        """Claim the next job and run it to its end; its state afterwards."""
        return self.job_run(self.claim(worker)).run()

    def close(self) -> None:
        self.store.close()
