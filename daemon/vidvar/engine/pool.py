"""Several workers in one daemon: `worker.concurrency` files encoded at once.

Each worker is a Worker on its own thread with its own id, lease and claim in the
store, exactly as if it ran in a process of its own; the pool only starts,
stops and looks after them together. Files encoded at once share the memory
budget (WorkerConfig.group_size).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from vidvar.config import Config
from vidvar.engine.worker import Worker
from vidvar.events import EventBus
from vidvar.mounts import FolderGuard
from vidvar.store import Claim, JobStore


class WorkerPool:
    """`config.worker.files_at_once()` workers sharing one wake-up event."""

    def __init__(
        self,
        store: JobStore,
        config: Config,
        bus: EventBus,
        guard: FolderGuard,
        *,
        wake: threading.Event,
        can_claim: Callable[[], bool],
    ) -> None:
        self.wake = wake
        size = config.worker.files_at_once()
        self.workers = [
            Worker(store, config, bus, guard, wake=wake, can_claim=can_claim) for _ in range(size)
        ]
        self._threads: list[threading.Thread] = []

    @property
    def id(self) -> str:
        """The first worker's id: the daemon's name in logs and for files it queues."""
        return self.workers[0].id

    def start(self) -> None:
        """Each worker's loop on a thread of its own."""
        for number, worker in enumerate(self.workers, 1):
            thread = threading.Thread(target=self._run, args=(worker,), name=f"worker-{number}")
            thread.daemon = True
            self._threads.append(thread)
            thread.start()

    def _run(self, worker: Worker) -> None:
        worker.run()
        # A worker that stops wakes the others: a queued job it would have taken is
        # seen by them at once, not at their next poll.
        self.wake.set()

    @property
    def alive(self) -> bool:
        """Every worker thread still runs."""
        return bool(self._threads) and all(t.is_alive() for t in self._threads)

    @property
    def running(self) -> bool:
        """Some worker thread still runs."""
        return any(t.is_alive() for t in self._threads)

    def claims(self) -> list[tuple[Worker, Claim]]:
        """The job each busy worker holds."""
        return [(w, c) for w in self.workers if (c := w.current) is not None]

    def recover(self, *, steady: bool = False) -> int:
        """Re-queue dead workers' jobs (a worker of this process is never dead)."""
        return self.workers[0].recover([w.id for w in self.workers], steady=steady)

    def reconfigure(self, config: Config) -> None:
        """A reloaded config: each worker's next job uses it."""
        for worker in self.workers:
            worker.config = config

    def stop(self) -> None:
        """Stop claiming; running encodes stop and their files go back to the queue."""
        for worker in self.workers:
            worker.stop()

    def kill_now(self) -> None:
        """Kill every ffmpeg at once (a second stop signal)."""
        for worker in self.workers:
            worker.runner.kill_all_now()

    def join(self, timeout: float) -> None:
        """Wait up to `timeout` in all for the worker threads to end."""
        # One deadline for all: a worker whose ffmpeg takes long to stop may use the
        # time the others did not need.
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
