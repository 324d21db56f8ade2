"""The web page with a busy store: its weight and the time to its first byte.

10,000 jobs (by default) in an SQLite store, `vidvar web` on a free port, then, in
one invocation: the bytes a first visit of the queue page loads (the server-rendered
HTML, script, stylesheet and icon) and the time to the first byte of the page, of a
history search by name, and of the job list, each the median of several requests and
each as a ratio to the baseline beside it: a static file served by the same server.
"""

from __future__ import annotations

import http.client
import shutil
import socket
import subprocess
import sys
import time

from bench.common import REPO, fill_queue, median, workspace
from vidvar.config import load_config
from vidvar.store import open_store


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(port: int, path: str) -> tuple[float, int]:
    """(seconds to the first byte, bytes of the body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    began = time.perf_counter()
    conn.request("GET", path)
    answer = conn.getresponse()
    first = answer.read(1)
    ttfb = time.perf_counter() - began
    size = len(first) + len(answer.read())
    conn.close()
    return ttfb, size


def run(jobs: int = 10_000, rounds: int = 20) -> int:
    root, config_path = workspace()
    try:
        store = open_store(load_config(config_path).database)
        fill_queue(store, jobs)
        store.close()
        port = _port()
        web = subprocess.Popen(
            [sys.executable, "-m", "vidvar", "web", "--port", str(port), "-c", str(config_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=REPO,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with socket.socket() as sock:
                    if sock.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.1)
            pieces = {
                "/": "queue page (HTML, with its data)",
                "/static/app.js": "script",
                "/static/app.css": "stylesheet",
                "/static/favicon.svg": "icon",
            }
            weights = {path: _get(port, path)[1] for path in pieces}
            timed = ("/static/favicon.svg", "/", "/?q=clip4242", "/api/jobs?limit=100")
            ttfb = {path: median([_get(port, path)[0] for _ in range(rounds)]) for path in timed}
        finally:
            web.terminate()
            web.wait(timeout=15)
        print(f"store: {jobs} jobs (SQLite); medians of {rounds} requests")
        for path, label in pieces.items():
            print(f"  {label}: {weights[path] / 1024:.1f} KiB")
        print(f"  first visit, all of it: {sum(weights.values()) / 1024:.1f} KiB")
        baseline = ttfb["/static/favicon.svg"]
        for path, seconds in ttfb.items():
            print(
                f"  time to first byte of {path}: {seconds * 1000:.1f} ms"
                f" ({seconds / baseline:.1f} x the static icon beside it)"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0
