"""The web page with a busy store: its weight and the time to its first byte.

1,000 jobs (by default) in an SQLite store, `vidvar web` on a free port, then, in
one invocation: the bytes a first visit of the queue page loads (HTML, script,
stylesheet and the job list it fetches) and the time to the first byte of the page
and of that list, each the median of several requests.
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


def run(jobs: int = 1000, rounds: int = 20) -> int:
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
                "/": "queue page (HTML)",
                "/static/app.js": "script",
                "/static/app.css": "stylesheet",
                "/api/jobs?limit=100": "job list it fetches (100 newest)",
            }
            weights = {path: _get(port, path)[1] for path in pieces}
            ttfb = {
                path: median([_get(port, path)[0] for _ in range(rounds)])
                for path in ("/", "/api/jobs?limit=100")
            }
        finally:
            web.terminate()
            web.wait(timeout=15)
        print(f"store: {jobs} jobs (SQLite); medians of {rounds} requests")
        for path, label in pieces.items():
            print(f"  {label}: {weights[path] / 1024:.1f} KiB")
        print(f"  first visit, all of it: {sum(weights.values()) / 1024:.1f} KiB")
        for path, seconds in ttfb.items():
            print(f"  time to first byte of {path}: {seconds * 1000:.1f} ms")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0
