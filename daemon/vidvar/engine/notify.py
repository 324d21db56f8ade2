"""Telling people and tools that a job ended: webhooks, Apprise and an on_finish command.

A sink: on JobFinished it queues deliveries and returns at once. Deliveries run
on a small pool of daemon threads of their own; a webhook that fails or times out
is retried with back-off without holding up the next job or the next delivery.

Stop means stop: each attempt has one deadline for the whole exchange (a server
that dribbles a byte every few seconds never resets it), nothing of the pool is
joined at exit, on_finish commands still running are killed with their process
group, and deliveries still queued are dropped with a log line naming their jobs.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import hmac
import json
import os
import queue
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from vidvar import __version__
from vidvar.config import Config, redact_url
from vidvar.config.schema import NotifyConfig, Webhook
from vidvar.events import Event, JobFinished
from vidvar.jobfolder import JobFolder
from vidvar.log import get_logger
from vidvar.status import status_document
from vidvar.store import JobStore, State

EVENT_OF_STATE: dict[str, str] = {
    State.COMPLETED: "finished",
    State.FAILED: "failed",
    State.CANCELLED: "cancelled",
}
OUTPUT_TAIL_CHARS = 2000


def signature(secret: str, body: bytes) -> str:
    """The X-Vidvar-Signature header: `sha256=` and the hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def message(document: dict[str, Any]) -> str:
    """One line for a chat: what happened to which job."""
    files = document.get("files") or []
    name = files[0]["name"] if len(files) == 1 else f"{len(files)} files"
    outputs = sum(len(f.get("outputs") or []) for f in files)
    state = document["state"]
    text = f"vidvar: job {document['job_id']} ({document['watch']}, {name}) {state}"
    if state == State.COMPLETED:
        text += f": {outputs} variation(s)"
        if document.get("failed_files"):
            text += f", {document['failed_files']} file(s) failed"
    elif document.get("error"):
        text += f": {document['error']}"
    return text


def webhook_body(hook: Webhook, document: dict[str, Any]) -> bytes:
    """What is POSTed: the status document, or a chat tool's incoming-webhook message."""
    if hook.format == "json":
        payload: dict[str, Any] = document
    elif hook.format == "discord":
        payload = {"content": message(document)}
    else:  # slack, and Teams' incoming webhook: {"text": …}
        payload = {"text": message(document)}
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


@dataclass(order=True)
class _Attempt:
    due: float
    seq: int
    hook: Webhook = field(compare=False)
    body: bytes = field(compare=False)
    event: str = field(compare=False)
    job_id: str = field(compare=False)
    tries: int = field(compare=False, default=0)


class _DaemonPool:
    """Daemon threads running tasks from a queue: unlike ThreadPoolExecutor, whose
    threads are joined at interpreter exit, nothing here can hold up a stop."""

    def __init__(self, workers: int, name: str, log: Any) -> None:
        self._tasks: queue.SimpleQueue[tuple[Callable[..., None], tuple[Any, ...]] | None] = (
            queue.SimpleQueue()
        )
        self._workers = workers
        self.log = log
        for n in range(workers):
            threading.Thread(target=self._work, name=f"{name}-{n}", daemon=True).start()

    def submit(self, task: Callable[..., None], *args: Any) -> None:
        self._tasks.put((task, args))

    def _work(self) -> None:
        while (item := self._tasks.get()) is not None:
            task, args = item
            try:
                task(*args)
            except Exception:
                self.log.exception("a notification task failed")

    def stop(self) -> None:
        """Let the threads end after their current task; nothing waits for them."""
        for _ in range(self._workers):
            self._tasks.put(None)


