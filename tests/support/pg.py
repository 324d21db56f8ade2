"""A throwaway PostgreSQL server for the tests: initdb + pg_ctl on a temp dir and a free port."""

from __future__ import annotations

import collections
import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from tests.support import ClipFactory, Workspace, run_cli


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("postgres")
    return Path(which).parent if which else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgServer:
    """initdb into a temp dir, then start, restart and stop it with pg_ctl."""

    def __init__(self) -> None:
        bin_dir = _bin_dir()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL server binaries not found: ./dev.sh test installs them")
        self.bin = bin_dir
        self.port = _free_port()
        # PostgreSQL refuses to run as root: as root, the server runs as `postgres`.
        self.user = "postgres" if os.geteuid() == 0 else None
        self.root = Path(tempfile.mkdtemp(prefix="vidvar-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "vidvar",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
        )
        self.start()

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bin / tool), *args]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        subprocess.run(
            cmd, check=True, capture_output=True, cwd=self.root, stdin=subprocess.DEVNULL
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c max_connections=200"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://vidvar@127.0.0.1:{self.port}/{dbname}"

    def new_database(self) -> str:
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def pg_rows(url: str, sql: str) -> list[dict[str, Any]]:
    try:
        with psycopg.connect(url, row_factory=dict_row, connect_timeout=5) as conn:
            return list(conn.execute(sql).fetchall())
    except psycopg.OperationalError:
        return []  # the server is restarting


def states(url: str) -> collections.Counter[str]:
    return collections.Counter(r["state"] for r in pg_rows(url, "SELECT state FROM jobs"))


def use_postgres(ws: Workspace, url: str, **worker: Any) -> None:
    ws.data["database"] = url
    ws.data["worker"].update({"lease_seconds": 5, **worker})
    ws.write(variations=1)


def enqueue_clips(
    ws: Workspace, clips: ClipFactory, tmp_path: Path, count: int, **clip: Any
) -> None:
    folder = tmp_path / "sources"
    paths = [str(clips.make(folder / f"clip{i:02d}.mp4", **clip)) for i in range(count)]
    done = run_cli("enqueue", *paths, config=ws.config_path)
    assert done.returncode == 0, done.stdout + done.stderr
