"""GET /metrics: Prometheus metrics, computed from the store at each scrape (the same
read model as `vidvar status` and the page), named `vidvar_*`.

Open to this machine; from elsewhere it sits behind the page's sign-in or an API token
(`Authorization: Bearer …`, which Prometheus sends with `authorization:` in its
scrape config).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from vidvar.config import Config
from vidvar.config.topology import folders_in_use
from vidvar.engine.retention import free_bytes
from vidvar.store import JobStore, State
from vidvar.web.state import WebState

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
STATES = tuple(State)


class StoreCollector(Collector):
    """Every vidvar_* metric, read from the store and the disks when scraped."""

    def __init__(self, config: Config, store: JobStore) -> None:
        self.config = config
        self.store = store

    def collect(self) -> Iterator[Metric]:
        jobs = self.store.counts()
        files, totals = self.store.file_totals()
        yield _by_state("vidvar_jobs", "Jobs by state.", jobs)
        yield _by_state("vidvar_files", "Source files by state.", files)
        yield GaugeMetricFamily(
            "vidvar_queue_depth", "Jobs waiting to start.", value=jobs.get(State.QUEUED, 0)
        )
        yield CounterMetricFamily(
            "vidvar_variations", "Variations made (verified outputs).", totals["variations"]
        )
        yield CounterMetricFamily(
            "vidvar_encode_seconds",
            "Seconds from start to end of finished jobs.",
            totals["job_seconds"],
        )
        yield CounterMetricFamily(
            "vidvar_source_video_seconds",
            "Seconds of source video completed.",
            totals["video_seconds"],
        )
        yield self._heartbeats()
        yield self._disks()

    def _heartbeats(self) -> Metric:
        ages = GaugeMetricFamily(
            "vidvar_worker_heartbeat_age_seconds",
            "Seconds since each worker's last heartbeat.",
            labels=["worker", "host"],
        )
        now = time.time()
        for w in self.store.workers():
            ages.add_metric([w.id, w.host], round(w.beat_age(now), 3))
        return ages

    def _disks(self) -> Metric:
        free = GaugeMetricFamily(
            "vidvar_free_disk_bytes",
            "Free space of each configured folder's filesystem.",
            labels=["watch", "folder"],
        )
        for watch in self.config.watches:
            for key, folder in folders_in_use(watch):
                try:
                    free.add_metric([watch.name, key], free_bytes(folder))
                except OSError:
                    continue  # a share unmounted: no sample rather than a wrong one
        return free


def _by_state(name: str, documentation: str, counts: dict[str, int]) -> Metric:
    family = GaugeMetricFamily(name, documentation, labels=["state"])
    for state in STATES:
        family.add_metric([state], counts.get(state, 0))
    return family


def render(config: Config, store: JobStore) -> bytes:
    """The exposition text of every metric."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(config, store))
    return generate_latest(registry)


async def metrics(request: Request) -> Response:
    """GET /metrics."""
    state: WebState = request.app.state.vidvar
    body = await run_in_threadpool(render, state.config, state.store)
    return Response(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})