class NotifySink:
    """Delivers webhooks and runs on_finish commands when jobs end."""

    def __init__(self, config: Callable[[], Config], store: JobStore, workers: int = 8) -> None:
        self.config = config
        self.store = store
        self.log = get_logger(component="notify")
        self._pool = _DaemonPool(workers, "notify", self.log)
        self._running: set[subprocess.Popen[bytes]] = set()  # on_finish commands
        self._pending: list[_Attempt] = []
        self._cond = threading.Condition()
        self._seq = 0
        self._stopped = False
        self._thread = threading.Thread(target=self._schedule, name="notify", daemon=True)
        self._thread.start()

    def handle(self, event: Event) -> None:
        if not isinstance(event, JobFinished):
            return
        configs = self.config().notify_for(event.watch)
        if not any(c.webhooks or c.on_finish or c.apprise for c in configs):
            return
        job = self.store.get_job(event.job_id)
        if job is None:
            return
        document = status_document(job, self.store.files(job.id))
        kind = EVENT_OF_STATE.get(event.state, event.state)
        for notify in configs:
            for hook in notify.webhooks:
                if kind in hook.events:
                    self._queue(hook, webhook_body(hook, document), kind, job.id)
            if notify.on_finish:
                self._pool.submit(self._run_command, notify, job.id, event.state, job.job_dir)
            if notify.apprise:
                self._pool.submit(self._tell_apprise, notify.apprise, document, kind, job.id)

    # -- webhooks --------------------------------------------------------------------

    def _queue(self, hook: Webhook, body: bytes, kind: str, job_id: str) -> None:
        with self._cond:
            self._seq += 1
            heapq.heappush(
                self._pending, _Attempt(time.monotonic(), self._seq, hook, body, kind, job_id)
            )
            self._cond.notify()

    def _schedule(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (
                    not self._pending or self._pending[0].due > time.monotonic()
                ):
                    wait = self._pending[0].due - time.monotonic() if self._pending else None
                    self._cond.wait(wait)
                if self._stopped:
                    return
                attempt = heapq.heappop(self._pending)
            self._pool.submit(self._post, attempt)

    def _post(self, attempt: _Attempt) -> None:
        hook = attempt.hook
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"vidvar/{__version__}",
            "X-Vidvar-Event": attempt.event,
        }
        if hook.secret:
            headers["X-Vidvar-Signature"] = signature(hook.secret, attempt.body)
        request = urllib.request.Request(
            hook.url, data=attempt.body, headers=headers, method="POST"
        )
        log = self.log.bind(
            job_id=attempt.job_id, url=redact_url(hook.url, tokens=True), event=attempt.event
        )
        status, problem = _exchange(request, hook.timeout_seconds)
        if status is not None:
            log.info("webhook delivered", status=status, tries=attempt.tries + 1)
            return
        if self._stopped:
            return
        if attempt.tries >= hook.retries:
            log.warning("webhook gave up", error=problem, tries=attempt.tries + 1)
            return
        delay = hook.retry_seconds * 2**attempt.tries
        log.warning("webhook failed; retrying", error=problem, retry_in=round(delay, 1))
        attempt.tries += 1
        attempt.due = time.monotonic() + delay
        with self._cond:
            heapq.heappush(self._pending, attempt)
            self._cond.notify()

    # -- Apprise -----------------------------------------------------------------------

    def _tell_apprise(
        self, urls: tuple[str, ...], document: dict[str, Any], kind: str, job_id: str
    ) -> None:
        """One message to every Apprise URL (Apprise applies its own timeouts)."""
        import apprise

        if self._stopped:
            return
        sender = apprise.Apprise()
        for url in urls:
            sender.add(url)
        failed = document["state"] == State.FAILED
        sent = sender.notify(
            title=f"vidvar: a job {kind}",
            body=message(document),
            notify_type=apprise.NotifyType.FAILURE if failed else apprise.NotifyType.SUCCESS,
        )
        log = self.log.bind(job_id=job_id, event=kind, services=len(urls))
        if sent:
            log.info("apprise delivered")
        else:
            log.warning("apprise could not deliver to every service (details above)")

    # -- on_finish ---------------------------------------------------------------------

    def _run_command(self, notify: NotifyConfig, job_id: str, state: str, job_dir: str) -> None:
        folder = JobFolder(job_dir)
        env = {
            **os.environ,
            "VIDVAR_JOB_ID": job_id,
            "VIDVAR_JOB_STATE": state,
            "VIDVAR_JOB_DIR": str(folder.path),
            "VIDVAR_STATUS_FILE": str(folder.status_path),
        }
        log = self.log.bind(job_id=job_id, command=notify.on_finish[0])
        if self._stopped:
            return
        try:
            # Its own process group: a stop or a timeout ends the command and its children.
            process = subprocess.Popen(
                list(notify.on_finish),
                env=env,
                cwd=folder.path if folder.path.is_dir() else None,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            log.warning("on_finish could not run", error=str(exc))
            return
        with self._cond:
            self._running.add(process)
        try:
            output, _ = process.communicate(timeout=notify.on_finish_timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            log.warning("on_finish took too long and was stopped", seconds=notify.on_finish_timeout)
            return
        finally:
            with self._cond:
                self._running.discard(process)
        if process.returncode < 0 and self._stopped:
            return  # ended by the stop, which said so
        text = output.decode("utf-8", "replace")[-OUTPUT_TAIL_CHARS:]
        level = log.info if process.returncode == 0 else log.warning
        level("on_finish ran", exit_status=process.returncode, output=text.strip() or None)

    def stop(self) -> None:
        """Stop at once: queued deliveries are dropped (the log names their jobs), the
        on_finish commands still running are ended, nothing is waited for."""
        with self._cond:
            self._stopped = True
            dropped = sorted({a.job_id for a in self._pending})
            running = list(self._running)
            self._pending.clear()
            self._cond.notify()
        if dropped:
            self.log.warning("stopping with webhooks undelivered", jobs=dropped)
        for process in running:
            self.log.warning("stopping an on_finish command still running", pid=process.pid)
            _kill_group(process)
        self._pool.stop()


def _exchange(request: urllib.request.Request, seconds: float) -> tuple[int | None, str]:
    """POST and wait for the answer for `seconds` in all: (status, '') or (None, why).
    The exchange runs on a daemon thread: urllib's timeout bounds each read, not the
    whole, and a thread left behind by a slow server cannot hold up a stop."""
    result: list[tuple[int | None, str]] = []

    def talk() -> None:
        try:
            with urllib.request.urlopen(request, timeout=seconds) as answer:
                result.append((answer.status, ""))
        except urllib.error.HTTPError as exc:
            result.append((None, f"HTTP {exc.code}"))
        except (urllib.error.URLError, OSError) as exc:
            result.append((None, str(getattr(exc, "reason", exc))))

    thread = threading.Thread(target=talk, name="notify-http", daemon=True)
    thread.start()
    thread.join(seconds)
    return result[0] if result else (None, f"no answer within {seconds:g} s")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
